"""Every chapter is one MyST Markdown source (``chapters/NN-name.md``, what a course author
edits) paired by jupytext with a notebook (``chapters/NN-name.ipynb``, which keeps the
stored outputs nbval compares). The two must say the same thing; when this fails, run
``jupytext --sync chapters/NN-name.md`` (see docs/CONVENTIONS.md)."""
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.combine import combine_inputs_with_outputs

CHAPTERS = Path(__file__).resolve().parents[2] / "chapters"
SOURCES = sorted(CHAPTERS.glob("*.md"))
# Written by the run that made the outputs (cell timings), like the outputs themselves.
RUN_METADATA = {"execution"}


def notebook_of(source: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(source.with_suffix(".ipynb")), as_version=4)


def inputs(cell) -> tuple:
    meta = {k: v for k, v in cell.metadata.items() if k not in RUN_METADATA}
    return cell.cell_type, cell.source, meta


def test_every_notebook_has_a_source_and_every_source_a_notebook():
    assert SOURCES, "no chapter sources found"
    assert [p.stem for p in SOURCES] == sorted(p.stem for p in CHAPTERS.glob("*.ipynb"))


def test_chapters_are_paired_as_myst_markdown():
    config = (CHAPTERS / "jupytext.toml").read_text()
    assert 'formats = "ipynb,md:myst"' in config


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_notebook_matches_its_source(source):
    text, nb = jupytext.read(source), notebook_of(source)
    assert [c.cell_type for c in nb.cells] == [c.cell_type for c in text.cells], \
        "cells added, removed or changed type: run jupytext --sync"
    for i, (stored, edited) in enumerate(zip(nb.cells, text.cells)):
        assert inputs(stored) == inputs(edited), \
            f"cell {i} (id {stored.get('id')}) differs from {source.name}: run jupytext --sync"
    assert nb.metadata.get("kernelspec") == text.metadata.get("kernelspec")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_sync_keeps_ids_grading_metadata_tags_and_outputs(source):
    """What ``jupytext --sync`` does when the .md changed: inputs from the .md, outputs and
    cell ids from the .ipynb. Nothing nbgrader or nbval need may get lost on the way."""
    nb = notebook_of(source)
    synced = combine_inputs_with_outputs(jupytext.read(source), nb)
    assert [c.get("id") for c in synced.cells] == [c.get("id") for c in nb.cells]
    for stored, new in zip(nb.cells, synced.cells):
        assert new.metadata.get("nbgrader") == stored.metadata.get("nbgrader")
        assert new.metadata.get("tags") == stored.metadata.get("tags")
        if stored.cell_type == "code":
            assert new.outputs == stored.outputs
    assert any(c.metadata.get("nbgrader") for c in synced.cells), "no graded cells survived"
