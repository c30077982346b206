"""Data drift between a reference sample and a current one: PSI, KS and chi-square per column.

PSI (population stability index) measures how far a column's distribution moved; its
bands are the industry's rule of thumb: below 0.1 stable, 0.1 to 0.25 watch, above 0.25
drift, and ``"unknown"`` when there is no PSI to judge (NaN). Its value depends on the
binning, so the choice is pinned here:

- numeric columns: 10 bins at the reference's deciles (``np.quantile``, linear method),
  each bin ``(edge_i, edge_i+1]``; repeated edges are merged;
- categorical columns: one bin per category, missing values as the category ``(missing)``;
- empty bins: shares are floored at ``MIN_SHARE`` (1e-4), so PSI stays finite.

What counts as a number and what as a label:

- numbers are ints and floats of any width (NumPy's and pandas' nullable ones too, with
  ``pd.NA`` as missing); True/False are not numbers here;
- dates are numbers: datetime64 (tz-naive or tz-aware, which is converted to UTC),
  ``pd.Timestamp`` and ``datetime`` values become nanoseconds since 1970 (as float64, so
  to within a quarter of a microsecond), durations (timedelta64) nanoseconds, and NaT is a
  missing value, in every function;
- category labels are compared by value: ``1``, ``1.0`` and ``np.int64(1)`` are one
  category (integer codes often arrive as floats once a column has had a NaN), True and
  False are their own labels, text is compared as text, and NaN, None, ``pd.NA`` and NaT
  are the category ``(missing)``. Labels of different kinds never match (``1 != "1"``),
  so a sample, or a pair of samples, that mixes text, numeric or True/False labels is an
  error that says how to convert them.

A sample is a 1d list, array or Series; text, a scalar, ``None``, a dict or a 2d array is
an error naming the argument, and so is a sample with no values: drift needs data on both
sides. In :func:`drift_table` a column is numeric when the reference's column holds
numbers or dates (by dtype; an object column of timestamps counts as dates), else
categorical.

Significance tests sit beside PSI: the two-sample Kolmogorov-Smirnov test for numeric
columns (scipy's asymptotic p-value) and the chi-square test of the 2 x k table of
category counts for categorical ones. On large samples they flag shifts too small to
matter; PSI measures size. Missing values in numeric columns are left out of both;
infinite values are an error (they leave the decile edges undefined).

:func:`drift_table` is the fast path for monitoring jobs. Neither sample is sorted: each
numeric value is put in one of ``GRID_BINS`` equal-width bins over the reference's range
(arithmetic, one pass), and the two samples' cumulative bin counts bound the KS gap inside
every bin. Only the few bins where the largest gap could lie are sorted and searched
exactly, so the statistic is exact, not approximated. Its KS p-value agrees with scipy's
to 1e-10 relative (see :func:`_ks_p_value`), without scipy's term-by-term sum that costs
up to a second per column at a million rows. Columns run on threads.
:func:`drift_table_reference` is the straightforward per-column scipy implementation it is
tested against. Where they differ, the reference is right.
"""

from __future__ import annotations

import datetime
import itertools
import math
import numbers
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
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

__all__ = [
    "MIN_SHARE",
    "PSI_ALERT",
    "PSI_BINS",
    "PSI_WATCH",
    "DriftReference",
    "categorical_psi",
    "drift_table",
    "drift_table_reference",
    "population_stability_index",
    "psi_band",
    "psi_from_counts",
]

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


# The KS p-value ---------------------------------------------------------------------------

SMIRNOV_EXACT_MAX_N = 1_000_000  # scipy.special.smirnov sums every term up to this n, and approximates above
SMIRNOV_NODES = 1000  # terms of Smirnov's sum evaluated: every k-th, k = terms // SMIRNOV_NODES


