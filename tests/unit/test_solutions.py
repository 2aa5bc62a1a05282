"""exercises.solutions: the reference solutions come from the chapters' solution cells,
found by grade_id, and from nowhere else."""
import pytest

from exercises.solutions import SolutionNotFound, solution, solution_cells


def test_runs_the_named_solution_cell():
    names = solution("02-desired-state", "ch02-plan")
    assert callable(names["plan"])
    [(grade_id, source)] = solution_cells("02-desired-state", "ch02-plan")
    assert grade_id == "ch02-plan" and "### BEGIN SOLUTION" in source


def test_cells_run_in_order_with_the_names_given():
    names = solution("05-scheduler-exercise", "q1-node-unschedulable", using={"marker": 1})
    assert names["marker"] == 1 and callable(names["node_unschedulable_filter"])


@pytest.mark.parametrize("chapter, grade_id", [
    ("02-desired-state", "no-such-cell"),
    ("02-desired-state", "ch02-plan-test"),          # a test cell is not a solution
    ("99-no-such-chapter", "q1"),
])
def test_only_solution_cells_of_existing_chapters(chapter, grade_id):
    with pytest.raises(SolutionNotFound):
        solution_cells(chapter, grade_id)
