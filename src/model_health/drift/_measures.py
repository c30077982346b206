"""Drift measures as the notebooks teach them: PSI and its bands, per-column KS and chi-square by scipy, and the
straightforward drift table (:func:`drift_table_reference`) the fast one in :mod:`model_health.drift._fast` is tested
against. What counts as a number, a date or a label is documented in :mod:`model_health.drift`.
"""

from __future__ import annotations

import datetime
import itertools
import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model_health._validation import (
    NUMBERS_AS_TEXT_FIX,
    as_1d_array,
    as_real_number,
    check_columns,
    numbers_stored_as_text,
)
from model_health.exceptions import UndefinedValueWarning


PSI_BINS = 10
DECILES = np.linspace(0, 1, PSI_BINS + 1)[1:-1]  # the 9 inner edges' probabilities
PSI_WATCH = 0.1
PSI_ALERT = 0.25
MIN_SHARE = 1e-4
MISSING = "(missing)"
TABLE_COLUMNS = ["kind", "psi", "band", "test", "statistic", "p_value", "n_reference", "n_current"]


def psi_band(psi) -> str:
    """``"stable"`` below 0.1, ``"watch"`` from 0.1 to 0.25, ``"drift"`` above 0.25.

    A missing PSI (NaN, None, ``pd.NA``) is ``"unknown"``, never ``"stable"``: a band
    computed from nothing would be a guess. PSI is >= 0 by definition, so a negative
    value, or anything that is not a number, is a ValueError.

    Examples
    --------
    >>> [psi_band(value) for value in (0.05, 0.1, 0.3, float("nan"))]
    ['stable', 'watch', 'drift', 'unknown']
    """
    if psi is None or psi is pd.NA:
        return "unknown"
    value = as_real_number("psi", psi, finite=False)
    if math.isnan(value):
        return "unknown"
    if value < 0:
        raise ValueError(f"`psi` is >= 0 by definition (a sum of (a - b) * log(a / b) terms), got {value!r}; "
                         "check how it was computed.")
    if value > PSI_ALERT:
        return "drift"
    return "watch" if value >= PSI_WATCH else "stable"


def psi_from_counts(reference_counts, current_counts) -> float:
    """PSI of two histograms over the same bins, given as counts per bin: the sum over the bins of
    (current share - reference share) * ln(current share / reference share), each share floored at
    ``MIN_SHARE`` so that an empty bin does not make it infinite: what :func:`population_stability_index`
    computes once it has binned.

    >>> round(psi_from_counts([50, 50], [40, 60]), 4)
    0.0405
    """
    counts = {}
    for name, values in (("reference_counts", reference_counts), ("current_counts", current_counts)):
        array = as_1d_array(name, values)
        if not np.issubdtype(array.dtype, np.number) or (array < 0).any() or array.sum() == 0:
            raise ValueError(f"`{name}` holds counts per bin: numbers, none negative, not all zero.")
        counts[name] = array
    if len(counts["reference_counts"]) != len(counts["current_counts"]):
        raise ValueError(f"`reference_counts` has {len(counts['reference_counts'])} bins and `current_counts` "
                         f"{len(counts['current_counts'])}: both histograms must count the same bins.")
    return _psi_from_counts(*counts.values())


def _psi_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    reference = np.maximum(reference_counts / reference_counts.sum(), MIN_SHARE)
    current = np.maximum(current_counts / current_counts.sum(), MIN_SHARE)
    return float(np.sum((current - reference) * np.log(current / reference)))


def _as_series(name: str, values) -> pd.Series:
    """``values`` as a Series (missing values kept), or a ValueError naming ``name``."""
    if ((isinstance(values, (list, tuple)) and len(values) == 0)
            or (isinstance(values, (np.ndarray, pd.Series, pd.Index)) and values.ndim == 1 and values.size == 0)):
        raise ValueError(f"`{name}` has no values; drift needs data on both sides.")
    as_1d_array(name, values, allow_nan=True)  # text, scalars, None, dicts, 2d input
    if isinstance(values, pd.Series):
        return values
    try:
        return pd.Series(values)
    except OverflowError:  # pandas 2 turns Python ints beyond the float range into floats and overflows
        return pd.Series(values, dtype=object)


def _examples(values) -> str:
    """The first three values as a message shows them (long ones cut)."""
    shown = [repr(value) for value in itertools.islice(values, 3)]
    return ", ".join(text if len(text) <= 40 else f"{text[:37]}..." for text in shown)


