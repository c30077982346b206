"""Governance documents: KPI evaluation, risk-assessment consistency, templated reports."""

from __future__ import annotations

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
