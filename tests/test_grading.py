"""The grading core: placeholder, results, feedback for learner errors, hints, solutions, summary."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from model_health.classroom import batch_grading
from model_health.teaching import grading
from model_health.teaching.grading import (
    ____,
    CheckFailed,
    Exercise,
    ExerciseSet,
    Incorrect,
    RubricPoint,
    StarAnswer,
    Status,
    WrittenAnswer,
    call_learner_function,
)
from model_health.teaching.grading._core import STRICT_CHECKS_VARIABLE, solution_code
from model_health.teaching.results import RESULT_MEDIA_TYPE, SUMMARY_MEDIA_TYPE, summary_in_outputs


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


class Letters(Exercise):
    """Reads a list of words; an int has no len(), so the check trips over it (the answer's fault)."""

    title = "Three words"
    reads = ("words",)

    def expect(self, ns, words):
        if len(words) != 3:
            raise Incorrect("Three words, please.")

    def reference(self, ns):
        return ["a", "b", "c"]


class Buggy(Exercise):
    """A check with a bug: it raises whatever the answer, the reference included."""

    title = "Broken check"
    reads = ("doubled",)

    def expect(self, ns, doubled):
        return f"{doubled / ns['zero']:.2f}"  # ZeroDivisionError: the check's fault, not the answer's

    def reference(self, ns):
        return 2 * ns["x"]


def in_a_set(exercise: Exercise) -> Exercise:
    """``exercise`` named q1 of notebook "demo", as its notebook's set names it."""
    (named,) = ExerciseSet("demo", [exercise])
    return named


@pytest.fixture
def lenient(monkeypatch):
    """Checks as a learner runs them: a broken check says so instead of raising (the suite runs them strictly)."""
    monkeypatch.delenv(STRICT_CHECKS_VARIABLE, raising=False)


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

    def test_unexpected_type_is_feedback_not_a_crash(self):
        """A check tripping over an answer of another kind than the reference's is feedback on the answer."""
        result = Letters().grade({"words": 5})
        assert result.status is Status.INCORRECT
        assert "could not be checked (TypeError: object of type 'int' has no len())" in result.message

    def test_unbound_notebook_is_a_clear_error(self):
        """Checking before bind(globals()) says what to run."""
        grading.bind(None)
        with pytest.raises(RuntimeError, match=r"bind\(globals\(\)\)"):
            Double().grade()


class TestCheckFailed:
    """A checker bug is not a learner mistake (issue 22, §5)."""

    def test_an_exception_the_reference_also_raises_is_the_checks_fault(self, lenient):
        """It was "incorrect: your answer could not be checked"; now its own status, naming the fault."""
        result = in_a_set(Buggy()).grade({"x": 3, "zero": 0, "doubled": 6})
        assert (result.status, result.status.value) == (Status.CHECK_FAILED, "check failed")
        assert result.message == ("The check failed: please report it (demo q1: ZeroDivisionError: division by zero). "
                                  "This is a fault in the workbook's check, not a verdict on your answer.")

    def test_a_check_cannot_assign_to_the_notebook(self, lenient):
        """Checks read the notebook's variables through a read-only view (issue 25)."""
        class Assigning(Buggy):
            def expect(self, ns, doubled):
                ns["x"] = doubled  # a check that would change what later checks read

        namespace = {"x": 3, "doubled": 6}
        assert in_a_set(Assigning()).grade(namespace).status is Status.CHECK_FAILED
        assert namespace == {"x": 3, "doubled": 6}

    def test_without_a_reference_an_unexpected_exception_is_the_checks_fault(self, lenient):
        """With no reference to try, the check cannot show the answer is to blame."""
        class NoReference(Buggy):
            reference = Exercise.reference

        assert NoReference().grade({"zero": 0, "doubled": 6}).status is Status.CHECK_FAILED

    def test_without_a_reference_an_error_about_the_answers_type_is_feedback(self, lenient):
        """An error naming the type of the learner's answer ("unhashable type: 'list'") is about the answer."""
        class Lookup(Exercise):
            reads = ("metric",)

            def expect(self, ns, metric):
                if metric not in {"recall": 1}:
                    raise Incorrect("Name a metric.")

        result = Lookup().grade({"metric": ["recall"]})
        assert result.status is Status.INCORRECT and "unhashable type: 'list'" in result.message

    def test_a_written_answer_whose_check_breaks_is_check_failed(self, lenient, monkeypatch):
        """The written checks are guarded too: a broken STAR split is reported, not a traceback."""
        def broken_split(answer):
            raise RuntimeError("regex bug")

        monkeypatch.setattr("model_health.teaching.grading._core.split_star", broken_split)

        class Story(StarAnswer):
            reads = ("story",)

        result = Story().grade({"story": "Situation: a. Task: b. Action: c. Result: d."})
        assert (result.status, "RuntimeError: regex bug" in result.message) == (Status.CHECK_FAILED, True)

    def test_strict_mode_raises_with_the_original_error(self, monkeypatch):
        """The test suite runs every check strictly: a broken check fails the test."""
        monkeypatch.setenv(STRICT_CHECKS_VARIABLE, "1")
        with pytest.raises(CheckFailed, match=r"demo q1: ZeroDivisionError") as raised:
            in_a_set(Buggy()).grade({"x": 3, "zero": 0, "doubled": 6})
        assert isinstance(raised.value.__cause__, ZeroDivisionError)
        assert Letters().grade({"words": 5}).status is Status.INCORRECT  # a learner's wrong type is still feedback

    def test_check_shows_it_distinctly_without_a_hint_pointer(self, lenient):
        """The notebook shows ⚠ and "Check failed", not ✘, and sends no one to the hints."""
        grading.bind({"x": 3, "zero": 0, "doubled": 6})
        try:
            shown = str(in_a_set(Buggy()).check())
        finally:
            grading.bind(None)
        assert shown.startswith("⚠ q1 Check failed: The check failed: please report it (demo q1: ZeroDivisionError")
        assert "✘" not in shown and "hint" not in shown

    def test_summary_counts_it_neither_correct_nor_incorrect(self, lenient):
        """The score leaves it out of both counts and names it apart from the open exercises."""
        grading.bind({"x": 3, "zero": 0, "doubled": 6})
        try:
            summary = ExerciseSet("demo", [Double(), Buggy()]).score_summary()
        finally:
            grading.bind(None)
        assert (summary.correct, summary.out_of, summary.open, summary.check_failed) == (1, 1, (), ("q2",))
        lines = str(summary).split("\n")
        assert lines[0] == "Score: 1/1 auto-graded exercises correct."
        assert "  ⚠ q2 Broken check: check failed" in lines
        assert lines[-2:] == ["Open: none. Well done.",
                              "Check failed, a fault in the workbook and not your answer (please report it): q2."]

    def test_batch_grading_makes_it_a_row_problem(self, lenient, monkeypatch):
        """In a gradebook it is a problem on the row (a silent 0 before), not a wrong answer."""
        monkeypatch.setattr(batch_grading, "_exercise_set", lambda name: ExerciseSet(name, [Double(), Buggy()]))
        graded = batch_grading.Graded("submission.ipynb", "digest")
        batch_grading._grade_exercises("demo", {"x": 3, "zero": 0}, {"q1": {"doubled": 6}, "q2": {"doubled": 6}},
                                       graded)
        assert graded.results["q1"][0] is Status.CORRECT
        assert graded.results["q2"][0] is Status.CHECK_FAILED
        assert [problem for problem in graded.problems if "q2" in problem and "check failed" in problem]


class TestCheckHintSolution:
    def test_check_returns_the_result_with_a_hint_pointer(self, exercises):
        """check() returns the result: one line with the status and where to get a hint, and the same as data."""
        (double, _), namespace = exercises
        namespace["doubled"] = 5
        result = double.check()
        assert str(result) == "✘ q1 Incorrect: Not twice x. Need a nudge? Run q1.hint()."
        assert result.to_dict() == {"exercise": "q1", "title": result.title, "status": "incorrect",
                                    "message": "Not twice x."}
        bundle = result._repr_mimebundle_()
        assert bundle["text/plain"] == str(result) and bundle[RESULT_MEDIA_TYPE] == result.to_dict()
        assert "Need a nudge? Run q1.hint()." in bundle["text/html"]

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

    def test_in_a_grading_kernel_it_hands_on_the_reference_without_judging(self, exercises, capsys, monkeypatch):
        """A batch grader captured the answer before this cell and judges it itself: the kernel does not run the
        check again (a second of notebook 01's given cells per submission), prints nothing, and hands on the
        reference; nor does it show a solution."""
        (double, _), namespace = exercises
        namespace["doubled"] = 5
        monkeypatch.setenv("MODEL_HEALTH_GRADED", "1")
        monkeypatch.setattr(type(double), "grade", lambda *args, **kwargs: pytest.fail("judged in the kernel"))
        assert double.carry_forward() == 6 and capsys.readouterr().out == ""
        assert solution_code("01_model_health_dashboard", "q1") == ("(The solutions cannot be read here: this "
                                                                     "notebook is being graded.)")


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
        ("too short", Status.WRITTEN),
        (42, Status.INCORRECT),
        ("Long enough to count here", Status.WRITTEN),
    ])
    def test_statuses(self, exercises, text, status):
        """Written answers are done (self-assessed) or not attempted; only an answer that is not text is incorrect."""
        (_, essay), namespace = exercises
        namespace["essay"] = text
        assert essay.grade().status is status

    def test_length_is_advice_not_a_verdict(self, exercises):
        """Under min_words the answer is still self-assessed; the check only advises (it was "✘ Incorrect")."""
        (_, essay), namespace = exercises
        namespace["essay"] = "too short"
        assert essay.grade().message == ("2 words. Compare it with q2.solution() using the rubric below. "
                                         "Advice, not a verdict: answers that make every rubric point usually take "
                                         "3 words or more; check yours against each point.")
        namespace["essay"] = "Long enough to count here"
        assert "Advice" not in essay.grade().message

    def test_a_rubric_without_key_terms_says_so_and_ticks_nothing(self, exercises):
        """No unticked boxes that look like a verdict when there is nothing to match (it showed "[ ] Says why.")."""
        (_, essay), namespace = exercises
        namespace["essay"] = "Because the data says so."
        shown = str(essay.check())
        assert "This rubric has no key terms, so nothing is marked: compare your answer with each point yourself." \
            in shown
        assert "  - Says why." in shown and "[ ]" not in shown

    def test_the_self_check_says_every_term_it_matched(self):
        """A covered point lists each of its terms the answer uses, not only the first."""
        class Proxies(WrittenAnswer):
            reads = ("essay",)
            rubric = (RubricPoint("Names proxies.", ("proxy", "correlated")), RubricPoint("Money.", ("cost",)),
                      "Is kind.")

        grading.bind({"essay": "A correlated feature is a proxy."})
        try:
            result = Proxies().check()
        finally:
            grading.bind(None)
        shown = str(result)
        assert "<li>☐ Money.  (no key term found)</li>" in result._repr_html_()
        assert "[~] Names proxies.  (mentions 'proxy', 'correlated')" in shown
        assert "[ ] Money.  (no key term found)" in shown
        assert "  - Is kind." in shown and "Points marked - have no key terms: judge those yourself." in shown


