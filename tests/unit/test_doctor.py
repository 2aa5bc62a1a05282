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
