"""The grading core: placeholder, exercise, results, notebook binding, display."""

from __future__ import annotations

import copy
import dataclasses
import html
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from model_health.teaching.grading._written import RubricPoint, split_star
from model_health.teaching.results import Result, ScoreSummary, Status

SOLUTIONS_DIR = resources.files("model_health.teaching") / "exercises" / "solutions"  # packaged, written by the build
# Set in the kernel of a submission the batch grader runs: the grader judges the answers, and hands in references.
GRADING_KERNEL = "MODEL_HEALTH_GRADED"
# Set (to anything but "" or "0") by the test suite: a check that fails raises CheckFailed instead of reporting it.
STRICT_CHECKS_VARIABLE = "MODEL_HEALTH_STRICT_CHECKS"


class _Placeholder:
    """The blank a learner replaces. A real object, so an untouched notebook still runs."""

    _instance: _Placeholder | None = None

    def __new__(cls) -> _Placeholder:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "____"


____ = _Placeholder()


class Incorrect(Exception):
    """Raised by an exercise's ``expect`` with the message the learner sees."""


class NotAttempted(Exception):
    """Raised when part of an answer is still the placeholder."""


class CheckFailed(RuntimeError):
    """Raised instead of a "check failed" result when the test suite runs checks strictly."""


_bound_namespace: dict[str, Any] | None = None


def bind(namespace: dict[str, Any]) -> None:
    """Let checks read the learner's variables from ``namespace`` (pass ``globals()``)."""
    global _bound_namespace
    _bound_namespace = namespace


def _namespace() -> dict[str, Any]:
    if _bound_namespace is None:
        raise RuntimeError("Checks need the notebook's variables: run `bind(globals())` in the set-up cell.")
    return _bound_namespace


def _show(text: str, html_text: str | None = None) -> None:
    """Show rich output in a notebook, plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the notebook extras
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None and html_text is not None:
        display({"text/plain": text, "text/html": html_text}, raw=True)
    else:
        print(text)


def _own_copy(value: Any) -> Any:
    """A copy of ``value`` that a learner's function may change without changing the notebook's data."""
    try:
        return copy.deepcopy(value)
    except Exception:  # a database connection, a lock: nothing a function could be handed a copy of
        return value


def _read_only(namespace: Mapping[str, Any]) -> Mapping[str, Any]:
    """The notebook's variables as a check reads them: assigning to them is a fault in the check, not a change."""
    return namespace if isinstance(namespace, MappingProxyType) else MappingProxyType(namespace)


def call_learner_function(function: Any, *args: Any, name: str) -> Any:
    """Call a function the learner wrote, on copies of ``args``; their exceptions become feedback, not tracebacks.

    The copies keep the check from changing what it judges: a function that edits its input in place (a column
    added to a table the notebook passed) would otherwise change the notebook's data for every later check."""
    if function is ____:
        raise NotAttempted(f"Define the function `{name}`.")
    if not callable(function):
        raise Incorrect(f"`{name}` should be a function, got {type(function).__name__}.")
    try:
        value = function(*map(_own_copy, args))
    except Exception as error:
        line = None
        traceback = error.__traceback__
        while traceback is not None:
            if traceback.tb_frame.f_code is getattr(function, "__code__", None):
                line = traceback.tb_lineno - function.__code__.co_firstlineno + 1
            traceback = traceback.tb_next
        where = f" at line {line} of `{name}`" if line else ""
        raise Incorrect(f"Your function `{name}` raised {type(error).__name__}: {error}{where}.") from None
    if value is ____:
        raise NotAttempted(f"`{name}` still returns ____; write its body.")
    return value