def _smirnov_sf(n: int, statistic: float) -> float:
    """The one-sided ``P(D+_n >= d)`` by Smirnov's (Birnbaum-Tingey) sum, from every k-th term.

    Term j of the sum is ``d C(n, j) (d + j/n)^(j-1) (1 - d - j/n)^(n-j)``, for j from 0 to
    ``floor(n (1 - d))``. Where ``2.2 <= n d^2 < 370`` and n > 140, these terms vary smoothly
    with j (on a scale of at least n / (3 sqrt(n d^2)) terms, the spread of where the
    empirical process first crosses d) and vanish at both ends, so the trapezoid rule over
    ``SMIRNOV_NODES`` evenly spaced terms, times the spacing, equals the full sum: its error
    is exponentially small in the terms per unit of that spread. Measured against every
    term for 141 <= n <= 1e6 across that band: within 4e-10 relative (float rounding of
    the log-gamma terms dominates). Terms are summed in logs, so nothing overflows.
    """
    from scipy.special import gammaln

    last = math.floor(n * (1 - statistic))
    step = max(1, -(-last // SMIRNOV_NODES))
    j = np.arange(0, last + 1, step, dtype=float)
    share = statistic + j / n
    with np.errstate(divide="ignore"):  # the last term is 0 when n (1 - d) is a whole number
        log_terms = (gammaln(n + 1.0) - gammaln(j + 1) - gammaln(n - j + 1)
                     + (j - 1) * np.log(share) + (n - j) * np.log1p(-share))
    largest = log_terms.max()
    return float(statistic * step * np.exp(largest) * np.sum(np.exp(log_terms - largest)))


def _in_smirnov_band(n: int, statistic: float) -> bool:
    """Where scipy's ``kstwo.sf`` sums Smirnov's formula term by term (``scipy.stats._ksstats._kolmogn``)."""
    nd_squared = (n * statistic) * statistic  # as scipy computes it, so the band's edges match
    return 140 < n <= SMIRNOV_EXACT_MAX_N and statistic < 0.5 and 2.2 <= nd_squared < 370


def _ks_p_value(statistic: float, n: int, m: int) -> float:
    """The asymptotic two-sided p-value of ``ks_2samp(..., method="asymp")``, fast at any size.

    scipy computes ``kstwo.sf(D, round(n m / (n + m)))``. For an effective size N above
    140 and ``2.2 <= N D^2 < 370`` (p-values from about 0.025 down to 1e-320, the band
    small shifts land in at a million rows) that is twice the one-sided Smirnov sum,
    which scipy adds up term by term: O(N), 0.5 to 1 s per column at N = 500,000. Here
    that sum comes from every k-th term (:func:`_smirnov_sf`, about 0.3 ms): within 4e-10
    of scipy's, relative, as measured; the tests assert 1e-8 over a grid of N from 1e3 to
    2e6 and D across the band, and the same verdict as scipy's either side of 0.05, 0.01
    and 0.001. Everywhere else scipy is fast (Pelz-Good's expansion, a small matrix
    power, or its asymptotic form for N above 1e6) and is called as it is. With one value
    on each side (N rounds to 0) the p-value is undefined: NaN, as scipy's.
    """
    from scipy.stats import kstwo

    effective = round((max(n, m) * min(n, m)) / (n + m))  # scipy's product order
    if effective == 0:  # one value on each side: scipy's formula divides by zero and gives NaN
        return math.nan
    if _in_smirnov_band(effective, statistic):
        return float(np.clip(2 * _smirnov_sf(effective, statistic), 0, 1))
    return float(np.clip(kstwo.sf(statistic, effective), 0, 1))


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


def _on_threads(function, columns: list[str]) -> list:
    """Run ``function`` per column on threads: numpy's sorts and searches release the GIL."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(columns), os.cpu_count() or 1))) as pool:
        return list(pool.map(function, columns))


GRID_BINS = 1 << 16
GRID_SPAN = (0.001, 0.999)  # the grid spans these reference quantiles; outliers share the end bins
GRID_SPAN_SAMPLE = 20_000  # about this many values estimate them


@dataclass(frozen=True)
class _Grid:
    """Equal-width bins between two reference quantiles, open at both ends.

    ``bins`` only subtracts, scales, clips and truncates, so it never decreases as the value
    grows: each bin is an interval and bins are ordered like their values. That is all the
    exact KS below relies on; where the edges fall exactly does not matter.
    """

    low: float
    scale: float

    @classmethod
    def spanning(cls, low: float, high: float) -> _Grid:
        if not high > low:
            return cls(low, 1.0)
        with np.errstate(over="ignore"):
            span = high - low
        if not np.isfinite(span):  # wider than the float maximum: halving is exact
            return cls(low, (GRID_BINS - 1) / 2 / (high / 2 - low / 2))
        return cls(low, (GRID_BINS - 1) / span)

    def bins(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # far outliers become +-inf, which the clip puts in the end bins
            position = values - self.low
            position *= self.scale
        np.clip(position, 0, GRID_BINS - 1, out=position)
        return position.astype(np.int32)
class _BinnedSample:
    """A numeric sample, each value's grid bin, and how many values lie in the bins before each."""

    def __init__(self, values: np.ndarray, grid: _Grid) -> None:
        self.values = values
        self.grid = grid
        self.bins = grid.bins(values)
        self.counts = np.bincount(self.bins, minlength=GRID_BINS)
        self.below = np.concatenate([[0], np.cumsum(self.counts)])  # below[k]: values in bins < k

    def quantiles(self, probabilities) -> np.ndarray:
        """``_quantiles(self.values, probabilities)``, bit for bit, without partitioning every value.

        np.quantile (linear) interpolates between the order statistics at ranks
        ``floor((n - 1) q)`` and the next. The cumulative bin counts say which bin holds
        each rank; only the values in those bins are partitioned.
        """
        n = self.values.size
        position = (n - 1) * np.asarray(probabilities, dtype=float)  # numpy's virtual index for "linear"
        low_ranks = np.floor(position).astype(np.intp)
        high_ranks = np.minimum(low_ranks + 1, n - 1)
        ranks = np.unique(np.concatenate([low_ranks, high_ranks]))
        holding = np.searchsorted(self.below, ranks, side="right") - 1  # bin k holds ranks below[k] to below[k+1]-1
        chosen = np.zeros(GRID_BINS, dtype=bool)
        chosen[holding] = True
        subset = self.values[chosen[self.bins]]  # bins are ordered like their values, so ranks carry over
        chosen_below = np.concatenate([[0], np.cumsum(self.counts * chosen)])
        local = ranks - self.below[holding] + chosen_below[holding]
        subset.partition(local)
        at_rank = dict(zip(ranks.tolist(), subset[local]))
        lows = np.array([at_rank[rank] for rank in low_ranks.tolist()])
        highs = np.array([at_rank[rank] for rank in high_ranks.tolist()])
        return _interpolated(lows, highs, position - low_ranks)

    def at_or_below_edges(self, edges: np.ndarray) -> np.ndarray:
        """How many values are <= each PSI edge (a few comparisons beat sorting)."""
        return np.array([np.count_nonzero(self.values <= edge) for edge in edges])

    def in_bins(self, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The values in the chosen bins, and their bins."""
        inside = chosen[self.bins]
        return self.values[inside], self.bins[inside]


def _single_valued(values: np.ndarray, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per grid bin, one of its values (NaN where empty) and whether all its values equal it."""
    one = np.full(GRID_BINS, np.nan)
    one[bins] = values
    mixed = np.zeros(GRID_BINS, dtype=bool)
    mixed[bins[values != one[bins]]] = True
    return one, ~mixed


def _ks_statistic(reference: _BinnedSample, current: _BinnedSample) -> float:
    """The two-sample KS statistic, equal to scipy's bit for bit, without sorting either sample.

    The gap between the empirical CDFs, ``|F_ref(x) - F_cur(x)|``, is known exactly at the
    top of every bin from the cumulative counts; its maximum there is a lower bound on the
    statistic. Inside bin k the gap can be at most ``F_ref(top) - F_cur(bottom)`` one way
    and ``F_cur(top) - F_ref(bottom)`` the other. Only bins whose bound reaches the lower
    bound can hold the maximum, and a bin holding one distinct value is exact at its top
    already; the rest are sorted and searched value by value, as scipy does for all of them.
    """
    n, m = reference.values.size, current.values.size
    ref_cdf, cur_cdf = reference.below / n, current.below / m  # the same divisions scipy makes
    at_tops = float(np.max(np.abs(ref_cdf - cur_cdf)))
    bound = np.maximum(ref_cdf[1:] - cur_cdf[:-1], cur_cdf[1:] - ref_cdf[:-1])
    chosen = (bound >= at_tops - 1e-12) & ((reference.counts + current.counts) > 0)
    ref_values, ref_bins = reference.in_bins(chosen)
    cur_values, cur_bins = current.in_bins(chosen)
    ref_one, ref_single = _single_valued(ref_values, ref_bins)
    cur_one, cur_single = _single_valued(cur_values, cur_bins)
    same_value = (ref_one == cur_one) | (reference.counts == 0) | (current.counts == 0)
    chosen &= ~(ref_single & cur_single & same_value)
    if not chosen.any():
        return at_tops
    ref_values, cur_values = ref_values[chosen[ref_bins]], cur_values[chosen[cur_bins]]
    ref_values.sort()
    cur_values.sort()
    points = np.concatenate([ref_values, cur_values])
    point_bins = reference.grid.bins(points)  # the current sample is binned on the reference's grid

    def at_or_below(sample: _BinnedSample, chosen_sorted: np.ndarray) -> np.ndarray:
        # Values in bins before the point's that were not chosen, plus the chosen ones <= it.
        chosen_below = np.concatenate([[0], np.cumsum(sample.counts * chosen)])
        skipped_below = sample.below - chosen_below
        return skipped_below[point_bins] + np.searchsorted(chosen_sorted, points, side="right")

    gaps = at_or_below(reference, ref_values) / n - at_or_below(current, cur_values) / m
    return max(at_tops, float(np.max(np.abs(gaps))))


@dataclass(frozen=True)
class _NumericReference:
    sample: _BinnedSample
    edges: np.ndarray
    bin_counts: np.ndarray
    kind: str  # NUMBERS, DATES or DURATIONS


class DriftReference:
    """A reference sample prepared once, to compare many current samples against quickly.

    Its tables equal :func:`drift_table_reference`'s: PSI and statistics exactly, the KS
    p-value to 1e-8 relative (see :func:`_ks_p_value`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> reference = pd.DataFrame({"income": rng.normal(50, 10, 5000)})
    >>> monitor = DriftReference(reference)
    >>> monitor.compare(pd.DataFrame({"income": rng.normal(58, 10, 5000)})).loc["income", "band"]
    'drift'
    """

    def __init__(self, reference: pd.DataFrame, columns=None) -> None:
        self.columns = _validated_columns(reference, reference, columns)
        self._numeric: dict[str, _NumericReference] = {}
        self._categorical: dict[str, _LabelCounts] = {}

        def prepare(column: str) -> None:
            name = f"reference['{column}']"
            if _numeric_kind(reference[column]):
                values, kind = _numeric_values(name, reference[column])
                # The grid's span only sets its bins' width, so a strided subsample estimates it.
                span = _quantiles(values[::max(1, values.size // GRID_SPAN_SAMPLE)], GRID_SPAN)
                sample = _BinnedSample(values, _Grid.spanning(*span))
                edges = np.unique(sample.quantiles(DECILES))
                self._numeric[column] = _NumericReference(sample, edges, self._bin_counts(sample, edges), kind)
            else:
                self._categorical[column] = _category_counts(name, reference[column])

        _on_threads(prepare, self.columns)
        self._n_rows = len(reference)

    @staticmethod
    def _bin_counts(sample: _BinnedSample, edges: np.ndarray) -> np.ndarray:
        # Bin i is (edge_i-1, edge_i]: count the values <= each edge.
        return np.diff(np.concatenate([[0], sample.at_or_below_edges(edges), [sample.values.size]]))

    def _compare_numeric(self, column: str, current: pd.Series) -> dict:
        reference = self._numeric[column]
        name = f"current['{column}']"
        values, kind = _numeric_values(name, current)
        _check_same_kind(f"reference['{column}']", reference.kind, name, kind)
        sample = _BinnedSample(values, reference.sample.grid)
        n, m = reference.sample.values.size, sample.values.size
        psi = _psi_from_counts(reference.bin_counts, self._bin_counts(sample, reference.edges))
        statistic = _ks_statistic(reference.sample, sample)
        p_value = _ks_p_value(statistic, n, m)
        _warn_if_no_p_value(column, p_value)
        return _row("numeric", psi, "ks", statistic, p_value, n, m)

    def _compare_categorical(self, column: str, current: pd.Series) -> dict:
        ref_counts, cur_counts = _aligned(self._categorical[column], _category_counts(f"current['{column}']", current))
        return _row("categorical", _psi_from_counts(ref_counts, cur_counts), "chi2",
                    *_chi_square(ref_counts, cur_counts), self._n_rows, len(current))

    def compare(self, current: pd.DataFrame) -> pd.DataFrame:
        """The drift table of ``current`` against the reference, most drifted column first."""
        check_columns(current, self.columns, name="current")
        if current.empty:
            raise ValueError("`current` has no rows; drift needs data on both sides.")
        columns = self.columns

        def one(column: str) -> tuple[str, dict]:
            compare = self._compare_numeric if column in self._numeric else self._compare_categorical
            return column, compare(column, current[column])

        return _as_table(dict(_on_threads(one, columns)))


def drift_table(reference: pd.DataFrame, current: pd.DataFrame, columns=None) -> pd.DataFrame:
    """PSI with its band, and KS (numeric) or chi-square (categorical), per column.

    The same table as :func:`drift_table_reference`, computed faster: PSI and statistics
    exactly, the KS p-value to 1e-8 relative (see :func:`_ks_p_value`). Use it in
    monitoring jobs, or keep a :class:`DriftReference` to compare many batches against
    one reference.

    Parameters
    ----------
    reference, current : pandas.DataFrame
        The baseline rows and the rows compared with them; each needs at least one row
        and the chosen columns.
    columns : list of str, optional
        The columns to compare; by default every column of ``reference``.

    Returns
    -------
    pandas.DataFrame
        One row per column, most drifted first: ``kind``, ``psi``, ``band`` (``"unknown"``
        where PSI is NaN), ``test``, ``statistic``, ``p_value``, ``n_reference``, ``n_current``.

    Examples
    --------
    >>> reference = pd.DataFrame({"x": [1.0, 2, 3, 4] * 25, "c": list("aabb") * 25})
    >>> current = pd.DataFrame({"x": [3.0, 4, 5, 6] * 25, "c": list("abbb") * 25})
    >>> drift_table(reference, current)["band"].to_dict()
    {'x': 'drift', 'c': 'drift'}
    """
    columns = _validated_columns(reference, current, columns)
    return DriftReference(reference, columns).compare(current)
