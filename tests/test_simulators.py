"""The credit-portfolio simulator's stated properties: its drift story is true and reproducible."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import f1_score

from model_health.drift import drift_table
from model_health.simulators import credit_model, simulate_credit_portfolio


@pytest.fixture(scope="module")
def portfolio():
    return simulate_credit_portfolio()


def f1_by_month(portfolio) -> dict[int, float]:
    features = list(portfolio.features)
    model = credit_model(portfolio.seed).fit(portfolio.training[features], portfolio.training["default"])
    return {month: f1_score(portfolio.month(month)["default"], model.predict(portfolio.month(month)[features]))
            for month in range(1, 7)}


def relative_drop(f1: dict[int, float]) -> float:
    return 1 - f1[6] / ((f1[1] + f1[2]) / 2)


class TestCreditPortfolio:
    def test_reproducible(self, portfolio):
        """The same seed gives the same rows; another seed other rows."""
        again = simulate_credit_portfolio()
        pd.testing.assert_frame_equal(portfolio.production, again.production)
        assert not simulate_credit_portfolio(seed=1).production.equals(portfolio.production)

    def test_shape(self, portfolio):
        """A training window and six monthly batches, with the target and the month."""
        assert len(portfolio.training) == 20_000
        assert portfolio.production.groupby("month").size().to_dict() == {m: 6_000 for m in range(1, 7)}
        assert set(portfolio.features) | {"month", "default"} == set(portfolio.production.columns)

    def test_drifted_features_have_the_largest_psi(self, portfolio):
        """In month 6 the drifted features are exactly the ones in the drift band, and rank first."""
        features = list(portfolio.features)
        table = drift_table(portfolio.training[features], portfolio.month(6)[features])
        assert set(table.index[:3]) == set(portfolio.drifted_features)
        assert set(table.index[table["band"] == "drift"]) == set(portfolio.drifted_features)

    def test_no_drift_before_the_downturn(self, portfolio):
        """Before shift_month every feature is stable."""
        features = list(portfolio.features)
        for month in range(1, portfolio.shift_month):
            table = drift_table(portfolio.training[features], portfolio.month(month)[features])
            assert (table["band"] == "stable").all(), month

    def test_f1_falls_by_the_documented_amount(self, portfolio):
        """The deployed model loses about 15% of its F1 by month 6 (documented: 10% to 22%)."""
        assert 0.10 <= relative_drop(f1_by_month(portfolio)) <= 0.22

    def test_no_downturn_no_drop(self):
        """With severity 0 nothing drifts and F1 holds."""
        calm = simulate_credit_portfolio(severity=0)
        assert abs(relative_drop(f1_by_month(calm))) < 0.06
        assert calm.downturn_strength(6) == 0

    def test_downturn_strength_ramps(self, portfolio):
        """Zero before shift_month, rising over ramp_months, then full."""
        assert [portfolio.downturn_strength(m) for m in range(1, 7)] == pytest.approx([0, 0, 1 / 3, 2 / 3, 1, 1])

    def test_month_errors(self, portfolio):
        """Asking for a month that does not exist names the valid ones."""
        with pytest.raises(ValueError, match=r"production month \[1, 2, 3, 4, 5, 6\], got 9"):
            portfolio.month(9)

    @pytest.mark.parametrize(("kwargs", "message"), [
        (dict(shift_month=0), "`shift_month` must be between 1"),
        (dict(severity=-1), "`severity` must be >= 0"),
        (dict(ramp_months=0), "`ramp_months` >= 1"),
    ])
    def test_bad_arguments(self, kwargs, message):
        """Impossible stories are rejected with the argument named."""
        with pytest.raises(ValueError, match=message):
            simulate_credit_portfolio(**kwargs)
