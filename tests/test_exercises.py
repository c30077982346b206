"""What every exercise of every notebook must do: the solution grades correct, the placeholder
not attempted, a wrong type incorrect with feedback (never an exception), and it has a
solution and hints."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from model_health.grading import ____, Status, WrittenAnswer
from model_health.grading._core import solution_code

from conftest import solved_namespace

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = [path.stem for path in sorted((REPO / "solutions").glob("*.ipynb"))]
CASES = [(notebook, exercise)
         for notebook in NOTEBOOKS
         for exercise in importlib.import_module(f"model_health.exercises.nb{notebook}").EXERCISES]


def case_id(case) -> str:
    notebook, exercise = case
    return f"{notebook[:2]}-{exercise.name}"


@pytest.fixture(params=CASES, ids=[case_id(case) for case in CASES])
def case(request):
    notebook, exercise = request.param
    return solved_namespace(notebook), exercise


def test_solution_grades_correct(case):
    """The solution notebook's answer is correct (self-assessed for written answers)."""
    namespace, exercise = case
    expected = Status.SELF_ASSESSED if isinstance(exercise, WrittenAnswer) else Status.CORRECT
    result = exercise.grade(namespace)
    assert result.status is expected, result.message


def test_placeholder_is_not_attempted(case):
    """The learner notebook's blanks grade as not attempted."""
    namespace, exercise = case
    blanks = {name: ____ for name in exercise.reads}
    assert exercise.grade({**namespace, **blanks}).status is Status.NOT_ATTEMPTED


def test_wrong_type_is_feedback(case):
    """An answer of the wrong type is incorrect with a message, not an exception."""
    namespace, exercise = case
    wrong = {name: 12345 if isinstance(exercise, WrittenAnswer) else "oops" for name in exercise.reads}
    result = exercise.grade({**namespace, **wrong})
    assert result.status is Status.INCORRECT
    assert result.message


def test_has_solution_and_hints(case):
    """Every exercise shows a solution taken from its notebook; auto-graded ones have hints."""
    _, exercise = case
    code = solution_code(exercise.notebook, exercise.name)
    assert code and "No solution" not in code and "____" not in code
    assert exercise.hints or isinstance(exercise, WrittenAnswer)
