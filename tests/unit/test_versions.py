"""The version table is the one source of truth: everything else must agree with it."""
import re

import pytest
import tomllib
import yaml

from kitlib.cluster import versions
from kitlib.cluster.tools import BUILD_DIR, tool_groups
from kitlib.paths import REPO_DIR


def test_table_loads_and_is_pinned():
    v = versions.load()
    assert v.kubernetes.startswith("v1.")
    assert v.staging == "v0." + v.kubernetes.split(".", 1)[1]
    assert "@sha256:" in v.kind_node_image


def test_kind_image_matches_kubernetes_version():
    v = versions.load()
    assert v.kind_node_image.split("@")[0].endswith(":" + v.kubernetes)


def test_etcd_is_new_enough_for_kube_apiserver():
    major, minor, patch = map(int, versions.load().etcd.lstrip("v").split("."))
    assert (major, minor, patch) >= (3, 5, 11)


def test_python_client_range_follows_kubernetes_minor():
    v = versions.load()
    deps = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["project"]["dependencies"]
    client = next(d for d in deps if d.startswith("kubernetes"))
    assert client == f"kubernetes{v.python_kubernetes}"
    assert v.python_kubernetes == f">={v.kubernetes_minor},<{v.kubernetes_minor + 1}"


def test_environment_yml_agrees():
    env = yaml.safe_load((REPO_DIR / "environment.yml").read_text())
    names = {str(d).split()[0] for d in env["dependencies"] if isinstance(d, str)}
    assert {"python", "jupyterlab", "ipywidgets", "python-kubernetes", "pyyaml", "nbval",
            "kind", "kubernetes-client"} <= names
    # The pip part installs kitlib, which carries the pinned client range.
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert any(item.startswith("-e .") for item in pip)


@pytest.mark.parametrize("group", list(tool_groups()))
def test_wrapper_modules_match_table(group):
    g = tool_groups()[group]
    gomod = (g.build_dir / "go.mod").read_text()
    assert re.search(rf"^require {re.escape(g.module)} {re.escape(g.version)}$", gomod, re.M)
    assert (g.build_dir / "go.sum").stat().st_size > 0
    for package in g.packages:
        assert f'"{package}"' in (g.build_dir / "tools.go").read_text()


def test_kubernetes_wrapper_replaces_staging_with_published_modules():
    gomod = (BUILD_DIR / "kubernetes" / "go.mod").read_text()
    staging = versions.load().staging
    replaced = re.findall(r"^\s*(k8s\.io/\S+) => (k8s\.io/\S+) (\S+)$", gomod, re.M)
    assert len(replaced) > 20
    assert all(a == b and v == staging for a, b, v in replaced)


@pytest.mark.parametrize("bad, message", [
    ({"kubernetes": "1.37"}, "v1.2.3"),
    ({"kind_node_image": "kindest/node:v1.37.0"}, "digest"),
    ({"extra": "x"}, "unknown keys"),
])
def test_bad_table_is_rejected_with_a_clear_message(tmp_path, bad, message):
    data = yaml.safe_load(versions.VERSIONS_FILE.read_text())
    data.update(bad)
    path = tmp_path / "versions.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match=message):
        versions.load.__wrapped__(path)
