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
