"""Small assertions for checkers: each raises :class:`Incorrect` with a message for the learner."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from model_health._validation import as_option
from model_health.teaching.grading._core import Incorrect, call_learner_function


def kind_of(value: Any) -> str:
    """What a learner gave, in words for a message: 'None' or 'a str'.

    Examples
    --------
    >>> kind_of(None), kind_of("x"), kind_of([1])
    ('None', 'a str', 'a list')
    """
    return "None" if value is None else f"a {type(value).__name__}"


def expect_number(name: str, value: Any) -> float:
    """``value`` as a float; a learner's string, NaN or array is feedback."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
        shape = f" of shape {np.shape(value)}" if hasattr(value, "shape") else ""
        raise Incorrect(f"`{name}` should be a single number, got {type(value).__name__}{shape}.")
    if np.isnan(value):
        # Only that it is NaN is established: the step that made it is the learner's to find.
        raise Incorrect(f"`{name}` is NaN, not a number: find the step that returned NaN (a metric of an empty or "
                        "single-class input, a division by zero, a feature with no effect).")
    return float(value)


def expect_vector(name: str, value: Any, *, sizes: Mapping[str, int] | None = None) -> np.ndarray:
    """``value`` as a 1d array; ``sizes`` maps a split's name to its length ("test set": n, …).

    The first entry of ``sizes`` is the expected length; another entry that matches
    names the likely mistake ("this has the length of the training set").
    """
    if isinstance(value, (str, bytes, dict)) or np.isscalar(value) or value is None:
        raise Incorrect(f"`{name}` should be an array (one value per row), got {type(value).__name__}.")
    array = np.asarray(value)
    if array.ndim == 2 and array.shape[1] == 2:
        raise Incorrect(f"`{name}` has 2 columns (shape {array.shape}): predict_proba gives one column per "
                        "class; keep the positive class with [:, 1].")
    if array.ndim != 1:
        raise Incorrect(f"`{name}` should be 1-dimensional, got shape {array.shape}.")
    missing = int(pd.isna(array).sum()) if array.dtype.kind in "fO" else 0
    if missing:
        raise Incorrect(f"`{name}` contains {missing} missing (NaN) value(s): was a row dropped or misaligned?")
    if sizes:
        (expected_split, expected), *others = sizes.items()
        if len(array) != expected:
            for split, size in others:
                if len(array) == size:
                    raise Incorrect(f"`{name}` has {len(array)} values, the size of the {split}: "
                                    f"it looks computed on the {split}, not the {expected_split}.")
            raise Incorrect(f"`{name}` has {len(array)} values; expected one per row of the "
                            f"{expected_split} ({expected}).")
    return array


def expect_binary_labels(name: str, value: Any) -> np.ndarray:
    array = np.asarray(value)
    labels = set(np.unique(array).tolist())
    if not labels <= {0, 1}:
        shown = sorted(labels, key=str)[:4]
        if array.dtype.kind == "f":
            raise Incorrect(f"`{name}` holds values like {shown}: scores, not 0/1 labels. "
                            "Use model.predict or threshold the scores.")
        raise Incorrect(f"`{name}` should hold 0/1 labels, found {shown}.")
    return array.astype(int)


SIGNIFICANT_DIGITS = 3
SHOWN_DECIMALS = 3  # the notebooks print numbers with 3 decimals