# Numeric samples ------------------------------------------------------------------------

NUMBERS, DATES, DURATIONS = "numbers", "dates", "durations"
_INFERRED_NUMBERS = {"integer", "floating", "mixed-integer-float", "decimal", "empty"}
_INFERRED_DATES = {"datetime", "datetime64", "date"}
_INFERRED_DURATIONS = {"timedelta", "timedelta64"}
_NANOSECONDS_PER = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}


def _numeric_kind(values: pd.Series) -> str | None:
    """``NUMBERS``, ``DATES`` or ``DURATIONS`` when ``values`` holds those, else None."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return DATES
    if pd.api.types.is_timedelta64_dtype(dtype):
        return DURATIONS
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return NUMBERS
    if dtype == object:
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred in _INFERRED_NUMBERS:
            return NUMBERS
        if inferred in _INFERRED_DATES:
            return DATES
        if inferred in _INFERRED_DURATIONS:
            return DURATIONS
    return None


def _not_numbers(name: str, values: pd.Series) -> ValueError:
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.infer_dtype(present) == "boolean":
        fix = ("True/False are labels here, not numbers: use categorical_psi, or convert them with "
               ".astype(int) to treat them as 0/1.")
    elif isinstance(values.dtype, pd.CategoricalDtype):
        fix = ("Categories are compared one by one, not as numbers: use categorical_psi (in a table, make both "
               "columns categorical), or convert it with .astype(float).")
    elif numbers_stored_as_text(present):
        fix = NUMBERS_AS_TEXT_FIX
    else:
        fix = "For category labels use categorical_psi."
    return ValueError(f"`{name}` should hold numbers or dates, got values of dtype {values.dtype} "
                      f"(for example {_examples(present)}). {fix}")


def _nanoseconds(name: str, values: pd.Series, kind: str) -> np.ndarray:
    """Dates as nanoseconds since 1970 (tz-aware ones in UTC), durations as nanoseconds; NaT as NaN."""
    try:
        if kind == DURATIONS:
            times = pd.TimedeltaIndex(values)
        else:
            times = pd.DatetimeIndex(values)
            if times.tz is not None:
                times = times.tz_convert(None)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}` holds {kind} that cannot be put on one time line ({error}). Convert them "
                         "with pd.to_datetime(..., utc=True).") from None
    nanoseconds = times.asi8.astype(float) * _NANOSECONDS_PER[times.unit]
    nanoseconds[times.isna()] = np.nan
    return nanoseconds


def _too_large(name: str, numbers_) -> ValueError:
    too_large = [number for number in numbers_ if isinstance(number, int) and number.bit_length() > 1024]
    return ValueError(f"`{name}` holds integers too large for a float (for example {_examples(too_large)}); "
                      "scale them down before measuring drift.")


def _numeric_values(name: str, values: pd.Series) -> tuple[np.ndarray, str]:
    """The finite values of a numeric or date sample as floats, and its kind; missing values are left out."""
    kind = _numeric_kind(values)
    if kind is None:
        raise _not_numbers(name, values)
    if kind != NUMBERS:
        array = _nanoseconds(name, values, kind)
    elif isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        array = values.to_numpy(dtype=float)  # no copy for float64
    else:  # nullable dtypes and objects: pd.NA and None are missing
        try:
            array = values.to_numpy(dtype=float, na_value=np.nan)
        except OverflowError:
            raise _too_large(name, values) from None
    missing = np.isnan(array)
    if missing.any():
        array = array[~missing]
    if array.size == 0:
        raise ValueError(f"`{name}` has no non-missing values; drift needs data on both sides.")
    if np.isinf(array).any():
        raise ValueError(f"`{name}` has infinite values; replace them (e.g. with NaN, which is left out) "
                         "before measuring drift.")
    return array, kind


def _check_same_kind(reference_name: str, reference_kind: str, current_name: str, current_kind: str) -> None:
    if reference_kind != current_kind:
        raise ValueError(f"`{reference_name}` holds {reference_kind} but `{current_name}` holds {current_kind}; "
                         "compare like with like: convert one side (e.g. pd.to_datetime(...)) so both hold the "
                         "same kind.")


def _quantiles(values: np.ndarray, probabilities) -> np.ndarray:
    """``np.quantile`` (linear), also where the values' range exceeds the float maximum.

    Interpolating between -1e308 and 1e308 overflows (to an infinite or NaN quantile);
    then the quantiles are those of the halved values, doubled (halving is exact but for
    subnormal numbers, which lose their last bit).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        quantiles = np.quantile(values, probabilities)
    if np.isfinite(quantiles).all():
        return quantiles
    return 2 * np.quantile(values / 2, probabilities)


