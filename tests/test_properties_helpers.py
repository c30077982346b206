"""Property-based tests of the evaluation, fairness, monitoring and report helpers.

For arbitrary inputs (valid ones, and the kinds users pass by mistake: numbers as text,
None, pd.NA, nullable dtypes, empty, 2-D, mismatched lengths, a single class or group),
every call either returns values in their valid range, or NaN together with an
UndefinedValueWarning, or raises a ValueError naming the argument. Never another exception,
never 0 where the quantity is undefined, never "ok"/"passed" computed from NaN.
Deterministic (derandomize) and fast, so CI never flakes.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from model_health.evaluation import (
    classification_metrics,
    majority_class_accuracy,
    slice_table,
    threshold_for_recall,
    worst_slice,
)
from model_health.exceptions import UndefinedValueWarning
from model_health.fairness import aif360_group_metrics, disparity_summary, group_rates, intersectional_rates
from model_health.monitoring import MonitoringPolicy, replay_policy
from model_health.reports import check_risk_assessment, evaluate_kpis

FAST = settings(max_examples=40)  # the rest comes from the "workbook" profile (conftest.py)
SLOW = settings(FAST, max_examples=15)  # aif360 and replays build heavier objects

# How an array-like argument arrives: mostly well formed, sometimes in a form users get wrong.
WELL_FORMED = ("list", "ndarray", "series", "nullable", "object")
MISTAKES = ("text", "with_none", "with_na", "empty", "2d", "scalar", "none")


def dress(values: list, form: str):
    """``values`` in the container or mistaken form ``form``."""
    if form == "list":
        return list(values)
    if form == "ndarray":
        return np.asarray(values)
    if form == "series":
        return pd.Series(values)
    is_text = any(isinstance(value, str) for value in values)
    nullable = "string" if is_text else "Int64" if all(float(value).is_integer() for value in values) else "Float64"
    if form == "nullable":  # no missing value
        return pd.Series(values, dtype=nullable)
    if form == "object":
        return pd.Series(values, dtype=object)
    if form == "text":
        return [str(value) for value in values]
    if form == "with_none":
        return [None, *values[1:]]
    if form == "with_na":
        return pd.Series([pd.NA, *values[1:]], dtype="Float64" if nullable == "Int64" else nullable)
    if form == "empty":
        return []
    if form == "2d":
        return np.asarray(values).reshape(1, -1)
    if form == "scalar":
        return values[0]
    return None


def run(call, *names):
    """``call()`` as (result, its UndefinedValueWarning messages); (None, None) on a ValueError.

    The ValueError's message must name one of ``names``; any other exception, or any other
    warning, fails the test.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except ValueError as error:
            assert any(name in str(error) for name in names), f"the message names none of {names}: {error}"
            event("ValueError")
            return None, None
    event("returned, with NaN warned" if caught else "returned")
    others = [w for w in caught if not issubclass(w.category, UndefinedValueWarning)]
    assert not others, [str(w.message) for w in others]
    return result, [str(w.message) for w in caught]


def in_unit_interval(value) -> bool:
    return 0 <= value <= 1


def mostly(valid, mistake):
    """``valid`` five times in six, else ``mistake`` (the simplest draw is valid, so shrinking keeps it)."""
    return st.integers(0, 5).flatmap(lambda k: mistake if k == 5 else valid)


labels = st.lists(st.integers(0, 1), min_size=1, max_size=24)
forms = st.sampled_from(WELL_FORMED * 6 + MISTAKES)  # about 1 in 6 arguments is a mistake
group_names = st.sampled_from(["a", "b", "c"])


@st.composite
def labelled_sample(draw):
    """(y_true, y_pred, groups) of equal length; three times in four groups 'a' and 'b' hold both classes."""
    n = draw(st.integers(4, 24))
    y_true = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    groups = draw(st.lists(group_names, min_size=n, max_size=n))
    if draw(st.integers(0, 3)) < 3:
        y_true[:4], groups[:4] = [1, 0, 1, 0], ["a", "a", "b", "b"]
    return y_true, y_pred, groups


def dressed(draw, *arguments) -> list:
    """Each argument dressed in a drawn form; sometimes one of them a value shorter (a split mismatch)."""
    shorter = draw(st.integers(0, 3 * len(arguments))) - 2 * len(arguments)  # mostly negative: none shorter
    return [dress(values[:-1] if position == shorter else values, draw(forms))
            for position, values in enumerate(arguments)]


def group_table(y_true, y_pred, groups) -> pd.DataFrame:
    return pd.DataFrame({"t": y_true, "p": y_pred, "g": groups})


