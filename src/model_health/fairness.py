"""Group metrics and disparity summaries, thin over fairlearn."""

from __future__ import annotations

from model_health._validation import as_binary_labels, as_groups, check_same_length

__all__ = ["GROUP_RATE_METRICS", "disparity_summary", "group_rates"]


def _group_rate_metrics() -> dict:
    from fairlearn.metrics import (
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    return {"selection_rate": selection_rate, "tpr": true_positive_rate,
            "fnr": false_negative_rate, "fpr": false_positive_rate}


GROUP_RATE_METRICS = ("selection_rate", "tpr", "fnr", "fpr")


def group_rates(y_true, y_pred, sensitive_features):
    """A fairlearn ``MetricFrame`` of selection rate, TPR, FNR and FPR per group.

    Examples
    --------
    >>> frame = group_rates([1, 0, 1, 0], [1, 0, 0, 1], ["f", "f", "m", "m"])
    >>> frame.by_group
                         selection_rate  tpr  fnr  fpr
    sensitive_feature_0                               
    f                               0.5  1.0  0.0  0.0
    m                               0.5  0.0  1.0  1.0
    """
    from fairlearn.metrics import MetricFrame

    y_true = as_binary_labels("y_true", y_true, require_both_classes=True)
    y_pred = as_binary_labels("y_pred", y_pred)
    groups = as_groups("sensitive_features", sensitive_features)
    check_same_length(y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    return MetricFrame(metrics=_group_rate_metrics(), y_true=y_true, y_pred=y_pred, sensitive_features=groups)


def disparity_summary(y_true, y_pred, sensitive_features) -> dict[str, float]:
    """Demographic parity difference and equalized odds difference (fairlearn's definitions).

    Examples
    --------
    >>> disparity_summary([1, 0, 1, 0], [1, 0, 0, 1], ["f", "f", "m", "m"])
    {'demographic_parity_difference': 0.0, 'equalized_odds_difference': 1.0}
    """
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    y_true = as_binary_labels("y_true", y_true, require_both_classes=True)
    y_pred = as_binary_labels("y_pred", y_pred)
    groups = as_groups("sensitive_features", sensitive_features)
    check_same_length(y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    return {
        "demographic_parity_difference": float(
            demographic_parity_difference(y_true, y_pred, sensitive_features=groups)),
        "equalized_odds_difference": float(
            equalized_odds_difference(y_true, y_pred, sensitive_features=groups)),
    }
