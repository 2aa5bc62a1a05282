"""The grader image: what one Kubernetes Job needs to grade one submission as `kit grade` does.

Built here, never pulled, in two layers by the kit's image recipe (``cluster/kit_image.py``):

* ``kitlib/grader-base:<key>`` — Debian with Python, bubblewrap and util-linux; the kit's
  Python dependencies (less the lab's); the Docker-free cluster's tools.
* ``kitlib/grader:<key>`` — the base plus this checkout's ``kitlib``, ``exercises`` and
  ``cluster`` folders and chapter sources (the checks' reference solutions), in ``/srv/kit``:
  outside every folder the learner's sandbox can see, as a clone is on one machine.

``KIT_CACHE_DIR`` in the image points at the tools, so inside a pod `kit grade` makes its
throwaway Docker-free cluster per submission exactly as it does on the instructor's machine.
"""
from __future__ import annotations

from pathlib import Path

from kitlib.cluster import kit_image
from kitlib.cluster.base import Report

BASE_REPO = "kitlib/grader-base"
REPO = "kitlib/grader"
PACKAGES = ["python3", "python3-venv", "bubblewrap", "util-linux", "procps"]
# The checks of chapters 5 and 6 read the reference solutions from the chapter sources; the
# learner's sandbox binds /opt and the kit's own folders but not chapters/, so the kit lives
# outside /opt (as a clone lives in a home) and its chapters stay out of the learner's reach.
KIT_HOME = kit_image.KIT_HOME
NOT_FOR_GRADING = ("jupyterlab",)
ENV = {**kit_image.ENV, "KIT_STATE_DIR": "/var/lib/kitlib", "HOME": "/root"}


def _kit_files() -> list[Path]:
    return kit_image.kit_files(chapters=("*.md",))


def build(report: Report = print) -> str:
    """The grader image for this checkout (built unless already here); its tag."""
    kit_image.need_docker("the grader image")
    wheels = kit_image.wheelhouse("grader", leave_out=NOT_FOR_GRADING, report=report)
    base = kit_image.base(BASE_REPO, PACKAGES, wheels, ENV, "kitlib grader base", report=report)
    return kit_image.kit_layer(REPO, base, _kit_files(), "kitlib grader: one submission per Job",
                               workdir="/work", report=report)


if __name__ == "__main__":          # build it by hand, e.g. to push it to a registry
    print(build())
