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


def test_shares_are_disjoint_and_below_the_ephemeral_range():
    low, high = ports._machine_span()
    count = (high - low + 1) // ports.SHARE_WIDTH
    spans = [tuple(map(int, ports.share(i).split("-"))) for i in range(count)]
    assert spans[0][0] == low and spans[-1][1] <= high
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))
    assert ports.share(count) == ports.share(0)          # more learners than shares: again


def test_a_process_picks_from_its_share(monkeypatch, tmp_path):
    monkeypatch.setattr(ports, "_registry", lambda: tmp_path / "ports.json")
    monkeypatch.setenv(ports.PORTS_ENV, ports.share(7))
    low, high = map(int, ports.share(7).split("-"))
    assert all(low <= p <= high for p in ports.loopback_ports(7))
    for bad in ("10000", "a-b", "20000-10000", "80-90"):
        monkeypatch.setenv(ports.PORTS_ENV, bad)
        with pytest.raises(OSError, match="KIT_PORTS"):
            ports.loopback_ports(1)


def test_two_users_meet_on_the_same_ports_unless_each_has_a_share(monkeypatch, tmp_path):
    """Each user's record is their own (workshop learners), so it cannot keep them apart."""
    def pick(user: str, share: str) -> set[int]:
        monkeypatch.setattr(ports, "_registry", lambda: tmp_path / f"ports-{user}.json")
        monkeypatch.setenv(ports.PORTS_ENV, share)
        return set(ports.loopback_ports(6))

    tiny = [ports.share(i, width=6) for i in (40, 41)]          # both users' spans: 6 ports
    assert pick("ana", tiny[0]) == pick("bo", tiny[0])          # the same ports, both "free"
    assert not pick("cy", tiny[0]) & pick("dan", tiny[1])
