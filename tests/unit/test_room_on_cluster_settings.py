"""The room on a Kubernetes cluster, without one: what the hub may do there, what every
learner's pod gets from KubeSpawner's settings, and what `up` refuses. The room itself runs
on kind in tests/integration/test_workshop_kubernetes.py."""
import json

import pytest
from traitlets.config import Config

from kitlib.errors import KitError
from kitlib.workshop.k8s import hub, manifests
from kitlib.workshop.k8s import room as k8s_room

pytest.importorskip("kubespawner")


def _configured(tmp_path, **extra) -> Config:
    settings = {"namespace": "kit-workshop-1", "image": "kitlib/course:abc", "pull": "Never",
                "node": "kit-worker", "proxy": "/opt/proxy/chp", "learners": ["ada", "bob"],
                "memory_mb": 1536, "cpus": 1.0, "storage_class": "", **extra}
    (tmp_path / hub.SETTINGS).write_text(json.dumps(settings))
    c = Config()
    hub.configure(c, str(tmp_path))
    return c


def test_learners_pods_run_unprivileged_without_a_token_within_limits(tmp_path):
    k = _configured(tmp_path).KubeSpawner
    assert k.automount_service_account_token is False
    assert (k.uid, k.gid, k.fs_gid) == (manifests.UID,) * 3
    assert k.allow_privilege_escalation is False
    assert k.container_security_context["capabilities"] == {"drop": ["ALL"]}
    assert k.container_security_context["runAsNonRoot"] is True
    assert (k.mem_limit, k.cpu_limit) == ("1536M", 1.0)
    assert k.image == "kitlib/course:abc" and k.image_pull_policy == "Never"
    assert k.node_selector == {"kubernetes.io/hostname": "kit-worker"}
    assert k.environment["KIT_PROVIDER"] == "kwok"
    assert k.environment["KIT_STATE_DIR"].startswith(k.volume_mounts[0]["mountPath"])
    assert k.volumes[0]["persistentVolumeClaim"]["claimName"] == k.pvc_name_template
    assert "storage_class" not in k            # the cluster's default class
    assert _configured(tmp_path, storage_class="fast").KubeSpawner.storage_class == "fast"


def test_the_hub_reaches_learners_through_its_own_service_and_knows_only_the_roster(tmp_path):
    c = _configured(tmp_path)
    assert c.JupyterHub.hub_connect_url == f"http://hub.kit-workshop-1.svc:{manifests.API_PORT}"
    assert c.Authenticator.allowed_users == {"ada", "bob"}
    assert c.ConfigurableHTTPProxy.command == ["/opt/proxy/chp"]


def test_the_hub_may_only_manage_pods_and_claims_in_its_namespace():
    account, role, binding = manifests.hub_access()
    assert role["kind"] == "Role" and binding["kind"] == "RoleBinding"     # never cluster-wide
    granted = {(res, verb) for rule in role["rules"] for res in rule["resources"] for verb in rule["verbs"]}
    assert {res for res, _ in granted} == {"pods", "persistentvolumeclaims", "events"}
    assert not any("*" in pair for pair in granted)
    assert {verb for res, verb in granted if res == "events"} == {"get", "list", "watch"}
    container = manifests.hub_deployment("img", "Never", None)["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["runAsNonRoot"] and not container["securityContext"]["allowPrivilegeEscalation"]


def test_learners_servers_take_connections_from_the_hub_only():
    policy = manifests.learners_policy()["spec"]
    assert policy["podSelector"] == {"matchLabels": {"component": manifests.LEARNER_COMPONENT}}
    assert policy["ingress"] == [{"from": [{"podSelector": {"matchLabels": manifests.HUB_LABELS}}],
                                  "ports": [{"port": manifests.SERVER_PORT}]}]


def test_up_refuses_a_folder_holding_a_room_on_this_machine(tmp_path):
    (tmp_path / "room.json").write_text("{}")
    with pytest.raises(KitError, match="holds a room on this machine"):
        k8s_room.up(tmp_path, ["ada"], "kit", report=lambda s: None)


def test_up_refuses_another_cluster_for_an_existing_room(tmp_path):
    k8s_room.KubeRoom(str(tmp_path), "kind-a", "kit-workshop-x").save()
    with pytest.raises(KitError, match="runs on 'kind-a', not 'kind-b'"):
        k8s_room.up(tmp_path, ["ada"], "kind-b", report=lambda s: None)


def test_down_without_a_room_says_so(tmp_path):
    with pytest.raises(KitError, match="no room on a cluster"):
        k8s_room.down(tmp_path, report=lambda s: None)


@pytest.mark.parametrize("name, kept", [
    ("00-setup.ipynb", True), ("06-controllers.ipynb", True),
    ("../../etc/cron.d/x.ipynb", False), ("00-setup.ipynb/../../x", False), ("/abs/00-a.ipynb", False),
    ("notes.txt", False), ("00-setup.py", False)])
def test_collect_writes_only_plain_chapter_names_a_pod_sends(name, kept):
    """A learner's pod decides what it sends; only a plain chapter notebook name is written."""
    assert bool(k8s_room.NOTEBOOK.match(name)) is kept


def test_the_hubs_database_and_cookie_secret_outlive_its_pod():
    spec = manifests.hub_deployment("img", "Never", None)["spec"]["template"]["spec"]
    [state] = [v for v in spec["volumes"] if v["name"] == "state"]
    assert state == {"name": "state", "persistentVolumeClaim": {"claimName": "hub-state"}}
    assert {"name": "state", "mountPath": "/srv/hub"} in spec["containers"][0]["volumeMounts"]
    assert spec["containers"][0]["workingDir"] == "/srv/hub"      # jupyterhub.sqlite, cookie secret
    assert "storageClassName" not in manifests.hub_state_claim()["spec"]
    assert manifests.hub_state_claim("fast")["spec"]["storageClassName"] == "fast"


def test_reset_names_a_learner_of_the_room(tmp_path):
    from kitlib.errors import UsageError
    room = k8s_room.KubeRoom(str(tmp_path), "kind-a", "kit-workshop-x", learners={"ada": "h"})
    with pytest.raises(UsageError, match="no learner 'zed' in this room"):
        k8s_room.reset(room, "zed", report=lambda s: None)
