"""Governance documents: KPI evaluation, risk-assessment consistency, templated reports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_health.reports import check_risk_assessment, evaluate_kpis, render, write_report

KPIS = [
    {"name": "roc_auc", "kind": "performance", "threshold": 0.7, "direction": "min"},
    {"name": "di_age", "kind": "fairness", "threshold": 0.8, "direction": "min"},
    {"name": "gap", "kind": "fairness", "threshold": 0.1, "direction": "max"},
]
MEASURED = {"roc_auc": 0.75, "di_age": 0.79, "gap": 0.05}


class TestEvaluateKpis:
    def test_directions(self):
        """'min' fails below its threshold, 'max' above."""
        results = evaluate_kpis(KPIS, MEASURED)
        assert results["passed"].to_dict() == {"roc_auc": True, "di_age": False, "gap": True}

    @pytest.mark.parametrize(("kpis", "message"), [
        ([], "non-empty list"),
        ([{"name": "roc_auc"}], "exactly the keys"),
        ([{**KPIS[0], "kind": "speed"}], "'kind' must be in"),
        ([{**KPIS[0], "direction": "up"}], "'direction' must be in"),
        ([{**KPIS[0], "name": "latency"}], "has no measured value"),
    ])
    def test_errors(self, kpis, message):
        """Malformed KPIs are named with the fix."""
        with pytest.raises(ValueError, match=message):
            evaluate_kpis(kpis, MEASURED)

    def test_status_and_reason(self):
        """Each KPI has a status; the reason is empty for a value that could be compared."""
        results = evaluate_kpis(KPIS, MEASURED)
        assert results["status"].tolist() == ["passed", "failed", "passed"]
        assert results["reason"].tolist() == ["", "", ""]
        assert results["passed"].dtype == "boolean"

    @pytest.mark.parametrize("value", [np.nan, float("nan"), None, pd.NA])
    def test_undefined_value_is_unknown(self, value):
        """A NaN (or None, pd.NA) measurement is neither passed nor failed: unknown, and the reason says why."""
        results = evaluate_kpis(KPIS, {**MEASURED, "gap": value})
        assert results.loc["gap", "status"] == "unknown"
        assert results.loc["gap", "passed"] is pd.NA
        assert "NaN" in results.loc["gap", "reason"]
        assert results.loc["roc_auc", "status"] == "passed"

    @pytest.mark.parametrize(("threshold", "message"), [
        (np.nan, r"`kpis\[0\]\['threshold'\]` should be a finite number"),
        (float("inf"), r"`kpis\[0\]\['threshold'\]` should be a finite number"),
        ("0.7", r"`kpis\[0\]\['threshold'\]` should be a real number, got str '0.7' instead. Convert it with float"),
        (None, r"`kpis\[0\]\['threshold'\]` should be a real number, got NoneType"),
        (True, r"`kpis\[0\]\['threshold'\]` should be a real number, got bool"),
    ])
    def test_threshold_must_be_a_finite_number(self, threshold, message):
        """A NaN threshold would make every comparison false ('failed' without a reason): an error instead."""
        with pytest.raises(ValueError, match=message):
            evaluate_kpis([{**KPIS[0], "threshold": threshold}], MEASURED)

    @pytest.mark.parametrize(("kpis", "measured", "message"), [
        ([{**KPIS[0], "name": 3}], MEASURED, "'name' should be a non-empty str"),
        ([KPIS[0], KPIS[0]], MEASURED, r"names \['roc_auc'\] more than once"),
        (KPIS[0], MEASURED, "`kpis` should be a non-empty list of dicts, got dict"),
        (KPIS, [0.75, 0.79, 0.05], "`measured` should be a dict"),
        (KPIS, {**MEASURED, "gap": "0.05"}, r"`measured\['gap'\]` should be a real number, got str"),
    ])
    def test_types(self, kpis, measured, message):
        """Names, duplicates, containers and text numbers are named with the fix."""
        with pytest.raises(ValueError, match=message):
            evaluate_kpis(kpis, measured)


class TestCheckRiskAssessment:
    results = evaluate_kpis(KPIS, MEASURED)
    good = {"recommendation": "go with conditions", "findings": [{"finding": "di_age is 0.79", "severity": "high"}],
            "conditions": ["Manual review of young applicants."]}

    def test_consistent(self):
        """A conditional go that names the failed KPI holds together."""
        assert check_risk_assessment(self.good, self.results) == []

    @pytest.mark.parametrize(("change", "message"), [
        ({"recommendation": "go"}, "failed fairness KPI"),
        ({"conditions": []}, "names no conditions"),
        ({"findings": [{"finding": "other", "severity": "low"}]}, "not named in any finding"),
        ({"findings": [{"finding": "di_age", "severity": "urgent"}]}, "'severity'"),
        ({"recommendation": "ship"}, "must be in"),
    ])
    def test_inconsistencies(self, change, message):
        """Each contradiction is reported in words."""
        problems = check_risk_assessment({**self.good, **change}, self.results)
        assert any(message in problem for problem in problems), problems

    def test_labels_in_another_case_are_the_same_labels(self):
        """Issue 22: 'Go with conditions' and a 'High' finding were refused as unknown labels."""
        assessment = {"recommendation": " Go With Conditions", "conditions": self.good["conditions"],
                      "findings": [{"finding": "di_age is 0.79", "severity": "High "}]}
        assert check_risk_assessment(assessment, self.results) == []
        assert any("failed fairness KPI" in problem
                   for problem in check_risk_assessment({**assessment, "recommendation": "GO"}, self.results))

    def test_kpi_names_match_whole_words(self):
        """A finding about 'precision_recall' does not report a failed 'recall' KPI."""
        results = evaluate_kpis([{"name": "recall", "kind": "performance", "threshold": 0.8, "direction": "min"}],
                                {"recall": 0.7})
        assessment = {"recommendation": "go with conditions", "conditions": ["Review."],
                      "findings": [{"finding": "precision_recall is 0.6", "severity": "medium"}]}
        assert check_risk_assessment(assessment, results) == ["Failed KPI(s) ['recall'] are not named in any finding."]

    @pytest.mark.parametrize("text", ["recall is 0.70", "Failed KPI recall: 0.70", "(recall)", "recall."])
    def test_whole_name_is_found(self, text):
        """The KPI's name surrounded by spaces or punctuation counts as named."""
        results = evaluate_kpis([{"name": "recall", "kind": "performance", "threshold": 0.8, "direction": "min"}],
                                {"recall": 0.7})
        assessment = {"recommendation": "go with conditions", "conditions": ["Review."],
                      "findings": [{"finding": text, "severity": "medium"}]}
        assert check_risk_assessment(assessment, results) == []

    def test_unknown_kpi_blocks_unconditional_go(self):
        """A KPI whose value is unknown cannot be certified: no plain 'go', and it must be reported."""
        results = evaluate_kpis(KPIS, {**MEASURED, "di_age": 0.85, "gap": np.nan})
        problems = check_risk_assessment({"recommendation": "go", "findings": [], "conditions": []}, results)
        assert problems == [
            "An unconditional 'go' with KPI(s) ['gap'] whose value is unknown (NaN): a KPI that cannot be measured "
            "cannot be certified, so it counts like a failed one.",
            "Unknown KPI(s) ['gap'] are not named in any finding."]
        conditional = {"recommendation": "go with conditions", "conditions": ["Measure the gap first."],
                       "findings": [{"finding": "gap could not be measured", "severity": "medium"}]}
        assert check_risk_assessment(conditional, results) == []

    @pytest.mark.parametrize(("change", "message"), [
        ({"conditions": "Manual review of young applicants."},
         r"`assessment\['conditions'\]` should be a list of str, one per condition, got str .*Wrap a single"),
        ({"conditions": [1, 2]}, r"`assessment\['conditions'\]` should be a list of str"),
        ({"findings": {"finding": "di_age", "severity": "high"}}, r"`assessment\['findings'\]` should be a list"),
        ({"findings": ["di_age is 0.79"]}, r"`assessment\['findings'\]` should be a list of dicts"),
        ({"findings": [{"finding": 0.79, "severity": "high"}]}, r"`assessment\['findings'\]\[0\]\['finding'\]`"),
    ])
    def test_malformed_assessment(self, change, message):
        """A single string of conditions is not counted by character: malformed parts are errors."""
        with pytest.raises(ValueError, match=message):
            check_risk_assessment({**self.good, **change}, self.results)

    def test_not_a_dict(self):
        """The assessment itself must be a dict."""
        with pytest.raises(ValueError, match="`assessment` should be a dict"):
            check_risk_assessment([("recommendation", "go")], self.results)

    def test_high_severity_blocks_unconditional_go(self):
        """Even with every KPI passing, a high-severity finding rules out a plain go."""
        passing = evaluate_kpis(KPIS[:1], MEASURED)
        problems = check_risk_assessment({"recommendation": "go", "findings": [{"finding": "x", "severity": "high"}],
                                          "conditions": []}, passing)
        assert problems == ["An unconditional 'go' with a high-severity finding."]


