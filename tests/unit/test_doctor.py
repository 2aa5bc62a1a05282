import json

from kitlib import cli
from kitlib.cluster import doctor


def test_docker_absent_is_a_warning_with_a_fix():
    check = doctor.check_docker(lambda: (False, "the docker command is not installed"),
                                lambda: (False, "dockerd is not installed"))
    assert check.status == doctor.WARN and "kwok" in check.detail and check.fix


def test_no_engine_but_one_can_be_started_is_fine():
    check = doctor.check_docker(lambda: (False, "the Docker engine is not reachable"),
                                lambda: (True, "root with dockerd installed"))
    assert check.status == doctor.OK and "starts the kit's own engine" in check.detail


def test_docker_present_is_ok():
    assert doctor.check_docker(lambda: (True, "Docker engine 28")).status == doctor.OK


def test_every_problem_has_a_fix():
    for check in doctor.run_checks():
        assert check.status in (doctor.OK, doctor.WARN, doctor.FAIL)
        if check.status != doctor.OK:
            assert check.fix, f"{check.name} reports a problem without a fix"


def test_render_marks_failures():
    text = doctor.render([doctor.Check("disk", doctor.FAIL, "0.1 GiB free", "free space")])
    assert "✘ disk" in text and "fix: free space" in text and "1 problem" in text


def test_doctor_json_is_machine_readable(capsys):
    code = cli.main(["doctor", "--json"])
    checks = json.loads(capsys.readouterr().out)
    names = {c["name"] for c in checks}
    assert {"python", "docker", "memory", "disk", "inotify", "ports"} <= names
    assert code == (1 if any(c["status"] == "fail" for c in checks) else 0)


def _low_inotify(monkeypatch, tmp_path):
    """Make check_inotify read low limits from a fake /proc/sys/fs/inotify."""
    (tmp_path / "max_user_watches").write_text("8192\n")
    (tmp_path / "max_user_instances").write_text("128\n")
    real_path = doctor.Path
    monkeypatch.setattr(doctor, "Path", lambda p: tmp_path if str(p) == "/proc/sys/fs/inotify"
                        else real_path(p))
    monkeypatch.setattr(doctor.platform, "system", lambda: "Linux")


def test_low_inotify_warns_where_kind_can_run(monkeypatch, tmp_path):
    _low_inotify(monkeypatch, tmp_path)
    check = doctor.check_inotify(kind_possible=True)
    assert check.status == doctor.WARN and "max_user_watches=8192" in check.detail and check.fix


def test_low_inotify_is_fine_without_kind(monkeypatch, tmp_path):
    _low_inotify(monkeypatch, tmp_path)
    check = doctor.check_inotify(kind_possible=False)
    assert check.status == doctor.OK and "matters only for kind" in check.detail


def test_run_checks_tells_inotify_whether_kind_can_run(monkeypatch):
    from kitlib.cluster.dockerd import PrivateEngine
    seen = []
    monkeypatch.setattr(doctor, "check_inotify",
                        lambda kind_possible: seen.append(kind_possible) or
                        doctor.Check("inotify", doctor.OK, "stub"))
    monkeypatch.setattr(doctor.docker, "engine_answers", lambda: (False, "no docker here"))
    monkeypatch.setattr(PrivateEngine, "can_start", staticmethod(lambda: (False, "no dockerd")))
    doctor.run_checks()
    monkeypatch.setattr(PrivateEngine, "can_start", staticmethod(lambda: (True, "root")))
    doctor.run_checks()
    assert seen == [False, True]


def test_busy_8888_inside_jupyter_is_this_jupyterlab(monkeypatch):
    monkeypatch.setattr(doctor, "_port_free", lambda port: False)
    inside = doctor.check_loopback_ports(lambda: True)
    assert inside.status == doctor.OK and "probably by this JupyterLab" in inside.detail
    assert "busy" not in inside.detail
    outside = doctor.check_loopback_ports(lambda: False)
    assert outside.status == doctor.OK and "8888 busy" in outside.detail


def test_in_jupyter_kernel_reads_the_environment(monkeypatch):
    for var in ("JPY_PARENT_PID", "JPY_SESSION_NAME", "JUPYTER_SERVER_ROOT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delitem(doctor.sys.modules, "ipykernel", raising=False)
    assert not doctor.in_jupyter_kernel()
    monkeypatch.setenv("JPY_PARENT_PID", "1234")
    assert doctor.in_jupyter_kernel()
