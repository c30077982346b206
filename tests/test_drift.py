"""Drift: PSI's pinned binning, labels and dates, validation, and the fast drift table against the reference."""

from __future__ import annotations

import math
import re
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
    psi_from_counts,
)
from model_health.drift._fast import _ks_p_value  # the fast p-value, tested against scipy directly
from model_health.exceptions import UndefinedValueWarning


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
        with pytest.raises(ValueError, match="`current` has no non-missing values; drift needs data on both sides"):
            population_stability_index([1.0, 2.0], [np.nan])

    @pytest.mark.parametrize("empty", [[], np.array([]), pd.Series([], dtype=float)])
    def test_empty(self, empty):
        """An empty sample is named, with the same reason as an all-missing one."""
        with pytest.raises(ValueError, match="`reference` has no values; drift needs data on both sides"):
            population_stability_index(empty, [1.0, 2.0])

    @pytest.mark.parametrize(("sample", "received"), [
        ("abc", "got str instead"), (None, "got NoneType instead"), (pd.NA, "got NAType instead"), (3.0, "got float"),
        ({"a": 1}, "got dict instead"), (np.zeros((3, 2)), "got an array of shape (3, 2)")])
    def test_not_a_sample(self, sample, received):
        """Text, None, pd.NA, scalars, dicts and 2-D arrays are not samples: named, with what was received."""
        with pytest.raises(ValueError, match=r"`current` should be a 1d array") as error:
            population_stability_index([1.0, 2.0], sample)
        assert received in str(error.value)

    def test_numbers_as_text(self):
        """Numbers stored as text are an error that says how to convert them (they used to be parsed silently)."""
        with pytest.raises(ValueError, match=r"`reference` should hold numbers or dates, got values of dtype (str|object) "
                                             r"\(for example '1', '2', '3'\)\. These look like numbers stored as text: "
                                             r"convert them with pd\.to_numeric"):
            population_stability_index(["1", "2", "3"], [1.0, 2.0])

    def test_true_false_are_not_numbers(self):
        """True/False are labels, not 0/1 (the drift table already treats them as categories)."""
        with pytest.raises(ValueError, match="True/False are labels here, not numbers: use categorical_psi"):
            population_stability_index([True, False], [True, True])

    def test_integers_beyond_the_float_range(self):
        """Python integers too large for a float are a ValueError naming the sample, not an OverflowError."""
        for psi in (population_stability_index, categorical_psi):
            with pytest.raises(ValueError, match="`current` holds integers too large for a float"):
                psi([1, 2], [1, 10**400])

    def test_nullable_missing_values_are_left_out(self):
        """pd.NA in a nullable column is a missing value, like NaN."""
        nullable = pd.Series([1, None, 3, 4, 5], dtype="Int64")
        without_missing = population_stability_index([1.0, 3, 4, 5], [2.0, 3.0])
        assert population_stability_index(nullable, [2.0, 3.0]) == without_missing

    def test_dates_are_nanoseconds(self):
        """Dates (naive, tz-aware in UTC, or Timestamps in a list) have the PSI of their nanoseconds since 1970."""
        reference = pd.Series(pd.date_range("2024-01-01", periods=200, freq="37min"))
        current = reference + pd.Timedelta(hours=20)
        expected = population_stability_index(reference.dt.as_unit("ns").astype("int64").astype(float),
                                              current.dt.as_unit("ns").astype("int64").astype(float))
        assert population_stability_index(reference, current) == expected > 0.25
        assert population_stability_index(reference.dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"),
                                          list(current)) == expected
        with pytest.raises(ValueError, match="`reference` holds dates but `current` holds numbers"):
            population_stability_index(reference, np.arange(200.0))


