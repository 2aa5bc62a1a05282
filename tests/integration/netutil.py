"""Which loopback ports do given processes listen on (from `ss`)?"""
import re
import subprocess

_PID = re.compile(r"[(,]pid=(\d+),")


def listening(pids) -> list[str]:
    """``addr:port`` of every listening TCP socket owned by one of ``pids``."""
    wanted = {int(p) for p in pids}
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
    return [line.split()[3] for line in out.splitlines()
            if wanted & {int(p) for p in _PID.findall(line)}]
