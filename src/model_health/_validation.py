"""Input validation shared by the public helpers.

Validate once, at the public boundary; messages name the argument, show what was
received and say how to fix it (the shape of scikit-learn's validation messages).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Iterable

import numpy as np
import pandas as pd


def _described(value) -> str:
    """``value`` as an error message shows it: its type, and the value itself when short."""
    shown = repr(value)
    return f"{type(value).__name__} {shown}" if len(shown) <= 40 else type(value).__name__


def as_real_number(name: str, value, *, finite: bool = True) -> float:
    """Return ``value`` as a float, or raise a ValueError naming ``name``.

    Text ("0.5"), ``None``, ``pd.NA``, booleans and arrays are rejected rather than converted:
    a threshold typed as text is a mistake worth hearing about. NaN and infinity are
    rejected too unless ``finite=False``.

    Examples
    --------
    >>> as_real_number("threshold", 0.8)
    0.8
    >>> as_real_number("threshold", "0.8")
    Traceback (most recent call last):
    ...
    ValueError: `threshold` should be a real number, got str '0.8' instead. Convert it with float(...).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fix = " Convert it with float(...)." if isinstance(value, str) else ""
        raise ValueError(f"`{name}` should be a real number, got {_described(value)} instead.{fix}")
    number = float(value)
    if finite and not math.isfinite(number):
        raise ValueError(f"`{name}` should be a finite number, got {number!r}; an undefined threshold "
                         "would make every comparison silently false.")
    return number


def as_whole_number(name: str, value, *, minimum: int) -> int:
    """Return ``value`` as an int >= ``minimum``, or raise a ValueError naming ``name``.

    Examples
    --------
    >>> as_whole_number("min_positives", 30.0, minimum=0)
    30
    """
    number = as_real_number(name, value)
    if not number.is_integer() or number < minimum:
        raise ValueError(f"`{name}` should be a whole number >= {minimum}, got {value!r}.")
    return int(number)


def as_1d_array(name: str, values, *, allow_nan: bool = False) -> np.ndarray:
    """Return ``values`` as a non-empty 1d array, or raise a ValueError naming ``name``.

    Pandas' nullable dtypes (Int64, Float64, boolean, string) arrive as NumPy arrays
    whose missing entries (``pd.NA``) count as missing values.
    """
    if isinstance(values, (str, bytes)) or values is None or np.isscalar(values) or values is pd.NA:
        raise ValueError(
            f"`{name}` should be a 1d array-like (list, numpy array or pandas Series), "
            f"got {type(values).__name__} instead."
        )
    try:
        array = np.asarray(values)
    except ValueError:  # ragged nested lists
        raise ValueError(f"`{name}` should be a 1d array-like, got rows of different lengths.") from None
    if array.ndim == 0:  # a dict, set or generator: one opaque object, not a sequence of values
        raise ValueError(
            f"`{name}` should be a 1d array-like (list, numpy array or pandas Series), "
            f"got {type(values).__name__} instead. Convert it with list(...)."
        )
    if array.ndim == 2 and 1 in array.shape:
        raise ValueError(
            f"`{name}` should be a 1d array, got an array of shape {array.shape} instead. "
            "Flatten it with np.ravel(...) or pick one column."
        )
    if array.ndim != 1:
        raise ValueError(f"`{name}` should be a 1d array, got an array of shape {array.shape} instead.")
    if array.size == 0:
        raise ValueError(f"`{name}` is empty; it needs at least one value.")
    if not allow_nan and array.dtype.kind in "fc" and np.isnan(array).any():
        raise ValueError(
            f"`{name}` contains {int(np.isnan(array).sum())} NaN value(s); "
            "drop or impute the missing rows before computing metrics."
        )
    if not allow_nan and array.dtype == object and pd.isna(array).any():
        raise ValueError(
            f"`{name}` contains {int(pd.isna(array).sum())} missing value(s); "
            "drop or impute the missing rows before computing metrics."
        )
    return array


NUMBERS_AS_TEXT_FIX = "These look like numbers stored as text: convert them with pd.to_numeric(...)."