class TestCategoricalPsi:
    def test_hand_computed(self):
        """50/50 to 80/20."""
        expected = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
        assert categorical_psi(list("ab" * 50), ["a"] * 80 + ["b"] * 20) == pytest.approx(expected)

    def test_new_category_is_finite(self):
        """A category the reference never saw counts, without infinities."""
        assert np.isfinite(categorical_psi(["a"] * 10, ["a"] * 5 + ["new"] * 5))

    def test_integer_codes_as_floats(self):
        """Codes that became floats (a NaN in a pandas column does that) are the same categories: PSI 0, not 16.3."""
        codes = [1, 2, 2, 3] * 25
        assert categorical_psi(codes, [float(code) for code in codes]) == 0
        assert categorical_psi(np.array(codes, dtype=np.int64), pd.Series(codes + [None], dtype="Int64")) == \
            categorical_psi(codes, pd.Series(codes + [np.nan]))

    def test_labels_of_mixed_kinds_are_an_error(self):
        """Text mixed with numbers in one sample (it used to give 2.13) is an error with examples and the fix."""
        with pytest.raises(ValueError, match=r"`reference` mixes numeric labels \(for example 1, 2\.0\) and text "
                                             r"labels \(for example '1', '2'\); labels of different kinds never "
                                             r"match \(1 != '1'\)\. Convert with \.astype\(str\)"):
            categorical_psi([1, "1", 2.0, "2"], [1, 1, 2, 2])

    def test_text_against_numbers_is_an_error(self):
        """Text labels on one side and numbers on the other never match: an error naming both."""
        with pytest.raises(ValueError, match=r"`reference` holds text labels \(for example '1', '2'\) but `current` "
                                             r"holds numeric labels \(for example 1, 2\)"):
            categorical_psi(["1", "2"], [1, 2])

    def test_true_false_are_labels_not_numbers(self):
        """True/False are their own labels; mixed with numbers (True == 1 in Python) they are an error."""
        assert categorical_psi([True, False, None], [False, None, True]) == 0
        with pytest.raises(ValueError, match="`current` mixes True/False labels"):
            categorical_psi([1, 0], [1.0, True, 0])

    def test_dates_are_not_labels(self):
        """Dates are numeric in every function; as labels they are an error with both fixes."""
        with pytest.raises(ValueError, match=r"`reference` holds dates or durations .*pd\.to_datetime.*astype\(str\)"):
            categorical_psi(pd.to_datetime(["2024-01-01", "2024-01-02"]), ["a"])

    @pytest.mark.parametrize("reference", [[], pd.Series([], dtype=str)])
    @pytest.mark.parametrize("current", [[], ["a", "b"]])
    def test_empty(self, reference, current):
        """An empty sample is an error (it used to give NaN, or 0.0 for two empty ones)."""
        with pytest.raises(ValueError, match="`reference` has no values; drift needs data on both sides"):
            categorical_psi(reference, current)

    def test_a_string_is_not_a_sample(self):
        """A string used to be one category (18.4 for 'abc' vs 'abd')."""
        with pytest.raises(ValueError, match="`reference` should be a 1d array-like .* got str instead"):
            categorical_psi("abc", "abd")

    def test_missing_values_are_one_category(self):
        """None, NaN and pd.NA are one category, '(missing)'."""
        assert categorical_psi(["a", None, np.nan], pd.Series(["a", pd.NA, None], dtype="string")) == 0


class TestPsiBand:
    @pytest.mark.parametrize(("psi", "band"), [(0.0, "stable"), (0.0999, "stable"), (0.1, "watch"),
                                               (0.25, "watch"), (0.2501, "drift")])
    def test_thresholds(self, psi, band):
        """0.1 and 0.25 are the band edges."""
        assert psi_band(psi) == band

    @pytest.mark.parametrize("psi", [np.nan, np.float64("nan"), None, pd.NA])
    def test_missing_psi_is_unknown(self, psi):
        """A missing PSI has no band: 'unknown', never 'stable' (as it used to be)."""
        assert psi_band(psi) == "unknown"

    def test_negative_psi_is_an_error(self):
        """PSI is >= 0 by definition; a negative one was computed wrongly (it used to be 'stable')."""
        with pytest.raises(ValueError, match=r"`psi` is >= 0 by definition .* got -0\.01"):
            psi_band(-0.01)

    @pytest.mark.parametrize("psi", ["0.3", True, [0.3]])
    def test_not_a_number(self, psi):
        """Text, booleans and lists are not a PSI."""
        with pytest.raises(ValueError, match="`psi` should be a real number"):
            psi_band(psi)


