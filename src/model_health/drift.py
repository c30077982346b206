"""Data drift between a reference sample and a current one: PSI, KS and chi-square per column.

PSI (population stability index) measures how far a column's distribution moved; its
bands are the industry's rule of thumb: below 0.1 stable, 0.1 to 0.25 watch, above 0.25
drift. Its value depends on the binning, so the choice is pinned here:

- numeric columns: 10 bins at the reference's deciles (``np.quantile``, linear method),
  each bin ``(edge_i, edge_i+1]``; repeated edges are merged;
- categorical columns: one bin per category, missing values as the category ``(missing)``;
- empty bins: shares are floored at ``MIN_SHARE`` (1e-4), so PSI stays finite.

Significance tests sit beside PSI: the two-sample Kolmogorov-Smirnov test for numeric
columns (scipy's asymptotic p-value) and the chi-square test of the 2 x k table of
category counts for categorical ones. On large samples they flag shifts too small to
matter; PSI measures size. Missing values in numeric columns are left out of both;
infinite values are an error (they leave the decile edges undefined).

:func:`drift_table` is the fast path for monitoring jobs. Neither sample is sorted: each
numeric value is put in one of ``GRID_BINS`` equal-width bins over the reference's range
(arithmetic, one pass), and the two samples' cumulative bin counts bound the KS gap inside
every bin. Only the few bins where the largest gap could lie are sorted and searched
exactly, so the statistic is exact, not approximated. Columns run on threads.
:func:`drift_table_reference` is the straightforward per-column scipy implementation it is
tested against. Where they differ, the reference is right.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model_health._validation import check_columns

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
]

PSI_BINS = 10
DECILES = np.linspace(0, 1, PSI_BINS + 1)[1:-1]  # the 9 inner edges' probabilities
PSI_WATCH = 0.1
PSI_ALERT = 0.25
MIN_SHARE = 1e-4
MISSING = "(missing)"
TABLE_COLUMNS = ["kind", "psi", "band", "test", "statistic", "p_value", "n_reference", "n_current"]


def psi_band(psi: float) -> str:
    """``"stable"`` below 0.1, ``"watch"`` from 0.1 to 0.25, ``"drift"`` above 0.25.

    Examples
    --------
    >>> [psi_band(value) for value in (0.05, 0.1, 0.3)]
    ['stable', 'watch', 'drift']
    """
    if psi > PSI_ALERT:
        return "drift"
    return "watch" if psi >= PSI_WATCH else "stable"


def _psi_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    reference = np.maximum(reference_counts / reference_counts.sum(), MIN_SHARE)
    current = np.maximum(current_counts / current_counts.sum(), MIN_SHARE)
    return float(np.sum((current - reference) * np.log(current / reference)))


def _numeric_values(name: str, values) -> np.ndarray:
    """The finite values of a 1d numeric sample; missing values are left out."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"`{name}` should be 1d, got shape {array.shape}.")
    missing = np.isnan(array)
    if missing.any():
        array = array[~missing]
    if array.size == 0:
        raise ValueError(f"`{name}` has no non-missing values; drift needs data on both sides.")
    if np.isinf(array).any():
        raise ValueError(f"`{name}` has infinite values; replace them (e.g. with NaN, which is left out) "
                         "before measuring drift.")
    return array


def _decile_edges(reference: np.ndarray) -> np.ndarray:
    return np.unique(np.quantile(reference, DECILES))


def population_stability_index(reference, current) -> float:
    """PSI of a numeric column, binned at the reference's deciles.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> reference = rng.normal(size=10_000)
    >>> round(population_stability_index(reference, rng.normal(size=10_000)), 3)
    0.001
    >>> round(population_stability_index(reference, rng.normal(1.0, 1, size=10_000)), 2)
    0.92
    """
    reference = _numeric_values("reference", reference)
    current = _numeric_values("current", current)
    edges = _decile_edges(reference)
    bins = len(edges) + 1
    return _psi_from_counts(np.bincount(np.searchsorted(edges, reference), minlength=bins),
                            np.bincount(np.searchsorted(edges, current), minlength=bins))


def _category_counts(values) -> pd.Series:
    """Count per category, with missing values as the category ``(missing)``, indexed by str."""
    counts = pd.Series(values).value_counts(dropna=False, sort=False)  # codes-based for categoricals
    counts = counts[counts > 0]
    counts.index = [MISSING if pd.isna(label) else str(label) for label in counts.index]
    return counts.groupby(level=0).sum()  # labels that become equal as text (1 and "1") merge


