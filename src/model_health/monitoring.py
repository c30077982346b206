"""Monitoring policies as data, and a replay that says what a policy would have done.

A policy is a small dict (so it can live in a config file)::

    {"psi_alert": 0.25, "f1_drop_alert": 0.10, "label_delay_months": 1, "min_labels": 500}

Each month the replay checks input drift at once (the largest PSI of any feature against
the training window) and performance as soon as labels arrive (``label_delay_months``
later, only with at least ``min_labels`` outcomes): an alert fires when the largest PSI
exceeds ``psi_alert`` or F1 falls more than ``f1_drop_alert`` below the baseline F1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

__all__ = ["MonitoringPolicy", "replay_policy"]


@dataclass(frozen=True)
class MonitoringPolicy:
    """Alert thresholds and the data a check needs. See the module docstring."""

    psi_alert: float
    f1_drop_alert: float
    label_delay_months: int
    min_labels: int

    def __post_init__(self) -> None:
        checks = {
            "psi_alert": 0 < self.psi_alert,
            "f1_drop_alert": 0 < self.f1_drop_alert < 1,
            "label_delay_months": self.label_delay_months >= 0 and float(self.label_delay_months).is_integer(),
            "min_labels": self.min_labels >= 1,
        }
        expected = {"psi_alert": "> 0", "f1_drop_alert": "in (0, 1)", "label_delay_months": "a whole number >= 0",
                    "min_labels": ">= 1"}
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"'{name}' must be {expected[name]} (got {getattr(self, name)!r}).")

    @classmethod
    def from_dict(cls, policy: dict) -> MonitoringPolicy:
        """Build a policy from a dict, naming any missing or unknown key.

        Examples
        --------
        >>> MonitoringPolicy.from_dict({"psi_alert": 0.25, "f1_drop_alert": 0.1,
        ...                             "label_delay_months": 1, "min_labels": 500}).psi_alert
        0.25
        """
        if not isinstance(policy, dict):
            raise ValueError(f"A policy should be a dict, got {type(policy).__name__}.")
        names = [field.name for field in fields(cls)]
        missing = [name for name in names if name not in policy]
        unknown = [key for key in policy if key not in names]
        if missing or unknown:
            raise ValueError(f"A policy needs exactly the keys {names}; missing {missing}, unknown {unknown}.")
        for name in names:
            value = policy[name]
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ValueError(f"'{name}' must be a number (got {value!r}).")
        return cls(**{name: policy[name] for name in names})

    def to_dict(self) -> dict:
        return asdict(self)


def replay_policy(policy: dict | MonitoringPolicy, max_psi_by_month: pd.Series, f1_by_month: pd.Series,
                  labels_by_month: pd.Series, *, baseline_f1: float) -> pd.DataFrame:
    """Replay ``policy`` month by month; one row per month with what it saw and whether it alerted.

    ``max_psi_by_month``, ``f1_by_month`` and ``labels_by_month`` are indexed by month.
    F1 of month ``k`` becomes visible in month ``k + label_delay_months``.

    Examples
    --------
    >>> months = pd.Index([1, 2, 3], name="month")
    >>> replay = replay_policy({"psi_alert": 0.25, "f1_drop_alert": 0.1, "label_delay_months": 1,
    ...                         "min_labels": 10}, pd.Series([0.01, 0.3, 0.5], months),
    ...                        pd.Series([0.5, 0.5, 0.4], months), pd.Series([100] * 3, months), baseline_f1=0.5)
    >>> replay["alert"].tolist()
    [False, True, True]
    """
    policy = policy if isinstance(policy, MonitoringPolicy) else MonitoringPolicy.from_dict(policy)
    rows = []
    for month in max_psi_by_month.index:
        labelled = month - policy.label_delay_months
        f1_seen = (f1_by_month.get(labelled, np.nan)
                   if labels_by_month.get(labelled, 0) >= policy.min_labels else np.nan)
        psi_alert = bool(max_psi_by_month[month] > policy.psi_alert)
        f1_alert = bool(np.isfinite(f1_seen) and f1_seen < (1 - policy.f1_drop_alert) * baseline_f1)
        reasons = [r for r, fired in (("input drift", psi_alert), ("F1 drop", f1_alert)) if fired]
        rows.append({"month": month, "max_psi": float(max_psi_by_month[month]), "f1_seen": f1_seen,
                     "alert": psi_alert or f1_alert, "reason": " + ".join(reasons)})
    return pd.DataFrame(rows).set_index("month")