class TestScoreSummary:
    def test_counts_auto_graded_and_lists_open_items(self, exercises):
        """The summary counts only auto-graded exercises and names what is open."""
        exercise_set, namespace = exercises
        out = str(exercise_set.score_summary())
        assert out.startswith("Score: 0/1 auto-graded exercises correct.")
        assert out.strip().endswith("Open: q1, q2")
        namespace.update(doubled=6, essay="A fine answer here")
        summary = exercise_set.score_summary()
        assert str(summary).startswith("Score: 1/1") and str(summary).endswith("Open: none. Well done.")
        assert summary.finished and (summary.correct, summary.out_of) == (1, 1)

    def test_it_travels_as_data(self, exercises):
        """The summary's JSON, as a notebook's output carries it, reads back as the same summary (the runner reads
        it so: no parsing of printed text)."""
        exercise_set, namespace = exercises
        namespace.update(doubled=5)
        summary = exercise_set.score_summary()
        bundle = summary._repr_mimebundle_()
        assert bundle["text/plain"] == str(summary)
        data = json.loads(json.dumps(bundle[SUMMARY_MEDIA_TYPE]))
        assert data["correct"] == 0 and data["open"] == ["q1", "q2"] and data["scored"] == ["q1"]
        cells = [{"outputs": [{"output_type": "execute_result", "data": bundle}]}]
        assert summary_in_outputs(cells) == summary
        assert summary_in_outputs([{"outputs": [{"output_type": "stream", "text": str(summary)}]}]) is None

    def test_a_short_written_answer_is_done_not_open(self, exercises):
        """A written answer under the word advice is self-assessed, not listed as open (it was, as ✘)."""
        exercise_set, namespace = exercises
        namespace.update(doubled=6, essay="Short.")
        out = str(exercise_set.score_summary())
        assert "  ✎ q2 Explain: written" in out and out.strip().endswith("Open: none. Well done.")


def test_a_learner_function_that_edits_its_input_changes_nothing_outside_the_call():
    """Checks hand learner functions the notebook's own objects: edited in place, they would change what every later
    check judges (issue 25)."""
    frame, labels = pd.DataFrame({"x": [1.0, 2.0]}), [0, 1]

    def scores(table, y):
        table["x"] *= 10
        y.append(1)
        return table["x"].tolist()

    assert call_learner_function(scores, frame, labels, name="scores") == [10.0, 20.0]
    assert frame["x"].tolist() == [1.0, 2.0] and labels == [0, 1]
