"""Hints open one at a time (each nested in the one before), are escaped, and every
exercise of the graded chapters has some."""
import re

import pytest

from kitlib.grading import nbmeta as m
from kitlib.learner.hints import hints, render
from kitlib.paths import REPO_DIR


def test_each_hint_opens_only_after_the_one_before():
    html = render("Q1", ("first <b>", "second", "third"))
    assert html.index("hint 1 of 3") < html.index("hint 2 of 3") < html.index("hint 3 of 3")
    # hint 2 is inside hint 1's <details>: it closes only at the very end
    assert html.count("<details") == 3 and html.endswith("</details></details></details>")
    assert "first &lt;b&gt;" in html and "<b>" not in html


def test_hints_need_a_text():
    with pytest.raises(ValueError):
        hints("Q1")


@pytest.mark.parametrize("chapter", ["00-setup", "01-deployment-eras", "02-desired-state", "03-architecture",
                                     "04-pods-and-manifests", "05-scheduler-exercise",
                                     "06-controller-exercise", "07-when-things-go-wrong",
                                     "08-config-and-workloads", "09-who-may-do-what",
                                     "10-your-control-plane"])
def test_every_exercise_has_progressive_hints(chapter):
    nb = m.read(REPO_DIR / "chapters" / f"{chapter}.ipynb")
    sources = [c.source for c in nb.cells]
    for index, cell in enumerate(nb.cells):
        if m.is_solution(cell):
            following = "\n".join(sources[index + 1:index + 3])
            assert re.search(r"hints\(\"[^\"]+\",\s*\n\s*\"", following), m.grade_id(cell)
