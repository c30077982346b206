"""Group rates and disparity summaries agree with hand computation and with fairlearn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

from model_health.exceptions import UndefinedValueWarning
from model_health.fairness import (
    GROUP_RATE_METRICS,
    aif360_group_metrics,
    disparity_summary,
    group_rates,
    intersectional_rates,
)

# Group 'm' has no positives and group 'x' no negatives; 'f' has both.
Y_TRUE = [1, 0, 1, 0, 0, 0, 1, 1]
Y_PRED = [1, 0, 0, 1, 1, 0, 1, 0]
GROUPS = ["f", "f", "f", "f", "m", "m", "x", "x"]


@pytest.fixture
def random_groups():
    rng = np.random.default_rng(1)
    return rng.integers(0, 2, 400), rng.integers(0, 2, 400), pd.Series(rng.choice(["f", "m", "x"], 400), name="sex")


class TestGroupRates:
    def test_matches_pandas(self, random_groups):
        """Each rate equals the per-group rate computed by hand."""
        y_true, y_pred, sex = random_groups
        frame = pd.DataFrame({"t": y_true, "p": y_pred, "g": sex})
        by_group = group_rates(y_true, y_pred, sex).by_group
        assert list(by_group.columns) == list(GROUP_RATE_METRICS)
        for group, rows in frame.groupby("g"):
            positives, negatives = rows[rows.t == 1], rows[rows.t == 0]
            assert by_group.loc[group, "selection_rate"] == pytest.approx(rows.p.mean())
            assert by_group.loc[group, "tpr"] == pytest.approx(positives.p.mean())
            assert by_group.loc[group, "fnr"] == pytest.approx(1 - positives.p.mean())
            assert by_group.loc[group, "fpr"] == pytest.approx(negatives.p.mean())

    def test_index_named_after_series(self, random_groups):
        """The group index carries the sensitive feature's name."""
        y_true, y_pred, sex = random_groups
        assert group_rates(y_true, y_pred, sex).by_group.index.name == "sex"

    def test_single_class(self):
        """TPR needs both classes in y_true."""
        with pytest.raises(ValueError, match="single class"):
            group_rates([1, 1], [1, 0], ["a", "b"])

    def test_length_mismatch(self):
        """Groups from another split are caught."""
        with pytest.raises(ValueError, match="same length"):
            group_rates([1, 0], [1, 0], ["a", "b", "b"])

    def test_nan_group(self):
        """A missing group label is rejected."""
        with pytest.raises(ValueError, match="missing group label"):
            group_rates([1, 0], [1, 0], ["a", np.nan])


    def test_rate_without_its_class_is_nan(self):
        """TPR/FNR of a group without positives and FPR of one without negatives are NaN, not 0.0."""
        with pytest.warns(UndefinedValueWarning) as caught:
            by_group = group_rates(Y_TRUE, Y_PRED, GROUPS).by_group
        assert by_group.loc[["m"], ["tpr", "fnr"]].isna().all(axis=None)
        assert np.isnan(by_group.loc["x", "fpr"])
        assert by_group.loc["f"].notna().all() and by_group.loc["x", ["tpr", "fnr"]].notna().all()
        message = str(caught[0].message)
        assert "TPR/FNR undefined for group(s) ['m'] (no positives in `y_true`)" in message
        assert "FPR undefined for group(s) ['x'] (no negatives in `y_true`)" in message

    def test_defined_rates_unchanged(self):
        """Where every rate is defined, the numbers are fairlearn's own, bit for bit."""
        from fairlearn.metrics import MetricFrame, false_negative_rate, false_positive_rate, true_positive_rate

        rng = np.random.default_rng(5)
        y_true, y_pred, groups = rng.integers(0, 2, 300), rng.integers(0, 2, 300), rng.choice(["a", "b"], 300)
        reference = MetricFrame(metrics={"tpr": true_positive_rate, "fnr": false_negative_rate,
                                         "fpr": false_positive_rate}, y_true=y_true, y_pred=y_pred,
                                sensitive_features=groups).by_group
        pd.testing.assert_frame_equal(group_rates(y_true, y_pred, groups).by_group[["tpr", "fnr", "fpr"]], reference)

    @pytest.mark.parametrize(("arguments", "message"), [
        (([1, 0], ["1", "0"], ["a", "b"]), "numbers stored as text"),
        (([1, 0], [1, 0], pd.Series(["a", pd.NA], dtype="string")), "missing group label"),
        (([1, 0], [1, 0], np.array([["a"], ["b"]])), r"`sensitive_features` should be a 1d array"),
        (([1, 0], pd.Series([1, pd.NA], dtype="Int64"), ["a", "b"]), r"`y_pred` contains 1 NaN"),
        (([1, 0], [1, 0], None), "`sensitive_features` should be a 1d array-like"),
    ])
    def test_bad_inputs(self, arguments, message):
        """Text numbers, pd.NA, 2-D groups and None name the argument."""
        with pytest.raises(ValueError, match=message):
            group_rates(*arguments)


