"""Classification metrics, baselines, slices and thresholds, thin over scikit-learn and fairlearn."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from model_health._validation import (
    as_binary_labels,
    as_groups,
    as_real_number,
    as_scores,
    as_whole_number,
    check_columns,
    check_same_length,
)
from model_health.exceptions import UndefinedValueWarning

__all__ = [
    "classification_metrics",
    "majority_class_accuracy",
    "slice_table",
    "threshold_for_recall",
    "worst_slice",
]


def classification_metrics(y_true, y_pred, y_score) -> dict[str, float]:
    """Accuracy, precision, recall, F1 (from labels) and ROC AUC (from scores) for class 1.

    Precision is NaN, with an ``UndefinedValueWarning``, when ``y_pred`` has no positives
    (no predicted positives to be right about); ``y_true`` needs both classes.

    Examples
    --------
    >>> metrics = classification_metrics([0, 1, 1, 0], [0, 1, 0, 0], [0.1, 0.9, 0.4, 0.3])
    >>> {name: round(value, 3) for name, value in metrics.items()}
    {'accuracy': 0.75, 'precision': 1.0, 'recall': 0.5, 'f1': 0.667, 'roc_auc': 1.0}
    """
    from sklearn import metrics

    y_true = as_binary_labels("y_true", y_true, require_both_classes=True)
    y_pred = as_binary_labels("y_pred", y_pred)
    y_score = as_scores("y_score", y_score)
    check_same_length(y_true=y_true, y_pred=y_pred, y_score=y_score)
    if not y_pred.any():
        warnings.warn("classification_metrics: precision is NaN because `y_pred` has no positives (nothing was "
                      "predicted positive, so there is no precision to measure).", UndefinedValueWarning, stacklevel=2)
    return {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "precision": metrics.precision_score(y_true, y_pred, zero_division=np.nan),
        "recall": metrics.recall_score(y_true, y_pred),
        "f1": metrics.f1_score(y_true, y_pred),
        "roc_auc": metrics.roc_auc_score(y_true, y_score),
    }


def majority_class_accuracy(y_true) -> float:
    """Accuracy of always predicting the most frequent class: the bar any model must clear.

    Examples
    --------
    >>> majority_class_accuracy([0, 0, 0, 1])
    0.75
    """
    y_true = as_binary_labels("y_true", y_true)
    return float(max(y_true.mean(), 1 - y_true.mean()))


def _n_positives(y_true, y_pred) -> int:
    return int(np.sum(y_true))


def _nan_on_zero_division(metric: Callable) -> Callable:
    """``metric`` with ``zero_division=np.nan`` when it takes that option and the caller has not set it.

    scikit-learn's default reports a metric divided by zero (recall without positives) as 0.
    """
    try:
        parameters = inspect.signature(metric).parameters
    except (TypeError, ValueError):  # builtins and some C functions have no signature
        return metric
    already_set = isinstance(metric, functools.partial) and "zero_division" in metric.keywords
    if "zero_division" not in parameters or already_set:
        return metric
    return functools.partial(metric, zero_division=np.nan)


def slice_table(y_true, y_pred, slices, *, metrics: Mapping[str, Callable] | None = None) -> pd.DataFrame:
    """One row per slice: its size, its number of positives, and each metric (default: recall).

    Thin over fairlearn's ``MetricFrame``; ``metrics`` take ``(y_true, y_pred)``. A metric that
    would divide by zero on a slice (recall without positives, precision without predicted
    positives) is NaN there, not 0: scikit-learn metrics get ``zero_division=np.nan`` unless
    you set it, and an ``UndefinedValueWarning`` names the slices.

    Examples
    --------
    >>> slice_table([1, 0, 1, 1], [1, 0, 0, 1], ["a", "a", "b", "b"])
           n_rows  n_positives  recall
    slice                             
    a           2            1     1.0
    b           2            2     0.5
    """
    from fairlearn.metrics import MetricFrame, count
    from sklearn.metrics import recall_score

    y_true = as_binary_labels("y_true", y_true)
    y_pred = as_binary_labels("y_pred", y_pred)
    groups = as_groups("slices", slices)
    check_same_length(y_true=y_true, y_pred=y_pred, slices=groups)
    if metrics is None:
        chosen = {"recall": recall_score}
    elif isinstance(metrics, Mapping) and all(isinstance(name, str) and callable(metric)
                                              for name, metric in metrics.items()):
        chosen = dict(metrics)
    else:
        raise ValueError(f"`metrics` should be a dict of name -> function(y_true, y_pred), got {metrics!r:.80}.")
    reserved = sorted({"n_rows", "n_positives"} & set(chosen))
    if reserved:
        raise ValueError(f"`metrics` uses the reserved name(s) {reserved}; slice_table adds those columns itself.")
    frame = MetricFrame(
        metrics={"n_rows": count, "n_positives": _n_positives,
                 **{name: _nan_on_zero_division(metric) for name, metric in chosen.items()}},
        y_true=y_true, y_pred=y_pred, sensitive_features=groups.rename("slice"),
    ).by_group
    for name in chosen:
        undefined = frame.index[pd.isna(frame[name])].tolist()
        if undefined:
            warnings.warn(f"slice_table: {name} is NaN for slice(s) {undefined}: it divides by zero there (recall "
                          "needs positives in `y_true`, precision needs predicted positives).",
                          UndefinedValueWarning, stacklevel=2)
    return frame.astype({"n_rows": "int64", "n_positives": "int64"})


def worst_slice(table: pd.DataFrame, metric: str, *, min_positives: int) -> str:
    """The slice with the lowest ``metric`` among those with at least ``min_positives`` positives.

    If an eligible slice's ``metric`` is NaN, the worst slice cannot be known (it might be that
    one): a ValueError names those slices rather than skipping them.

    Examples
    --------
    >>> table = pd.DataFrame({"n_positives": [3, 80, 90], "recall": [0.1, 0.5, 0.7]},
    ...                      index=["tiny", "b", "c"])
    >>> worst_slice(table, "recall", min_positives=30)
    'b'
    """
    check_columns(table, ["n_positives", metric], name="table")
    min_positives = as_whole_number("min_positives", min_positives, minimum=0)
    for column in ("n_positives", metric):
        if pd.api.types.is_bool_dtype(table[column]) or not pd.api.types.is_numeric_dtype(table[column]):
            raise ValueError(f"`table['{column}']` should hold numbers, got dtype {table[column].dtype}.")
    if table.empty:
        raise ValueError("`table` has no rows; build it with slice_table(...).")
    eligible = table[table["n_positives"] >= min_positives]
    if eligible.empty:
        raise ValueError(
            f"No slice has at least {min_positives} positives (largest: {table['n_positives'].max()}). "
            "Lower min_positives or use coarser slices."
        )
    undefined = eligible.index[eligible[metric].isna()].tolist()
    if undefined:
        raise ValueError(f"`table['{metric}']` is NaN for slice(s) {undefined} with at least {min_positives} "
                         f"positives, so the worst slice cannot be known (it could be one of them). Use a metric "
                         "defined on every such slice, or drop those slices from `table` and say so.")
    return eligible[metric].idxmin()


def threshold_for_recall(y_true, y_score, target_recall: float) -> float:
    """The highest score threshold whose recall (predicting 1 when score >= threshold) meets the target.

    Examples
    --------
    >>> threshold_for_recall([0, 1, 1, 0, 1], [0.2, 0.9, 0.6, 0.7, 0.4], 0.6)
    0.6
    """
    from sklearn.metrics import precision_recall_curve

    target_recall = as_real_number("target_recall", target_recall)
    if not 0 < target_recall <= 1:
        raise ValueError(f"`target_recall` must be in (0, 1], got {target_recall!r}.")
    y_true = as_binary_labels("y_true", y_true, require_both_classes=True)
    y_score = as_scores("y_score", y_score)
    check_same_length(y_true=y_true, y_score=y_score)
    _, recall, thresholds = precision_recall_curve(y_true, y_score)
    # recall[i] is the recall at thresholds[i]; thresholds increase, recall decreases.
    meeting = thresholds[recall[:-1] >= target_recall]
    return float(meeting.max())