def close_enough(value: Any, expected: Any, *, digits: int = SIGNIFICANT_DIGITS,
                 shown: int | None = SHOWN_DECIMALS) -> bool:
    """Whether ``value`` equals ``expected`` up to rounding to ``digits`` significant digits, or as the notebooks
    print it, with ``shown`` decimals, where that keeps two significant digits (``expected`` of 0.01 or more).

    Element-wise on arrays (all must hold; shapes must match). The tolerance is half a unit
    in the last kept digit of ``expected``, so it is relative: 0.873 matches 0.87294, and
    1.40e-190 matches 1.4012e-190 while 0.0 and 1e-189 do not. NaN matches only NaN. As printed,
    0.070 matches 0.06973 (3 significant digits would want 0.0697); 0.002 does not match 0.0017.

    Examples
    --------
    >>> close_enough(0.873, 0.872941), close_enough(0.872, 0.872941), close_enough(0.0, 1.4e-190)
    (True, False, False)
    >>> close_enough([0.5, 1.4e-190], np.array([0.50004, 1.40049e-190]))
    True
    >>> close_enough([0.070, 0.5], [0.06973, 0.5]), close_enough(0.002, 0.0017), close_enough(0.070, 0.06973, shown=None)
    (True, False, False)
    """
    value = np.asarray(value, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if value.shape != expected.shape:
        return False
    magnitude = np.floor(np.log10(np.abs(np.where(expected == 0, 1.0, expected))))
    # Half a unit in the last kept digit, widened a hair for the binary rounding of the learner's value.
    tolerance = np.where(expected == 0, 1e-12, 0.5 * 10.0 ** (magnitude - (digits - 1)) * (1 + 1e-6))
    with np.errstate(invalid="ignore"):
        close = np.abs(value - expected) <= tolerance
        printable = ~close & np.isfinite(value) & np.isfinite(expected) & (
            np.abs(expected) >= 10.0 ** (1 - shown)) if shown is not None else np.zeros_like(close)
    if printable.any():  # as printed: the same text with `shown` decimals, as the notebook formats it
        printed = np.vectorize(lambda number: f"{number:.{shown}f}", otypes=[str])
        close = close | (printable & (printed(value) == printed(expected)))
    both_nan = np.isnan(value) & np.isnan(expected)
    return bool(np.all(close | both_nan))


def format_distinct(value: float, other: float, *, digits: int = SIGNIFICANT_DIGITS + 1) -> str:
    """``value`` with enough significant digits that it does not print like ``other``.

    For messages that compare: "0.7998 is below the 0.8 target", never "0.800 is below 0.8".

    Examples
    --------
    >>> format_distinct(0.79984, 0.8), format_distinct(0.8731, 0.5)
    ('0.7998', '0.8731')
    """
    for shown in range(digits, 18):
        text = f"{value:.{shown}g}"
        if value == other or text != f"{other:.{shown}g}":
            return text
    return repr(value)


_mistakes_seen: list | None = None  # while recording_mistakes() runs: each mistake expect_close was told of


def accepts(value: float, expected: float, shown: int | None = SHOWN_DECIMALS) -> bool:
    """Whether :func:`expect_close` takes ``value`` for ``expected``: 3 significant digits, or as printed."""
    return close_enough(value, expected, shown=shown)


def _same_number(value: float, other: float) -> bool:
    """Equal to 1e-12 (relative): the same computation, not a typed or rounded copy."""
    return bool(np.isfinite(value) and np.isfinite(other) and abs(value - other) <= 1e-12 * max(1.0, abs(other)))


@contextmanager
def recording_mistakes() -> Iterator[list[tuple[str, str, float, float, int | None]]]:
    """Collect, while the block runs, each mistake the checks' :func:`expect_close` calls name, as (answer,
    message, the mistake's value, the right value, decimals shown): a test, or the seed vetting, asserts that no
    mistake's value would be accepted as right on the data at hand (issue 22 §3)."""
    global _mistakes_seen
    seen: list = []
    _mistakes_seen = seen
    try:
        yield seen
    finally:
        _mistakes_seen = None


def coinciding_mistakes(exercise, namespace: Mapping[str, Any], *, exactly: bool = False) -> list[str]:
    """The mistakes ``exercise``'s check names (``expect_close(..., mistakes=...)``) whose value it would accept as
    right wherever it tries them on ``namespace``'s data: there a rounded answer by the wrong method passes (a
    computed one is still refused, being exactly the wrong method's value). ``exactly``: only those equal to the
    right value to 1e-12, which no check can tell apart. A mistake tried on several values (each key of a dict,
    each case a function is run on) needs one that tells them apart: a count and a share of weeks agree where
    there are none."""
    with recording_mistakes() as seen:
        exercise.grade(namespace)
    tries: dict[str, list[str]] = {}
    for name, message, wrong, expected, shown in seen:
        if np.isfinite(wrong):
            same = _same_number(wrong, expected) if exactly else accepts(wrong, expected, shown)
            tries.setdefault(message, []).append(f"{name}: {wrong!r} accepted for {expected!r}" if same else "")
    return [f"{exercise.name} {message!r}: {'; '.join(found)}" for message, found in tries.items() if all(found)]


def mistake_separations(exercise, namespace: Mapping[str, Any]) -> dict[str, float]:
    """For each mistake ``exercise``'s check names to :func:`expect_close` on ``namespace``'s data, how far its value
    is from the right one, relative to the right one: the largest gap over the values it is tried on, since a
    mistake tried on several values (each case a function is run on) is told apart where it differs most.

    Where this is below the tolerance (3 significant digits: about 0.005), a rounded answer by the wrong method
    passes; :func:`coinciding_mistakes` names those."""
    with recording_mistakes() as seen:
        exercise.grade(namespace)
    gaps: dict[str, float] = {}
    for _, message, wrong, expected, _ in seen:
        if np.isfinite(wrong) and np.isfinite(expected):
            gap = abs(wrong - expected) / max(abs(expected), 1e-12)
            gaps[message] = max(gaps.get(message, 0.0), float(gap))
    return gaps


def expect_close(name: str, value: float, expected: float, *, mistakes: Mapping[str, float] | None = None,
                 otherwise: str | None = None, shown: int | None = SHOWN_DECIMALS) -> None:
    """Accept ``value`` if it equals ``expected`` to 3 significant digits (see :func:`close_enough`), or if it prints
    as the notebook prints ``expected``, with ``shown`` decimals: the looser of the two, so a learner who copies 0.070
    from "0.070" is right where 3 significant digits would ask for 0.0697. The printed form counts only where it
    keeps two significant digits (``expected`` of 0.01 or more with 3 decimals): "0.002" for 0.0017 could be
    another method's value, and a p-value of 4e-45 is not 0.000. ``shown=None``: 3 significant digits only, for a
    value the prompt asks for at another precision.

    >>> expect_close("dip", 0.070, 0.06973)
    >>> expect_close("dip", 0.071, 0.06973)
    Traceback (most recent call last):
    ...
    model_health.teaching.grading._core.Incorrect: `dip` = 0.071: not the value of `dip` on this notebook’s data.
    >>> expect_close("psi", 0.002, 0.0017)
    Traceback (most recent call last):
    ...
    model_health.teaching.grading._core.Incorrect: `psi` = 0.002: not the value of `psi` on this notebook’s data.

    ``mistakes`` maps a message to the value that mistake would produce; the first one
    matched is the feedback, unless ``value`` matches ``expected`` too (then it is right). A value that is
    exactly a mistake's (to 1e-12), and not exactly the right one, is that mistake even within the tolerance:
    where a wrong method lands within 3 significant digits on some seed, computing it is still caught.

    >>> expect_close("f1", 0.4031043140835426, 0.4035006909258406, mistakes={"scored on all of month 6.":
    ...                                                                      0.4031043140835426})
    Traceback (most recent call last):
    ...
    model_health.teaching.grading._core.Incorrect: `f1` = 0.4031: scored on all of month 6.

    ``otherwise`` is the message when none matches. The learner's value is printed with
    enough digits to show how it differs.
    """
    if _mistakes_seen is not None:
        _mistakes_seen.extend((name, message, wrong, expected, shown) for message, wrong in (mistakes or {}).items()
                              if wrong is not None)
    for message, wrong_value in (mistakes or {}).items():  # a wrong method computed exactly, even within tolerance
        if wrong_value is not None and _same_number(value, wrong_value) and not _same_number(value, expected):
            raise Incorrect(f"`{name}` = {format_distinct(value, expected)}: {message}")
    if accepts(value, expected, shown):
        return
    shown = format_distinct(value, expected)
    for message, wrong_value in (mistakes or {}).items():
        if wrong_value is not None and np.isfinite(wrong_value) and close_enough(value, wrong_value):
            raise Incorrect(f"`{name}` = {shown}: {message}")
    # The default names nothing the check did not establish (not every notebook has a test set).
    raise Incorrect(f"`{name}` = {shown}: {otherwise or f'not the value of `{name}` on this notebook’s data.'}")


def refuse_the_wrong_method(value: Any, right: Any, wrong: Any, message: str) -> None:
    """Raise :class:`Incorrect` with ``message`` when ``value`` is exactly what a wrong method computes and not
    exactly the right value: for a computed answer whose wrong method lands within the tolerance on this data.

    Exact means to 1e-12: a learner who typed or rounded the numbers is judged by the tolerance as usual. The
    values must differ from the right ones where those are defined: an answer that is NaN where the right value
    is a number shows no method, so it is left to the tolerance check's message.

    >>> refuse_the_wrong_method([0.5, 1.0], [0.5, 1.0], [0.50001, 1.0], "divided by the wrong rate")
    >>> refuse_the_wrong_method([0.50001, 1.0], [0.5, 1.0], [0.50001, 1.0], "divided by the wrong rate")
    Traceback (most recent call last):
    ...
    model_health.teaching.grading._core.Incorrect: divided by the wrong rate
    >>> refuse_the_wrong_method([float("nan")], [0.5], [float("nan")], "divided by the wrong rate")
    """
    try:
        value, right, wrong = (np.asarray(part, dtype=float) for part in (value, right, wrong))
    except (TypeError, ValueError):
        return  # not numbers: the tolerance check says what is wrong
    if value.shape != wrong.shape or right.shape != wrong.shape:
        return
    exactly = dict(rtol=0, atol=1e-12, equal_nan=True)
    if np.allclose(value, wrong, **exactly) and not np.allclose(value, right, **exactly) \
            and np.array_equal(np.isnan(value), np.isnan(right)):
        raise Incorrect(message)


def expect_dataframe(name: str, value: Any, columns: Iterable[str]) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise Incorrect(f"`{name}` should be a pandas DataFrame, got {type(value).__name__}.")
    missing = [column for column in columns if column not in value.columns]
    if missing:
        raise Incorrect(f"`{name}` is missing column(s) {missing}; it has {list(value.columns)}.")
    return value


def expect_series(name: str, value: Any, *, indexed_by: str = "group") -> pd.Series:
    """``value`` (a Series, a dict or a one-column DataFrame) as a float Series with text labels, sorted.

    >>> expect_series("rates", {"b": 1, "a": np.float32(0.5)}).to_dict()
    {'a': 0.5, 'b': 1.0}
    """
    if isinstance(value, Mapping):
        value = pd.Series(dict(value))
    if isinstance(value, pd.DataFrame) and value.shape[1] == 1:
        value = value.iloc[:, 0]
    if not isinstance(value, pd.Series):
        raise Incorrect(f"`{name}` should be a pandas Series (or a dict) indexed by {indexed_by}, got {kind_of(value)}.")
    numbers = pd.to_numeric(value, errors="coerce")
    if numbers.isna().any() and not value.isna().all():
        bad = value[numbers.isna() & value.notna()]
        if len(bad):
            raise Incorrect(f"`{name}` should hold numbers; for {list(map(str, bad.index))[:3]} it holds "
                            f"{kind_of(bad.iloc[0])}.")
    return numbers.astype(float).set_axis(list(map(str, value.index))).sort_index()


def expect_names(name: str, value: Any, *, what: str) -> list[str]:
    """``value`` (a list, tuple, set, array or Series of names, in any order) as a sorted list of text.

    >>> expect_names("models", {"b", "a"}, what="model names")
    ['a', 'b']
    """
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise Incorrect(f"`{name}` should be a list or set of {what}, got {kind_of(value)}.")
    return sorted(map(str, value))


def same_pick(found: Any, right: Any, *arguments: Any) -> bool:
    """Two picks of one row: both None (no row qualifies), or the same label written alike."""
    if found is None or right is None:
        return found is None and right is None
    return str(found) == str(right)


def expect_function_picks(function, name: str, cases: Iterable[tuple[tuple, str]], reference, *, same=same_pick,
                          mistakes=None, describe=None, explain=None, on_error=None) -> None:
    """The learner's ``function``, which picks one row of a table (its label, or None where no row qualifies), tried on
    cases it has not seen: on each its pick must be ``reference``'s.

    ``cases`` holds (arguments, shown): what the function is given (tables as copies) and how a message names the
    case. ``same(found, right, *arguments)`` compares picks. A wrong pick one of ``mistakes(*arguments)`` (message →
    the pick that wrong method makes) explains is named, with ``describe(that pick, *arguments)``; any other is
    explained by ``explain(found, right, *arguments)``, or the message says what was expected. Where the function
    raises, ``on_error(message, right, *arguments)`` may add advice.

    >>> def lowest(table, floor):
    ...     return table[table["n"] >= floor]["rate"].idxmin() if (table["n"] >= floor).any() else None
    >>> table = pd.DataFrame({"n": [5, 50], "rate": [0.1, 0.4]}, index=["small", "large"])
    >>> expect_function_picks(lambda t, f: t["rate"].idxmin(), "lowest", [((table, 10), "two groups")], lowest)
    Traceback (most recent call last):
    ...
    model_health.teaching.grading._core.Incorrect: On two groups, `lowest` returns 'small'; expected 'large'.
    """
    for arguments, shown in cases:
        right = reference(*arguments)
        given = [argument.copy() if isinstance(argument, (pd.DataFrame, pd.Series)) else argument
                 for argument in arguments]
        try:
            found = call_learner_function(function, *given, name=name)
        except Incorrect as error:
            advice = on_error(str(error), right, *arguments) if on_error else None
            if advice:
                raise Incorrect(f"{error} {advice}") from None
            raise
        if same(found, right, *arguments):
            continue
        where = f"On {shown}, `{name}` returns {found!r}"
        for message, wrong in (mistakes(*arguments) if mistakes else {}).items():
            if same(found, wrong, *arguments):  # described as the table labels it
                end = "" if message.endswith((".", "!", "?")) else "."
                raise Incorrect(f"{where}{describe(wrong, *arguments) if describe else ''}: it {message}{end}")
        if explain:
            raise Incorrect(f"{where}: {explain(found, right, *arguments)}")
        raise Incorrect(f"{where}; expected {right!r}{' (no row qualifies)' if right is None else ''}.")


def expect_picks(name: str, value: Any, expected: Mapping[str, str], options: Iterable[str], why, *,
                 item: str) -> None:
    """A dict (or Series) picking one of ``options`` per key of ``expected``; case and spaces do not matter, in the
    keys or the picks.

    A wrong pick raises :class:`Incorrect` with ``why(key, given, right)``, which says why it does not fit.
    """
    options = tuple(options)
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if isinstance(value, Mapping):
        named = {as_option(key, expected): pick for key, pick in value.items()}
        value = named if len(named) == len(value) else value  # two keys that name one context stay a wrong dict
    if not isinstance(value, Mapping) or set(value) != set(expected):
        raise Incorrect(f"`{name}` should be a dict with one key per {item}: {sorted(expected)}.")
    for key, right in expected.items():
        given = as_option(value[key], options)
        if given not in options:
            raise Incorrect(f"{name}[{key!r}] should be one of {options}, got {kind_of(given)}.")
        if given != right:
            raise Incorrect(why(key, given, right))
