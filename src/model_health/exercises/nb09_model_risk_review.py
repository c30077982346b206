"""Exercises of notebook 09, Model risk review (Statlog German Credit).

Checkers recompute expected values from the learner's split and model with the reference
code (``model_health.fairness``, ``model_health.reports``). Tolerances: 1e-6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model_health.fairness import aif360_group_metrics, intersectional_rates
from model_health.grading import (
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    call_learner_function,
    expect_close,
    expect_dataframe,
    expect_number,
)
from model_health.reports import check_risk_assessment, evaluate_kpis, render

NOTEBOOK = "09_model_risk_review"
AIF360_COLUMNS = ("disparate_impact", "statistical_parity_difference", "equal_opportunity_difference",
                  "average_odds_difference")


def _selection_rates(ns, attribute: str) -> pd.Series:
    return pd.Series(np.asarray(ns["y_pred"])).groupby(ns["audit_groups"][attribute].to_numpy()).mean()


class DisparateImpactByHand(Exercise):
    title = "Disparate impact by hand (the four-fifths rule)"
    reads = ("disparate_impact_age",)
    hints = (
        "Selection rate = share approved (y_pred == 1) within a group.",
        "Disparate impact = selection rate of the unprivileged group / selection rate of the privileged group.",
        "Here the unprivileged group is '25 or younger' and the privileged one '26 and older'.",
    )

    def expect(self, ns, disparate_impact_age):
        rates = _selection_rates(ns, "age_band")
        young, old = rates["25 or younger"], rates["26 and older"]
        value = expect_number("disparate_impact_age", disparate_impact_age)
        expect_close("disparate_impact_age", value, young / old, mistakes={
            "this is the inverse ratio: put the unprivileged group (25 or younger) on top.": old / young,
            "this is a difference of selection rates; disparate impact is their ratio.": young - old,
        }, otherwise="that is not the ratio of the two age groups' approval rates on the test set.")
        verdict = "fails" if young / old < 0.8 else "passes"
        return f"{young / old:.3f}: the model {verdict} the four-fifths rule for age."


def _failing_attributes(audit: pd.DataFrame) -> list[str]:
    """Attributes failing the review's rule: disparate impact < 0.8 or |equal opportunity difference| > 0.1."""
    return sorted(audit.index[(audit["disparate_impact"] < 0.8) | (audit["equal_opportunity_difference"].abs() > 0.1)])


def _intersectional(ns) -> pd.DataFrame:
    return intersectional_rates(ns["y_test"], ns["y_pred"], ns["audit_groups"][["sex", "age_band"]],
                                min_group_size=ns["MIN_GROUP_SIZE"])


class Aif360Audit(Exercise):
    title = "Audit three protected attributes with AIF360"
    reads = ("audit", "failing_attributes")
    hints = (
        "For each attribute in PRIVILEGED, call aif360_group_metrics(y_test, y_pred, audit_groups[attribute], "
        "privileged=PRIVILEGED[attribute]).",
        "pd.DataFrame({attribute: metrics, ...}).T gives one row per attribute.",
        "An attribute fails when disparate impact < 0.8 or |equal opportunity difference| > 0.1.",
    )

    def expected(self, ns) -> pd.DataFrame:
        return pd.DataFrame({attribute: aif360_group_metrics(ns["y_test"], ns["y_pred"], ns["audit_groups"][attribute],
                                                             privileged=privileged)
                             for attribute, privileged in ns["PRIVILEGED"].items()}).T

    def expect(self, ns, audit, failing_attributes):
        table = expect_dataframe("audit", audit, AIF360_COLUMNS)
        expected = self.expected(ns)
        if sorted(table.index) != sorted(expected.index):
            raise Incorrect(f"`audit` has rows {list(table.index)}; expected one per attribute {list(expected.index)}.")
        for attribute in expected.index:
            mine, reference = table.loc[attribute, list(AIF360_COLUMNS)].astype(float), expected.loc[attribute]
            if np.allclose(-mine.to_numpy()[1:], reference.to_numpy()[1:], atol=1e-6):
                raise Incorrect(f"For {attribute} the differences have the wrong sign: privileged must be "
                                f"{ns['PRIVILEGED'][attribute]!r}.")
            if not np.allclose(mine.to_numpy(), reference.to_numpy(), atol=1e-6):
                raise Incorrect(f"The {attribute} row does not match AIF360's metrics with privileged = "
                                f"{ns['PRIVILEGED'][attribute]!r} on the test predictions.")
        failing = _failing_attributes(expected)
        only_di = sorted(expected.index[expected["disparate_impact"] < 0.8])
        if not isinstance(failing_attributes, (list, tuple)):
            raise Incorrect(f"`failing_attributes` should be a list of attribute names, got "
                            f"{type(failing_attributes).__name__}.")
        if sorted(failing_attributes) != failing:
            if sorted(failing_attributes) == only_di and only_di != failing:
                raise Incorrect("You applied only the four-fifths rule; an attribute also fails when the equal "
                                "opportunity difference exceeds 0.1 in size.")
            raise Incorrect("`failing_attributes` does not match the rule: disparate impact < 0.8 or "
                            "|equal opportunity difference| > 0.1.")
        return f"Failing: {failing}. These become findings in the risk assessment."

    def reference(self, ns):
        expected = self.expected(ns)
        return expected, _failing_attributes(expected)