class TestEvaluationProperties:
    @FAST
    @given(st.data())
    def test_classification_metrics(self, data):
        """Every metric is in [0, 1]; precision is NaN (warned) exactly when nothing is predicted positive."""
        y_true, y_pred, _ = data.draw(labelled_sample())
        y_score = data.draw(st.lists(st.floats(0, 1), min_size=len(y_true), max_size=len(y_true)))
        arguments = dressed(data.draw, y_true, y_pred, y_score)
        result, undefined = run(lambda: classification_metrics(*arguments), "y_true", "y_pred", "y_score")
        if result is None:
            return
        assert all(in_unit_interval(value) for name, value in result.items() if name != "precision")
        predicted_positive = sum(y_pred) > 0
        assert math.isnan(result["precision"]) == (not predicted_positive) == bool(undefined)
        assert predicted_positive or not undefined or "precision" in undefined[0]

    @FAST
    @given(labels, forms)
    def test_majority_class_accuracy(self, y_true, form):
        """At least one half, at most one: the share of the larger class."""
        result, _ = run(lambda: majority_class_accuracy(dress(y_true, form)), "y_true")
        if result is not None:
            assert 0.5 <= result <= 1
            assert result == pytest.approx(max(np.mean(y_true), 1 - np.mean(y_true)))

    @FAST
    @given(st.data())
    def test_slice_table_and_worst_slice(self, data):
        """Recall is NaN (warned) exactly for slices without positives; worst_slice never skips a NaN candidate."""
        y_true, y_pred, groups = data.draw(labelled_sample())
        arguments = dressed(data.draw, y_true, y_pred, groups)
        table, undefined = run(lambda: slice_table(*arguments), "y_true", "y_pred", "slices")
        if table is None:
            return
        assert table["n_rows"].sum() == len(y_true)
        no_positives = table["n_positives"] == 0
        assert (table["recall"].isna() == no_positives).all()  # NaN, never 0, where undefined
        assert table.loc[~no_positives, "recall"].between(0, 1).all()
        assert bool(undefined) == no_positives.any()
        minimum = data.draw(mostly(st.integers(0, 5), st.sampled_from(["2", None, 1.5, np.nan])))
        worst, _ = run(lambda: worst_slice(table, "recall", min_positives=minimum), "min_positives", "table")
        if worst is not None:
            eligible = table[table["n_positives"] >= minimum]
            assert eligible["recall"].notna().all()
            assert table.loc[worst, "recall"] == eligible["recall"].min()

    @FAST
    @given(st.data())
    def test_threshold_for_recall(self, data):
        """The threshold is one of the scores, and predicting 1 at or above it meets the target recall."""
        y_true, _, _ = data.draw(labelled_sample())
        y_score = data.draw(st.lists(st.floats(0, 1), min_size=len(y_true), max_size=len(y_true)))
        target = data.draw(mostly(st.floats(0.01, 1), st.sampled_from(["0.5", None, np.nan, 2.0, 0])))
        arguments = dressed(data.draw, y_true, y_score)
        threshold, _ = run(lambda: threshold_for_recall(*arguments, target), "y_true", "y_score", "target_recall")
        if threshold is not None:
            positives = np.asarray(y_score)[np.asarray(y_true) == 1]
            assert threshold in y_score
            assert np.mean(positives >= threshold) >= target