class TestDisparitySummary:
    def test_matches_fairlearn(self, random_groups):
        """Both numbers are fairlearn's, and non-negative."""
        y_true, y_pred, sex = random_groups
        summary = disparity_summary(y_true, y_pred, sex)
        assert summary["demographic_parity_difference"] == pytest.approx(
            demographic_parity_difference(y_true, y_pred, sensitive_features=sex))
        assert summary["equalized_odds_difference"] == pytest.approx(
            equalized_odds_difference(y_true, y_pred, sensitive_features=sex))
        assert min(summary.values()) >= 0


    def test_equalized_odds_undefined_when_a_rate_is(self):
        """A group without positives has no TPR, so equalized odds is NaN (fairlearn alone gives a number)."""
        assert equalized_odds_difference(Y_TRUE, Y_PRED, sensitive_features=GROUPS) > 0
        with pytest.warns(UndefinedValueWarning, match=r"equalized odds difference is NaN because TPR/FNR undefined "
                                                       r"for group\(s\) \['m'\]"):
            summary = disparity_summary(Y_TRUE, Y_PRED, GROUPS)
        assert np.isnan(summary["equalized_odds_difference"])
        assert summary["demographic_parity_difference"] == pytest.approx(
            demographic_parity_difference(Y_TRUE, Y_PRED, sensitive_features=GROUPS))

    def test_single_group(self):
        """One group has no disparity to measure (fairlearn alone says 0)."""
        with pytest.raises(ValueError, match=r"`sensitive_features` holds a single group \('a'\); a disparity "
                                             "compares groups, so it needs at least two"):
            disparity_summary([1, 0, 1], [1, 1, 0], ["a", "a", "a"])


class TestIntersectionalRates:
    @pytest.fixture
    def audit(self):
        rng = np.random.default_rng(3)
        n = 2000
        groups = pd.DataFrame({"sex": rng.choice(["f", "m"], n, p=[0.3, 0.7]),
                               "age_band": rng.choice(["<25", "25-50", ">50"], n, p=[0.1, 0.6, 0.3])})
        y_true = rng.integers(0, 2, n)
        y_pred = (rng.random(n) < 0.3 + 0.3 * y_true + 0.1 * (groups["sex"] == "m")).astype(int)
        return y_true, y_pred, groups

    def test_matches_groupby(self, audit):
        """Counts, selection rates and TPRs equal a pandas groupby over the combinations."""
        y_true, y_pred, groups = audit
        table = intersectional_rates(y_true, y_pred, groups, min_group_size=100)
        frame = groups.assign(t=y_true, p=y_pred)
        for (sex, band), rows in frame.groupby(["sex", "age_band"]):
            row = table.loc[(sex, band)]
            assert row["n"] == len(rows)
            assert row["selection_rate"] == pytest.approx(rows.p.mean())
            assert row["tpr"] == pytest.approx(rows[rows.t == 1].p.mean())
            assert row["reliable"] == (len(rows) >= 100)

    def test_intervals_contain_the_estimate_and_shrink_with_n(self, audit):
        """Each Wilson interval brackets its rate; small groups get wider intervals."""
        y_true, y_pred, groups = audit
        table = intersectional_rates(y_true, y_pred, groups)
        assert (table["selection_rate_low"] <= table["selection_rate"]).all()
        assert (table["selection_rate"] <= table["selection_rate_high"]).all()
        width = table["selection_rate_high"] - table["selection_rate_low"]
        assert width.loc[table["n"].idxmin()] > width.loc[table["n"].idxmax()]

    def test_not_a_dataframe(self):
        """A single Series is rejected with the shape to use."""
        with pytest.raises(ValueError, match="one column per attribute"):
            intersectional_rates([1, 0], [1, 0], pd.Series(["a", "b"]))

    def test_nan_group(self):
        """A missing attribute value is named with its column."""
        with pytest.raises(ValueError, match=r"sensitive_features\['sex'\]` contains 1 missing"):
            intersectional_rates([1, 0], [1, 0], pd.DataFrame({"sex": ["f", None]}))


    def test_cell_without_positives_has_nan_tpr(self):
        """A combination with no positives has TPR NaN (not 0) and no interval, with a warning naming it."""
        groups = pd.DataFrame({"sex": ["f", "f", "m", "m", "m"], "young": [1, 1, 0, 0, 0]})
        with pytest.warns(UndefinedValueWarning, match=r"tpr and its interval are NaN for group\(s\) \[\('m', 0\)\]"):
            table = intersectional_rates([1, 0, 0, 0, 0], [1, 0, 1, 0, 0], groups, min_group_size=1)
        assert table.loc[("m", 0), ["tpr", "tpr_low", "tpr_high"]].isna().all()
        assert table.loc[("f", 1), "tpr"] == 1.0

    def test_a_combination_without_rows_is_kept_and_named(self):
        """Each value occurs but never together: the row stays, with n 0 and NaN rates, and a warning names it
        (it was dropped without a word)."""
        groups = pd.DataFrame({"sex": ["f", "f", "m", "m"], "young": [1, 1, 1, 0]})
        with pytest.warns(UndefinedValueWarning, match=r"group\(s\) \[\('f', 0\)\] have no rows"):
            table = intersectional_rates([1, 0, 1, 0], [1, 0, 0, 1], groups, min_group_size=1)
        assert table.loc[("f", 0), "n"] == 0 and not table.loc[("f", 0), "reliable"]
        assert table.loc[("f", 0)].drop(["n", "positives", "reliable"]).isna().all()
        assert len(table) == 4 and table.drop(index=[("f", 0)])["selection_rate"].notna().all()

    def test_an_unused_category_is_an_error_as_in_group_rates(self):
        """A category with no rows at all is refused with the fix, not silently left out."""
        groups = pd.DataFrame({"sex": pd.Categorical(["f", "f", "m", "m"], categories=["f", "m", "x"])})
        with pytest.raises(ValueError, match=r"`sensitive_features\['sex'\]` has groups with fewer than 1 row\(s\): "
                                             r"'x' \(0 rows\)\. Drop unused categories"):
            intersectional_rates([1, 0, 1, 0], [1, 0, 0, 1], groups)

    @pytest.mark.parametrize(("options", "message"), [
        ({"confidence": "0.95"}, "`confidence` should be a real number, got str"),
        ({"confidence": 1.0}, r"`confidence` must be in \(0, 1\)"),
        ({"min_group_size": 2.5}, "`min_group_size` should be a whole number >= 1"),
        ({"min_group_size": None}, "`min_group_size` should be a real number"),
    ])
    def test_options(self, options, message):
        """Options given as text, None or out of range name the option."""
        with pytest.raises(ValueError, match=message):
            intersectional_rates([1, 0], [1, 0], pd.DataFrame({"sex": ["f", "m"]}), **options)