class Intersectional(Exercise):
    title = "Intersectional groups, with uncertainty"
    reads = ("intersectional", "largest_reliable_gap")
    hints = (
        "intersectional_rates(y_test, y_pred, audit_groups[['sex', 'age_band']], min_group_size=MIN_GROUP_SIZE).",
        "Keep rows with reliable == True, then take max - min of their selection_rate.",
    )

    def expect(self, ns, intersectional, largest_reliable_gap):
        expected = _intersectional(ns)
        table = expect_dataframe("intersectional", intersectional, ["n", "selection_rate", "reliable"])
        if len(table) != len(expected) or not np.allclose(table["n"].to_numpy(float), expected["n"].to_numpy(float)):
            raise Incorrect("`intersectional` should have one row per sex x age band combination of the test set.")
        if not table["reliable"].equals(expected["reliable"]):
            raise Incorrect(f"`reliable` should mark groups with at least MIN_GROUP_SIZE = {ns['MIN_GROUP_SIZE']} rows.")
        reliable = expected[expected["reliable"]]["selection_rate"]
        every = expected["selection_rate"]
        value = expect_number("largest_reliable_gap", largest_reliable_gap)
        expect_close("largest_reliable_gap", value, reliable.max() - reliable.min(), mistakes={
            "this gap includes groups too small to judge; use only rows marked reliable.": every.max() - every.min(),
        }, otherwise="that is not max - min of selection_rate over the reliable groups.")
        small = expected[~expected["reliable"]]
        return (f"Gap among reliable groups: {value:.3f}. {len(small)} group(s) are too small; report their "
                "intervals, not their point estimates.")

    def reference(self, ns):
        table = _intersectional(ns)
        reliable = table.loc[table["reliable"], "selection_rate"]
        return table, float(reliable.max() - reliable.min())


def _edge_cases(ns) -> dict[str, pd.DataFrame]:
    return ns["EDGE_CASES"]


class ValidateApplication(Exercise):
    title = "Reject what the model should never score"
    reads = ("validate_application",)
    hints = (
        "The raw model scores anything: missing values, a negative age, a category it never saw.",
        "For numeric columns, compare with TRAINING_RANGES (min, max); for categories, with KNOWN_CATEGORIES.",
        "Return a list of readable problems, e.g. ['age -5 is outside the training range 19-75']; [] when fine.",
    )

    def expect(self, ns, validate_application):
        for name, row in _edge_cases(ns).items():
            problems = call_learner_function(validate_application, row, name="validate_application")
            if not isinstance(problems, list):
                raise Incorrect(f"`validate_application` should return a list of problems, got {type(problems).__name__}.")
            if not problems:
                raise Incorrect(f"The edge case '{name}' passed your validation: it should be rejected.")
        for position in range(10):
            row = ns["X_train"].iloc[[position]]
            problems = call_learner_function(validate_application, row, name="validate_application")
            if problems:
                raise Incorrect(f"A normal application (row {position} of X_train) was rejected: {problems}. "
                                "Validation must not block ordinary customers.")
        return f"All {len(_edge_cases(ns))} edge cases are rejected with a reason, and normal applications pass."


class PerturbationRobustness(Exercise):
    title = "How many decisions flip under small, realistic changes?"
    reads = ("flip_rate",)
    hints = (
        "perturb(X_test, SEED) changes credit_amount by up to 5% and duration by a month.",
        "Compare model.predict on the perturbed rows with y_pred and take the share that differs.",
    )

    def expect(self, ns, flip_rate):
        perturbed = ns["model"].predict(ns["perturb"](ns["X_test"], ns["SEED"]))
        expected = float(np.mean(perturbed != np.asarray(ns["y_pred"])))
        value = expect_number("flip_rate", flip_rate)
        expect_close("flip_rate", value, expected, mistakes={
            "this is the share that stayed the same; flip_rate is the share that changed.": 1 - expected,
            "this is a count; divide by the number of applications.": float(np.sum(perturbed != np.asarray(ns["y_pred"]))),
        }, otherwise="that is not the share of test decisions that change under perturb(X_test, SEED).")
        return f"{expected:.1%} of decisions flip under changes an applicant would call trivial."


