"""Drift: PSI's pinned binning, labels and dates, validation, and the fast drift table against the reference."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp, kstwo

from model_health.drift import (
    MIN_SHARE,
    DriftReference,
    categorical_psi,
    drift_table,
    drift_table_reference,
    population_stability_index,
    psi_band,
)


def frames(seed: int, n_reference: int, n_current: int, shift: float):
    """Reference and current frames with continuous, tied, integer, missing and categorical columns."""
    rng = np.random.default_rng(seed)

    def make(n, delta):
        smooth = rng.normal(delta, 1, n)
        with_nan = rng.normal(0, 1, n)
        with_nan[rng.random(n) < 0.1] = np.nan
        colours = rng.choice(["red", "green", "blue", "teal" if delta else "red"], n, p=[0.4, 0.3, 0.2, 0.1])
        region = pd.Categorical(rng.choice(["north", "south", None], n), categories=["north", "south", "east"])
        return pd.DataFrame({
            "smooth": smooth,
            "rounded": np.round(rng.normal(delta, 1, n), 1),  # many ties
            "count": rng.poisson(3 + delta, n),  # integers
            "with_nan": with_nan,
            "colour": colours,  # a category unseen in the reference when shifted
            "region": region,  # categorical dtype with an unused category and missing values
        })

    return make(n_reference, 0.0), make(n_current, shift)


P_VALUE_RTOL = 1e-8  # the fast KS p-value's stated agreement with scipy's (measured: within 4e-10)


def assert_tables_agree(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    """Everything equal, PSI and statistic exactly; the KS p-value to P_VALUE_RTOL relative."""
    pd.testing.assert_frame_equal(fast.drop(columns="p_value"), slow.drop(columns="p_value"), check_exact=True)
    np.testing.assert_allclose(fast["p_value"], slow["p_value"], rtol=P_VALUE_RTOL, atol=0)


class TestPopulationStabilityIndex:
    def test_identical_samples_score_zero(self):
        """A sample compared with itself has PSI 0."""
        values = np.random.default_rng(0).normal(size=1000)
        assert population_stability_index(values, values) == pytest.approx(0, abs=1e-12)

    def test_hand_computed(self):
        """Deciles of 1..100; current all in the top decile."""
        reference = np.arange(1, 101, dtype=float)
        psi = population_stability_index(reference, np.full(50, 100.0))
        expected = 9 * (MIN_SHARE - 0.1) * np.log(MIN_SHARE / 0.1) + (1 - 0.1) * np.log(1 / 0.1)
        assert psi == pytest.approx(expected)

    def test_empty_bins_stay_finite(self):
        """Bins the current sample never reaches do not make PSI infinite."""
        assert np.isfinite(population_stability_index(np.arange(100.0), np.full(10, -5.0)))

    def test_grows_with_the_shift(self):
        """A larger mean shift gives a larger PSI."""
        rng = np.random.default_rng(1)
        reference = rng.normal(size=20_000)
        values = [population_stability_index(reference, rng.normal(shift, 1, 20_000)) for shift in (0.1, 0.5, 1)]
        assert values == sorted(values)

    def test_all_missing(self):
        """A column with no data is named."""
        with pytest.raises(ValueError, match="`current` has no non-missing values"):
            population_stability_index([1.0, 2.0], [np.nan])


class TestCategoricalPsi:
    def test_hand_computed(self):
        """50/50 to 80/20."""
        expected = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
        assert categorical_psi(list("ab" * 50), ["a"] * 80 + ["b"] * 20) == pytest.approx(expected)

    def test_new_category_is_finite(self):
        """A category the reference never saw counts, without infinities."""
        assert np.isfinite(categorical_psi(["a"] * 10, ["a"] * 5 + ["new"] * 5))


class TestPsiBand:
    @pytest.mark.parametrize(("psi", "band"), [(0.0, "stable"), (0.0999, "stable"), (0.1, "watch"),
                                               (0.25, "watch"), (0.2501, "drift")])
    def test_thresholds(self, psi, band):
        """0.1 and 0.25 are the band edges."""
        assert psi_band(psi) == band


class TestDriftTableMatchesReference:
    @pytest.mark.parametrize(("seed", "n_reference", "n_current", "shift"), [
        (0, 500, 500, 0.0), (1, 800, 300, 0.3), (2, 50, 2000, 1.0), (3, 3000, 3000, 0.05)])
    def test_equal_to_reference(self, seed, n_reference, n_current, shift):
        """The fast table equals the straightforward one on every column and field."""
        reference, current = frames(seed, n_reference, n_current, shift)
        assert_tables_agree(drift_table(reference, current), drift_table_reference(reference, current))

    def test_ks_statistic_is_scipys(self):
        """The KS statistic equals scipy's ks_2samp bit for bit on tied data; the p-value to P_VALUE_RTOL."""
        reference, current = frames(4, 1000, 700, 0.2)
        fast = drift_table(reference, current)
        expected = ks_2samp(reference["rounded"], current["rounded"], method="asymp")
        assert fast.loc["rounded", "statistic"] == expected.statistic
        assert fast.loc["rounded", "p_value"] == pytest.approx(expected.pvalue, rel=P_VALUE_RTOL)

    def test_one_reference_many_batches(self):
        """A DriftReference compares several batches, each equal to the reference table."""
        reference, _ = frames(5, 1000, 10, 0)
        monitor = DriftReference(reference)
        for shift in (0.0, 0.5):
            _, current = frames(6, 10, 600, shift)
            assert_tables_agree(monitor.compare(current), drift_table_reference(reference, current))

    @pytest.mark.parametrize("shape", ["skewed", "heavy ties", "outliers", "constant", "tiny spread", "tiny values"])
    @pytest.mark.parametrize("shift", [0.0, 0.02, 0.5])
    def test_awkward_distributions_equal_scipy(self, shape, shift):
        """Skew, ties, outliers, constant columns and extreme scales: KS and PSI exactly, p-value to P_VALUE_RTOL."""
        rng = np.random.default_rng(zlib.crc32(f"{shape} {shift}".encode()))
        make = {
            "skewed": lambda n, d: rng.lognormal(3 + d, 2, n),
            "heavy ties": lambda n, d: rng.poisson(1 + d, n).astype(float),
            "outliers": lambda n, d: np.r_[rng.normal(d, 1, n - 3), [1e15, -1e15, 0.0]],
            "constant": lambda n, d: np.full(n, 7.0 + (d > 0.1)),
            "tiny spread": lambda n, d: rng.normal(1e6 + d * 1e-9, 1e-9, n),
            "tiny values": lambda n, d: rng.choice([0.0, 1e-300, 2e-300, -1e-300], n, p=[0.4 - d / 2, 0.3, 0.2, 0.1 + d / 2]),
        }[shape]
        reference, current = pd.DataFrame({"x": make(3000, 0.0)}), pd.DataFrame({"x": make(2000, shift)})
        fast, slow = drift_table(reference, current), drift_table_reference(reference, current)
        for field in ("statistic", "psi"):
            assert fast.loc["x", field] == slow.loc["x", field], field
        assert fast.loc["x", "p_value"] == pytest.approx(slow.loc["x", "p_value"], rel=P_VALUE_RTOL, abs=0)

    def test_statistic_bit_for_bit_over_random_samples(self):
        """Over many random sizes and shapes, the KS statistic is exactly scipy's."""
        rng = np.random.default_rng(11)
        for _ in range(60):
            n, m = rng.integers(1, 1500, 2)
            reference = np.round(rng.standard_t(3, n), rng.integers(0, 4))
            current = np.round(rng.standard_t(3, m) + rng.choice([0, 0.05, 0.5]), rng.integers(0, 4))
            fast = drift_table(pd.DataFrame({"x": reference}), pd.DataFrame({"x": current}))
            assert fast.loc["x", "statistic"] == ks_2samp(reference, current, method="asymp").statistic

    def test_sorted_most_drifted_first(self):
        """Rows are ordered by PSI, largest first, with bands and tests named."""
        reference, current = frames(7, 2000, 2000, 1.0)
        table = drift_table(reference, current)
        assert table["psi"].is_monotonic_decreasing
        assert set(table["test"]) == {"ks", "chi2"}
        assert table.loc["smooth", "band"] == "drift"
        assert table.loc["region", "band"] == "stable"


class TestDriftTableErrors:
    def test_missing_column(self):
        """A column missing from the current frame is named."""
        with pytest.raises(ValueError, match=r"`current` is missing column\(s\) \['b'\]"):
            drift_table(pd.DataFrame({"a": [1.0], "b": [2.0]}), pd.DataFrame({"a": [1.0]}))

    def test_empty_current(self):
        """An empty current frame is an error, not a table of NaN."""
        with pytest.raises(ValueError, match="`current` has no rows"):
            drift_table(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"a": pd.Series([], dtype=float)}))

    def test_infinite_values(self):
        """Infinite values are named, with the fix."""
        with pytest.raises(ValueError, match=r"`current\['a'\]` has infinite values; replace them"):
            drift_table(pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"a": [1.0, np.inf]}))

    def test_chosen_columns_only(self):
        """`columns` limits the table to those columns."""
        reference, current = frames(8, 100, 100, 0)
        assert list(drift_table(reference, current, columns=["count"]).index) == ["count"]
