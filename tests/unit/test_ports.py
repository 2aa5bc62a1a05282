"""The kit's loopback ports: below the ephemeral range (where outgoing connections take
theirs), free, and never handed out twice while reserved, also to processes at once."""
import concurrent.futures
import socket
from pathlib import Path

import pytest

from kitlib.cluster import ports


def test_ports_are_free_and_below_the_ephemeral_range():
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    chosen = ports.loopback_ports(6)
    assert len(set(chosen)) == 6 and all(p < low for p in chosen)
    for port in chosen:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))


def test_processes_asking_at_once_never_get_the_same_port():
    with concurrent.futures.ProcessPoolExecutor(4) as pool:
        handed = list(pool.map(ports.loopback_ports, [6] * 8))
    every = [p for group in handed for p in group]
    assert len(every) == len(set(every)) == 48


def test_a_port_in_use_is_not_handed_out(monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        monkeypatch.setattr(ports, "_span", lambda: (port, port))
        monkeypatch.setattr(ports, "_registry", lambda: Path(ports.tempfile.mkdtemp()) / "ports.json")
        with pytest.raises(OSError, match="no 1 free loopback ports"):
            ports.loopback_ports(1)
