"""Group metrics, disparity summaries and intersectional tables, thin over fairlearn, AIF360 and scipy."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from model_health._validation import (
    as_binary_labels,
    as_groups,
    as_real_number,
    as_whole_number,
    check_same_length,
)
from model_health.exceptions import UndefinedValueWarning

__all__ = ["GROUP_RATE_METRICS", "aif360_group_metrics", "aif360_reweighing_weights", "disparity_summary", "group_rates", "intersectional_rates"]


def _defined_only_with(label: int, rate):
    """``rate``, or NaN for a group without rows of class ``label`` in y_true (the rate's denominator).

    fairlearn's rates return 0.0 there (scikit-learn's zero-division default); a rate with no
    cases to count is undefined, not 0.
    """
    def metric(y_true, y_pred):
        return rate(y_true, y_pred) if np.any(np.asarray(y_true) == label) else np.nan

    return metric


def _group_rate_metrics() -> dict:
    from fairlearn.metrics import (
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    return {"selection_rate": selection_rate, "tpr": _defined_only_with(1, true_positive_rate),
            "fnr": _defined_only_with(1, false_negative_rate), "fpr": _defined_only_with(0, false_positive_rate)}


GROUP_RATE_METRICS = ("selection_rate", "tpr", "fnr", "fpr")


def _undefined_rates(by_group: pd.DataFrame) -> list[str]:
    """Why rates in ``by_group`` are NaN: one phrase per missing class, naming the groups."""
    phrases = []
    for columns, lacking in ((["tpr", "fnr"], "positives"), (["fpr"], "negatives")):
        columns = [column for column in columns if column in by_group]
        groups = by_group.index[by_group[columns].isna().any(axis=1)].tolist()
        if groups:
            phrases.append(f"{'/'.join(column.upper() for column in columns)} undefined for group(s) {groups} "
                           f"(no {lacking} in `y_true`)")
    return phrases


def _rate_frame(y_true, y_pred, sensitive_features):
    """Validated inputs and their MetricFrame of GROUP_RATE_METRICS (NaN where a rate is undefined)."""
    from fairlearn.metrics import MetricFrame

    y_true = as_binary_labels("y_true", y_true, require_both_classes=True)
    y_pred = as_binary_labels("y_pred", y_pred)
    groups = as_groups("sensitive_features", sensitive_features)
    check_same_length(y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    frame = MetricFrame(metrics=_group_rate_metrics(), y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    return y_true, y_pred, groups, frame


def group_rates(y_true, y_pred, sensitive_features):
    """A fairlearn ``MetricFrame`` of selection rate, TPR, FNR and FPR per group.

    TPR and FNR of a group without positives in ``y_true`` (FPR: without negatives) are
    NaN, with an ``UndefinedValueWarning`` naming the group (fairlearn alone reports 0.0).

    Examples
    --------
    >>> frame = group_rates([1, 0, 1, 0], [1, 0, 0, 1], ["f", "f", "m", "m"])
    >>> frame.by_group
                         selection_rate  tpr  fnr  fpr
    sensitive_feature_0                               
    f                               0.5  1.0  0.0  0.0
    m                               0.5  0.0  1.0  1.0
    """
    frame = _rate_frame(y_true, y_pred, sensitive_features)[-1]
    undefined = _undefined_rates(frame.by_group)
    if undefined:
        warnings.warn(f"group_rates: {'; '.join(undefined)}: a rate with no cases to count is NaN, not 0.",
                      UndefinedValueWarning, stacklevel=2)
    return frame


def _at_least_two_groups(name: str, groups: pd.Series) -> None:
    if groups.nunique() < 2:
        raise ValueError(f"`{name}` holds a single group ({groups.iloc[0]!r}); a disparity compares groups, so it "
                         "needs at least two. Check the column (a filter may have left one group).")


def disparity_summary(y_true, y_pred, sensitive_features) -> dict[str, float]:
    """Demographic parity difference and equalized odds difference (fairlearn's definitions).

    The equalized odds difference is NaN, with an ``UndefinedValueWarning``, when a group has
    no positives (its TPR is undefined) or no negatives (its FPR is undefined). A single
    group has no disparity to measure: a ValueError.

    Examples
    --------
    >>> disparity_summary([1, 0, 1, 0], [1, 0, 0, 1], ["f", "f", "m", "m"])
    {'demographic_parity_difference': 0.0, 'equalized_odds_difference': 1.0}
    """
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    y_true, y_pred, groups, frame = _rate_frame(y_true, y_pred, sensitive_features)
    _at_least_two_groups("sensitive_features", groups)
    undefined = _undefined_rates(frame.by_group)
    if undefined:
        warnings.warn(f"disparity_summary: the equalized odds difference is NaN because {'; '.join(undefined)}.",
                      UndefinedValueWarning, stacklevel=2)
        equalized_odds = float("nan")
    else:
        equalized_odds = float(equalized_odds_difference(y_true, y_pred, sensitive_features=groups))
    return {
        "demographic_parity_difference": float(
            demographic_parity_difference(y_true, y_pred, sensitive_features=groups)),
        "equalized_odds_difference": equalized_odds,
    }


def _proportion_interval(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Wilson interval of successes / trials; the caller handles 0 trials (NaN, with a warning)."""
    from scipy.stats import binomtest

    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def intersectional_rates(y_true, y_pred, sensitive_features: pd.DataFrame, *, min_group_size: int = 30,
                         confidence: float = 0.95) -> pd.DataFrame:
    """Selection rate and TPR for every combination of the sensitive features, with Wilson intervals.

    Groups smaller than ``min_group_size`` are kept but marked ``reliable = False``: their
    intervals are wide, and a gap measured on them is mostly noise. A combination with no rows
    (each value occurs, never together) is kept too, with ``n`` 0 and NaN rates and intervals,
    and an ``UndefinedValueWarning`` naming it: it could not be assessed. A value with no rows
    at all (an unused category) is a ValueError, as in :func:`group_rates`.

    Examples
    --------
    >>> groups = pd.DataFrame({"sex": list("ffffmmmm"), "young": [1, 1, 0, 0, 1, 1, 0, 0]})
    >>> table = intersectional_rates([1, 0, 1, 0, 1, 0, 1, 0], [1, 0, 0, 0, 1, 1, 1, 0], groups,
    ...                              min_group_size=3)
    >>> table[["n", "selection_rate", "reliable"]]
               n  selection_rate  reliable
    sex young                             
    f   0      2             0.0     False
        1      2             0.5     False
    m   0      2             0.5     False
        1      2             1.0     False
    """
    from fairlearn.metrics import MetricFrame, count, selection_rate, true_positive_rate

    y_true = as_binary_labels("y_true", y_true, require_both_classes=True)
    y_pred = as_binary_labels("y_pred", y_pred)
    if not isinstance(sensitive_features, pd.DataFrame) or sensitive_features.shape[1] < 1:
        raise ValueError("`sensitive_features` should be a DataFrame with one column per attribute "
                         f"(e.g. X[['sex', 'age_band']]), got {type(sensitive_features).__name__}.")
    min_group_size = as_whole_number("min_group_size", min_group_size, minimum=1)
    confidence = as_real_number("confidence", confidence)
    if not 0 < confidence < 1:
        raise ValueError(f"`confidence` must be in (0, 1), got {confidence!r}.")
    check_same_length(y_true=y_true, y_pred=y_pred, sensitive_features=sensitive_features)
    for column in sensitive_features.columns:
        as_groups(f"sensitive_features['{column}']", sensitive_features[column])
    frame = MetricFrame(
        metrics={"n": count, "positives": lambda t, p: int(np.sum(t)), "selected": lambda t, p: int(np.sum(p)),
                 "true_positives": lambda t, p: int(np.sum(t & p)), "selection_rate": selection_rate,
                 "tpr": _defined_only_with(1, true_positive_rate)},
        y_true=y_true, y_pred=y_pred, sensitive_features=sensitive_features.reset_index(drop=True),
    ).by_group  # every combination of the values; one without rows has NaN counts
    counts = ["n", "positives", "selected", "true_positives"]
    table = frame.fillna({column: 0 for column in counts}).astype(dict.fromkeys(counts, "int64"))
    for name, hits, trials in (("selection_rate", table["selected"], table["n"]),
                               ("tpr", table["true_positives"], table["positives"])):
        bounds = [_proportion_interval(int(h), int(t), confidence) if t else (np.nan, np.nan)
                  for h, t in zip(hits, trials)]
        table[f"{name}_low"] = [low for low, _ in bounds]
        table[f"{name}_high"] = [high for _, high in bounds]
    table["reliable"] = table["n"] >= min_group_size
    empty = table.index[table["n"] == 0].tolist()
    without_positives = table.index[(table["positives"] == 0) & (table["n"] > 0)].tolist()
    reasons = [f"group(s) {groups} have no rows (every rate and interval is NaN: they cannot be assessed)"
               for groups in [empty] if groups]
    reasons += [f"tpr and its interval are NaN for group(s) {groups} (no positives in `y_true`)"
                for groups in [without_positives] if groups]
    if reasons:
        warnings.warn(f"intersectional_rates: {'; '.join(reasons)}: a rate with no cases to count is undefined, "
                      "not 0.", UndefinedValueWarning, stacklevel=2)
    return table.drop(columns=["selected", "true_positives"])


def _privileged_rows(groups: pd.Series, privileged) -> np.ndarray:
    """Which rows are in the privileged group; it and the rest must both be non-empty."""
    if np.ndim(privileged) != 0 or pd.isna(privileged):
        raise ValueError(f"`privileged` should be one value of `protected` (e.g. 'male'), got {privileged!r}.")
    is_privileged = (groups == privileged).to_numpy(dtype=bool)
    if is_privileged.all() or not is_privileged.any():
        raise ValueError(f"`privileged` = {privileged!r} must split `protected` into two non-empty groups (a "
                         f"disparity needs at least two groups); the values are {sorted(map(str, groups.unique()))}.")
    return is_privileged


def aif360_group_metrics(y_true, y_pred, protected, *, privileged) -> dict[str, float]:
    """AIF360's four headline group metrics, unprivileged vs privileged (``protected == privileged``).

    Built from plain arrays (AIF360's own dataset loaders need files of their own).
    Disparate impact is the ratio of selection rates (the four-fifths rule flags < 0.8), NaN
    with an ``UndefinedValueWarning`` when the privileged group has no predicted positives;
    the others are differences, unprivileged minus privileged. Each group needs both classes
    in ``y_true`` (its error rates are undefined otherwise): a ValueError.

    Examples
    --------
    >>> metrics = aif360_group_metrics([1, 0, 1, 0], [1, 0, 1, 1], ["f", "f", "m", "m"], privileged="m")
    >>> {name: round(value, 3) for name, value in metrics.items()}
    {'disparate_impact': 0.5, 'statistical_parity_difference': -0.5, 'equal_opportunity_difference': 0.0, \
'average_odds_difference': -0.5}
    """
    from aif360.datasets import BinaryLabelDataset
    from aif360.metrics import ClassificationMetric

    y_true = as_binary_labels("y_true", y_true)
    y_pred = as_binary_labels("y_pred", y_pred)
    groups = as_groups("protected", protected)
    check_same_length(y_true=y_true, y_pred=y_pred, protected=groups)
    is_privileged = _privileged_rows(groups, privileged)
    for label, rows in (("privileged", is_privileged), ("unprivileged", ~is_privileged)):
        if np.unique(y_true[rows]).size < 2:
            lacking = "negatives" if y_true[rows][0] == 1 else "positives"
            raise ValueError(f"The {label} group has a single class in `y_true` (no {lacking}): its error rates are "
                             "undefined, so these metrics need both classes in each group.")
    truth = BinaryLabelDataset(df=pd.DataFrame({"label": y_true, "privileged": is_privileged.astype(float)}),
                               label_names=["label"], protected_attribute_names=["privileged"],
                               favorable_label=1, unfavorable_label=0)
    predicted = truth.copy()
    predicted.labels = y_pred.reshape(-1, 1).astype(float)
    metric = ClassificationMetric(truth, predicted, unprivileged_groups=[{"privileged": 0.0}],
                                  privileged_groups=[{"privileged": 1.0}])
    if metric.selection_rate(privileged=True) == 0:
        warnings.warn("aif360_group_metrics: disparate impact is NaN because the privileged group has no predicted "
                      "positives in `y_pred` (a ratio with denominator 0 is undefined).",
                      UndefinedValueWarning, stacklevel=2)
        disparate_impact = float("nan")
    else:
        disparate_impact = float(metric.disparate_impact())
    return {
        "disparate_impact": disparate_impact,
        "statistical_parity_difference": float(metric.statistical_parity_difference()),
        "equal_opportunity_difference": float(metric.equal_opportunity_difference()),
        "average_odds_difference": float(metric.average_odds_difference()),
    }


def aif360_reweighing_weights(protected, labels, *, privileged) -> np.ndarray:
    """AIF360 ``Reweighing``'s instance weights: P(group) P(label) / P(group, label) per row.

    Rows of a rare (group, label) pair weigh more, so that in the weighted data the label no
    longer depends on the group (Kamiran and Calders, 2012). Built from plain arrays.

    Examples
    --------
    >>> aif360_reweighing_weights(["a", "a", "a", "b", "b"], [1, 1, 0, 0, 1], privileged="a").round(3).tolist()
    [0.9, 0.9, 1.2, 0.8, 1.2]
    """
    from aif360.algorithms.preprocessing import Reweighing
    from aif360.datasets import BinaryLabelDataset

    labels = as_binary_labels("labels", labels)
    groups = as_groups("protected", protected)
    check_same_length(protected=groups, labels=labels)
    is_privileged = _privileged_rows(groups, privileged)
    data = BinaryLabelDataset(df=pd.DataFrame({"label": labels, "privileged": is_privileged.astype(float)}),
                              label_names=["label"], protected_attribute_names=["privileged"],
                              favorable_label=1, unfavorable_label=0)
    reweighing = Reweighing(unprivileged_groups=[{"privileged": 0.0}], privileged_groups=[{"privileged": 1.0}])
    with np.errstate(divide="ignore", invalid="ignore"):  # a (group, label) pair with no rows: its weight is unused
        return np.asarray(reweighing.fit_transform(data).instance_weights, dtype=float)