def numbers_stored_as_text(values) -> bool:
    """Whether every present value is text that reads as a number ("0.5", "1"), the usual CSV mistake.

    Examples
    --------
    >>> numbers_stored_as_text(["1", "2.5", None]), numbers_stored_as_text(["1", "a"])
    (True, False)
    """
    present = pd.Series(values, dtype=object).dropna()
    return (len(present) > 0 and pd.api.types.infer_dtype(present) == "string"
            and bool(pd.to_numeric(present, errors="coerce").notna().all()))


def _as_numbers(name: str, array: np.ndarray, what: str, fix: str) -> np.ndarray:
    """``array`` as a numeric array (object arrays of plain numbers are converted), else a ValueError."""
    if array.dtype == bool or array.dtype.kind in "iuf":
        return array
    if array.dtype == object and all(isinstance(value, numbers.Real) for value in array):
        return array.astype(float)
    if numbers_stored_as_text(array):
        fix = NUMBERS_AS_TEXT_FIX
    raise ValueError(f"`{name}` should hold {what}, got values of dtype {array.dtype} "
                     f"(for example {array[0]!r}). {fix}")


def as_binary_labels(name: str, values, *, require_both_classes: bool = False) -> np.ndarray:
    """Return ``values`` as a 1d int array of 0/1 labels, or raise a ValueError."""
    array = _as_numbers(name, as_1d_array(name, values), "binary labels 0/1",
                        "Encode the positive class as 1 and the other as 0.")
    unexpected = sorted(set(np.unique(array).tolist()) - {0, 1})
    if unexpected:
        raise ValueError(
            f"`{name}` should hold binary labels 0/1, got other values {unexpected[:5]}. "
            "If these are scores, threshold them first (scores >= threshold)."
        )
    if require_both_classes and np.unique(array).size < 2:
        raise ValueError(
            f"`{name}` holds a single class ({int(array[0])}); this metric needs both classes. "
            "Use a larger or stratified sample."
        )
    return array.astype(int)


def as_scores(name: str, values) -> np.ndarray:
    """Return ``values`` as a 1d float array of scores in [0, 1], or raise a ValueError."""
    array = _as_numbers(name, as_1d_array(name, values), "numeric scores",
                        "Use model.predict_proba(X)[:, 1].").astype(float)
    if array.min() < 0 or array.max() > 1:
        raise ValueError(
            f"`{name}` should hold probabilities in [0, 1], got values from {array.min():.3g} "
            f"to {array.max():.3g}. Use model.predict_proba(X)[:, 1]."
        )
    return array


def check_same_length(**arrays) -> None:
    """Raise a ValueError naming the arguments whose lengths differ."""
    lengths = {name: len(values) for name, values in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"`{name}` has {n}" for name, n in lengths.items())
        raise ValueError(
            f"Inputs must have the same length, but {described} rows. "
            "Check they all come from the same split (e.g. all from the test set)."
        )


def as_groups(name: str, values, *, min_group_size: int = 1) -> pd.Series:
    """Return group labels as a Series, raising a ValueError on NaN or empty/small groups."""
    as_1d_array(name, values, allow_nan=True)  # type, shape and emptiness
    # Built from the original values: np.asarray would turn a NaN among strings into 'nan'.
    series = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values)
    if series.isna().any():
        raise ValueError(
            f"`{name}` contains {int(series.isna().sum())} missing group label(s); "
            "fill them (e.g. with 'Unknown') or drop those rows."
        )
    counts = series.value_counts(sort=False)  # a categorical's unused categories count 0
    small = counts[counts < max(min_group_size, 1)]
    if len(small):
        described = ", ".join(f"{group!r} ({n} rows)" for group, n in small.items())
        if (small == 0).all():
            fix = "Drop unused categories with .cat.remove_unused_categories()."
        else:
            fix = "Merge small groups or report them as too small to assess."
        raise ValueError(
            f"`{name}` has groups with fewer than {max(min_group_size, 1)} row(s): {described}. {fix}"
        )
    return series


