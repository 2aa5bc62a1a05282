"""The course's shape: every chapter follows the conventions, and together the chapters
cite — and show with code cells that ran — every concept of the outline (S01–S41).

A concept counts as shown when a code cell is tagged with it (``kitlib: {shows: [S06]}``),
and that cell ran on kind: it has stored outputs, none of them an error, and nbval does not
skip it (``kitlib.notebooks.problems`` says what is wrong otherwise)."""
import copy
import re

import nbformat
import pytest

from kitlib import notebooks

CHAPTERS = notebooks.chapters()


def read(path):
    return nbformat.read(str(path), as_version=4)


def cells(path):
    return read(path).cells


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


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_tagged_cells_ran_and_match_the_covers_line(path):
    assert notebooks.problems(read(path)) == []


def test_every_outline_id_is_tagged_on_a_cell():
    assert len(notebooks.OUTLINE) == 41
    assert notebooks.untagged([read(p) for p in CHAPTERS]) == []


# --- the check fails when what it checks is broken (on a modified copy of a real chapter) ---

SAMPLE = next(p for p in CHAPTERS if p.name.startswith("02-"))


def tagged(nb, concept):
    return next(c for c in nb.cells if concept in notebooks.shows(c))


def untag(nb, concept):
    for cell in nb.cells:
        if concept in notebooks.shows(cell):
            cell.metadata["kitlib"]["shows"].remove(concept)


def empty_output(nb, concept):
    tagged(nb, concept).outputs = []


def error_output(nb, concept):
    tagged(nb, concept).outputs.append(nbformat.v4.new_output("error", ename="ApiException", evalue="", traceback=[]))


def skipped(nb, concept):
    tagged(nb, concept).metadata.setdefault("tags", []).append("nbval-skip")


def on_markdown(nb, concept):
    md = next(c for c in nb.cells if c.cell_type == "markdown")
    md.metadata["kitlib"] = {"shows": [concept]}
    untag(nb, concept)


def not_covered(nb, concept):
    tagged(nb, concept).metadata["kitlib"]["shows"].append("S13")


def unknown_provider_word(nb, concept):
    tagged(nb, concept).metadata["kitlib"]["docker_free"] = "works"


BREAKAGES = [untag, empty_output, error_output, skipped, on_markdown, not_covered, unknown_provider_word]


def test_the_sample_chapter_passes_unchanged():
    assert notebooks.problems(read(SAMPLE)) == [] and "S01" in notebooks.covers(read(SAMPLE))


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__)
def test_the_check_fails_on_a_broken_copy(breakage):
    nb = copy.deepcopy(read(SAMPLE))
    breakage(nb, "S01")
    found = notebooks.problems(nb)
    assert found, f"{breakage.__name__} went unnoticed"
    assert any("S01" in line or "S13" in line or "works" in line for line in found), found


def test_an_id_tagged_nowhere_is_reported():
    books = [copy.deepcopy(read(p)) for p in CHAPTERS]
    for nb in books:
        untag(nb, "S19")
    assert notebooks.untagged(books) == ["S19"]


# --- README's table is generated from the tags ---

def test_readme_coverage_table_is_up_to_date():
    text = notebooks.README.read_text()
    assert notebooks.with_table(text, notebooks.coverage_table(CHAPTERS)) == text, \
        "README's coverage table is out of date: run python -m kitlib.notebooks coverage"


def test_readme_table_names_every_outline_id():
    table = notebooks.coverage_table(CHAPTERS)
    assert all(f"| {i} |" in table for i in notebooks.OUTLINE)


def test_a_stale_table_is_replaced_and_a_missing_block_refused():
    stale = f"intro\n{notebooks.TABLE_START}\n| old |\n{notebooks.TABLE_END}\nrest\n"
    assert notebooks.with_table(stale, "| new |") == \
        f"intro\n{notebooks.TABLE_START}\n| new |\n{notebooks.TABLE_END}\nrest\n"
    with pytest.raises(ValueError):
        notebooks.with_table("no markers here", "| new |")