class TestFairnessProperties:
    @FAST
    @given(st.data())
    def test_group_rates(self, data):
        """Rates are in [0, 1]; TPR/FNR NaN exactly without positives, FPR exactly without negatives, warned."""
        y_true, y_pred, groups = data.draw(labelled_sample())
        arguments = dressed(data.draw, y_true, y_pred, groups)
        frame, undefined = run(lambda: group_rates(*arguments), "y_true", "y_pred", "sensitive_features")
        if frame is None:
            return
        by_group = frame.by_group
        for group, rows in group_table(y_true, y_pred, groups).groupby("g"):
            has_positives, has_negatives = (rows.t == 1).any(), (rows.t == 0).any()
            assert by_group.loc[group, ["tpr", "fnr"]].isna().all() == (not has_positives)
            assert math.isnan(by_group.loc[group, "fpr"]) == (not has_negatives)
            assert by_group.loc[group].dropna().between(0, 1).all()
        assert bool(undefined) == bool(by_group.isna().any(axis=None))
        for message in undefined:
            assert re.search(r"group\(s\) \[", message)

    @FAST
    @given(st.data())
    def test_disparity_summary(self, data):
        """Differences in [0, 1]; equalized odds NaN (warned) exactly when a group lacks a class; one group: error."""
        y_true, y_pred, groups = data.draw(labelled_sample())
        arguments = dressed(data.draw, y_true, y_pred, groups)
        summary, undefined = run(lambda: disparity_summary(*arguments), "y_true", "y_pred", "sensitive_features")
        if summary is None:
            return
        per_group = group_table(y_true, y_pred, groups).groupby("g")["t"]
        assert per_group.ngroups >= 2  # a single group must have raised
        both_classes = (per_group.nunique() == 2).all()
        assert in_unit_interval(summary["demographic_parity_difference"])
        assert math.isnan(summary["equalized_odds_difference"]) == (not both_classes)
        assert both_classes or any("equalized odds difference is NaN" in message for message in undefined)
        assert not both_classes or in_unit_interval(summary["equalized_odds_difference"])

    @FAST
    @given(st.data())
    def test_intersectional_rates(self, data):
        """TPR is NaN exactly in cells without positives; every defined interval brackets its rate."""
        y_true, y_pred, groups = data.draw(labelled_sample())
        second = data.draw(st.lists(st.sampled_from(["x", "y"]), min_size=len(y_true), max_size=len(y_true)))
        features = pd.DataFrame({"g": groups, "h": second})
        if data.draw(st.booleans()):
            features = dressed(data.draw, groups)[0]  # a Series or list instead of a DataFrame
        options = data.draw(st.sampled_from([{}, {"min_group_size": 3}, {"confidence": "0.9"},
                                             {"min_group_size": 0}, {"confidence": np.nan}]))
        arguments = dressed(data.draw, y_true, y_pred)
        table, undefined = run(lambda: intersectional_rates(*arguments, features, **options),
                               "y_true", "y_pred", "sensitive_features", "min_group_size", "confidence")
        if table is None:
            return
        assert (table["tpr"].isna() == (table["positives"] == 0)).all()
        assert (table["selection_rate"].isna() == (table["n"] == 0)).all()  # a combination without rows is kept
        assert len(table) == np.prod([table.index.get_level_values(level).nunique()
                                      for level in range(table.index.nlevels)])
        assert bool(undefined) == (table["positives"] == 0).any()
        for rate in ("selection_rate", "tpr"):
            defined = table[table[rate].notna()]
            assert (defined[f"{rate}_low"] <= defined[rate] + 1e-12).all()
            assert (defined[rate] <= defined[f"{rate}_high"] + 1e-12).all()

    @SLOW
    @given(st.data())
    def test_aif360_group_metrics(self, data):
        """Both groups need both classes (else an error); DI is NaN (warned) exactly without privileged selections."""
        y_true, y_pred, groups = data.draw(labelled_sample())
        protected = ["m" if group == "a" else "f" for group in groups]
        privileged = data.draw(mostly(st.sampled_from(["m", "f"]), st.sampled_from(["x", None, pd.NA])))
        metrics, undefined = run(lambda: aif360_group_metrics(y_true, y_pred, protected, privileged=privileged),
                                 "y_true", "y_pred", "protected", "privileged")
        if metrics is None:
            return
        frame = pd.DataFrame({"t": y_true, "p": y_pred, "privileged": np.asarray(protected) == privileged})
        assert (frame.groupby("privileged")["t"].nunique() == 2).all() and frame["privileged"].nunique() == 2
        privileged_selects = frame.loc[frame.privileged, "p"].any()
        assert math.isnan(metrics["disparate_impact"]) == (not privileged_selects) == bool(undefined)
        for name in ("statistical_parity_difference", "equal_opportunity_difference", "average_odds_difference"):
            assert -1 <= metrics[name] <= 1


POLICY_MISTAKES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 2),
                            st.sampled_from(["0.25", None, True, pd.NA, np.nan, np.inf]))
POLICY_VALUES = {"psi_alert": mostly(st.floats(0.01, 1), POLICY_MISTAKES),
                 "f1_drop_alert": mostly(st.floats(0.01, 0.99), POLICY_MISTAKES),
                 "label_delay_months": mostly(st.integers(0, 3), POLICY_MISTAKES),
                 "min_labels": mostly(st.integers(1, 1000), POLICY_MISTAKES)}
POLICY_KEYS = tuple(POLICY_VALUES)


