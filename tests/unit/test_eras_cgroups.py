"""cgroup limits: the conversion, finding the controller, and real limits on real
processes (skipped only where this machine cannot make cgroups)."""
import os
from pathlib import Path

import pytest

from kitlib.eras import cgroups, contain, noisy


def needs(controller):
    c, why = cgroups.find(controller)
    return pytest.mark.skipif(c is None, reason=f"cannot use the {controller} cgroup controller here: {why}")


def test_cpu_max_lines():
    assert cgroups.cpu_max(None) == "max 100000"
    assert cgroups.cpu_max(0.5) == "50000 100000"
    assert cgroups.cpu_max(2) == "200000 100000"
    assert cgroups.cpu_max(0.001) == "1000 100000"      # the kubelet's minimum quota


def _tree(root: Path, files: dict) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_find_prefers_v2_when_it_has_the_controller(tmp_path):
    _tree(tmp_path, {"cgroup.controllers": "cpuset cpu io memory pids", "cgroup.procs": ""})
    c, why = cgroups.find("cpu", root=tmp_path)
    assert c is not None and c.version == 2 and c.parent == tmp_path, why


def test_find_falls_back_to_v1_on_hybrid_machines(tmp_path):
    # hybrid: an empty unified tree, the cpu controller in its own v1 tree
    _tree(tmp_path, {"unified/cgroup.controllers": "", "cpu/cgroup.procs": "",
                     "memory/cgroup.procs": ""})
    c, _ = cgroups.find("cpu", root=tmp_path)
    assert c is not None and c.version == 1 and c.parent == tmp_path / "cpu"


def test_find_explains_when_there_is_no_controller(tmp_path):
    _tree(tmp_path, {"cgroup.controllers": "pids"})
    c, why = cgroups.find("cpu", root=tmp_path)
    assert c is None and "cpu" in why
    c, why = cgroups.find("cpu", root=tmp_path / "missing")
    assert c is None and "does not exist" in why


@needs("cpu")
def test_cpu_limit_lowers_the_hogs_share_and_the_worker_recovers():
    free = noisy.measure("hog", hog=True, seconds=1.5)
    limited = noisy.measure("limited hog", hog=True, hog_cpu_limit=0.1, seconds=1.5)
    # the quota is a ceiling: 10% of one CPU, whatever else the machine is doing
    assert limited.hog_cpu < 0.2, limited
    assert limited.hog_cpu < 0.6 * free.hog_cpu, (free, limited)
    assert limited.worker_rate > free.worker_rate, (free, limited)


@needs("cpu")
def test_limited_group_is_removed_with_its_processes():
    with cgroups.limited(cpu_cores=0.2) as group:
        dirs = list(group.dirs)
        assert dirs and all(d.is_dir() for d in dirs)
        quota = dirs[0] / ("cpu.max" if (dirs[0] / "cpu.max").exists() else "cpu.cfs_quota_us")
        assert quota.read_text().split()[0] == "20000"
        pid = os.fork()
        if pid == 0:            # a member that would outlive the block if not killed
            import time
            time.sleep(60)
            os._exit(0)
        group.add(pid)
        assert pid in group.pids()
    assert not any(d.exists() for d in dirs)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status)


@needs("memory")
def test_memory_limit_stops_a_leak_and_only_the_leak():
    limited = contain.leak(64, cap_mb=256)
    assert limited.killed_by == "SIGKILL", limited
    assert limited.reached_mb < 64
    free = contain.leak(None, cap_mb=96)
    assert free.killed_by is None and free.reached_mb == 96, free
