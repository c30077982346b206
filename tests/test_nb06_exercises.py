"""Notebook 06's exercises: plausible mistakes get their specific message, correct answers in
another form pass, and wrong methods that hit the right value on this data fail (the checks
every exercise shares are in test_exercises.py). Also: the dashboard the notebook writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap

from model_health.teaching.exercises import nb06_bias_mitigation_explanations as nb06
from model_health.explain import linear_shap
from model_health.teaching.grading import Status
from model_health.notebook import global_seed

from conftest import chromium, feedback_failures, rendered_text, significant


def eo_zero_when_undefined(y_true, y_pred, groups, group, reference):
    """Right wherever both groups have positives; 0 instead of NaN otherwise."""
    value = nb06.reference_eo_difference(y_true, y_pred, groups, group, reference)
    return 0.0 if np.isnan(value) else value


def eo_of_selection_rates(y_true, y_pred, groups, group, reference):
    y_pred, groups = np.asarray(y_pred, dtype=float), np.asarray(groups)
    return y_pred[groups == group].mean() - y_pred[groups == reference].mean()


def inverse_group_frequency(groups, labels):
    """Balances group sizes, not group and label: ~1 on this data, wrong on the unseen case."""
    groups = pd.Series(np.asarray(groups))
    return (1 / groups.map(groups.value_counts(normalize=True)) / groups.nunique()).to_numpy()


def front_by_signed_gap(table):
    """Compares the signed gap: a gap of -0.10 looks smaller than +0.10."""
    return nb06.reference_pareto_front(table.assign(eo_difference=table["eo_difference"] + 1))


def most_accurate_ignoring_gap(table, max_gap):
    return table["accuracy"].idxmax()


def best_within_signed_gap(table, max_gap):
    """Compares the signed gap: every negative gap passes."""
    eligible = table[table["eo_difference"] <= max_gap]
    return eligible["accuracy"].idxmax() if len(eligible) else None


def best_strictly_within_gap(table, max_gap):
    eligible = table[table["eo_difference"].abs() < max_gap]
    return eligible["accuracy"].idxmax() if len(eligible) else None


def best_within_the_notebook_s_gap(table, max_gap):
    return nb06.reference_best_within_gap(table, nb06.MAX_GAP)


def top3_by_signed_weight(weights):
    return list(weights.sort_values(ascending=False).index[:3])


def lime_weights_with_default_samples(ns):
    """LIME's weights with explain_instance's default num_samples (5000) instead of the 2000 asked for."""
    features = list(ns["FEATURES"])
    return nb06._lime_weights(ns["train"], ns["test"].loc[ns["FOCUS"], features], ns["baseline"], features,
                              ns["SEED"], 5000)


def reasons_without_dropping_zeros(shap_row, k=3):
    order = shap_row.abs().sort_values(ascending=False, kind="stable").index[:k]
    return [(feature, "raised" if shap_row[feature] > 0 else "lowered") for feature in order]


def reasons_with_directions_swapped(shap_row, k=3):
    return [(feature, "lowered" if direction == "raised" else "raised")
            for feature, direction in nb06.top_reasons(shap_row, k)]


def change_in_standard_deviations(model, candidate, feature, threshold=0.5):
    scale = dict(zip(candidate.index, model[0].scale_))[feature]
    return nb06.change_needed(model, candidate, feature, threshold) / scale


def eo_against_everyone_else(y_true, y_pred, groups, group, reference):
    """TPR of ``group`` minus that of every other group pooled, not of ``reference`` (the same with two groups)."""
    others = np.where(np.asarray(groups) == group, group, reference)
    return nb06.reference_eo_difference(y_true, y_pred, others, group, reference)


def mistakes(ns):
    test, shortlist = ns["test"], ns["baseline_shortlist"]
    accuracy_vs_labels = (shortlist == test["past_hired"]).groupby(test["group"]).mean()
    hired = test["past_hired"] == 1
    tpr_vs_labels = pd.Series(shortlist, index=test.index)[hired].groupby(test["group"][hired]).mean()
    shap_values = ns["shap_values"]
    proba = ns["baseline"].predict_proba(test[ns["FEATURES"]])[:, 1]
    eligible = ns["tradeoff"][ns["tradeoff"]["eo_difference"].abs() <= nb06.MAX_GAP]
    probability_scale = shap_values.mul((proba - proba.mean()) / shap_values.sum(axis=1), axis=0)
    return [
        ("q1", dict(equal_opportunity_difference=eo_zero_when_undefined), "without any positives"),
        ("q1", dict(equal_opportunity_difference=eo_of_selection_rates), "TPR counts only"),
        ("q1", dict(equal_opportunity_difference=eo_against_everyone_else), "three groups"),  # issue 22
        ("q1", dict(baseline_accuracy=accuracy_vs_labels), "against past_hired"),
        ("q1", dict(baseline_eo_difference=-ns["baseline_eo_difference"]), "sign is reversed"),
        # Judged against past_hired throughout: the TPRs show it on every seed, where their difference alone can
        # agree with the right one to 3 digits (seed 43).
        ("q1", dict(baseline_tpr=tpr_vs_labels, baseline_eo_difference=nb06.reference_eo_difference(
            test["past_hired"], shortlist, test["group"], nb06.MINORITY, nb06.MAJORITY)), "measured against past_hired"),
        ("q1", dict(baseline_tpr=pd.Series(shortlist, index=test.index).groupby(test["group"]).mean()),
         "should be"),  # the selection rate per group
        ("q1", dict(baseline_eo_difference=float(np.mean(shortlist[test["group"] == nb06.MINORITY])
                                                 - np.mean(shortlist[test["group"] == nb06.MAJORITY]))),
         "difference of selection rates"),
        ("q2", dict(reweighing_weights=inverse_group_frequency), "On ten people"),
        ("q2", dict(reweighing_weights=lambda g, y: 1 / nb06.reference_reweighing_weights(g, y)), "upside down"),
        ("q2", dict(train_weights=np.ones(len(test))), "size of the test set"),
        ("q2", dict(reweighing_diagnosis="b"), "takes sample_weight"),
        ("q2", dict(reweighing_diagnosis="c"), "without the group as a feature"),
        ("q2", dict(reweighing_diagnosis="z"), "should be one of"),
        ("q3", dict(eg_shortlist=nb06._exponentiated_gradient(ns["train"], test, ns["FEATURES"], ns["SEED"],
                                                             "DemographicParity", "group")), "DemographicParity"),
        ("q3", dict(eg_shortlist=nb06._exponentiated_gradient(ns["train"], test, ns["FEATURES"], ns["SEED"],
                                                             "TruePositiveRateParity", "gender")), "across gender"),
        ("q3", dict(eg_shortlist=shortlist), "differs from the stated method"),
        # issue 22: predict without random_state drew from the global generator, which setup() had made a fresh
        # RandomState(SEED): right from the top, wrong on a re-run. Now it is wrong at once.
        ("q3", dict(eg_shortlist=ns["constrained"].predict(test[ns["FEATURES"]], random_state=np.random.RandomState(
            global_seed(ns["SEED"])))), "pass random_state=SEED"),
        ("q3", dict(eg_shortlist=proba), "scores, not 0/1 labels"),
        ("q4", dict(to_shortlist=nb06._threshold_optimizer(ns["train"], test, ns["FEATURES"], ns["SEED"],
                                                           "true_positive_rate_parity", "test")), "fitted on the test set"),
        ("q4", dict(to_shortlist=nb06._threshold_optimizer(ns["train"], test, ns["FEATURES"], ns["SEED"],
                                                           "demographic_parity", "train")), "equalises selection rates"),
        ("q4", dict(to_shortlist=shortlist[:100]), "expected one per row"),
        ("q5", dict(pareto_front=front_by_signed_gap), "size of the gap"),
        ("q5", dict(pareto_front=lambda table: nb06.reference_pareto_front(nb06.UNSEEN_TRADEOFF)),  # a constant
         "On `tradeoff`"),
        # issue 22 §3: tradeoff_choice = the most accurate point overall was the right label on seeds 11, 19, 59 and 101
        # (their most accurate point is within the gap); best_within_gap, run on unseen tables, tells the methods apart.
        ("q5", dict(best_within_gap=most_accurate_ignoring_gap), "without looking at the gap"),
        ("q5", dict(best_within_gap=best_within_signed_gap), "compares the signed gap"),
        ("q5", dict(best_within_gap=best_strictly_within_gap), "exactly max_gap"),
        ("q5", dict(best_within_gap=best_within_the_notebook_s_gap), "ignores its `max_gap`"),
        ("q5", dict(tradeoff_choice=int(np.argmax(eligible["accuracy"].to_numpy()))), "is a position"),
        ("q6", dict(fitting_metric={**nb06.CONTEXTS, "interview shortlist": "demographic parity"}),
         "labels themselves cannot be trusted"),
        ("q6", dict(fitting_metric={**nb06.CONTEXTS, "misconduct investigation": "equal opportunity"}),
         "nothing about false positives"),
        ("q6", dict(fitting_metric={**nb06.CONTEXTS, "score read as a probability": "accuracy"}), "should be one of"),
        ("q8", dict(shap_values=probability_scale), "probability-scale"),
        # issue 22: explainer(X)'s Explanation got the generic message
        ("q8", dict(shap_values=shap.Explanation(values=shap_values.to_numpy(),
                                                 base_values=np.zeros(len(shap_values)))), "give its `.values`"),
        ("q8", dict(shap_values=shap_with_the_default_background(ns)), "keeps only max_samples=100 rows"),
        ("q8", dict(shap_values=shap_values.iloc[:10]), "one row per test candidate"),
        ("q8", dict(global_importance=shap_values.mean()), "mean signed SHAP"),
        ("q8", dict(global_importance=pd.Series(np.abs(ns["baseline"][-1].coef_[0]), index=ns["FEATURES"])),
         "mean |SHAP| per feature"),
        ("q9", dict(top_reasons_of=reasons_without_dropping_zeros), "exactly 0"),
        ("q9", dict(top_reasons_of=reasons_with_directions_swapped), "directions are not"),
        # issue 22 §3: lime_top3 = the first three features was LIME's top 3 on seed 7 (three of four features hit by
        # chance); the mistakes below are wrong on every seed: a sort that forgets ascending=False picks the three
        # smallest, and the function and the weights are checked on unseen weights and as numbers.
        ("q10", dict(lime_top3=list(ns["lime_weights"].abs().sort_values().index[:3])), "three largest |weights|"),
        ("q10", dict(top3_features=top3_by_signed_weight), "sorts by the signed weight"),
        ("q10", dict(top3_features=lambda weights: list(weights.index[:3])), "the three largest |weights| are"),
        ("q10", dict(lime_weights=lime_weights_with_default_samples(ns)), "num_samples=2000"),
        ("q10", dict(lime_weights=ns["shap_values"].loc[ns["FOCUS"]]), "SHAP values of the candidate"),
        ("q10", dict(lime_weights=ns["lime_weights"].iloc[:3]), "num_features=4"),
        ("q10", dict(top3_overlap=3 - ns["top3_overlap"] or 1), "count the features in both"),
        ("q11", dict(smallest_change=change_in_standard_deviations), "standard deviations"),
        ("q11", dict(smallest_change=lambda model, candidate, feature, threshold=0.5: ns["smallest_change"](
            model, candidate, feature)), "ignores its `threshold`"),  # issue 22: only 0.5 was tried
        ("q11", dict(smallest_change=lambda model, candidate, feature, threshold=0.5: ns["smallest_change"](
            ns["baseline"], candidate, feature, threshold)), "not its `model` argument"),  # issue 22: one model tried
        ("q11", dict(focus_change=2 * ns["focus_change"] + 1), "score of 0.5"),
    ]


def test_each_mistake_gets_its_specific_feedback(solved_nb06):
    assert feedback_failures(nb06.EXERCISES, solved_nb06, mistakes(solved_nb06)) == []


def correct_in_another_form(ns):
    def eo_as_float32(y_true, y_pred, groups, group, reference):
        return np.float32(nb06.reference_eo_difference(y_true, y_pred, groups, group, reference))

    return [
        ("q1", dict(equal_opportunity_difference=eo_as_float32,
                    baseline_accuracy={k: significant(v) for k, v in reversed(list(ns["baseline_accuracy"].items()))},
                    baseline_tpr={k: significant(v) for k, v in reversed(list(ns["baseline_tpr"].items()))},
                    baseline_eo_difference=significant(ns["baseline_eo_difference"]))),
        ("q2", dict(reweighing_weights=lambda g, y: list(nb06.reference_reweighing_weights(g, y)),
                    train_weights=pd.Series(ns["train_weights"]).astype("float32"))),
        ("q3", dict(eg_shortlist=list(np.asarray(ns["eg_shortlist"]).astype(bool)))),
        ("q4", dict(to_shortlist=pd.Series(ns["to_shortlist"]).astype("int32"))),
        ("q5", dict(pareto_front=lambda table: tuple(reversed(nb06.reference_pareto_front(table))),
                    best_within_gap=lambda table, max_gap: str(nb06.reference_best_within_gap(table, max_gap))
                    if abs(table["eo_difference"]).min() <= max_gap else None,
                    tradeoff_choice=np.str_(ns["tradeoff_choice"]))),
        ("q6", dict(fitting_metric={k: v.title() for k, v in reversed(nb06.CONTEXTS.items())})),
        ("q6", dict(fitting_metric={f"{k.title()} ": v for k, v in nb06.CONTEXTS.items()})),  # issue 22: keys too
        ("q8", dict(shap_values=ns["shap_values"].to_numpy(),
                    global_importance=ns["global_importance"].sort_index().map(significant).to_dict())),
        ("q9", dict(top_reasons_of=lambda row, k=3: [list(pair) for pair in nb06.top_reasons(row, k)])),
        ("q10", dict(lime_weights=ns["lime_weights"].map(significant).to_dict(),
                     top3_features=lambda weights: set(weights.abs().nlargest(3).index),
                     lime_top3=tuple(reversed(ns["lime_top3"])), shap_top3=set(ns["shap_top3"]),
                     top3_overlap=np.int64(ns["top3_overlap"]))),
        ("q11", dict(focus_change=significant(ns["focus_change"]))),
    ]


def test_correct_answers_in_other_forms_pass(solved_nb06):
    """Every case of correct_in_another_form grades correct (a fixed count of cases here once left new ones
    unrun)."""
    exercises = {exercise.name: exercise for exercise in nb06.EXERCISES}
    refused = [f"{name} {sorted(answers)}: {result.message}" for name, answers in correct_in_another_form(solved_nb06)
               if (result := exercises[name].grade({**solved_nb06, **answers})).status is not Status.CORRECT]
    assert not refused, "\n".join(refused)


def test_a_grid_search_counterfactual_is_accepted(solved_nb06):
    """A learner who searches a grid of 0.001 steps instead of solving in closed form is right too."""
    def grid_search(model, candidate, feature, threshold=0.5):
        exact = nb06.change_needed(model, candidate, feature, threshold)
        return float(np.ceil(exact * 1000) / 1000)

    result = nb06.q11.grade({**solved_nb06, "smallest_change": grid_search})
    assert result.status is Status.CORRECT, result.message


def test_unseen_cases_tell_the_wrong_methods_apart():
    groups, labels, _ = nb06.UNSEEN_LABELS
    assert not np.allclose(inverse_group_frequency(groups, labels), nb06.reference_reweighing_weights(groups, labels))
    table = nb06.UNSEEN_TRADEOFF
    assert front_by_signed_gap(table) != nb06.reference_pareto_front(table)
    table = nb06.UNSEEN_CHOICE
    for wrong in (most_accurate_ignoring_gap, best_within_signed_gap, best_strictly_within_gap,
                  best_within_the_notebook_s_gap):
        assert any(wrong(table, gap) != nb06.reference_best_within_gap(table, gap) for gap in nb06.UNSEEN_MAX_GAPS)
    assert all(sorted(top3_by_signed_weight(weights)) != sorted(nb06._top3(weights))
               for weights, _ in nb06.UNSEEN_WEIGHTS)


def test_reweighing_weights_agree_with_aif360(solved_nb06):
    from model_health.fairness import aif360_reweighing_weights

    train = solved_nb06["train"]
    ours = nb06.reference_reweighing_weights(train["group"], train["past_hired"])
    assert np.allclose(ours, aif360_reweighing_weights(train["group"], train["past_hired"], privileged="majority"))


def test_the_mitigations_close_the_gap_reweighing_does_not(solved_nb06):
    """The notebook's story, measured: reweighing leaves the gap; the constraint and the thresholds shrink it."""
    ns = solved_nb06
    gap = {name: abs(ns["equal_opportunity_difference"](ns["test"]["qualified"], shortlist, ns["test"]["group"],
                                                        nb06.MINORITY, nb06.MAJORITY))
           for name, shortlist in (("baseline", ns["baseline_shortlist"]), ("reweighing", ns["reweighed_shortlist"]),
                                   ("eg", ns["eg_shortlist"]), ("to", ns["to_shortlist"]))}
    assert gap["baseline"] > 0.15 and abs(gap["reweighing"] - gap["baseline"]) < 0.02
    assert gap["eg"] < gap["baseline"] / 2 and gap["to"] < gap["baseline"] / 2