class TestMonitoringProperties:
    @FAST
    @given(st.fixed_dictionaries(POLICY_VALUES))
    def test_policy_from_dict(self, policy):
        """A policy is built only from finite numbers in range; anything else names the key."""
        built, _ = run(lambda: MonitoringPolicy.from_dict(policy), *POLICY_KEYS)
        if built is not None:
            values = built.to_dict()
            assert all(math.isfinite(value) for value in values.values())
            assert values["psi_alert"] > 0 and 0 < values["f1_drop_alert"] < 1
            assert values["label_delay_months"] >= 0 and values["min_labels"] >= 1

    @SLOW
    @given(st.data())
    def test_replay_never_ok_from_nan(self, data):
        """A month whose PSI is missing or NaN, or whose due F1 is NaN, is never 'ok'; 'alert' matches the flag."""
        months = data.draw(st.lists(st.integers(1, 8), min_size=1, max_size=8, unique=True))
        psi = pd.Series(data.draw(st.lists(st.one_of(st.floats(0, 2), st.just(np.nan)), min_size=len(months),
                                           max_size=len(months))), months, dtype=float)
        f1 = pd.Series(data.draw(st.lists(st.one_of(st.floats(0, 1), st.just(np.nan)), min_size=len(months),
                                          max_size=len(months))), months, dtype=float)
        labels_seen = pd.Series(data.draw(st.lists(st.integers(0, 1000), min_size=len(months),
                                                   max_size=len(months))), months)
        policy = {"psi_alert": 0.25, "f1_drop_alert": 0.1, "label_delay_months": data.draw(st.integers(0, 2)),
                  "min_labels": 100}
        baseline = data.draw(mostly(st.floats(0.01, 1), st.sampled_from([np.nan, 5, "0.5", None, 0])))
        replay, _ = run(lambda: replay_policy(policy, psi, f1, labels_seen, baseline_f1=baseline),
                        "baseline_f1", "max_psi_by_month", "f1_by_month", "labels_by_month")
        if replay is None:
            return
        assert set(replay["status"]) <= {"ok", "alert", "unknown"}
        assert ((replay["status"] == "alert") == replay["alert"]).all()
        first = min(months)
        for month, row in replay.iterrows():
            if math.isnan(psi.get(month, np.nan)):
                assert row["status"] != "ok" and "drift unknown" in row["reason"]
            labelled = month - policy["label_delay_months"]
            if labelled >= first and labels_seen.get(labelled, 100) >= 100 and math.isnan(f1.get(labelled, np.nan)):
                assert row["status"] != "ok" and "F1 unknown" in row["reason"]


KPI_NAMES = ("recall", "precision_recall", "roc_auc", "di_age")
MEASURED_VALUES = mostly(st.floats(0, 1), st.sampled_from([np.nan, None, pd.NA, "0.5"]))


@st.composite
def kpi_lists(draw):
    names = draw(st.lists(st.sampled_from(KPI_NAMES), min_size=1, max_size=4, unique=True))
    return [{"name": name, "kind": draw(st.sampled_from(["performance", "fairness"])),
             "threshold": draw(mostly(st.floats(0, 1), st.sampled_from([np.nan, "0.8", None]))),
             "direction": draw(st.sampled_from(["min", "max"]))} for name in names]


class TestReportProperties:
    @FAST
    @given(kpi_lists(), st.fixed_dictionaries({name: MEASURED_VALUES for name in KPI_NAMES}))
    def test_evaluate_kpis(self, kpis, measured):
        """'passed'/'failed' only from a number; NaN, None or pd.NA is 'unknown' with a reason."""
        results, _ = run(lambda: evaluate_kpis(kpis, measured), "kpis", "measured")
        if results is None:
            return
        for name, row in results.iterrows():
            value = measured[name]
            if value is None or value is pd.NA or math.isnan(value):
                assert row["status"] == "unknown" and row["passed"] is pd.NA and row["reason"]
            else:
                passed = value >= row["threshold"] if row["direction"] == "min" else value <= row["threshold"]
                assert row["status"] == ("passed" if passed else "failed") and row["passed"] == passed

    @FAST
    @given(kpi_lists(), st.fixed_dictionaries({name: st.one_of(st.floats(0, 1), st.just(np.nan))
                                               for name in KPI_NAMES}),
           st.sampled_from(["go", "go with conditions", "no-go", "ship"]),
           st.lists(st.fixed_dictionaries({"finding": st.sampled_from(["precision_recall is low", "recall is low",
                                                                       "roc_auc.", "other"]),
                                           "severity": st.sampled_from(["low", "medium", "high", "urgent"])}),
                    max_size=3),
           st.one_of(st.lists(st.sampled_from(["Review.", "Retrain."]), max_size=2), st.just("Review declines.")))
    def test_check_risk_assessment(self, kpis, measured, recommendation, findings, conditions):
        """No plain 'go' over a failed or unknown KPI; names match whole; conditions as one string is an error."""
        results, _ = run(lambda: evaluate_kpis(kpis, measured), "kpis")
        if results is None:
            return
        assessment = {"recommendation": recommendation, "findings": findings, "conditions": conditions}
        problems, _ = run(lambda: check_risk_assessment(assessment, results), "assessment")
        if problems is None:
            assert isinstance(conditions, str)
            return
        assert not isinstance(conditions, str)
        blocking = results.index[results["status"] != "passed"].tolist()
        if recommendation == "go" and blocking:
            assert problems
        for name in blocking:
            named = any(re.search(rf"(?<!\w){name}(?!\w)", finding["finding"]) for finding in findings)
            assert named or recommendation == "ship" or any(f"'{name}'" in problem for problem in problems)
