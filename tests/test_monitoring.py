"""Monitoring policies as data, and the month-by-month replay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_health.monitoring import MonitoringPolicy, replay_policy

POLICY = {"psi_alert": 0.25, "f1_drop_alert": 0.1, "label_delay_months": 1, "min_labels": 100}
MONTHS = pd.Index([1, 2, 3, 4], name="month")


def replay(policy=POLICY, psi=(0.01, 0.02, 0.05, 0.4), f1=(0.5, 0.5, 0.4, 0.4), labels=(500, 500, 50, 500)):
    return replay_policy(policy, pd.Series(psi, MONTHS), pd.Series(f1, MONTHS), pd.Series(labels, MONTHS),
                         baseline_f1=0.5)


class TestMonitoringPolicy:
    def test_round_trip(self):
        """A policy dict becomes a policy and back."""
        assert MonitoringPolicy.from_dict(POLICY).to_dict() == POLICY

    @pytest.mark.parametrize(("change", "message"), [
        ({"psi_alert": 0}, "'psi_alert' must be > 0"),
        ({"f1_drop_alert": 1.5}, r"'f1_drop_alert' must be in \(0, 1\)"),
        ({"label_delay_months": 0.5}, "'label_delay_months' must be a whole number"),
        ({"min_labels": 0}, "'min_labels' must be >= 1"),
        ({"min_labels": True}, "'min_labels' must be a number"),
        ({"psi_alert": float("nan")}, "'psi_alert' must be a finite number"),
        ({"f1_drop_alert": np.nan}, "'f1_drop_alert' must be a finite number"),
        ({"min_labels": float("inf")}, "'min_labels' must be a finite number"),
        ({"psi_alert": "0.25"}, "'psi_alert' must be a number"),
        ({"label_delay_months": None}, "'label_delay_months' must be a number"),
    ])
    def test_bad_values(self, change, message):
        """Each impossible value is named with what it must be."""
        with pytest.raises(ValueError, match=message):
            MonitoringPolicy.from_dict({**POLICY, **change})

    def test_missing_and_unknown_keys(self):
        """A policy with a missing or misspelt key says which."""
        with pytest.raises(ValueError, match=r"missing \['min_labels'\], unknown \['min_label'\]"):
            MonitoringPolicy.from_dict({**{k: v for k, v in POLICY.items() if k != "min_labels"}, "min_label": 5})

    def test_nan_rejected_when_built_directly(self):
        """The dataclass itself rejects NaN, not only from_dict: a NaN threshold would never fire."""
        with pytest.raises(ValueError, match="'psi_alert' must be a finite number"):
            MonitoringPolicy(psi_alert=np.nan, f1_drop_alert=0.1, label_delay_months=1, min_labels=100)

    def test_not_a_dict(self):
        """A list is not a policy."""
        with pytest.raises(ValueError, match="should be a dict, got list"):
            MonitoringPolicy.from_dict([0.25])


class TestReplayPolicy:
    def test_psi_alerts_at_once(self):
        """Input drift alerts in the month it happens."""
        result = replay()
        assert result.loc[4, "alert"] and result.loc[4, "reason"].startswith("input drift")

    def test_f1_seen_only_after_the_delay_and_with_enough_labels(self):
        """Month 3's low F1 has too few labels; nothing about F1 is seen in month 1."""
        result = replay()
        assert np.isnan(result.loc[1, "f1_seen"])
        assert np.isnan(result.loc[4, "f1_seen"])  # month 3 had 50 labels < 100
        assert not result.loc[1:3, "alert"].any()

    def test_f1_drop_alert(self):
        """F1 more than f1_drop_alert below baseline alerts once its labels arrive."""
        result = replay(labels=(500, 500, 500, 500), psi=(0.01,) * 4)
        assert result["alert"].tolist() == [False, False, False, True]
        assert result.loc[4, "reason"] == "F1 drop"

    def test_status_when_every_check_is_made(self):
        """Months without an alert are 'ok', months with one are 'alert'; the reason names what fired."""
        result = replay(labels=(500, 500, 500, 500))
        assert result["status"].tolist() == ["ok", "ok", "ok", "alert"]
        assert result.loc[4, "reason"] == "input drift + F1 drop"