def test_narratives_are_faithful_to_the_shap_values(solved_nb06):
    ns = solved_nb06
    for row in ns["narratives"].itertuples():
        values = ns["shap_values"].loc[row.candidate]
        top = values.abs().sort_values(ascending=False).index[:3]
        text = row.narrative
        positions = [text.index(f"{ns['LABELS'][feature]} {'raised' if values[feature] > 0 else 'lowered'}")
                     for feature in top]
        assert positions == sorted(positions), text


def test_the_dashboard_holds_the_assessment_and_every_narrative(solved_nb06):
    page = solved_nb06["dashboard"]["html"].read_text(encoding="utf-8")
    for row in solved_nb06["narratives"].itertuples():
        assert row.narrative.replace("'", "&#x27;") in page or row.narrative in page
    for method in ("baseline", "reweighing", "exponentiated gradient", "threshold optimizer"):
        assert f"<td>{method}</td>" in page
    assert 'src="tradeoff.png"' in page and (solved_nb06["dashboard"]["html"].parent / "tradeoff.png").stat().st_size


@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium; "
                                                "CI installs it): the dashboard rendering check needs a browser")
def test_the_dashboard_renders_in_chromium(solved_nb06, tmp_path):
    text = rendered_text(solved_nb06["dashboard"]["html"], tmp_path / "profile")
    assert "Overall fairness assessment" in text and "Individual candidates" in text
    assert solved_nb06["narratives"]["narrative"].iloc[0].split(". ")[1] in text


