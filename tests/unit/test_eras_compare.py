"""The measured comparison: every kind gets a row, measured or explained."""
from kitlib.eras import compare, namespaces, procs


def test_rows_are_measured_or_explained(tmp_path):
    rows = compare.measure_all(tmp_path, runs=3, vm=False)
    assert [r.kind for r in rows] == ["process", "container (namespaces + image)",
                                      "Docker container", "virtual machine"]
    process = rows[0]
    assert process.startup_ms > 0 and 0 < process.memory_mb < 40
    if namespaces.available()[0]:
        sandbox = rows[1]
        # the sandbox runs the same payload plus unshare and a shell: it holds more memory
        assert sandbox.memory_mb > process.memory_mb
    for r in rows:
        assert (r.startup_ms is not None) or r.note, r
    fig = compare.plot(rows)
    assert len(fig.axes) == 2


def test_footprint_counts_the_whole_tree():
    one = procs.footprint_mb(["sleep", "5"])
    two = procs.footprint_mb(["sh", "-c", "sleep 5 & sleep 5; wait"])
    assert two > one > 0


def test_run_kills_what_outlives_its_timeout():
    out = procs.run(["sh", "-c", "sleep 30"], timeout=0.5)
    assert out.returncode != 0 and out.seconds < 10