class ProtectedAttributeProbe(Exercise):
    title = "Does flipping only the protected attribute change the decision?"
    reads = ("protected_flip_rate",)
    hints = (
        "with_sex_flipped(X_test) returns the same applications with only the `sex` column flipped.",
        "Compare the model's decisions on them with y_pred.",
    )

    def expect(self, ns, protected_flip_rate):
        flipped = ns["model"].predict(ns["with_sex_flipped"](ns["X_test"]))
        expected = float(np.mean(flipped != np.asarray(ns["y_pred"])))
        expect_close("protected_flip_rate", expect_number("protected_flip_rate", protected_flip_rate), expected,
                     mistakes={"this is the share unchanged; report the share that changed.": 1 - expected},
                     otherwise="that is not the share of decisions that change when only `sex` is flipped.")
        return (f"{expected:.1%} change. Few flips does not prove fairness: `personal_status_sex` still "
                "encodes sex, a proxy the model can read.")


def reference_amount_cut(model, applicant: pd.DataFrame, step: int) -> int | None:
    """The smallest cut of credit_amount, in multiples of ``step``, that turns a denial into an approval."""
    amount = int(applicant["credit_amount"].iloc[0])
    cuts = np.arange(step, amount, step)
    if cuts.size == 0:
        return None
    # One batch per applicant: a model call per candidate would make the check take seconds.
    candidates = applicant.loc[applicant.index.repeat(cuts.size)].assign(credit_amount=amount - cuts)
    approved = np.flatnonzero(model.predict(candidates) == 1)
    return int(cuts[approved[0]]) if approved.size else None


class Counterfactual(Exercise):
    title = "The smallest change that flips a denial"
    reads = ("smallest_amount_cut",)
    hints = (
        "Try cuts of AMOUNT_STEP, 2 * AMOUNT_STEP, ... below the applicant's credit_amount, in that order.",
        "For each cut, model.predict(applicant.assign(credit_amount=amount - cut)); stop at the first approval (1).",
        "If no cut below the full amount flips the decision, the answer is None.",
    )

    def expect(self, ns, smallest_amount_cut):
        model, applicant, step = ns["model"], ns["applicant"], ns["AMOUNT_STEP"]
        expected = reference_amount_cut(model, applicant, step)
        if expected is None:
            if smallest_amount_cut is not None:
                raise Incorrect("No cut below the full amount flips this denial; the answer is None.")
            return "No amount cut flips this denial: the reason lies elsewhere."
        cut = expect_number("smallest_amount_cut", smallest_amount_cut)
        amount = int(applicant["credit_amount"].iloc[0])
        if cut == amount - expected:
            raise Incorrect(f"{cut:g} is the new amount; report the cut (how much less to borrow).")
        if cut % step:
            raise Incorrect(f"Search in steps of AMOUNT_STEP = {step} DM; {cut:g} is not a multiple of it.")
        if cut > expected:
            raise Incorrect(f"A cut of {cut:g} DM flips the decision, but a smaller one already does.")
        if cut < expected:
            raise Incorrect(f"With a cut of {cut:g} DM the model still denies the loan.")
        denied = ns["X_test"][np.asarray(ns["y_pred"]) == 0]
        flippable = sum(reference_amount_cut(model, denied.iloc[[i]], step) is not None for i in range(len(denied)))
        return (f"'You would be approved for {amount - expected:,} DM instead of {amount:,}': a counterfactual a "
                f"customer understands. Only {flippable} of {len(denied)} denials can be flipped this way.")


