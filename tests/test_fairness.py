"""Group rates and disparity summaries agree with hand computation and with fairlearn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

from model_health.fairness import GROUP_RATE_METRICS, disparity_summary, group_rates


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
        from model_health.fairness import intersectional_rates

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
        from model_health.fairness import intersectional_rates

        table = intersectional_rates(y_true, y_pred, groups)
        assert (table["selection_rate_low"] <= table["selection_rate"]).all()
        assert (table["selection_rate"] <= table["selection_rate_high"]).all()
        width = table["selection_rate_high"] - table["selection_rate_low"]
        assert width.loc[table["n"].idxmin()] > width.loc[table["n"].idxmax()]

    def test_not_a_dataframe(self):
        """A single Series is rejected with the shape to use."""
        from model_health.fairness import intersectional_rates

        with pytest.raises(ValueError, match="one column per attribute"):
            intersectional_rates([1, 0], [1, 0], pd.Series(["a", "b"]))

    def test_nan_group(self):
        """A missing attribute value is named with its column."""
        from model_health.fairness import intersectional_rates

        with pytest.raises(ValueError, match=r"sensitive_features\['sex'\]` contains 1 missing"):
            intersectional_rates([1, 0], [1, 0], pd.DataFrame({"sex": ["f", None]}))


class TestAif360GroupMetrics:
    def test_matches_hand_computation(self, random_groups):
        """Disparate impact, parity, equal opportunity and average odds equal their definitions."""
        from model_health.fairness import aif360_group_metrics

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
        from model_health.fairness import aif360_group_metrics

        with pytest.raises(ValueError, match=r"must split `protected` into two non-empty groups.*\['f', 'm'\]"):
            aif360_group_metrics([1, 0], [1, 0], ["f", "m"], privileged="x")

    def test_single_class_group(self):
        """A group with one class in y_true cannot have error rates."""
        from model_health.fairness import aif360_group_metrics

        with pytest.raises(ValueError, match="privileged group has a single class"):
            aif360_group_metrics([1, 1, 1, 0], [1, 0, 1, 0], ["m", "m", "f", "f"], privileged="m")
