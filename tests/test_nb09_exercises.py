"""Notebook 09's exercises: plausible mistakes get their specific message (the checks every
exercise shares are in test_exercises.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model_health.exercises import nb09_model_risk_review as nb09

from conftest import feedback_failures


def mistakes(ns):
    approval = pd.Series(ns["y_pred"], index=ns["X_test"].index).groupby(ns["audit_groups"]["age_band"]).mean()
    young, old = approval["25 or younger"], approval["26 and older"]
    audit = ns["audit"]
    flipped_sign = audit.copy()
    flipped_sign.loc["sex", flipped_sign.columns[1:]] *= -1
    table = ns["intersectional"]
    flips = np.sum(ns["model"].predict(ns["perturb"](ns["X_test"], ns["SEED"])) != ns["y_pred"])
    kpis = ns["kpis"]
    assessment = ns["risk_assessment"]
    context = ns["model_card_context"]
    return [
        ("q1", dict(disparate_impact_age=old / young), "inverse ratio"),
        ("q1", dict(disparate_impact_age=young - old), "difference"),
        ("q2", dict(audit=flipped_sign), "wrong sign"),
        ("q2", dict(failing_attributes=sorted(audit.index[audit["disparate_impact"] < 0.8])), "only the four-fifths"),
        ("q2", dict(audit=audit.drop("sex")), "one per attribute"),
        ("q3", dict(largest_reliable_gap=float(table["selection_rate"].max() - table["selection_rate"].min())),
         "too small to judge"),
        ("q3", dict(intersectional=table.assign(reliable=True)), "MIN_GROUP_SIZE"),
        ("q4", dict(validate_application=lambda row: []), "passed your validation"),
        ("q4", dict(validate_application=lambda row: ["always"]), "normal application"),
        ("q4", dict(validate_application=lambda row: row["nope"]), "raised KeyError"),
        ("q5", dict(flip_rate=float(flips)), "count"),
        ("q6", dict(protected_flip_rate=1 - ns["protected_flip_rate"]), "share unchanged"),
        ("q7", dict(smallest_amount_cut=int(ns["applicant"]["credit_amount"].iloc[0]) - ns["smallest_amount_cut"]),
         "new amount"),
        ("q7", dict(smallest_amount_cut=ns["smallest_amount_cut"] + ns["AMOUNT_STEP"]), "smaller one already"),
        ("q7", dict(smallest_amount_cut=ns["smallest_amount_cut"] - ns["AMOUNT_STEP"]), "still denies"),
        ("q7", dict(smallest_amount_cut=ns["smallest_amount_cut"] + 1), "multiple"),
        ("q8", dict(kpis=[k for k in kpis if k["kind"] == "performance"]), "fairness KPI"),
        ("q8", dict(kpis=[*kpis, {"name": "disparate_impact_sex", "kind": "fairness", "threshold": 0.6,
                                  "direction": "min"}]), "four-fifths"),
        ("q8", dict(kpis=[{"name": "speed", "kind": "performance", "threshold": 1, "direction": "min"}]),
         "no measured value"),
        ("q9", dict(risk_assessment={**assessment, "recommendation": "go"}), "failed fairness KPI"),
        ("q9", dict(risk_assessment={**assessment, "conditions": []}), "names no conditions"),
        ("q9", dict(risk_assessment={**assessment, "findings": []}), "not named in any finding"),
        ("q9", dict(risk_assessment={**assessment, "recommendation": "maybe"}), "must be in"),
        ("q10", dict(model_card_context={k: v for k, v in context.items() if k != "intended_use"}), "intended_use"),
        ("q10", dict(model_card_context={**context, "metrics": {**context["metrics"], "roc_auc": 0.99}}),
         "measured at"),
        ("q10", dict(model_card_context={**context, "recommendation": "go"}), "differs from the risk assessment"),
    ]


def test_mistakes_get_specific_feedback(solved_nb09):
    """Each plausible mistake is incorrect, with the message that names its likely cause."""
    failures = feedback_failures(nb09.EXERCISES, solved_nb09, mistakes(solved_nb09))
    assert not failures, "\n".join(failures)


def test_documents_are_written(solved_nb09, tmp_path):
    """The solved context renders a model card with every Mitchell et al. section, as Markdown and HTML."""
    from model_health.reports import write_report

    paths = write_report(tmp_path, "card", "model_card", **solved_nb09["model_card_context"])
    text = paths["md"].read_text()
    for section in ("Model details", "Intended use", "Factors", "Metrics", "Evaluation data", "Training data",
                    "Quantitative analyses", "Ethical considerations", "Caveats and recommendations"):
        assert f"## {section}" in text
    assert "<table>" in paths["html"].read_text()