def as_reference_form(answer: Any, reference: Any) -> Any:
    """``answer`` in ``reference``'s form where it is the same value written another way, else ``answer`` itself: a
    label in another case; a table with its index as a column, or its rows or columns in another order; a list as an
    array, a Series or a tuple; a dict as a Series and a Series as a dict.

    >>> as_reference_form("Inconclusive", "inconclusive")
    'inconclusive'
    >>> as_reference_form(np.array([3, 1]), [3, 1])
    [3, 1]
    >>> as_reference_form(pd.DataFrame({"g": ["b", "a"], "x": [2, 1]}), pd.DataFrame({"x": [1, 2]}, index=pd.Index(["a", "b"], name="g")))
       x
    g   
    a  1
    b  2
    """
    if isinstance(answer, str) and isinstance(reference, str):
        return reference if answer != reference and answer.strip().casefold() == reference.casefold() else answer
    if isinstance(reference, (pd.DataFrame, pd.Series)) and isinstance(answer, type(reference)):
        # reset_index() names an unnamed index "index" (a MultiIndex's levels "level_0", "level_1", ...)
        unnamed = ["index"] if reference.index.nlevels == 1 else [f"level_{level}" for level in
                                                                   range(reference.index.nlevels)]
        for names in ([name or default for name, default in zip(reference.index.names, unnamed)], unnamed):
            if isinstance(answer, pd.DataFrame) and set(names) <= set(answer.columns) \
                    and not set(names) & set(answer.index.names):
                answer = answer.set_index(names).rename_axis(reference.index.names)
        if isinstance(answer, pd.DataFrame) and set(answer.columns) == set(reference.columns):
            answer = answer[list(reference.columns)]
        if answer.index.equals(reference.index) or answer.index.has_duplicates \
                or not answer.index.sort_values().equals(reference.index.sort_values()):
            return answer
        return answer.reindex(reference.index)
    if isinstance(reference, (list, tuple)) and isinstance(answer, (list, tuple, np.ndarray, pd.Series, pd.Index)) \
            and type(answer) is not type(reference) and np.ndim(answer) == 1:
        return type(reference)(answer.tolist() if hasattr(answer, "tolist") else answer)
    if isinstance(reference, dict) and isinstance(answer, pd.Series):
        return answer.to_dict()
    if isinstance(reference, pd.Series) and isinstance(answer, dict):
        return pd.Series(answer)
    return answer


# What as_reference_form can write another way; any other answer (a number, a function) is judged as it is.
_REFORMABLE = (str, list, tuple, dict, np.ndarray, pd.Series, pd.DataFrame, pd.Index)


