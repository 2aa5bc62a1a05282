"""The course's shape: every chapter follows the conventions, and together the chapters
cite — and show with running cells — every concept of the outline (S01–S41)."""
import re
from pathlib import Path

import nbformat
import pytest

CHAPTERS = sorted(Path(__file__).resolve().parents[2].joinpath("chapters").glob("*.ipynb"))
OUTLINE = [f"S{i:02d}" for i in range(1, 42)]
ID = re.compile(r"\bS(0[1-9]|[1-3]\d|4[01])\b")


def cells(path):
    return nbformat.read(str(path), as_version=4).cells


def covers_line(path) -> set[str]:
    first = cells(path)[0].source
    line = next((ln for ln in first.splitlines() if ln.strip().startswith("Covers:")), "")
    return {"S" + m for m in ID.findall(line)}


def shown_ids(path) -> set[str]:
    """Ids named in a code cell, or in a markdown cell directly followed by a code cell."""
    found, cs = set(), cells(path)
    for i, cell in enumerate(cs):
        runs_next = cell.cell_type == "code" or (i + 1 < len(cs) and cs[i + 1].cell_type == "code")
        if runs_next:
            found |= {"S" + m for m in ID.findall(cell.source)}
    return found


def test_there_are_chapters():
    assert [p.name[:2] for p in CHAPTERS][:1] == ["00"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_follows_conventions(path):
    cs = cells(path)
    head = cs[0].source
    assert cs[0].cell_type == "markdown" and head.startswith("# ")
    assert "Objectives" in head, "the first cell lists objectives"
    assert re.search(r"Estimated time", head, re.I), "the first cell gives an estimated time"
    assert "Covers:" in head, "the first cell cites the outline ids it covers"
    text = "\n".join(c.source for c in cs)
    assert "cluster.up()" in text
    assert "Key points" in text
    assert re.search(r"clean ?up", cs[-1].source + cs[-2].source, re.I), "ends with a cleanup"
    graded = [c for c in cs if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded, "at least one auto-checked exercise in nbgrader format"
    for c in cs:
        meta = c.metadata.get("nbgrader")
        if meta:
            assert meta["schema_version"] == 3 and meta["grade_id"]
            if meta.get("solution"):
                assert "### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source
            elif meta.get("grade"):
                assert meta.get("locked"), f"test cell {meta['grade_id']} must be locked"
                assert meta.get("points", 0) > 0, f"test cell {meta['grade_id']} gives no points"


def test_every_outline_id_is_cited_and_shown_by_a_running_cell():
    cited = set().union(*(covers_line(p) for p in CHAPTERS))
    shown = set().union(*(shown_ids(p) for p in CHAPTERS))
    missing_cited = [s for s in OUTLINE if s not in cited]
    missing_shown = [s for s in OUTLINE if s not in shown]
    assert not missing_cited, f"not cited by any chapter's Covers line: {missing_cited}"
    assert not missing_shown, f"not shown next to a running cell: {missing_shown}"