def check_columns(frame: pd.DataFrame, required: Iterable[str], *, name: str = "data") -> None:
    """Raise a ValueError listing the required columns missing from ``frame``."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"`{name}` should be a pandas DataFrame, got {type(frame).__name__} instead.")
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(
            f"`{name}` is missing column(s) {missing}; it has {list(frame.columns)}."
        )


def as_numeric_series(name: str, values) -> pd.Series:
    """Return ``values`` as a non-empty float Series with a unique index (NaN kept), or raise a ValueError.

    Nullable dtypes (Int64, Float64) become float with ``pd.NA`` as NaN; the caller decides
    what a NaN means.

    Examples
    --------
    >>> as_numeric_series("f1_by_month", pd.Series([0.5, None], index=[1, 2], dtype="Float64")).tolist()
    [0.5, nan]
    """
    if not isinstance(values, pd.Series):
        raise ValueError(f"`{name}` should be a pandas Series indexed by month, got {type(values).__name__} instead. "
                         "Build it with pd.Series({month: value, ...}).")
    if values.empty:
        raise ValueError(f"`{name}` is empty; it needs at least one month.")
    if not values.index.is_unique:
        duplicated = sorted(set(values.index[values.index.duplicated()].tolist()), key=str)
        raise ValueError(f"`{name}` has repeated index value(s) {duplicated[:5]}; give each month one row "
                         "(e.g. .groupby(level=0).sum()).")
    if pd.api.types.is_bool_dtype(values.dtype) or not (
            pd.api.types.is_numeric_dtype(values.dtype) or values.dtype == object):
        raise ValueError(f"`{name}` should hold numbers, got dtype {values.dtype} (for example "
                         f"{values.iloc[0]!r}). Convert it with pd.to_numeric(...) if these are numbers.")
    numbers_only = values.map(lambda value: value is pd.NA or value is None or (
        isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))))
    if not numbers_only.all():
        position = int(np.argmin(numbers_only.to_numpy()))
        raise ValueError(f"`{name}` should hold numbers, got {_described(values.iloc[position])} at index "
                         f"{values.index.tolist()[position]!r}. Convert it with pd.to_numeric(...) if these are "
                         "numbers.")
    return values.astype("Float64").astype(float)


# Argument domains: one declaration per argument, checked at the public boundary by
# ``validate_arguments``. Each check's message names the argument, the value received and the
# values allowed, so a bad argument never reaches NumPy (whose messages name no argument).

def _show_bound(bound, resolved) -> str:
    if isinstance(bound, str):
        return f"{bound}={resolved!r}"
    return f"{bound:g}" if isinstance(bound, float) else repr(bound)


class NumberRange:
    """Finite numbers (or whole numbers) from ``low`` to ``high``; either end may be open or absent.

    A bound given as text names another argument of the same call (``high="n_months"``),
    declared before this one. ``none_allowed``: ``None`` is a value with a meaning (say, "no
    change"). ``note`` is appended to the message: what the range means, or the fix.

    Examples
    --------
    >>> NumberRange(0, 1, high_open=True).check("share", 0.5, {})
    0.5
    >>> NumberRange(1, whole=True).check("n", 0, {})
    Traceback (most recent call last):
    ...
    ValueError: `n` must be a whole number >= 1, got 0.
    """

    def __init__(self, low=None, high=None, *, low_open: bool = False, high_open: bool = False, whole: bool = False,
                 none_allowed: bool = False, note: str = ""):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open
        self.whole, self.none_allowed, self.note = whole, none_allowed, note

    def bounds(self, arguments: dict) -> tuple:
        """``(low, high)`` with bounds that name other arguments replaced by their values."""
        return tuple(arguments[bound] if isinstance(bound, str) else bound for bound in (self.low, self.high))

    def describe(self, arguments: dict) -> str:
        """The allowed values in words, e.g. "a whole number in [1, n_months=6]"."""
        low, high = self.bounds(arguments)
        kind = "a whole number" if self.whole else "a finite number"
        if low is not None and high is not None:
            shown = (f"{'(' if self.low_open else '['}{_show_bound(self.low, low)}, "
                     f"{_show_bound(self.high, high)}{')' if self.high_open else ']'}")
            text = f"{kind} in {shown}"
        elif low is not None:
            text = f"{kind} {'>' if self.low_open else '>='} {_show_bound(self.low, low)}"
        elif high is not None:
            text = f"{kind} {'<' if self.high_open else '<='} {_show_bound(self.high, high)}"
        else:
            text = kind
        return f"{text} or None" if self.none_allowed else text

    def contains(self, value, arguments: dict) -> bool:
        if value is None:
            return self.none_allowed
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            return False
        number = float(value)
        low, high = self.bounds(arguments)
        return (math.isfinite(number) and (number.is_integer() or not self.whole)
                and (low is None or (number > low if self.low_open else number >= low))
                and (high is None or (number < high if self.high_open else number <= high)))

    def check(self, name: str, value, arguments: dict):
        """``value`` as an int (whole numbers) or a float, or a ValueError naming ``name``."""
        if not self.contains(value, arguments):
            fix = " Convert it with int(...)." if self.whole and isinstance(value, str) else (
                " Convert it with float(...)." if isinstance(value, str) else "")
            raise ValueError(f"`{name}` must be {self.describe(arguments)}, got {value!r}.{fix}"
                             + (f" {self.note}" if self.note else ""))
        if value is None:
            return None
        return int(value) if self.whole else float(value)


class OneOf:
    """One of a fixed set of ``options`` (or ``None``, when ``none_allowed``)."""

    def __init__(self, options, *, none_allowed: bool = False):
        self.options, self.none_allowed = tuple(options), none_allowed

    def describe(self, arguments: dict) -> str:
        return f"one of {self.options}{' or None' if self.none_allowed else ''}"

    def check(self, name: str, value, arguments: dict):
        if (value is None and self.none_allowed) or (isinstance(value, str) and value in self.options):
            return value
        raise ValueError(f"`{name}` must be {self.describe(arguments)}, got {value!r}.")


class Satisfies:
    """What ``convert`` accepts: it returns the value to use, or raises TypeError/ValueError."""

    def __init__(self, description: str, convert):
        self.description, self.convert = description, convert

    def describe(self, arguments: dict) -> str:
        return self.description

    def check(self, name: str, value, arguments: dict):
        try:
            return self.convert(value)
        except (TypeError, ValueError):
            pass
        raise ValueError(f"`{name}` must be {self.description}, got {_described(value)}.")


SEED = NumberRange(0, 2**32 - 1, whole=True, note="Pass an int seed (e.g. seed=2026): the same seed gives the same "
                                                   "data, which the workbook's checks and your results rely on.")


def validate_arguments(**domains):
    """Decorator: check each argument against its domain (in the order given) before the call.

    Every argument of the decorated function must have a domain, so a new argument cannot
    slip in unchecked; the domains are kept as the function's ``argument_domains``. Numbers
    arrive converted (``n=1e3`` becomes ``1000``).
    """
    def decorate(function):
        signature = inspect.signature(function)
        if set(domains) != set(signature.parameters):
            raise TypeError(f"{function.__name__}: domains for {sorted(domains)}, but the arguments are "
                            f"{list(signature.parameters)}.")
        for position, (name, domain) in enumerate(domains.items()):
            named = [bound for bound in (getattr(domain, "low", None), getattr(domain, "high", None))
                     if isinstance(bound, str)]
            if not set(named) <= set(list(domains)[:position]):
                raise TypeError(f"{function.__name__}: the domain of `{name}` refers to {named}; declare those "
                                "arguments before it.")

        @functools.wraps(function)
        def checked(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, domain in domains.items():
                bound.arguments[name] = domain.check(name, bound.arguments[name], bound.arguments)
            return function(*bound.args, **bound.kwargs)

        checked.argument_domains = dict(domains)
        return checked

    return decorate


def as_option(value, options: Iterable[str]):
    """The option ``value`` names, whatever its case and the spaces around it; any other value unchanged (the check
    then says it is not one of the options).

    >>> as_option(" Concept Drift", ("data drift", "concept drift"))
    'concept drift'
    >>> as_option("drift", ("data drift", "concept drift"))
    'drift'
    """
    if isinstance(value, str):
        return next((option for option in options if option.casefold() == value.strip().casefold()), value)
    return value
