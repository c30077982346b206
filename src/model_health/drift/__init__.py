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

Two modules, one per reader:

- ``_measures``: the measures as the notebooks teach them (PSI, its bands, the samples' validation) and
  :func:`drift_table_reference`, the straightforward per-column scipy table;
- ``_fast``: :func:`drift_table` and :class:`DriftReference`, the fast path for monitoring jobs at a million rows
  (binned samples, an exact KS statistic without sorting, a fast KS p-value), tested against the reference table.
  Where they differ, the reference is right.
"""

from model_health.drift._fast import DriftReference, drift_table
from model_health.drift._measures import (
    DECILES,
    MIN_SHARE,
    PSI_ALERT,
    PSI_BINS,
    PSI_WATCH,
    categorical_psi,
    drift_table_reference,
    population_stability_index,
    psi_band,
    psi_from_counts,
)

__all__ = [
    "DECILES",
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
