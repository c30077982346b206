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
    ])
    def test_bad_values(self, change, message):
        """Each impossible value is named with what it must be."""
        with pytest.raises(ValueError, match=message):
            MonitoringPolicy.from_dict({**POLICY, **change})

    def test_missing_and_unknown_keys(self):
        """A policy with a missing or misspelt key says which."""
        with pytest.raises(ValueError, match=r"missing \['min_labels'\], unknown \['min_label'\]"):
            MonitoringPolicy.from_dict({**{k: v for k, v in POLICY.items() if k != "min_labels"}, "min_label": 5})

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
