"""The noisy neighbour is real: a CPU hog on the worker's CPU costs it throughput."""
import pytest

from kitlib.eras import noisy


@pytest.fixture(scope="module")
def runs():
    return noisy.scenarios(seconds=1.5, limit=None)


def test_a_hog_on_the_same_cpu_slows_the_worker(runs):
    alone, shared = runs
    assert shared.hog_cpu is not None and alone.hog_cpu is None
    # alone the worker has its CPU; with the hog both get roughly half
    assert shared.worker_rate < 0.8 * alone.worker_rate, runs
    assert shared.hog_cpu > 0.2, runs


def test_rows_are_relative_to_the_worker_alone(runs):
    alone, shared = runs
    assert alone.row(alone.worker_rate)["worker throughput"] == "100%"
    assert shared.row(alone.worker_rate)["hog CPU"].endswith("%")


def test_no_hog_is_left_running(runs):
    from pathlib import Path
    marker = b'print("ready", time.process_time()'        # a line only the hog runs
    hogs = []
    for p in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        try:
            if p.name.isdigit() and marker in (p / "cmdline").read_bytes():
                hogs.append(p.name)
        except OSError:
            pass
    assert not hogs