class TestAif360GroupMetrics:
    def test_matches_hand_computation(self, random_groups):
        """Disparate impact, parity, equal opportunity and average odds equal their definitions."""
        y_true, y_pred, sex = random_groups
        metrics = aif360_group_metrics(y_true, y_pred, sex, privileged="m")
        frame = pd.DataFrame({"t": y_true, "p": y_pred, "priv": sex == "m"})
        rates = {}
        for privileged, rows in frame.groupby("priv"):
            rates[privileged] = (rows.p.mean(), rows[rows.t == 1].p.mean(), rows[rows.t == 0].p.mean())
        (sr_u, tpr_u, fpr_u), (sr_p, tpr_p, fpr_p) = rates[False], rates[True]
        assert metrics["disparate_impact"] == pytest.approx(sr_u / sr_p)
        assert metrics["statistical_parity_difference"] == pytest.approx(sr_u - sr_p)
        assert metrics["equal_opportunity_difference"] == pytest.approx(tpr_u - tpr_p)
        assert metrics["average_odds_difference"] == pytest.approx(((fpr_u - fpr_p) + (tpr_u - tpr_p)) / 2)

    def test_privileged_value_must_split_the_groups(self):
        """A privileged value that is absent is named with the values present."""
        with pytest.raises(ValueError, match=r"must split `protected` into two non-empty groups.*\['f', 'm'\]"):
            aif360_group_metrics([1, 0], [1, 0], ["f", "m"], privileged="x")

    def test_single_class_group(self):
        """A group with one class in y_true cannot have error rates."""
        with pytest.raises(ValueError, match="privileged group has a single class"):
            aif360_group_metrics([1, 1, 1, 0], [1, 0, 1, 0], ["m", "m", "f", "f"], privileged="m")

    def test_disparate_impact_without_privileged_selections(self):
        """No privileged group member is selected: the ratio is undefined (NaN), not a division error."""
        with pytest.warns(UndefinedValueWarning, match="disparate impact is NaN because the privileged group"):
            metrics = aif360_group_metrics([1, 0, 1, 0], [1, 0, 0, 0], ["f", "f", "m", "m"], privileged="m")
        assert np.isnan(metrics["disparate_impact"])
        assert metrics["statistical_parity_difference"] == pytest.approx(0.5)

    @pytest.mark.parametrize("privileged", [None, pd.NA, ["m"]])
    def test_privileged_must_be_one_value(self, privileged):
        """None, pd.NA or a list is named as not a value of `protected`."""
        with pytest.raises(ValueError, match="`privileged` should be one value of `protected`"):
            aif360_group_metrics([1, 0, 1, 0], [1, 0, 1, 0], ["f", "f", "m", "m"], privileged=privileged)


def test_aif360_reweighing_weights_make_label_and_group_independent():
    from model_health.fairness import aif360_reweighing_weights

    groups = np.array(["a"] * 6 + ["b"] * 4)
    labels = np.array([1, 1, 1, 1, 1, 0, 1, 0, 0, 0])
    weights = aif360_reweighing_weights(groups, labels, privileged="a")
    weighted_rate = {group: np.average(labels[groups == group], weights=weights[groups == group]) for group in "ab"}
    assert weighted_rate["a"] == pytest.approx(weighted_rate["b"]) == pytest.approx(labels.mean())
    with pytest.raises(ValueError, match="two non-empty groups"):
        aif360_reweighing_weights(groups, labels, privileged="c")
    with pytest.raises(ValueError, match="same length|length"):
        aif360_reweighing_weights(groups[:5], labels, privileged="a")
