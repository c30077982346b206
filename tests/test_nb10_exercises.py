"""Notebook 10's exercises: plausible mistakes get their specific message, correct answers in
another form pass (the checks every exercise shares are in test_exercises.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model_health.teaching.exercises import nb10_responsible_ai_governance as nb10
from model_health.teaching.grading import Status

from conftest import feedback_failures

RULES = [{"metric": "roc_auc", "min": 0.70}, {"metric": "equal_opportunity_difference", "max_abs": 0.05},
         {"metric": "disparate_impact", "min": 0.80}]


def evidence_with_strict_threshold(y_true, y_score, groups, privileged, threshold=0.5):
    """Selects score > threshold: a tie at exactly 0.5 is left out."""
    return nb10.reference_fairness_evidence(y_true, np.asarray(y_score) - 1e-9, groups, privileged, threshold)


def evidence_with_zero_for_undefined(y_true, y_score, groups, privileged, threshold=0.5):
    return {key: 0.0 if np.isnan(value) else value
            for key, value in nb10.reference_fairness_evidence(y_true, y_score, groups, privileged, threshold).items()}


def evidence_of_one_unprivileged_group(y_true, y_score, groups, privileged, threshold=0.5):
    """Compares the privileged group with the first other group only, instead of all others pooled."""
    groups = np.asarray(groups)
    other = sorted(set(groups) - {privileged})[0]
    rows = np.isin(groups, [privileged, other])
    return nb10.reference_fairness_evidence(np.asarray(y_true)[rows], np.asarray(y_score)[rows], groups[rows],
                                            privileged, threshold)


def record_always_tagging_mitigation(candidate, mitigation=None):
    record = nb10.reference_run_record(candidate, mitigation)
    record["tags"]["mitigation"] = str(mitigation)
    return record


def record_with_empty_datasheet(candidate, mitigation=None):
    record = nb10.reference_run_record(candidate, mitigation)
    record["artifacts"].setdefault("datasheet.md", "")
    return record


def mistakes(ns):
    tiers = dict(nb10._TIER_OF)
    violations = ns["violations"]
    return [
        ("q1", dict(tier_of={**tiers, "ranking job applicants for interviews": "limited"}), "Annex III"),
        ("q1", dict(tier_of={**tiers, "forecasting warehouse inventory": "low"}), "should be one of"),
        ("q1", dict(tier_of={"hiring": "high"}), "one key per use case"),
        ("q3", dict(high_tier_rules=[RULES[0], {"metric": "equal_opportunity_difference", "max": 0.05}, RULES[2]]),
         "either direction"),
        ("q3", dict(high_tier_rules=[{"metric": "roc_auc", "min": 0.71}, *RULES[1:]]), "fails your rules"),
        ("q3", dict(high_tier_rules=[*RULES[:2], {"metric": "disparate_impact", "min": 0.8, "max": 1.25},
                                     {"metric": "accuracy", "min": 0.7}]), "not one of them"),
        ("q3", dict(high_tier_rules=RULES[:2]), "no rule for disparate_impact"),
        ("q3", dict(high_tier_rules=[*RULES[:2], {"metric": "four_fifths", "min": 0.8}]), "is not one of"),
        ("q3", dict(high_tier_rules=[*RULES[:2], {"metric": "disparate_impact", "min": "0.8"}]), "not of type 'number'"),
        ("q3", dict(high_tier_rules={"roc_auc": 0.7}), "should be a list"),
        ("q3", dict(high_tier_rules=[RULES[0], {"metric": "equal_opportunity_difference", "max_abs": 0.05,
                                                "min": -0.05}, RULES[2]]), "high_tier_rules[1]: give max_abs alone"),
        ("q3", dict(high_tier_rules=[*RULES[:2], {"metric": "disparate_impact", "min": 1.25, "max": 0.8}]),
         "no value can pass"),
        ("q4", dict(fairness_evidence=evidence_with_strict_threshold), "of exactly 0.5"),
        ("q4", dict(fairness_evidence=evidence_of_one_unprivileged_group), "pooled as unprivileged"),
        ("q4", dict(fairness_evidence=evidence_with_zero_for_undefined), "selects nobody"),
        ("q4", dict(fairness_evidence=lambda *args: {"roc_auc": 0.5}), "should return a dict with the keys"),
        ("q5", dict(run_record=record_always_tagging_mitigation), "unexpected ['mitigation']"),
        ("q5", dict(run_record=record_with_empty_datasheet), "the artifacts should be"),
        ("q6", dict(gate_exit_code=0), "exit code, 1"),
        ("q6", dict(gate_exit_code=True), "exit code, 1"),
        ("q6", dict(rejected_models=list(ns["rejected_models"])[:-1]), "models the gate rejected"),
        ("q6", dict(rejected_models="hr-screening"), "list or set of model names"),
        ("q7", dict(violations={**violations, "hr-screening": ["equal_opportunity_difference"]}),
         "violations['hr-screening'] should list the 3"),
        ("q7", dict(violations={"hr-screening": violations["hr-screening"]}), "one key per rejected model"),
        ("q8", dict(approved_versions={**ns["approved_versions"], "hr-screening": 1}), "'approved' aliases say"),
        ("q8", dict(approved_versions=["hr-screening"]), "should be a dict"),
        ("q9", dict(affected_models=sorted(ns["candidates"])), "was trained on other data"),
    ]


def test_each_mistake_gets_its_specific_feedback(solved_nb10):
    assert feedback_failures(nb10.EXERCISES, solved_nb10, mistakes(solved_nb10)) == []


def correct_in_another_form(ns):
    def evidence_as_float32_series(y_true, y_score, groups, privileged, threshold=0.5):
        return pd.Series(nb10.reference_fairness_evidence(y_true, y_score, groups, privileged, threshold)).astype(
            "float32")

    return [
        ("q1", dict(tier_of={key: f" {value.title()} " for key, value in reversed(nb10._TIER_OF.items())})),
        ("q3", dict(high_tier_rules=(RULES[2], {"metric": "equal_opportunity_difference", "min": -0.05, "max": 0.05},
                                     RULES[0]))),
        ("q4", dict(fairness_evidence=evidence_as_float32_series)),
        ("q5", dict(run_record=lambda candidate, mitigation=None: {
            key: (pd.Series(value).astype("float32") if key == "metrics" else dict(reversed(list(value.items()))))
            for key, value in reversed(list(nb10.reference_run_record(candidate, mitigation).items()))})),
        ("q6", dict(gate_exit_code=np.int64(1), rejected_models=set(ns["rejected_models"]))),
        ("q7", dict(violations=pd.Series({model: tuple(reversed(names)) for model, names in ns["violations"].items()}))),
        ("q8", dict(approved_versions={name: str(version) for name, version in ns["approved_versions"].items()})),
        ("q9", dict(affected_models=set(ns["affected_models"]))),
    ]


def test_correct_answers_in_other_forms_pass(solved_nb10):
    """Every case of correct_in_another_form grades correct (a fixed count of cases here once left new ones
    unrun)."""
    exercises = {exercise.name: exercise for exercise in nb10.EXERCISES}
    refused = [f"{name} {sorted(answers)}: {result.message}" for name, answers in correct_in_another_form(solved_nb10)
               if (result := exercises[name].grade({**solved_nb10, **answers})).status is not Status.CORRECT]
    assert not refused, "\n".join(refused)


def test_the_fix_moved_the_alias_and_the_gate_story_holds(solved_nb10):
    """One model passes at first; the screener fails on fairness and a missing datasheet, then passes once fixed."""
    assert solved_nb10["first_gate"].returncode == 1
    assert solved_nb10["approved_versions"] == {"hr-screening": 2, "income-estimator": 1}
    assert solved_nb10["second_gate"].returncode == 1  # the two credit models still fail
    assert "APPROVED hr-screening v2 (tier high)" in solved_nb10["second_gate"].stdout


def test_an_alias_set_by_hand_is_no_approval(solved_nb10, tmp_path):
    """Issue 22 §3: q8 took any 'approved' alias on hr-screening as the gate's, so pointing it by hand at the failing
    version, or at an older one, passed. The check judges the latest version against the policy, and wants the alias
    on it. On copies of the notebook's store (its artifacts stay where they are)."""
    import shutil

    from mlflow import MlflowClient

    store = Path(solved_nb10["TRACKING_URI"].removeprefix("sqlite:///"))
    cases = {"older": ("'approved' points to hr-screening v1, but its latest version is v2", False),
             "failing": ("hr-screening v1 carries the alias 'approved', but it fails the policy", True)}
    for case, (message, drop_the_fix) in cases.items():
        copy = tmp_path / f"{case}.db"
        shutil.copyfile(store, copy)
        client = MlflowClient(tracking_uri=f"sqlite:///{copy}")
        if drop_the_fix:
            client.delete_model_version("hr-screening", "2")
        client.set_registered_model_alias("hr-screening", "approved", "1")
        answer = {**solved_nb10["approved_versions"], "hr-screening": 1}
        result = nb10.q8.grade({**solved_nb10, "TRACKING_URI": f"sqlite:///{copy}", "approved_versions": answer})
        assert result.status is Status.INCORRECT and message in result.message, (case, result.message)
