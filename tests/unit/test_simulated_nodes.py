"""Who plays simulated nodes on a cluster the kit sees as existing (no process started)."""
import pytest

from kitlib.cluster import simulated_nodes, tools
from kitlib.cluster.base import ClusterDir, Record


@pytest.fixture
def existing(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path))
    monkeypatch.delenv(simulated_nodes.CLUSTER_PLAYS_NODES_ENV, raising=False)
    cluster = ClusterDir("kit")
    cluster.write(Record(name="kit", provider="existing", phase="ready"))
    return cluster


def test_the_graders_cluster_plays_its_own_nodes(existing, monkeypatch):
    """The grader's throwaway cluster is a Docker-free one: no kwok of the learner's."""
    monkeypatch.setenv(simulated_nodes.CLUSTER_PLAYS_NODES_ENV, "1")
    monkeypatch.setattr(tools, "ensure", lambda *a, **k: pytest.fail("kwok must not be fetched"))
    assert "plays all nodes" in simulated_nodes.ensure(existing)
    assert not (existing.path / "simulated-nodes.pid").exists()


def test_elsewhere_an_existing_cluster_needs_the_kits_kwok(existing, monkeypatch):
    wanted = []
    monkeypatch.setattr(tools, "ensure", lambda names, **k: wanted.append(names) or 1 / 0)
    with pytest.raises(ZeroDivisionError):
        simulated_nodes.ensure(existing)
    assert wanted == [["kwok"]]