class TestRender:
    def test_missing_value_is_named(self):
        """A template value the context lacks is an error naming it."""
        with pytest.raises(ValueError, match="'model_name' is undefined"):
            render("monitoring_playbook", kpis=[], escalation=[], rollback=[])

    def test_playbook_tables(self, tmp_path):
        """The playbook lists KPIs with their status, escalation and numbered rollback steps, in both formats."""
        kpis = evaluate_kpis(KPIS, MEASURED).reset_index().to_dict(orient="records")
        paths = write_report(tmp_path / "out", "playbook", "monitoring_playbook", model_name="demo", kpis=kpis,
                             escalation=[{"severity": "high", "when": "a fairness KPI fails", "who": "committee",
                                          "within": "24 hours"}], rollback=["Switch back.", "Freeze logs."])
        text = paths["md"].read_text()
        assert "| di_age | fairness | below | 0.8 | 0.790 | FAILED |" in text
        assert "2. Freeze logs." in text
        html = paths["html"].read_text()
        assert html.startswith("<!DOCTYPE html>") and "<title>Monitoring playbook: demo</title>" in html

    def test_playbook_unknown_kpi(self):
        """A KPI whose value is unknown is shown as UNKNOWN with its reason, never as ok."""
        kpis = evaluate_kpis(KPIS, {**MEASURED, "gap": np.nan}).reset_index().to_dict(orient="records")
        text = render("monitoring_playbook", model_name="demo", kpis=kpis, escalation=[], rollback=[])
        assert ("| gap | fairness | above | 0.1 | nan | UNKNOWN (the measured value is NaN, so it cannot be compared "
                "with the threshold) |") in text