class TestKsPValue:
    """The fast table's KS p-value against scipy's kstwo.sf(D, round(n m / (n + m))) (ks_2samp's asymp)."""

    @staticmethod
    def scipys(statistic: float, n: int, m: int) -> float:
        return float(kstwo.sf(statistic, np.round(max(n, m) * min(n, m) / (n + m))))

    @pytest.mark.parametrize(("n", "m"), [(2_000, 2_000), (30_001, 59_999), (200_000, 600_000), (1_000_000, 1_000_000),
                                          (4_000_000, 4_000_000)])
    @pytest.mark.parametrize("nd_squared", [0.3, 2.0, 2.2, 5.0, 60.0, 369.0, 371.0])
    def test_agrees_with_scipy(self, n, m, nd_squared):
        """Within 1e-8 relative wherever scipy's is above 1e-300, across Smirnov's band (2.2 <= N D^2 < 370)."""
        effective = round(n * m / (n + m))
        statistic = math.sqrt(nd_squared / effective)
        expected = self.scipys(statistic, n, m)
        if expected > 1e-300:
            assert _ks_p_value(statistic, n, m) == pytest.approx(expected, rel=P_VALUE_RTOL, abs=0)
        else:
            assert _ks_p_value(statistic, n, m) <= 1e-300

    @pytest.mark.parametrize("alpha", [0.05, 0.01, 0.001])
    @pytest.mark.parametrize("n", [20_000, 300_000])
    def test_same_verdict_at_every_threshold(self, alpha, n):
        """Just either side of the statistic where p = alpha, scipy's verdict p < alpha and the fast one agree."""
        low, high = 0.0, 1.0  # bisect the fast p-value for the statistic where it crosses alpha
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if _ks_p_value(middle, n, n) >= alpha else (low, middle)
        for statistic in (low * (1 - 1e-7), high * (1 + 1e-7)):
            expected = self.scipys(statistic, n, n)
            assert (_ks_p_value(statistic, n, n) < alpha) == (expected < alpha)
        assert self.scipys(low * (1 - 1e-7), n, n) >= alpha > self.scipys(high * (1 + 1e-7), n, n)

    def test_one_value_each_side_is_undefined(self):
        """n = m = 1 leaves the asymptotic p-value undefined: NaN, warned, in both tables."""
        reference, current = pd.DataFrame({"x": [1.0]}), pd.DataFrame({"x": [2.0]})
        for table in (drift_table, drift_table_reference):
            with pytest.warns(UndefinedValueWarning, match="Column 'x': one value on each side is too few"):
                assert np.isnan(table(reference, current).loc["x", "p_value"])


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
            "tiny values": lambda n, d: rng.choice([0.0, 1e-300, 2e-300, -1e-300], n,
                                                   p=[0.4 - d / 2, 0.3, 0.2, 0.1 + d / 2]),
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

    def test_range_beyond_the_float_maximum(self):
        """Finite values spanning more than the float maximum: the fast path equals the reference (it used to fail)."""
        rng = np.random.default_rng(12)
        reference = pd.DataFrame({"x": rng.uniform(-1, 1, 3001) * 1.7e308})
        current = pd.DataFrame({"x": np.r_[rng.uniform(-0.8, 1, 2000) * 1.7e308, -1.79e308, 1.79e308]})
        edges = pd.DataFrame({"x": np.r_[[-1e308] * 5, [1e308] * 5, [0.0] * 3]})  # quantiles interpolate across
        for ref, cur in ((reference, current), (edges, current), (reference, edges)):
            assert_tables_agree(drift_table(ref, cur), drift_table_reference(ref, cur))
        assert np.isfinite(drift_table(reference, current).loc["x", "psi"])

    @pytest.mark.parametrize("time_zone", [None, "America/New_York"])
    def test_dates_are_numeric_everywhere(self, time_zone):
        """A date column is numeric in both tables (it used to be one category per timestamp), with its PSI."""
        rng = np.random.default_rng(13)
        start = pd.Timestamp("2024-03-01", tz=time_zone)
        reference = pd.DataFrame({"when": start + pd.to_timedelta(rng.integers(0, 10**6, 3000), unit="s")})
        current = pd.DataFrame({"when": start + pd.to_timedelta(rng.integers(10**5, 10**6, 2000), unit="s")})
        current.loc[::50, "when"] = pd.NaT
        fast, slow = drift_table(reference, current), drift_table_reference(reference, current)
        assert_tables_agree(fast, slow)
        assert slow.loc["when", "kind"] == "numeric" and slow.loc["when", "n_current"] == 1960
        assert slow.loc["when", "psi"] == population_stability_index(reference["when"], current["when"])
        as_objects = reference.astype({"when": object})  # Timestamps in an object column are dates too
        assert_tables_agree(drift_table(as_objects, current), slow)

    def test_integer_codes_as_floats(self):
        """A category column whose codes became floats in the current batch is unchanged (it used to be 'drift')."""
        codes = np.tile([1, 2, 3, 3], 100)
        reference = pd.DataFrame({"code": pd.Categorical(codes)})
        current = pd.DataFrame({"code": pd.Categorical(np.r_[codes.astype(float), np.nan])})
        for table in (drift_table(reference, current), drift_table_reference(reference, current)):
            assert table.loc["code", "psi"] == categorical_psi(codes, np.r_[codes.astype(float), np.nan]) < 0.01
            assert table.loc["code", "band"] == "stable"

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

    def test_mixed_labels_name_the_column(self):
        """A column mixing text and numbers is named as reference['column'] in both tables."""
        reference = pd.DataFrame({"c": pd.Series([1, "1", 2.0, "2"], dtype=object)})
        for table in (drift_table, drift_table_reference):
            with pytest.raises(ValueError, match=r"`reference\['c'\]` mixes numeric labels"):
                table(reference, reference)

    def test_numbers_as_text_in_current(self):
        """A numeric column that arrives as text is named, with the fix."""
        reference, current = pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": ["1", "2"]})
        for table in (drift_table, drift_table_reference):
            with pytest.raises(ValueError, match=r"`current\['x'\]` should hold numbers or dates.*pd\.to_numeric"):
                table(reference, current)

    def test_categorical_current_for_a_numeric_reference(self):
        """A numeric reference column against a categorical current one: named, with both ways out."""
        reference = pd.DataFrame({"x": [1.0, 2.0]})
        current = pd.DataFrame({"x": pd.Categorical([1.0, 2.0])})
        with pytest.raises(ValueError, match=r"`current\['x'\]` should hold numbers or dates, got values of dtype "
                                             r"category .* use categorical_psi .* \.astype\(float\)"):
            drift_table(reference, current)

    def test_columns_as_one_string(self):
        """`columns='x'` is not a list of columns 'x'."""
        with pytest.raises(ValueError, match=r"`columns` should be a list of column names, got str 'x'"):
            drift_table(pd.DataFrame({"x": [1.0]}), pd.DataFrame({"x": [1.0]}), columns="x")

    def test_chosen_columns_only(self):
        """`columns` limits the table to those columns."""
        reference, current = frames(8, 100, 100, 0)
        assert list(drift_table(reference, current, columns=["count"]).index) == ["count"]


@pytest.mark.parametrize("reference, current, problem", [
    ([1, 2], [1, 2, 3], "has 2 bins and `current_counts` 3"),
    ([0, 0], [1, 2], "`reference_counts` holds counts per bin"),
    ([1, -2], [1, 2], "`reference_counts` holds counts per bin"),
    ([1, 2], ["a", "b"], "current_counts"),
    ([], [1], "reference_counts"),
])
def test_psi_from_counts_names_the_bad_histogram(reference, current, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        psi_from_counts(reference, current)


def test_psi_from_counts_is_the_psi_of_the_binned_values():
    rng = np.random.default_rng(0)
    reference, current = rng.normal(size=2000), rng.normal(0.3, 1, size=2000)
    edges = np.quantile(reference, np.linspace(0, 1, 11)[1:-1])
    counts = [np.bincount(np.searchsorted(edges, values), minlength=10) for values in (reference, current)]
    assert psi_from_counts(*counts) == pytest.approx(population_stability_index(reference, current))
