"""Start-up time and memory of each way to isolate a program, measured on this machine:
a plain process, the hand-made container (namespaces + image rootfs), a Docker container
and a tiny VM (the last two where this machine can run them)."""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from kitlib.eras import docker, image, namespaces, procs, virt


@dataclass
class Row:
    kind: str
    startup_ms: float | None
    memory_mb: float | None
    kernel: str
    note: str = ""

    def as_dict(self) -> dict:
        fmt = lambda v, f: "n/a" if v is None else format(v, f)
        return {"kind": self.kind, "start-up (ms, median)": fmt(self.startup_ms, ".1f"),
                "memory (MiB)": fmt(self.memory_mb, ".1f"), "kernel": self.kernel,
                "note": self.note}


def _short(why: str) -> str:
    return re.split(r" \(|, |; ", why)[0]


def _median_ms(measure, runs: int) -> float:
    """Median wall time of ``runs`` runs of a command that starts and exits at once."""
    results = [measure() for _ in range(runs)]
    for r in results:
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
    return statistics.median(r.seconds for r in results) * 1000


def measure_all(workdir: Path, runs: int = 5, vm: bool = True) -> list[Row]:
    """One row per kind; kinds this machine cannot run get a row saying why."""
    rows = []
    ms = _median_ms(lambda: procs.run(["true"]), runs)
    mb = procs.footprint_mb(["sleep", "5"])
    rows.append(Row("process", ms, mb, "host's", "no isolation"))

    ok, why = namespaces.available()
    if ok:
        rootfs = workdir / "rootfs"
        if not rootfs.exists():
            image.build(rootfs)
        ms = _median_ms(lambda: image.run_in(rootfs, "true"), runs)
        mb = procs.footprint_mb(image.run_in_cmd(rootfs, "exec sleep 5"))
        rows.append(Row("container (namespaces + image)", ms, mb, "host's (shared)", "unshare + chroot"))
    else:
        rows.append(Row("container (namespaces + image)", None, None, "host's (shared)", _short(why)))

    ok, why = docker.available()
    if ok:
        ms = _median_ms(lambda: docker.run_container("true"), min(runs, 3))
        rows.append(Row("Docker container", ms, None, "host's (shared)",
                        "memory is the engine's, not measured here"))
    else:
        rows.append(Row("Docker container", None, None, "host's (shared)", _short(why)))

    ok, why = virt.can_boot()
    if ok and vm:
        b = virt.boot_tiny_vm()
        rows.append(Row("virtual machine", b.seconds * 1000, b.peak_mb, f"its own ({b.guest_kernel})",
                        f"QEMU ({b.accel}): boot, /init, power off"))
    else:
        rows.append(Row("virtual machine", None, None, "its own",
                        _short(why) if not ok else "skipped"))
    return rows


def plot(rows: list[Row]):
    """Bar charts of start-up time and memory, every kind on the axis; kinds this machine
    cannot run are marked "n/a". Log scale once the values span more than 20x."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    names = [r.kind.replace(" (", "\n(") for r in rows]
    for ax, attr, label in ((axes[0], "startup_ms", "start-up time (ms)"),
                            (axes[1], "memory_mb", "memory (MiB)")):
        values = [getattr(r, attr) for r in rows]
        known = [v for v in values if v is not None]
        bars = ax.bar(names, [v or 0 for v in values], color="tab:blue")
        if known and max(known) / max(min(known), 1e-9) > 20:
            ax.set_yscale("log")
        for bar, v in zip(bars, values):
            ax.annotate("n/a" if v is None else f"{v:.1f}", (bar.get_x() + bar.get_width() / 2,
                        bar.get_height() if v else ax.get_ylim()[0]),
                        ha="center", va="bottom", fontsize=8)
        ax.set_title(label)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle("Measured on this machine (n/a: this machine cannot run that kind)")
    fig.tight_layout()
    return fig