def _aligned(reference_counts: pd.Series, current_counts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    categories = reference_counts.index.union(current_counts.index)
    return (reference_counts.reindex(categories, fill_value=0).to_numpy(float),
            current_counts.reindex(categories, fill_value=0).to_numpy(float))


def categorical_psi(reference, current) -> float:
    """PSI of a categorical column, one bin per category (missing values are a category).

    Examples
    --------
    >>> round(categorical_psi(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20), 3)
    0.416
    """
    return _psi_from_counts(*_aligned(_category_counts(reference), _category_counts(current)))


def _chi_square(reference_counts: np.ndarray, current_counts: np.ndarray) -> tuple[float, float]:
    from scipy.stats import chi2_contingency

    table = np.vstack([reference_counts, current_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0  # one category on both sides: nothing can differ
    result = chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue)


def _ks_p_value(statistic: float, n: int, m: int) -> float:
    """scipy's asymptotic two-sided p-value for ks_2samp (Smirnov's formula)."""
    from scipy.stats import kstwo

    effective = (max(n, m) * min(n, m)) / (n + m)
    return float(np.clip(kstwo.sf(statistic, np.round(effective)), 0, 1))


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _row(kind, psi, test, statistic, p_value, n_reference, n_current) -> dict:
    return {"kind": kind, "psi": psi, "band": psi_band(psi), "test": test, "statistic": statistic,
            "p_value": p_value, "n_reference": n_reference, "n_current": n_current}


def _validated_columns(reference: pd.DataFrame, current: pd.DataFrame, columns) -> list[str]:
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
        if _is_numeric(reference[column]):
            ref = _numeric_values(f"reference['{column}']", reference[column])
            cur = _numeric_values(f"current['{column}']", current[column])
            ks = ks_2samp(ref, cur, method="asymp")
            rows[column] = _row("numeric", population_stability_index(ref, cur), "ks",
                                float(ks.statistic), float(ks.pvalue), ref.size, cur.size)
        else:
            ref_counts, cur_counts = _aligned(_category_counts(reference[column]), _category_counts(current[column]))
            rows[column] = _row("categorical", _psi_from_counts(ref_counts, cur_counts), "chi2",
                                *_chi_square(ref_counts, cur_counts), len(reference), len(current))
    return _as_table(rows)


def _on_threads(function, columns: list[str]) -> list:
    """Run ``function`` per column on threads: numpy's sorts and searches release the GIL."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(columns), os.cpu_count() or 1))) as pool:
        return list(pool.map(function, columns))


GRID_BINS = 1 << 16
GRID_SPAN = (0.001, 0.999)  # the grid spans these reference quantiles; outliers share the end bins


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
        return cls(low, (GRID_BINS - 1) / (high - low) if high > low else 1.0)

    def bins(self, values: np.ndarray) -> np.ndarray:
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


class DriftReference:
    """A reference sample prepared once, to compare many current samples against quickly.

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
        self._categorical: dict[str, pd.Series] = {}

        def prepare(column: str) -> None:
            if _is_numeric(reference[column]):
                values = _numeric_values(f"reference['{column}']", reference[column])
                # One partition finds the deciles and the grid's span together.
                quantiles = np.quantile(values, [*DECILES, *GRID_SPAN])
                edges = np.unique(quantiles[:-2])
                sample = _BinnedSample(values, _Grid.spanning(*quantiles[-2:]))
                self._numeric[column] = _NumericReference(sample, edges, self._bin_counts(sample, edges))
            else:
                self._categorical[column] = _category_counts(reference[column])

        _on_threads(prepare, self.columns)
        self._n_rows = len(reference)

    @staticmethod
    def _bin_counts(sample: _BinnedSample, edges: np.ndarray) -> np.ndarray:
        # Bin i is (edge_i-1, edge_i]: count the values <= each edge.
        return np.diff(np.concatenate([[0], sample.at_or_below_edges(edges), [sample.values.size]]))

    def _compare_numeric(self, column: str, current: pd.Series) -> dict:
        reference = self._numeric[column]
        sample = _BinnedSample(_numeric_values(f"current['{column}']", current), reference.sample.grid)
        n, m = reference.sample.values.size, sample.values.size
        psi = _psi_from_counts(reference.bin_counts, self._bin_counts(sample, reference.edges))
        statistic = _ks_statistic(reference.sample, sample)
        return _row("numeric", psi, "ks", statistic, _ks_p_value(statistic, n, m), n, m)

    def _compare_categorical(self, column: str, current: pd.Series) -> dict:
        ref_counts, cur_counts = _aligned(self._categorical[column], _category_counts(current))
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

    Same results as :func:`drift_table_reference`, computed faster: use it in monitoring
    jobs, or keep a :class:`DriftReference` to compare many batches against one reference.
    """
    return DriftReference(reference, columns).compare(current)
