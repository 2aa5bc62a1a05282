"""Refreshing the stored outputs of the course's chapters.

A chapter is a MyST Markdown source (``chapters/NN-name.md``, what authors edit) paired by
jupytext with a notebook (``chapters/NN-name.ipynb``, which keeps the outputs nbval
compares). ``python -m kitlib.notebooks chapters/05-*.md`` (or the ``.ipynb``) brings each
notebook up to date with its source, re-executes it on the kit's cluster in a fresh kernel,
stores the new outputs, and syncs again so both files carry the same inputs.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def sync(path: str | Path) -> None:
    """``jupytext --sync``: the newer of the pair gives the inputs, the .ipynb its outputs."""
    from jupytext.cli import jupytext as jupytext_cli
    jupytext_cli(["--sync", "--quiet", str(path)])


def execute(path: str | Path, timeout: int = 900) -> None:
    """Run a notebook top to bottom in a fresh kernel and store its outputs in place."""
    from nbclient import NotebookClient
    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, str(path))


def refresh(path: str | Path) -> None:
    notebook = Path(path).with_suffix(".ipynb")
    sync(Path(path).with_suffix(".md"))      # the author's latest edits first
    execute(notebook)
    sync(notebook)                           # inputs unchanged; the .md is touched, not older


if __name__ == "__main__":
    from kitlib import cluster
    cluster.up()
    for arg in sys.argv[1:]:
        print(f"refreshing {arg}", flush=True)
        refresh(arg)