def test_shap_values_of_the_notebook_add_up_to_the_model(solved_nb06):
    ns = solved_nb06
    values = linear_shap(ns["baseline"], ns["train"][ns["FEATURES"]], ns["test"][ns["FEATURES"]])
    assert np.allclose(values.sum(axis=1) + values.attrs["base_value"],
                       ns["baseline"].decision_function(ns["test"][ns["FEATURES"]]))


def shap_with_the_default_background(ns):
    """The hint's call without max_samples, as a learner writes it: shap silently keeps 100 background rows."""
    import shap

    model, features = ns["baseline"], list(ns["FEATURES"])
    masker = shap.maskers.Independent(model[:-1].transform(ns["train"][features]))
    return shap.LinearExplainer(model[-1], masker).shap_values(model[:-1].transform(ns["test"][features]))


def test_the_tpr_gap_is_told_in_percentage_points_and_as_a_share(solved_nb06):
    """Issue 22: TPRs 0.718 and 0.504 were told as "shortlisted 21% less often" (21 points; 30% less often)."""
    test, shortlist = solved_nb06["test"], np.asarray(solved_nb06["baseline_shortlist"], dtype=float)
    qualified = test["qualified"].to_numpy() == 1
    tpr = pd.Series(shortlist[qualified]).groupby(test["group"].to_numpy()[qualified]).mean()
    minority, majority = tpr[nb06.MINORITY], tpr[nb06.MAJORITY]
    message = nb06.q1.grade(solved_nb06).message
    assert f"{minority:.1%} of the under-represented group are shortlisted against {majority:.1%}" in message
    assert f"{(majority - minority) * 100:.1f} percentage points ({1 - minority / majority:.0%} less often)" in message
