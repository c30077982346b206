"""Exercises with instant checks, hints, solutions and a score summary.

An exercise is a small class: the variables it reads from the learner's notebook
(``reads``), its ``hints``, and an ``expect`` method that raises :class:`Incorrect`
with a specific message. Solutions are not written here: they are read from the
solution notebook (the one source), via the JSON file the build writes.

In a notebook::

    from model_health.teaching.grading import bind
    bind(globals())
    from model_health.teaching.exercises.nb01_model_health_dashboard import *
    q1.check(); q1.hint(); q1.solution()

Learner code that is not written yet holds the placeholder ``____``; a check on it
says "not attempted" instead of failing. A check that breaks on an answer of the kind it is
written for says "check failed" (a fault in the workbook, not a verdict); the test suite sets
``MODEL_HEALTH_STRICT_CHECKS=1`` so that raises :class:`CheckFailed` instead.
"""

from model_health.teaching.grading._core import (
    ____,
    CheckFailed,
    Claim,
    Exercise,
    ExerciseSet,
    Incorrect,
    NotAttempted,
    StarAnswer,
    WrittenAnswer,
    bind,
    call_learner_function,
)
from model_health.teaching.grading._cache import cached_by_data_digest
from model_health.teaching.results import Result, ScoreSummary, Status
from model_health.teaching.grading._written import STAR_PARTS, RubricPoint, rubric_coverage, split_star
from model_health.teaching.grading._expect import (
    SIGNIFICANT_DIGITS,
    as_option,
    close_enough,
    expect_binary_labels,
    expect_close,
    expect_dataframe,
    expect_function_picks,
    expect_names,
    expect_number,
    expect_picks,
    expect_series,
    expect_vector,
    format_distinct,
    kind_of,
    refuse_the_wrong_method,
)

__all__ = [
    "SIGNIFICANT_DIGITS",
    "____",
    "CheckFailed",
    "Claim",
    "Exercise",
    "ExerciseSet",
    "Incorrect",
    "NotAttempted",
    "Result",
    "RubricPoint",
    "ScoreSummary",
    "STAR_PARTS",
    "StarAnswer",
    "Status",
    "WrittenAnswer",
    "bind",
    "as_option",
    "cached_by_data_digest",
    "call_learner_function",
    "close_enough",
    "expect_binary_labels",
    "expect_close",
    "expect_dataframe",
    "expect_function_picks",
    "expect_names",
    "expect_number",
    "expect_picks",
    "expect_series",
    "expect_vector",
    "format_distinct",
    "kind_of",
    "refuse_the_wrong_method",
    "rubric_coverage",
    "split_star",
]