class DefineKpis(Exercise):
    title = "Monitoring KPIs, fairness included, as data"
    reads = ("kpis",)
    hints = (
        "Each KPI is a dict with name (a key of `measured`), kind ('performance' or 'fairness'), threshold "
        "and direction ('min': alert below, 'max': alert above).",
        "Include performance (e.g. roc_auc) and fairness (e.g. disparate_impact_age with threshold 0.8).",
    )

    def expect(self, ns, kpis):
        try:
            results = evaluate_kpis(kpis, ns["measured"])
        except ValueError as problem:
            raise Incorrect(str(problem)) from None
        kinds = set(results["kind"])
        if kinds != {"performance", "fairness"}:
            missing = sorted({"performance", "fairness"} - kinds)
            raise Incorrect(f"Add at least one {missing[0]} KPI: monitoring must watch both.")
        loose = results[results.index.str.startswith("disparate_impact") & (results["threshold"] < 0.8)]
        if len(loose):
            raise Incorrect(f"{list(loose.index)} use a threshold below 0.8: looser than the four-fifths rule.")
        failed = results.index[~results["passed"]].tolist()
        return f"{len(results)} KPIs; failing at launch: {failed or 'none'}."

    def reference(self, ns):
        fairness = [{"name": f"disparate_impact_{attribute}", "kind": "fairness", "threshold": 0.8, "direction": "min"}
                    for attribute in ns["PRIVILEGED"]]
        return [{"name": "roc_auc", "kind": "performance", "threshold": 0.7, "direction": "min"}, *fairness]


class RiskAssessment(Exercise):
    title = "A risk assessment that holds together"
    reads = ("risk_assessment",)
    hints = (
        "recommendation is 'go', 'go with conditions' or 'no-go'; findings are dicts with 'finding' and 'severity'.",
        "A failed KPI must be named in a finding, and a failed fairness KPI rules out an unconditional 'go'.",
    )

    def expect(self, ns, risk_assessment):
        if not isinstance(risk_assessment, dict):
            raise Incorrect(f"`risk_assessment` should be a dict, got {type(risk_assessment).__name__}.")
        problems = check_risk_assessment(risk_assessment, evaluate_kpis(ns["kpis"], ns["measured"]))
        if problems:
            raise Incorrect(" ".join(problems))
        return f"Consistent: '{risk_assessment['recommendation']}' with {len(risk_assessment.get('conditions', []))} condition(s)."

    def reference(self, ns):
        results = evaluate_kpis(ns["kpis"], ns["measured"])
        failed = results.index[~results["passed"]].tolist()
        return {
            "recommendation": "go with conditions" if failed else "go",
            "findings": [{"finding": f"Failed KPI {name}", "severity": "high"} for name in failed],
            "conditions": [f"Remediate {name} before full launch; manual review meanwhile." for name in failed],
        }


class ModelCardContext(Exercise):
    title = "Fill in the model card"
    reads = ("model_card_context",)
    hints = (
        "The model card template needs every Mitchell et al. section; a missing key is named in the feedback.",
        "metrics and fairness come from `measured` and `audit`; recommendation and conditions from risk_assessment.",
    )

    def expect(self, ns, model_card_context):
        if not isinstance(model_card_context, dict):
            raise Incorrect(f"`model_card_context` should be a dict, got {type(model_card_context).__name__}.")
        try:
            render("model_card", **model_card_context)
        except ValueError as problem:
            raise Incorrect(str(problem)) from None
        for name, value in model_card_context["metrics"].items():
            if name in ns["measured"] and abs(float(value) - ns["measured"][name]) > 1e-6:
                raise Incorrect(f"The card reports {name} = {float(value):.3f}, but it was measured at "
                                f"{ns['measured'][name]:.3f}.")
        if model_card_context["recommendation"] != ns["risk_assessment"]["recommendation"]:
            raise Incorrect("The card's recommendation differs from the risk assessment's.")
        empty = [key for key, value in model_card_context.items() if isinstance(value, str) and not value.strip()]
        if empty:
            raise Incorrect(f"Section(s) {empty} are empty; a model card says something in each.")
        return "The card renders, and its numbers and recommendation match the audit."


class StakeholderSummary(WrittenAnswer):
    title = "Present the findings to business and legal"
    reads = ("stakeholder_summary",)
    min_words = 60
    rubric = (
        "Opens with the recommendation and the one reason that matters most.",
        "States each fairness finding in plain words (who is approved less often, by how much), with uncertainty.",
        "Separates what was measured from what is suspected (proxies, causes).",
        "Lists the conditions, each with an owner and a date or trigger.",
        "Says what monitoring and rollback exist if the model goes live.",
    )


EXERCISES = ExerciseSet(NOTEBOOK, [
    DisparateImpactByHand(), Aif360Audit(), Intersectional(), ValidateApplication(), PerturbationRobustness(),
    ProtectedAttributeProbe(), Counterfactual(), DefineKpis(), RiskAssessment(), ModelCardContext(),
    StakeholderSummary(),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "score_summary"]
