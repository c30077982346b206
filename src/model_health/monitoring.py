"""Monitoring policies as data, and a replay that says what a policy would have done.

A policy is a small dict (so it can live in a config file)::

    {"psi_alert": 0.25, "f1_drop_alert": 0.10, "label_delay_months": 1, "min_labels": 500}

Each month the replay checks input drift at once (the largest PSI of any feature against
the training window) and performance as soon as labels arrive (``label_delay_months``
later, only with at least ``min_labels`` outcomes): an alert fires when the largest PSI
exceeds ``psi_alert`` or F1 falls more than ``f1_drop_alert`` below the baseline F1.

A check that cannot be made is never read as "no alert": a month without a PSI (missing or
NaN), or whose F1 should be visible (enough labels) but is missing or NaN, has status
"unknown" and a reason saying which check could not be made and why.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from model_health._validation import as_numeric_series, as_real_number

__all__ = ["MonitoringPolicy", "replay_policy"]


@dataclass(frozen=True)
class MonitoringPolicy:
    """Alert thresholds and the data a check needs. See the module docstring."""

    psi_alert: float
    f1_drop_alert: float
    label_delay_months: int
    min_labels: int

    def __post_init__(self) -> None:
        for name in ("psi_alert", "f1_drop_alert", "label_delay_months", "min_labels"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ValueError(f"'{name}' must be a number (got {value!r}).")
            if not math.isfinite(value):
                raise ValueError(f"'{name}' must be a finite number (got {value!r}): a NaN threshold never fires.")
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
        return cls(**{name: policy[name] for name in names})

    def to_dict(self) -> dict:
        return asdict(self)


def _as_months(name: str, values) -> pd.Series:
    """A numeric Series indexed by whole month numbers (the replay subtracts the label delay from them)."""
    series = as_numeric_series(name, values)
    if not pd.api.types.is_integer_dtype(series.index.dtype):
        raise ValueError(f"`{name}` should be indexed by whole month numbers (1, 2, ...), got an index of dtype "
                         f"{series.index.dtype} (for example {series.index[0]!r}).")
    return series


def _range_error(name: str, series: pd.Series, valid) -> None:
    """Raise a ValueError naming the first month of ``series`` whose value is outside ``valid``."""
    invalid = series.notna() & ~valid
    if invalid.any():
        month = series.index[invalid][0].item()
        raise ValueError(f"`{name}` has an impossible value {series[month].item()!r} in month {month}.")


def _drift_check(max_psi: float, policy: MonitoringPolicy, month) -> tuple[bool | None, str]:
    """(alert fired, or None when unknown; reason) for the input-drift check."""
    if math.isnan(max_psi):
        return None, f"drift unknown (no PSI for month {month})"
    return max_psi > policy.psi_alert, "input drift"


def _f1_check(f1: pd.Series, labels: pd.Series, labelled, policy: MonitoringPolicy, baseline_f1: float
              ) -> tuple[float, bool | None, str]:
    """(F1 seen or NaN, alert fired or None when unknown, reason) for the F1 check of the month ``labelled``."""
    n_labels = float(labels.get(labelled, np.nan))
    if math.isnan(n_labels):
        return np.nan, None, f"F1 unknown (no label count for month {labelled})"
    if n_labels < policy.min_labels:
        return np.nan, False, ""  # too few labels: by design, F1 is not read yet
    f1_seen = float(f1.get(labelled, np.nan))
    if math.isnan(f1_seen):
        return np.nan, None, f"F1 unknown (month {labelled} has {n_labels:g} labels but no F1)"
    return f1_seen, f1_seen < (1 - policy.f1_drop_alert) * baseline_f1, "F1 drop"


def replay_policy(policy: dict | MonitoringPolicy, max_psi_by_month: pd.Series, f1_by_month: pd.Series,
                  labels_by_month: pd.Series, *, baseline_f1: float) -> pd.DataFrame:
    """Replay ``policy`` month by month; one row per month with what it saw and what it concluded.

    ``max_psi_by_month``, ``f1_by_month`` and ``labels_by_month`` are Series indexed by whole
    month numbers. F1 of month ``k`` becomes visible in month ``k + label_delay_months``
    (before that, or with fewer than ``min_labels`` labels, F1 is not checked, by design).
    Every month from the first to the last in any of the three Series gets a row.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``month``: ``max_psi``, ``f1_seen`` (NaN when not visible), ``alert``
        (True when a check fired), ``status`` ("alert"; else "unknown" when a check could not
        be made: a missing or NaN PSI, or an F1 that should be visible but is missing or NaN;
        else "ok") and ``reason`` (what fired and what is unknown, joined by " + ").

    Examples
    --------
    >>> months = pd.Index([1, 2, 3], name="month")
    >>> replay = replay_policy({"psi_alert": 0.25, "f1_drop_alert": 0.1, "label_delay_months": 1,
    ...                         "min_labels": 10}, pd.Series([0.01, 0.3, 0.5], months),
    ...                        pd.Series([0.5, 0.5, 0.4], months), pd.Series([100] * 3, months), baseline_f1=0.5)
    >>> replay["alert"].tolist()
    [False, True, True]

    A month without a PSI is reported, not read as "no drift":

    >>> replay = replay_policy({"psi_alert": 0.25, "f1_drop_alert": 0.1, "label_delay_months": 1,
    ...                         "min_labels": 10}, pd.Series([0.01, float("nan"), 0.5], months),
    ...                        pd.Series([0.5, 0.5, 0.4], months), pd.Series([100] * 3, months), baseline_f1=0.5)
    >>> replay["status"].tolist()
    ['ok', 'unknown', 'alert']
    >>> replay.loc[2, "reason"]
    'drift unknown (no PSI for month 2)'
    """
    policy = policy if isinstance(policy, MonitoringPolicy) else MonitoringPolicy.from_dict(policy)
    baseline_f1 = as_real_number("baseline_f1", baseline_f1)
    if not 0 < baseline_f1 <= 1:
        raise ValueError(f"`baseline_f1` must be in (0, 1], got {baseline_f1!r}; it is an F1 score measured at "
                         "launch (e.g. on a validation split).")
    max_psi = _as_months("max_psi_by_month", max_psi_by_month)
    f1 = _as_months("f1_by_month", f1_by_month)
    labels = _as_months("labels_by_month", labels_by_month)
    _range_error("max_psi_by_month", max_psi, max_psi >= 0)
    _range_error("f1_by_month", f1, (0 <= f1) & (f1 <= 1))
    _range_error("labels_by_month", labels, (labels >= 0) & np.isfinite(labels) & (labels % 1 == 0))
    known = max_psi.index.union(f1.index).union(labels.index)
    rows = []
    for month in range(int(known.min()), int(known.max()) + 1):
        psi_seen = float(max_psi.get(month, np.nan))
        checks = [_drift_check(psi_seen, policy, month)]
        labelled = month - policy.label_delay_months
        f1_seen = np.nan
        if labelled >= known.min():  # earlier months predate the replay: no labels to expect
            f1_seen, *f1_check = _f1_check(f1, labels, labelled, policy, baseline_f1)
            checks.append(tuple(f1_check))
        fired = [reason for alerted, reason in checks if alerted]
        unknown = [reason for alerted, reason in checks if alerted is None]
        rows.append({"month": month, "max_psi": psi_seen, "f1_seen": f1_seen, "alert": bool(fired),
                     "status": "alert" if fired else "unknown" if unknown else "ok",
                     "reason": " + ".join(fired + unknown)})
    return pd.DataFrame(rows).set_index("month")