def _interpolated(lows: np.ndarray, highs: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """What :func:`_quantiles` gives, from the order statistics either side of each quantile.

    Each pair goes through ``np.quantile`` itself (a 2-value array at the fraction), so the
    interpolation is numpy's to the last bit, with the same halving where it overflows.
    """
    def each(lows, highs):
        return np.array([np.quantile(pair, fraction) for pair, fraction in zip(zip(lows, highs), fractions)])

    with np.errstate(over="ignore", invalid="ignore"):
        quantiles = each(lows, highs)
    if np.isfinite(quantiles).all():
        return quantiles
    return 2 * each(lows / 2, highs / 2)


def _decile_edges(reference: np.ndarray) -> np.ndarray:
    return np.unique(_quantiles(reference, DECILES))


def _numeric_psi(reference: np.ndarray, current: np.ndarray) -> float:
    edges = _decile_edges(reference)
    bins = len(edges) + 1
    return _psi_from_counts(np.bincount(np.searchsorted(edges, reference), minlength=bins),
                            np.bincount(np.searchsorted(edges, current), minlength=bins))


def population_stability_index(reference, current) -> float:
    """PSI of a numeric column, binned at the reference's deciles.

    Dates count as numbers (nanoseconds since 1970); missing values are left out.

    Parameters
    ----------
    reference, current : 1d list, array or Series of numbers or dates
        The baseline sample and the one compared with it; each needs at least one
        non-missing value.

    Returns
    -------
    float
        PSI, >= 0 (0 for identical distributions).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> reference = rng.normal(size=10_000)
    >>> round(population_stability_index(reference, rng.normal(size=10_000)), 3)
    0.001
    >>> round(population_stability_index(reference, rng.normal(1.0, 1, size=10_000)), 2)
    0.92
    >>> population_stability_index([1, 2, 3], ["1", "2", "3"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `current` should hold numbers or dates, ... convert them with pd.to_numeric(...).
    """
    reference, reference_kind = _numeric_values("reference", _as_series("reference", reference))
    current, current_kind = _numeric_values("current", _as_series("current", current))
    _check_same_kind("reference", reference_kind, "current", current_kind)
    return _numeric_psi(reference, current)


# Categorical samples ----------------------------------------------------------------------

TEXT, NUMERIC, BOOLEAN, DATE = "text", "numeric", "True/False", "date"
_CONVERT_LABELS = ("Convert with .astype(str) to compare labels as text, or with pd.to_numeric(...) to compare "
                   "them as numbers.")


def _label_kind(label) -> str:
    if isinstance(label, (bool, np.bool_)):
        return BOOLEAN
    if isinstance(label, numbers.Real):
        return NUMERIC
    if isinstance(label, (datetime.date, datetime.timedelta, np.datetime64, np.timedelta64)):
        return DATE
    return TEXT  # strings, and other objects compared by their text


def _label_kinds(labels: pd.Index) -> np.ndarray:
    """Each label's kind: by dtype where it says, else one by one (once per distinct label)."""
    dtype = labels.dtype
    if pd.api.types.is_bool_dtype(dtype):
        kind = BOOLEAN
    elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        kind = NUMERIC
    elif pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        kind = DATE
    elif pd.api.types.is_string_dtype(dtype) and dtype != object:
        kind = TEXT
    else:
        return np.array([_label_kind(label) for label in labels], dtype=object)
    return np.full(len(labels), kind, dtype=object)


@dataclass(frozen=True)
class _LabelCounts:
    """How often each label occurs in a categorical sample, labels compared by value."""

    name: str
    kind: str | None  # TEXT, NUMERIC or BOOLEAN; None when every value is missing
    counts: pd.Series  # indexed by label: text, float or bool; no missing labels
    missing: int
    examples: str

    def with_missing_label(self) -> pd.Series:
        if not self.missing:
            return self.counts
        missing = pd.Series([self.missing], index=[MISSING], dtype=float)
        if self.counts.empty:  # concatenating an empty Series is deprecated in pandas 2
            return missing
        return pd.concat([self.counts, missing]).groupby(level=0).sum()


def _single_kind(name: str, labels, kinds: np.ndarray) -> str | None:
    """The one kind of label in a sample (None if it has none), or a ValueError naming ``name``."""
    present = sorted(pd.unique(kinds))
    if len(present) > 1 or DATE in present:
        labels = np.asarray(labels, dtype=object)  # to show examples of each kind
    if DATE in present:
        raise ValueError(f"`{name}` holds dates or durations (for example {_examples(labels[kinds == DATE])}); "
                         "dates are numeric here: pass them as a datetime64 column (pd.to_datetime(...)) to "
                         "compare them as numbers, or convert them with .astype(str) to compare them as labels.")
    if len(present) > 1:
        described = " and ".join(f"{kind} labels (for example {_examples(labels[kinds == kind])})"
                                 for kind in present)
        raise ValueError(f"`{name}` mixes {described}; labels of different kinds never match (1 != '1'). "
                         f"{_CONVERT_LABELS}")
    return present[0] if present else None


def _category_counts(name: str, values: pd.Series) -> _LabelCounts:
    """Count per label (see the module's notes on labels), or a ValueError naming ``name``."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("mixed", "mixed-integer"):
        # Counting first would merge True with 1 (equal in Python) before they could be told apart.
        present = values.dropna()
        _single_kind(name, present, _label_kinds(pd.Index(present, dtype=object)))
    counts = values.value_counts(dropna=False, sort=False)  # codes-based for categoricals
    counts = counts[counts > 0]
    labels = counts.index
    if isinstance(labels.dtype, pd.CategoricalDtype):
        labels = pd.Index(np.asarray(labels, dtype=object), dtype=object)
    missing = np.asarray(pd.isna(labels), dtype=bool)
    n_missing = int(counts.to_numpy()[missing].sum())
    labels, counts = labels[~missing], counts.to_numpy()[~missing]
    kind = _single_kind(name, labels, _label_kinds(labels))
    if kind == NUMERIC:
        try:
            keys = pd.Index(np.asarray(labels, dtype=float))  # 1, 1.0 and np.int64(1) are one label
        except OverflowError:
            raise _too_large(name, labels) from None
    elif kind == BOOLEAN:
        keys = pd.Index(np.asarray(labels, dtype=bool))
    else:
        keys = pd.Index([str(label) for label in labels], dtype=object)
    return _LabelCounts(name, kind, pd.Series(counts, index=keys, dtype=float).groupby(level=0).sum(),
                        n_missing, _examples(labels))


def _aligned(reference: _LabelCounts, current: _LabelCounts) -> tuple[np.ndarray, np.ndarray]:
    """Both samples' counts over the union of their labels, or a ValueError if the labels' kinds differ."""
    if reference.kind and current.kind and reference.kind != current.kind:
        raise ValueError(f"`{reference.name}` holds {reference.kind} labels (for example {reference.examples}) "
                         f"but `{current.name}` holds {current.kind} labels (for example {current.examples}); "
                         f"labels of different kinds never match (1 != '1'). {_CONVERT_LABELS}")
    if TEXT in (reference.kind, current.kind) or not (reference.kind or current.kind):
        # Text labels sort with "(missing)" among them, as they always have.
        reference_counts, current_counts = reference.with_missing_label(), current.with_missing_label()
        categories = reference_counts.index.union(current_counts.index)
        return (reference_counts.reindex(categories, fill_value=0).to_numpy(float),
                current_counts.reindex(categories, fill_value=0).to_numpy(float))
    categories = reference.counts.index.union(current.counts.index)  # numbers or True/False, sorted
    return (np.append(reference.counts.reindex(categories, fill_value=0).to_numpy(float), reference.missing),
            np.append(current.counts.reindex(categories, fill_value=0).to_numpy(float), current.missing))


def categorical_psi(reference, current) -> float:
    """PSI of a categorical column, one bin per category (missing values are a category).

    Labels are compared by value: ``1`` and ``1.0`` are one category, ``1`` and ``"1"``
    are labels of different kinds, which is an error rather than a silent mismatch.

    Parameters
    ----------
    reference, current : 1d list, array or Series of labels
        The baseline sample and the one compared with it; each needs at least one value.

    Returns
    -------
    float
        PSI, >= 0 (0 for identical distributions).

    Examples
    --------
    >>> round(categorical_psi(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20), 3)
    0.416
    >>> categorical_psi([1, 2, 2, 3], [1.0, 2.0, 2.0, 3.0])
    0.0
    >>> categorical_psi(["1", "2"], [1, 2])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `reference` holds text labels (for example '1', '2') but `current` holds numeric labels ...
    """
    return _psi_from_counts(*_aligned(_category_counts("reference", _as_series("reference", reference)),
                                      _category_counts("current", _as_series("current", current))))


def _chi_square(reference_counts: np.ndarray, current_counts: np.ndarray) -> tuple[float, float]:
    from scipy.stats import chi2_contingency

    table = np.vstack([reference_counts, current_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0  # one category on both sides: nothing can differ
    result = chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue)


# Tables -----------------------------------------------------------------------------------

def _warn_if_no_p_value(column: str, p_value: float) -> None:
    if math.isnan(p_value):
        warnings.warn(f"Column '{column}': one value on each side is too few for the KS test's asymptotic "
                      "p-value, so p_value is NaN.", UndefinedValueWarning, stacklevel=3)


def _row(kind, psi, test, statistic, p_value, n_reference, n_current) -> dict:
    return {"kind": kind, "psi": psi, "band": psi_band(psi), "test": test, "statistic": statistic,
            "p_value": p_value, "n_reference": n_reference, "n_current": n_current}


def _validated_columns(reference: pd.DataFrame, current: pd.DataFrame, columns) -> list[str]:
    if isinstance(columns, str):
        raise ValueError(f"`columns` should be a list of column names, got str {columns!r} instead. "
                         f"Wrap it in a list: columns=[{columns!r}].")
    check_columns(reference, columns or [], name="reference")
    columns = list(columns) if columns is not None else list(reference.columns)
    check_columns(current, columns, name="current")
    for name, frame in (("reference", reference), ("current", current)):
        if frame.empty:
            raise ValueError(f"`{name}` has no rows; drift needs data on both sides.")
    return columns


def _as_table(rows: dict[str, dict]) -> pd.DataFrame:
    table = pd.DataFrame.from_dict(rows, orient="index", columns=TABLE_COLUMNS)
    table.index.name = "feature"
    return table.sort_values("psi", ascending=False, kind="stable")


def drift_table_reference(reference: pd.DataFrame, current: pd.DataFrame, columns=None) -> pd.DataFrame:
    """The straightforward drift table: per column, PSI and scipy's KS or chi-square test.

    A column is numeric (KS) when the reference's column holds numbers or dates, else
    categorical (chi-square).

    Examples
    --------
    >>> reference = pd.DataFrame({"x": [1.0, 2, 3, 4] * 25, "c": list("aabb") * 25})
    >>> current = pd.DataFrame({"x": [3.0, 4, 5, 6] * 25, "c": list("abbb") * 25})
    >>> drift_table_reference(reference, current)[["kind", "band", "test"]]
                    kind   band  test
    feature                          
    x            numeric  drift    ks
    c        categorical  drift  chi2
    """
    from scipy.stats import ks_2samp

    rows = {}
    for column in _validated_columns(reference, current, columns):
        reference_name, current_name = f"reference['{column}']", f"current['{column}']"
        if _numeric_kind(reference[column]):
            ref, reference_kind = _numeric_values(reference_name, reference[column])
            cur, current_kind = _numeric_values(current_name, current[column])
            _check_same_kind(reference_name, reference_kind, current_name, current_kind)
            with np.errstate(divide="ignore"):  # scipy divides by the effective size, 0 for one value a side
                ks = ks_2samp(ref, cur, method="asymp")
            _warn_if_no_p_value(column, float(ks.pvalue))
            rows[column] = _row("numeric", _numeric_psi(ref, cur), "ks", float(ks.statistic), float(ks.pvalue),
                                ref.size, cur.size)
        else:
            ref_counts, cur_counts = _aligned(_category_counts(reference_name, reference[column]),
                                              _category_counts(current_name, current[column]))
            rows[column] = _row("categorical", _psi_from_counts(ref_counts, cur_counts), "chi2",
                                *_chi_square(ref_counts, cur_counts), len(reference), len(current))
    return _as_table(rows)