class TestReplayUnknown:
    """A check that cannot be made is reported as unknown, never read as 'no alert'."""

    def test_nan_psi_is_unknown(self):
        """A NaN max PSI (e.g. a failed drift job) makes the month unknown, with the reason."""
        result = replay(psi=(0.01, np.nan, 0.05, 0.4))
        assert result.loc[2, "status"] == "unknown" and not result.loc[2, "alert"]
        assert result.loc[2, "reason"] == "drift unknown (no PSI for month 2)"

    def test_missing_psi_month_is_unknown(self):
        """A month with labels but no PSI row still gets a row, and it says the drift check is unknown."""
        result = replay_policy(POLICY, pd.Series([0.01, 0.02, 0.4], [1, 2, 4]), pd.Series([0.5] * 4, MONTHS),
                               pd.Series([500] * 4, MONTHS), baseline_f1=0.5)
        assert result.index.tolist() == [1, 2, 3, 4]
        assert result.loc[3, "status"] == "unknown" and np.isnan(result.loc[3, "max_psi"])

    def test_nan_f1_with_enough_labels_is_unknown(self):
        """F1 that should be visible (500 labels >= 100) but is NaN is unknown, not 'no drop'."""
        result = replay(f1=(0.5, np.nan, 0.5, 0.5), labels=(500,) * 4, psi=(0.01,) * 4)
        assert result.loc[3, "status"] == "unknown"
        assert result.loc[3, "reason"] == "F1 unknown (month 2 has 500 labels but no F1)"
        assert result.loc[[2, 4], "status"].tolist() == ["ok", "ok"]

    def test_missing_label_count_is_unknown(self):
        """A month inside the replay without a label count cannot say whether F1 is visible."""
        result = replay_policy(POLICY, pd.Series([0.01] * 4, MONTHS), pd.Series([0.5] * 4, MONTHS),
                               pd.Series([500, 500, 500], [1, 3, 4]), baseline_f1=0.5)
        assert result.loc[3, "status"] == "unknown" and "no label count for month 2" in result.loc[3, "reason"]

    def test_too_few_labels_is_not_unknown(self):
        """F1 hidden by design (too few labels, or before the delay) is not an unknown check."""
        result = replay(psi=(0.01,) * 4)
        assert result["status"].tolist() == ["ok"] * 4

    def test_alert_wins_over_unknown(self):
        """A month where drift fires and F1 is unknown is an alert, and the reason says both."""
        result = replay(f1=(0.5, 0.5, np.nan, 0.5), labels=(500,) * 4)
        assert result.loc[4, "status"] == "alert" and result.loc[4, "alert"]
        assert result.loc[4, "reason"] == "input drift + F1 unknown (month 3 has 500 labels but no F1)"

    def test_nullable_series(self):
        """pd.NA in a nullable Float64 Series counts as NaN."""
        result = replay_policy(POLICY, pd.Series([0.01, pd.NA, 0.05, 0.4], MONTHS, dtype="Float64"),
                               pd.Series([0.5] * 4, MONTHS), pd.Series([500] * 4, MONTHS, dtype="Int64"),
                               baseline_f1=0.5)
        assert result.loc[2, "status"] == "unknown"


class TestReplayValidation:
    @pytest.mark.parametrize("baseline", [np.nan, 5, 0, -0.1, float("inf")])
    def test_baseline_f1_out_of_range(self, baseline):
        """A NaN baseline (F1 would never alert) or one outside (0, 1] is an error."""
        with pytest.raises(ValueError, match="`baseline_f1`"):
            replay_policy(POLICY, pd.Series([0.01] * 4, MONTHS), pd.Series([0.1] * 4, MONTHS),
                          pd.Series([500] * 4, MONTHS), baseline_f1=baseline)

    @pytest.mark.parametrize("baseline", ["0.5", None, True, pd.NA])
    def test_baseline_f1_not_a_number(self, baseline):
        """Text, None, booleans and pd.NA are named as what they are."""
        with pytest.raises(ValueError, match="`baseline_f1` should be a real number, got"):
            replay_policy(POLICY, pd.Series([0.01] * 4, MONTHS), pd.Series([0.1] * 4, MONTHS),
                          pd.Series([500] * 4, MONTHS), baseline_f1=baseline)

    @pytest.mark.parametrize(("argument", "value", "message"), [
        ("max_psi_by_month", [0.1, 0.2, 0.3, 0.4], "`max_psi_by_month` should be a pandas Series indexed by month"),
        ("max_psi_by_month", pd.Series(dtype=float), "`max_psi_by_month` is empty"),
        ("max_psi_by_month", pd.Series(["0.1"] * 4, MONTHS),
         r"`max_psi_by_month` should hold numbers, got (dtype str|str '0.1').*pd.to_numeric"),
        ("max_psi_by_month", pd.Series([0.1, "0.1", 0.1, 0.1], MONTHS, dtype=object),
         r"should hold numbers, got str '0.1' at index 2"),
        ("max_psi_by_month", pd.Series([True] * 4, MONTHS), "should hold numbers, got dtype bool"),
        ("max_psi_by_month", pd.Series([0.1] * 4, ["jan", "feb", "mar", "apr"]), "whole month numbers"),
        ("max_psi_by_month", pd.Series([0.1] * 4, [1, 1, 2, 3]), r"repeated index value\(s\) \[1\]"),
        ("max_psi_by_month", pd.Series([0.1, -0.2, 0.1, 0.1], MONTHS), "`max_psi_by_month` has an impossible value"),
        ("f1_by_month", pd.Series([0.5, 1.5, 0.5, 0.5], MONTHS), "`f1_by_month` has an impossible value 1.5"),
        ("labels_by_month", pd.Series([500, -1, 500, 500], MONTHS), "`labels_by_month` has an impossible value"),
        ("labels_by_month", pd.Series([500, 2.5, 500, 500], MONTHS), "`labels_by_month` has an impossible value"),
    ])
    def test_series(self, argument, value, message):
        """Each Series is checked: a Series, numeric, indexed by whole months, values in range."""
        series = {"max_psi_by_month": pd.Series([0.01] * 4, MONTHS), "f1_by_month": pd.Series([0.5] * 4, MONTHS),
                  "labels_by_month": pd.Series([500] * 4, MONTHS), argument: value}
        with pytest.raises(ValueError, match=message):
            replay_policy(POLICY, baseline_f1=0.5, **series)
