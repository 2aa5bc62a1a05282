"""The command a grading Job's pod runs: one submission graded exactly as `kit grade` grades
it (the learner's kernel in its bubblewrap sandbox, a throwaway Docker-free cluster, the
checks in a process of their own), then the results folder printed to the pod's log as a
base64 tar between two marker lines — the only way results leave the pod.

The grading runs with the pod's stdout and stderr pointed at a file, so nothing the
learner's code prints can reach the log, and the markers carry a nonce the learner never
sees (it is an argument of this process, outside the sandbox's process namespace).
"""
from __future__ import annotations

import argparse
import base64
import io
import os
import shutil
import sys
import tarfile
from pathlib import Path

WORK = Path("/work")
SUBMISSION = Path("/submission/submission.ipynb")
SOURCES = Path("/sources")


def markers(nonce: str) -> tuple[str, str]:
    return f"==> kit-grade results {nonce} begin", f"==> kit-grade results {nonce} end"


def pack(folder: Path) -> str:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path in sorted(folder.iterdir()):
            if path.name != ".work":
                tar.add(path, arcname=path.name)
    return base64.b64encode(buf.getvalue()).decode()


def unpack(text: str, nonce: str, dest: Path) -> bool:
    """Extract the results a pod's log carries into ``dest``; False if the log has none."""
    begin, end = markers(nonce)
    lines = text.splitlines()
    if begin not in lines or end not in lines[len(lines) - lines[::-1].index(begin):]:
        return False
    start = len(lines) - lines[::-1].index(begin)      # the last one: ours comes last
    payload = "".join(lines[start:lines.index(end, start)])
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(payload)), mode="r:gz") as tar:
        tar.extractall(dest, filter="data")
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kitlib.grading.in_pod")
    ap.add_argument("--student", required=True)
    ap.add_argument("--notebook", required=True, help="the source notebook's file name")
    ap.add_argument("--nonce", required=True)
    ap.add_argument("--cell-timeout", type=float, default=120)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--format", default="md")
    args = ap.parse_args(argv)

    from kitlib.grading.autograde import Options
    from kitlib.grading.batch import grade_all
    target = WORK / "in" / args.student / args.notebook
    target.parent.mkdir(parents=True)
    shutil.copyfile(SUBMISSION, target)
    out = WORK / "out"
    log_path = WORK / "grade.log"
    sys.stdout.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "w") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            grade_all([WORK / "in"], sorted(SOURCES.glob("*.ipynb")), out, jobs=1,
                      options=Options(cell_timeout=args.cell_timeout, total_timeout=args.timeout,
                                      feedback_format=args.format),
                      report=lambda s: print(s, file=log, flush=True))
        finally:
            sys.stdout.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
    print(log_path.read_text()[-4000:], flush=True)      # for `kubectl logs` readers
    begin, end = markers(args.nonce)
    print(begin)
    print(pack(out))
    print(end, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
