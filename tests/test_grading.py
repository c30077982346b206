"""The grading core: placeholder, results, feedback for learner errors, hints, solutions, summary."""

from __future__ import annotations

import pytest

from model_health import grading
from model_health.grading import (
    ____,
    Exercise,
    ExerciseSet,
    Incorrect,
    Status,
    WrittenAnswer,
    call_learner_function,
)
from model_health.grading._core import solution_code


class Double(Exercise):
    title = "Double it"
    reads = ("doubled",)
    hints = ("Multiply by two.", "doubled = 2 * x")

    def expect(self, ns, doubled):
        if doubled == ns["x"]:
            raise Incorrect("That is x itself; multiply it.")
        if doubled != 2 * ns["x"]:
            raise Incorrect("Not twice x.")
        return "Twice x."

    def reference(self, ns):
        return 2 * ns["x"]


class Essay(WrittenAnswer):
    title = "Explain"
    reads = ("essay",)
    min_words = 3
    rubric = ("Says why.",)


@pytest.fixture
def exercises():
    """A fresh two-exercise set, bound to a fresh namespace."""
    namespace = {"x": 3, "doubled": ____, "essay": ____}
    grading.bind(namespace)
    exercise_set = ExerciseSet("demo", [Double(), Essay()])
    yield exercise_set, namespace
    grading.bind(None)


class TestPlaceholder:
    def test_is_a_singleton_with_a_readable_repr(self):
        """There is one placeholder, shown as ____."""
        assert type(____)() is ____
        assert repr(____) == "____"


class TestExerciseGrade:
    def test_placeholder_is_not_attempted(self, exercises):
        """An untouched answer says which variable to fill."""
        (double, _), namespace = exercises
        result = double.grade()
        assert result.status is Status.NOT_ATTEMPTED
        assert "`doubled`" in result.message

    def test_missing_variable_is_not_attempted(self):
        """A deleted answer cell is not attempted, not a KeyError."""
        assert Double().grade({"x": 1}).status is Status.NOT_ATTEMPTED

    def test_correct_answer_returns_insight(self, exercises):
        """A right answer is correct and carries the insight."""
        (double, _), namespace = exercises
        namespace["doubled"] = 6
        assert double.grade() == grading.Result("q1", "Double it", Status.CORRECT, "Twice x.")

    def test_specific_feedback(self, exercises):
        """A known mistake gets its own message."""
        (double, _), namespace = exercises
        namespace["doubled"] = 3
        result = double.grade()
        assert (result.status, result.message) == (Status.INCORRECT, "That is x itself; multiply it.")

    def test_unexpected_type_is_feedback_not_a_crash(self, exercises):
        """A checker tripping over an odd answer reports it instead of raising."""
        (double, _), namespace = exercises
        namespace["doubled"] = object()
        namespace["x"] = None  # 2 * None raises inside the checker
        result = double.grade()
        assert result.status is Status.INCORRECT
        assert "could not be checked" in result.message

    def test_unbound_notebook_is_a_clear_error(self):
        """Checking before bind(globals()) says what to run."""
        grading.bind(None)
        with pytest.raises(RuntimeError, match=r"bind\(globals\(\)\)"):
            Double().grade()


class TestCheckHintSolution:
    def test_check_prints_status_and_hint_pointer(self, exercises, capsys):
        """Outside a notebook, check prints one line with the status and where to get a hint."""
        (double, _), namespace = exercises
        namespace["doubled"] = 5
        double.check()
        assert capsys.readouterr().out.strip() == "✘ q1 Incorrect: Not twice x. Need a nudge? Run q1.hint()."

    def test_hints_escalate_then_stay_at_the_last(self, exercises, capsys):
        """Each call shows the next hint; past the last, the last repeats."""
        (double, _), _ = exercises
        for _ in range(3):
            double.hint()
        lines = capsys.readouterr().out.strip().split("\n")
        assert lines[0].startswith("Hint 1 of 2 for q1 (call again for hint 2): Multiply")
        assert lines[1] == "Hint 2 of 2 for q1: doubled = 2 * x"
        assert lines[2] == lines[1]

    def test_solution_comes_from_the_generated_json(self):
        """Solutions are read from the file the build extracts from the solution notebook."""
        code = solution_code("01_model_health_dashboard", "q1")
        assert "train_test_split" in code

    def test_missing_solution_file_says_how_to_build(self):
        """A notebook without a solutions file points at the build command."""
        assert "workbook.py build" in solution_code("no_such_notebook", "q1")


class TestCarryForward:
    def test_returns_answer_when_correct(self, exercises):
        """A correct answer is what later cells continue with."""
        (double, _), namespace = exercises
        namespace["doubled"] = 6
        assert double.carry_forward() == 6

    def test_reference_does_not_count_as_the_learners_answer(self, exercises, capsys):
        """The reference handed out keeps the exercise open in the summary."""
        (double, _), namespace = exercises
        namespace["doubled"] = 5
        namespace["doubled"] = double.carry_forward()
        assert namespace["doubled"] == 6
        assert "continue with the reference" in capsys.readouterr().out
        assert double.grade().status is Status.INCORRECT


class TestCallLearnerFunction:
    def test_exception_becomes_feedback_with_line(self):
        """A learner's exception is one line naming the error and the line in their function."""
        def mean(values):
            total = sum(values)
            return total / len([])

        with pytest.raises(Incorrect, match=r"raised ZeroDivisionError: division by zero at line 3 of `mean`"):
            call_learner_function(mean, [1, 2], name="mean")

    def test_placeholder_return_is_not_attempted(self):
        """A stub body that returns ____ is not attempted."""
        with pytest.raises(grading.NotAttempted, match="still returns ____"):
            call_learner_function(lambda values: ____, [1], name="f")

    def test_not_callable(self):
        """Something that is not a function gets a type message."""
        with pytest.raises(Incorrect, match="should be a function, got int"):
            call_learner_function(3, name="f")


class TestWrittenAnswer:
    @pytest.mark.parametrize(("text", "status"), [
        (____, Status.NOT_ATTEMPTED),
        ("   ", Status.NOT_ATTEMPTED),
        ("too short", Status.INCORRECT),
        (42, Status.INCORRECT),
        ("Long enough to count here", Status.SELF_ASSESSED),
    ])
    def test_statuses(self, exercises, text, status):
        """Written answers are never auto-graded correct: at best self-assessed."""
        (_, essay), namespace = exercises
        namespace["essay"] = text
        assert essay.grade().status is status

    def test_check_shows_rubric(self, exercises, capsys):
        """A written answer's check shows the rubric to compare against."""
        (_, essay), namespace = exercises
        namespace["essay"] = "Because the data says so."
        essay.check()
        assert "[ ] Says why." in capsys.readouterr().out


class TestScoreSummary:
    def test_counts_auto_graded_and_lists_open_items(self, exercises, capsys):
        """The summary counts only auto-graded exercises and names what is open."""
        exercise_set, namespace = exercises
        exercise_set.score_summary()
        out = capsys.readouterr().out
        assert out.startswith("Score: 0/1 auto-graded exercises correct.")
        assert out.strip().endswith("Open: q1, q2")
        namespace.update(doubled=6, essay="A fine answer here")
        exercise_set.score_summary()
        out = capsys.readouterr().out
        assert out.startswith("Score: 1/1") and out.strip().endswith("Open: none. Well done.")