class Exercise:
    """One exercise: what it reads, its hints, and how it judges an answer.

    Subclasses set ``title``, ``reads`` and ``hints`` and implement ``expect``, which
    receives the namespace and the answers (by variable name), raises
    :class:`Incorrect` with a specific message, and may return a one-line insight.
    Exercises whose answers later cells build on also implement ``reference``.
    """

    title: str = ""
    reads: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    correct_message: str = "Well done."
    # Why a later given cell uses the answer as written, not carry_forward(): it shows the learner's own work
    # (their dashboard, their model card). Empty: later cells take it through carry_forward() (a test holds this).
    shown_as_written: str = ""
    # Why the cells below get the learner's own answer when it is correct, not the reference: the exercise accepts
    # more than one right answer (a choice of KPIs, a stage where two are defensible), and later cells use the choice.
    carries_own_answer: str = ""
    # Forms of a correct answer this exercise declines, each with why (generated forms: tests/test_exercises.py).
    rejected_forms: Mapping[str, str] = MappingProxyType({})

    def __init__(self) -> None:
        self.name = "?"
        self.notebook = "?"
        self._hints_shown = 0
        # After carry_forward hands out the reference, those objects must not grade as the learner's.
        self._carried: tuple[tuple[Any, ...], Result] | None = None

    # --- to implement -------------------------------------------------------------
    def expect(self, namespace: Mapping[str, Any], **answers: Any) -> str | None:
        raise NotImplementedError

    def reference(self, namespace: Mapping[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no reference answer to carry forward.")

    # --- what the learner calls -----------------------------------------------------
    def grade(self, namespace: Mapping[str, Any] | None = None) -> Result:
        """Judge the answers in ``namespace`` (default: the bound notebook) without printing. The check reads it
        through a read-only view: a check that assigns to it is a fault in the workbook, never a change to the
        notebook."""
        namespace = _namespace() if namespace is None else namespace
        blank = [name for name in self.reads if namespace.get(name, ____) is ____]
        if blank:
            names = ", ".join(f"`{name}`" for name in blank)
            return self._result(Status.NOT_ATTEMPTED, f"Fill in {names} (still ____).")
        answers = {name: namespace[name] for name in self.reads}
        if self._carried is not None and all(any(value is held for held in self._carried[0])
                                             for value in answers.values()):
            return self._carried[1]  # the reference this exercise handed on: still the learner's result
        return self._judged(namespace, answers)

    def _verdict(self, namespace: Mapping[str, Any], answers: dict[str, Any]) -> Result:
        try:
            insight = self.expect(_read_only(namespace), **answers)
        except NotAttempted as reason:
            return self._result(Status.NOT_ATTEMPTED, str(reason))
        except Incorrect as reason:
            return self._result(Status.INCORRECT, str(reason))
        return self._result(Status.CORRECT, insight or self.correct_message)

    def _judged(self, namespace: Mapping[str, Any], answers: dict[str, Any]) -> Result:
        """The verdict on the answers, a label judged whatever its case and the spaces around it ('Inconclusive',
        ' concept drift '): those are the same label as the reference's, not a wrong one."""
        stripped = {name: value.strip() for name, value in answers.items() if isinstance(value, str)
                    and value != value.strip()}
        if stripped:
            answers = {**answers, **stripped}
            namespace = {**namespace, **stripped}
        result = self._judged_as_given(namespace, answers)
        if result.status is not Status.INCORRECT or not any(isinstance(value, _REFORMABLE)
                                                           for value in answers.values()):
            return result  # a number or a function has no other form: no reference to compute
        canonical = self._in_the_reference_form(namespace, answers)
        if not canonical:
            return result
        rescued = self._judged_as_given({**namespace, **canonical}, {**answers, **canonical})
        return rescued if rescued.status is Status.CORRECT else result  # the verdict on what the learner wrote

    def _in_the_reference_form(self, namespace: Mapping[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
        """The answers written in another form than the reference's, in its form (see :func:`as_reference_form`):
        a check judges the value, and an answer judged wrong is judged again in this form."""
        try:
            references = self._by_read(self.reference(_read_only(namespace)))
        except Exception:  # no reference (or none on these data): the verdict stands as judged
            return {}
        reformed = {name: as_reference_form(answers[name], references[name]) for name in references}
        return {name: value for name, value in reformed.items() if value is not answers[name]}

    def _by_read(self, reference: Any) -> dict[str, Any]:
        """The reference answer per variable the exercise reads (a tuple when it reads several)."""
        return dict(zip(self.reads, reference if len(self.reads) > 1 else (reference,), strict=True))

    def _judged_as_given(self, namespace: Mapping[str, Any], answers: dict[str, Any]) -> Result:
        """The verdict; an exception the check did not mean to raise is the check's fault (check failed) unless
        the learner's answer is to blame (feedback, never a crash)."""
        try:
            return self._verdict(namespace, answers)
        except Exception as error:
            if not self._answer_is_to_blame(error, namespace, answers):
                return self._check_failed(error)
            return self._result(
                Status.INCORRECT,
                f"Your answer could not be checked ({type(error).__name__}: {error}). "
                f"Compare what {', '.join(f'`{n}`' for n in self.reads)} holds with what the exercise text "
                f"asks for (a number, a list, a table, a function); {self.name}.hint() shows the expected form.",
            )

    def _answer_is_to_blame(self, error: Exception, namespace: Mapping[str, Any], answers: dict[str, Any]) -> bool:
        """Whether the same check runs on the reference answer; with no reference, whether the error is about the
        type of an answer ("unhashable type: 'list'", "'str' object has no attribute 'shape'")."""
        try:
            reference = self.reference(_read_only(namespace))
        except NotImplementedError:
            return isinstance(error, (TypeError, AttributeError)) and any(
                f"'{type(answer).__name__}'" in str(error) for answer in answers.values())
        except Exception:
            return False
        try:
            references = self._by_read(reference)
            self._verdict({**namespace, **references}, references)
        except Exception:
            return False
        return True

    def _check_failed(self, error: Exception) -> Result:
        where = f"{self.notebook} {self.name}: {type(error).__name__}: {error}"
        if os.environ.get(STRICT_CHECKS_VARIABLE, "") not in ("", "0"):
            raise CheckFailed(f"The check failed ({where}).") from error
        return self._result(Status.CHECK_FAILED, f"The check failed: please report it ({where}). This is a fault in "
                                                 "the workbook's check, not a verdict on your answer.")

    def _record(self, result: Result) -> None:
        from model_health.teaching.progress import record

        record(self.notebook, self.name, result.status.value)

    def check(self) -> Result:
        """Check your answer now and say what, if anything, is wrong (and record it in your progress file). The
        result shows as the cell's output; it is also data (``.status``, ``.message``, ``.to_dict()``)."""
        result = self.grade()
        self._record(result)
        if result.status is Status.INCORRECT and self.hints:
            return dataclasses.replace(result, advice=f"Need a nudge? Run {self.name}.hint().")
        return result

    def hint(self) -> None:
        """Show the next hint; call again for a stronger one."""
        if not self.hints:
            _show(f"{self.name} has no hints; try {self.name}.solution().")
            return
        index = min(self._hints_shown, len(self.hints) - 1)
        self._hints_shown += 1
        more = f" (call again for hint {index + 2})" if index + 1 < len(self.hints) else ""
        text = f"Hint {index + 1} of {len(self.hints)} for {self.name}{more}: {self.hints[index]}"
        _show(text, f"<div><b>Hint {index + 1}/{len(self.hints)}</b>{html.escape(more)}: "
                    f"{html.escape(self.hints[index])}</div>")

    def solution(self) -> None:
        """Show the reference solution (from the solution notebook)."""
        code = solution_code(self.notebook, self.name)
        _show(f"Solution to {self.name}:\n{code}",
              f"<div><b>Solution to {self.name}</b><pre>{html.escape(code)}</pre></div>")

    def is_correct(self) -> bool:
        """Whether the answer in the notebook is correct now (for cells that depend on it)."""
        return self.grade().status is Status.CORRECT

    def carry_forward(self) -> Any:
        """The answer as the cells below expect it: the reference computed from this notebook's data.

        A correct answer agrees with it (within the check's tolerance, in whichever accepted form it was
        written: a list for a Series, a reset index, an array for a table), so handing on the reference keeps
        every later cell's input in its canonical form. Otherwise it says the cells continue with the reference.
        Where more than one answer is right (``carries_own_answer``), a correct answer is handed on itself.
        """
        namespace = _namespace()
        if os.environ.get(GRADING_KERNEL) and not self.carries_own_answer:
            # A kernel grading a submission: the grader captured the answer before this cell and judges it itself;
            # in its sandbox, reference() reads what the grader handed in (model_health.classroom.release).
            return self.reference(_read_only(namespace))
        result = self.grade(namespace)
        if self.carries_own_answer and result.status is Status.CORRECT:
            values = tuple(namespace[name] for name in self.reads)
            return values if len(values) > 1 else values[0]
        reference = self.reference(_read_only(namespace))
        if result.status is not Status.CORRECT:
            _show(f"({self.name} is {result.status.value}: the cells below continue with the reference answer.)")
            values = reference if isinstance(reference, tuple) else (reference,)
            self._carried = (values, result)  # the objects themselves: an id() can be reused once one is freed
        return reference

    def _result(self, status: Status, message: str) -> Result:
        return Result(self.name, self.title, status, message)

    def __repr__(self) -> str:
        return f"<{self.name}: {self.title}. Use {self.name}.check(), .hint(), .solution()>"


class WrittenAnswer(Exercise):
    """A question of judgment: the learner writes, then compares with a worked answer and rubric.

    A written answer is self-assessed once there is text, or not attempted; only an answer that is
    not text is incorrect. Length is advice: under ``min_words`` words the check says the answer may
    be short, never that it is wrong. Rubric items are text, or :class:`RubricPoint` s with key terms:
    for those, the check also lists the terms the answer uses, labelled as a heuristic aid, not a grade.
    """

    rubric: tuple[str | RubricPoint, ...] = ()
    min_words: int = 25  # below this, the check advises that the answer may be short (never a verdict)

    def _text(self, namespace: Mapping[str, Any]) -> Any:
        (variable,) = self.reads
        return namespace.get(variable, ____)

    def _written_result(self, found: str, words: int, advice: list[str]) -> Result:
        """The result of a written answer: what the check found, then its advice (length, form), never a verdict."""
        if words < self.min_words:
            advice = [*advice, f"answers that make every rubric point usually take {self.min_words} words or more; "
                               "check yours against each point"]
        said = f" Advice, not a verdict: {'; '.join(advice)}." if advice else ""
        return self._result(Status.WRITTEN,
                            f"{found} Compare it with {self.name}.solution() using the rubric below.{said}")

    def _judge(self, text: Any) -> Result:
        (variable,) = self.reads
        if text is ____ or (isinstance(text, str) and not text.strip()):
            return self._result(Status.NOT_ATTEMPTED, f"Write your answer in `{variable}`.")
        if not isinstance(text, str):
            return self._result(Status.INCORRECT, f"`{variable}` should be text (a string), got {type(text).__name__}.")
        words = len(text.split())
        return self._written_result(f"{words} words.", words, [])

    def _verdict(self, namespace: Mapping[str, Any], answers: dict[str, Any]) -> Result:
        return self._judge(*answers.values())

    def grade(self, namespace: Mapping[str, Any] | None = None) -> Result:
        namespace = _namespace() if namespace is None else namespace
        (variable,) = self.reads
        return self._judged(namespace, {variable: self._text(namespace)})

    def rubric_lines(self, text: str) -> list[str]:
        """The rubric: a point with key terms marked [~] with the terms the answer uses, or [ ] when it uses
        none; a point without key terms as a plain item, for the learner to judge."""
        lines = []
        for item in self.rubric:
            if isinstance(item, RubricPoint):
                terms = item.terms_in(text)
                lines.append(f"[~] {item.point}  (mentions {', '.join(map(repr, terms))})" if terms
                             else f"[ ] {item.point}  (no key term found)")
            else:
                lines.append(f"- {item}")
        return lines

    def _rubric_note(self) -> str:
        with_terms = sum(isinstance(item, RubricPoint) for item in self.rubric)
        if not with_terms:
            return ("This rubric has no key terms, so nothing is marked: compare your answer with each point "
                    "yourself.")
        note = ("Rubric self-check, a heuristic aid and not a grade: [~] marks a point whose key terms your answer "
                "uses (used well or not: judge that yourself); [ ] a point it may still miss, or make in other words.")
        if with_terms < len(self.rubric):
            note += " Points marked - have no key terms: judge those yourself."
        return note

    def check(self) -> Result:
        result = super().check()
        if result.status is not Status.WRITTEN:
            return result
        return dataclasses.replace(result, note=self._rubric_note(),
                                   rubric=tuple(self.rubric_lines(_plain_text(self._text(_namespace())))))


def _plain_text(answer: Any) -> str:
    return " ".join(map(str, answer.values())) if isinstance(answer, Mapping) else str(answer)


class StarAnswer(WrittenAnswer):
    """A behavioural answer in STAR form: the check says which of Situation, Task, Action, Result is missing.

    The answer is text with each part labelled (``Situation: …``, ``- Outcome: …``, ``(Task) …``, or the
    label alone on its line) or a dict keyed by the parts. A missing or thin part is advice, like length:
    the answer is still self-assessed.
    """

    min_words_per_part: int = 5
    _WHY = {"Situation": "the context (what was happening, where)", "Task": "what you had to do",
            "Action": "what you did, step by step", "Result": "what came of it, with a number if you have one"}

    def _judge(self, answer: Any) -> Result:
        (variable,) = self.reads
        if isinstance(answer, Mapping):
            try:
                parts = split_star(answer)
            except ValueError as problem:
                return self._result(Status.INCORRECT, str(problem))
            if not any(parts.values()):
                return self._result(Status.NOT_ATTEMPTED, f"Write your answer in `{variable}`.")
            text = _plain_text(answer)
        else:
            written = super()._judge(answer)
            if written.status is not Status.WRITTEN:
                return written
            parts, text = split_star(answer), answer
        words = len(text.split())
        missing = [part for part, said in parts.items() if not said]
        thin = [part for part, said in parts.items() if said and len(said.split()) < self.min_words_per_part]
        advice = []
        if len(missing) == len(parts):
            advice.append("no STAR part is labelled; open each part with its label ('Situation: …', 'Task: …', "
                          "'Action: …', 'Result: …')")
        elif missing:
            advice.append("it has no " + ", no ".join(f"{part} ({self._WHY[part]})" for part in missing))
        if thin:
            advice.append(f"these parts are too short to stand alone (under {self.min_words_per_part} words): "
                          f"{', '.join(thin)}")
        found = f"All four STAR parts are there ({words} words)." if not advice else f"{words} words."
        return self._written_result(found, words, advice)


def solution_code(notebook: str, exercise: str) -> str:
    """The solution region(s) for ``exercise``, as the build extracted them from the solution notebook."""
    if os.environ.get(GRADING_KERNEL):  # its kernel has the exercises' release build: no solutions
        return "(The solutions cannot be read here: this notebook is being graded.)"
    path = SOLUTIONS_DIR / f"{notebook}.json"
    if not path.is_file():
        return f"(No solutions file at {path}; run `python workbook.py build`.)"
    solutions = json.loads(path.read_text(encoding="utf-8"))
    return solutions.get(exercise, f"(No solution recorded for {exercise}.)")


@dataclasses.dataclass(frozen=True)
class Claim:
    """A sentence of a notebook's prose that says something about its data ("a static threshold pages the team every
    month-end"), with the code that checks it on the solved notebook's variables.

    With per-learner variants the prose is read beside data from another seed, so each claim must hold on every seed
    a learner can get: tests/test_story.py checks the published seed and that ``quote`` is in the notebook's Markdown;
    ``workbook.py vet`` (:mod:`model_health.classroom.vetting`) checks every vetted seed. Numbers belong in code
    output, not in claims.
    """

    quote: str  # the prose's own words (whitespace aside), so a reworded sentence drops its claim visibly
    holds: Callable[[Mapping[str, Any]], bool]


class ExerciseSet:
    """A notebook's exercises, named q1, q2, … in order, with the score summary, and the claims of its prose."""

    def __init__(self, notebook: str, exercises: Sequence[Exercise], claims: Sequence[Claim] = ()) -> None:
        self.notebook = notebook
        self.exercises = list(exercises)
        self.claims = tuple(claims)
        for number, exercise in enumerate(self.exercises, start=1):
            exercise.name = f"q{number}"
            exercise.notebook = notebook

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self.exercises)

    def grade_all(self, namespace: Mapping[str, Any] | None = None) -> list[Result]:
        return [exercise.grade(namespace) for exercise in self.exercises]

    def score_summary(self) -> ScoreSummary:
        """Grade every exercise now: done / open / not attempted, and any check that failed. It shows as the cell's
        output, and is data too (``.correct``, ``.open``, ``.to_dict()``)."""
        return ScoreSummary(self.notebook, tuple(self.grade_all()),
                            frozenset(e.name for e in self.exercises if not isinstance(e, WrittenAnswer)))
