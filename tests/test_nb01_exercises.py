"""Notebook 01's exercises: plausible mistakes get their specific message, every correct form of
an answer passes, and a wrong method is caught even where it hits the right value on this data
(the checks every exercise shares are in test_exercises.py)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn import metrics
from sklearn.model_selection import train_test_split

from model_health.evaluation import threshold_for_recall
from model_health.teaching.exercises import nb01_model_health_dashboard as nb01
from model_health.teaching.grading import ____, Status

from conftest import feedback_failures, significant

REPO = Path(__file__).resolve().parents[1]
SOLUTION = REPO / "solutions" / "01_model_health_dashboard.ipynb"
LEARNER = REPO / "notebooks" / "01_model_health_dashboard.ipynb"
FOUR_RATES = {"selection_rate": selection_rate, "tpr": true_positive_rate, "fnr": false_negative_rate,
              "fpr": false_positive_rate}


def with_answers(namespace: dict, **answers) -> dict:
    """A copy of the solved namespace with some answers replaced."""
    return {**namespace, **answers}


def rates_frame(y_true, y_pred, sensitive, metrics=None):
    return MetricFrame(metrics=metrics or FOUR_RATES, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)


def grade(ns, exercise, **answers):
    return exercise.grade(with_answers(ns, **answers))


def validation_scores(ns):
    """The model's scores on the validation rows (section 9 chooses the threshold on them)."""
    return ns["model"].predict_proba(ns["X_val"])[:, 1]


def flags_the_same_validation_rows(ns, threshold) -> bool:
    scores = validation_scores(ns)
    return np.array_equal(scores >= threshold, scores >= ns["threshold"])


def shortest_rounding_of_the_threshold(ns) -> float:
    """The reference threshold with the fewest decimals (rounded to nearest, else down) that flags the same
    validation rows: a rounded threshold that is still the same choice."""
    for decimals in range(1, 17):
        scale = 10.0 ** decimals
        for candidate in (round(ns["threshold"], decimals), np.floor(ns["threshold"] * scale) / scale):
            if flags_the_same_validation_rows(ns, candidate):
                return float(candidate)
    raise AssertionError("no rounding of the threshold flags the same validation rows")


def unstratified_split(ns):
    """The split the notebook's seed gives when stratify=y is forgotten."""
    return train_test_split(ns["X"], ns["y"], test_size=0.25, random_state=ns["SEED"])


def mistakes(ns):
    """(exercise, answers that make a plausible mistake, words the feedback must contain)."""
    model, X_train, X_test, y_train, y_test = ns["model"], ns["X_train"], ns["X_test"], ns["y_train"], ns["y_test"]
    y_pred, y_score = ns["y_pred"], ns["y_score"]
    good = ns["test_metrics"]
    train_pred = model.predict(X_train)
    sex = X_test["sex"]
    swapped_sex = sex.map({"Male": "Female", "Female": "Male"}).astype(str)
    leaky_train = X_train.assign(income_over_50k=y_train)
    cm = metrics.confusion_matrix(y_test, y_pred).ravel()
    fpr, tpr, roc_thresholds = metrics.roc_curve(y_test, y_score)
    precision, recall, pr_thresholds = metrics.precision_recall_curve(y_test, y_score)
    val_thresholds, val_recalls, target = ns["val_thresholds"], ns["val_recalls"], ns["TARGET_RECALL"]
    at_answer = int(np.flatnonzero(val_thresholds == ns["threshold"])[0])  # the reference's index in val_thresholds
    from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio, equalized_odds_difference

    def differences(dp_method=demographic_parity_difference, eo_method=equalized_odds_difference,
                    labels_as_predictions=False):
        """A learner's disparity_differences built from the given (possibly wrong) methods."""
        def disparity_differences(y_true, y_pred, sensitive_features):
            predictions = y_true if labels_as_predictions else y_pred
            return (dp_method(y_true, predictions, sensitive_features=sensitive_features),
                    eo_method(y_true, y_pred, sensitive_features=sensitive_features))
        return disparity_differences

    def negative_dp(y_true, y_pred, sensitive_features):
        return -demographic_parity_difference(y_true, y_pred, sensitive_features=sensitive_features)
    table = ns["race_slices"]
    predicted_positives = pd.Series(np.asarray(y_pred)).groupby(np.asarray(X_test["race"])).sum()

    def raising(y_true):
        return 1 / 0

    def build_at_half(y_true, y_score, sensitive_features, threshold):
        return ns["build_dashboard"](y_true, y_score, sensitive_features, 0.5)

    def build_axes(y_true, y_score, sensitive_features, threshold):
        return ns["build_dashboard"](y_true, y_score, sensitive_features, threshold).axes[0]

    def build_two_panels(y_true, y_score, sensitive_features, threshold):
        import matplotlib.pyplot as plt

        return plt.subplots(1, 2)[0]

    return [
        ("q1", dict(X_train=X_test, X_test=X_train, y_train=y_test, y_test=y_train), "look swapped"),
        ("q1", dict(X_train=leaky_train), "target column"),
        # the labels moved to other rows (the same rows in another order is the same answer)
        ("q1", dict(y_train=pd.Series(y_train.sample(frac=1, random_state=0).to_numpy(), index=y_train.index,
                                      name=y_train.name)), "do not line up"),
        ("q1", dict(X_test=X_test.iloc[:-10], y_test=y_test.iloc[:-10]), "exactly one part"),
        ("q2", dict(y_score=model.predict_proba(X_test)[:, 0]), "class 0"),
        ("q2", dict(y_score=model.predict_proba(X_test)), "2 columns"),
        ("q2", dict(y_pred=train_pred), "training set"),
        ("q2", dict(y_score=y_pred), "labels, not scores"),
        ("q2", dict(y_pred=1 - np.asarray(y_pred)), "exact opposite"),
        ("q3", dict(test_metrics={**good, "accuracy": metrics.accuracy_score(y_train, train_pred)}), "training-set"),
        ("q3", dict(test_metrics={**good, "precision": good["recall"]}), "this is the recall"),
        ("q3", dict(test_metrics={**good, "recall": good["precision"]}), "this is the precision"),
        ("q3", dict(test_metrics={**good, "roc_auc": metrics.roc_auc_score(y_test, y_pred)}), "0/1 labels"),
        ("q3", dict(test_metrics={**good, "f1": (good["precision"] + good["recall"]) / 2}), "arithmetic mean"),
        ("q3", dict(test_metrics={**good, "recall": metrics.recall_score(y_test, y_pred, pos_label=0)}), "class 0"),
        ("q3", dict(test_metrics={"accuracy": good["accuracy"]}), "missing key"),
        ("q3", dict(test_metrics=[1, 2]), "should be a dict"),
        ("q4", dict(majority_class_accuracy=lambda y: min(np.mean(y), 1 - np.mean(y))), "minority"),
        ("q4", dict(majority_class_accuracy=lambda y: float(np.sum(np.asarray(y) == 0))), "count of rows"),
        ("q4", dict(majority_class_accuracy=raising), "raised ZeroDivisionError"),
        ("q5", dict(tn=cm[3], fp=cm[1], fn=cm[2], tp=cm[0]), "`tn` and `tp` look swapped"),
        ("q5", dict(zip(("tn", "fp", "fn", "tp"), metrics.confusion_matrix(y_train, train_pred).ravel())),
         "training set"),
        ("q6", dict(roc_curve_result=metrics.roc_curve(y_test, y_pred)), "0/1 labels"),
        ("q6", dict(roc_curve_result=(tpr, fpr, roc_thresholds)), "fpr and tpr look swapped"),
        ("q6", dict(pr_curve_result=(recall, precision, pr_thresholds)), "look swapped"),
        ("q6", dict(roc_curve_result=(fpr, tpr)), "three arrays roc_curve returns"),
        # the PR curve's area is the test curve's to 3 significant digits: it passed when only areas were compared
        ("q6", dict(pr_curve_result=metrics.precision_recall_curve(ns["y_val"], validation_scores(ns))),
         "computed on the validation set"),
        ("q6", dict(roc_curve_result=metrics.roc_curve(ns["y_val"], validation_scores(ns))),
         "computed on the validation set"),
        ("q7", dict(group_metrics=rates_frame(y_test, y_pred, swapped_sex)), "swapped between groups"),
        ("q7", dict(group_metrics=rates_frame(y_test, y_test, sex)), "labels where the predictions go"),
        ("q7", dict(group_metrics=rates_frame(y_test, y_pred, sex, {"selection_rate": selection_rate})),
         "lacks metric"),
        ("q7", dict(group_metrics=rates_frame(y_test, y_pred, X_test["race"])), "groups"),
        ("q7", dict(group_metrics=pd.DataFrame()), "should be a fairlearn MetricFrame"),
        ("q8", dict(disparity_differences=differences(dp_method=negative_dp)), "negative"),
        ("q8", dict(disparity_differences=differences(dp_method=demographic_parity_ratio)), "ratio"),
        ("q8", dict(disparity_differences=differences(labels_as_predictions=True)), "true labels"),
        ("q8", dict(disparity_differences=differences(eo_method=demographic_parity_difference)),
         "demographic parity difference"),
        ("q8", dict(disparity_differences=lambda y_true, y_pred, groups: {"dp": 0.1, "eo": 0.1}), "two numbers"),
        ("q9", dict(race_slices=table.assign(n_positives=predicted_positives.reindex(table.index).to_numpy())),
         "predicted positives"),
        ("q9", dict(find_worst_slice=lambda table, minimum: table["recall"].idxmin()), "fewer than min_positives"),
        ("q9", dict(find_worst_slice=lambda table, minimum: table["recall"].idxmax()), "highest recall"),
        ("q9", dict(find_worst_slice=lambda table, minimum: "Martian"), "not a slice of the table"),
        ("q10", dict(threshold=0.5), "below the"),
        ("q10", dict(threshold=0.01), "higher threshold still meets it"),
        ("q10", dict(threshold=50), "between 0 and 1"),
        # Within 0.0005 of the answer, so they passed as "3 significant digits"; judged by the rows they flag.
        ("q10", dict(threshold=val_thresholds[np.argmax(val_recalls[:-1] < target)]), "below the"),
        ("q10", dict(threshold=val_thresholds[at_answer + 2]), "below the"),
        ("q10", dict(threshold=val_thresholds[val_recalls[1:] >= target].max()), "more than the target needs"),
        ("q10", dict(threshold=val_thresholds[at_answer - 3]), "more than the target needs"),
        ("q11", dict(group_metrics_at_threshold=ns["group_metrics"]), "default threshold"),
        # issue 22: `>` instead of `>=` passed; it shows where a test score sits exactly at the threshold
        ("q11", dict(threshold=float(ns["y_score"][0]), group_metrics_at_threshold=rates_frame(
            ns["y_test"], (np.asarray(ns["y_score"]) > ns["y_score"][0]).astype(int), ns["X_test"]["sex"], FOUR_RATES)),
         "only above the threshold"),
        ("q12", dict(build_dashboard=build_at_half), "still shows threshold 0.5"),
        ("q12", dict(build_dashboard=build_axes), "should return the matplotlib Figure"),
        ("q12", dict(build_dashboard=build_two_panels), "2 panel(s)"),
        ("q12", dict(build_dashboard=raising), "raised TypeError"),
    ]


def test_mistakes_get_specific_feedback(solved_nb01):
    """Each plausible mistake is incorrect, with the message that names its likely cause."""
    failures = feedback_failures(nb01.EXERCISES, solved_nb01, mistakes(solved_nb01))
    assert not failures, "\n".join(failures)


# --- every correct form passes --------------------------------------------------------------------

def rounded(value, decimals=3):
    return float(np.round(value, decimals))


def correct_forms(ns):
    """(exercise, a correct answer written another valid way, what is different about it)."""
    X_train, X_test, y_train, y_test = ns["X_train"], ns["X_test"], ns["y_train"], ns["y_test"]
    y_pred, y_score, sex = ns["y_pred"], ns["y_score"], X_test["sex"]
    shuffled = X_test.sample(frac=1, random_state=1).index
    fpr, tpr, roc_thresholds = metrics.roc_curve(y_test, y_score, drop_intermediate=False)
    precision, recall, pr_thresholds = metrics.precision_recall_curve(y_test, y_score)
    race_table = ns["race_slices"].rename_axis("race").reset_index()

    def build_with_subplots(y_true, y_score, sensitive_features, threshold):
        import matplotlib.pyplot as plt

        from model_health.plots import plot_confusion_matrix, plot_group_rates, plot_precision_recall, plot_roc

        predictions = (np.asarray(y_score) >= threshold).astype(int)
        fig, axes = plt.subplots(2, 2)
        plot_confusion_matrix(axes[0, 0], y_true, predictions)
        plot_roc(axes[0, 1], y_true, y_score)
        plot_precision_recall(axes[1, 0], y_true, y_score)
        plot_group_rates(axes[1, 1], rates_frame(y_true, predictions, sensitive_features,
                                                 {"selection_rate": selection_rate}))
        return fig

    def build_with_a_seaborn_heatmap(y_true, y_score, sensitive_features, threshold):
        import matplotlib.pyplot as plt
        import seaborn as sns
        from sklearn.metrics import confusion_matrix

        from model_health.plots import plot_group_rates, plot_precision_recall, plot_roc

        predictions = (np.asarray(y_score) >= threshold).astype(int)
        fig, axes = plt.subplots(2, 2)
        sns.heatmap(confusion_matrix(y_true, predictions), annot=True, fmt="d", ax=axes[0, 0])
        plot_roc(axes[0, 1], y_true, y_score)
        plot_precision_recall(axes[1, 0], y_true, y_score)
        plot_group_rates(axes[1, 1], rates_frame(y_true, predictions, sensitive_features, FOUR_RATES))
        return fig

    return [
        ("q1", dict(X_train=X_train.reset_index(drop=True), X_test=X_test.reset_index(drop=True),
                    y_train=y_train.reset_index(drop=True), y_test=y_test.reset_index(drop=True)), "reset index"),
        ("q1", dict(X_test=X_test.loc[shuffled], y_test=y_test.loc[shuffled]), "test rows reordered"),
        ("q2", dict(y_pred=list(y_pred), y_score=np.asarray(y_score, dtype=np.float32)), "list and float32"),
        ("q2", dict(y_pred=pd.Series(y_pred), y_score=[float(f"{score:.3g}") for score in y_score]),
         "Series, scores rounded to 3 significant digits"),
        ("q3", dict(test_metrics={key: rounded(value) for key, value in ns["test_metrics"].items()}),
         "rounded to 3 decimals"),
        ("q3", dict(test_metrics=pd.Series(dict(reversed(ns["test_metrics"].items())), dtype=np.float32)),
         "a float32 Series, keys in another order"),
        ("q4", dict(majority_class_accuracy=lambda y: np.float32(pd.Series(y).value_counts(normalize=True).max())),
         "value_counts, float32"),
        ("q4", dict(majority_class_accuracy=lambda y: y.value_counts(normalize=True).max()),
         "a pandas method on the labels (the unseen cases are Series, as y_test is)"),
        ("q5", dict(zip(("tn", "fp", "fn", "tp"), map(float, metrics.confusion_matrix(y_test, y_pred).ravel()))),
         "floats"),
        ("q6", dict(roc_curve_result=[list(fpr), list(tpr), roc_thresholds], pr_curve_result=[
            np.round(precision, 3), np.round(recall, 3), pr_thresholds]), "lists, all points, PR rounded"),
        ("q6", dict(pr_curve_result=metrics.precision_recall_curve(y_test, y_score, drop_intermediate=True)),
         "PR curve with drop_intermediate=True"),
        ("q7", dict(group_metrics=rates_frame(y_test, y_pred, sex.to_numpy(),
                                              dict(reversed(FOUR_RATES.items())))), "metrics in another order"),
        ("q8", dict(disparity_differences=lambda y_true, y_pred, groups: [
            rounded(ns["disparity_differences"](y_true, y_pred, groups)[0]),
            np.float32(ns["disparity_differences"](y_true, y_pred, groups)[1])]), "a list, rounded, float32"),
        ("q9", dict(race_slices=race_table.sort_values("recall")[["recall", "n_positives", "n_rows", "race"]],
                    find_worst_slice=lambda table, least: table.loc[table["n_positives"] >= least]
                    .sort_values("recall").index[0]),
         "race as a column, rows sorted, columns reordered; sort_values instead of idxmin"),
        ("q10", dict(threshold=shortest_rounding_of_the_threshold(ns)), "rounded, flagging the same rows"),
        ("q11", dict(group_metrics_at_threshold=rates_frame(
            y_test, (np.asarray(y_score) >= ns["threshold"]).astype(int), sex, dict(reversed(FOUR_RATES.items())))),
         "metrics in another order"),
        ("q12", dict(build_dashboard=build_with_subplots), "plt.subplots grid, selection rate only"),
        ("q12", dict(build_dashboard=build_with_a_seaborn_heatmap), "a seaborn heatmap (issue 22: was refused)"),
    ]


def test_every_exercise_has_a_correct_form_case(solved_nb01):
    """The other-form cases cover every auto-graded exercise."""
    covered = {name for name, _, _ in correct_forms(solved_nb01)}
    assert covered == {exercise.name for exercise in nb01.EXERCISES} - {"q13"}


def test_correct_answers_in_other_forms_pass(solved_nb01):
    """A right answer written another valid way (rounded, reordered, another container) is correct: every case
    of correct_forms (a fixed count of cases here once left new ones unrun)."""
    refused = [f"{name} ({form}): {result.message}" for name, answers, form in correct_forms(solved_nb01)
               if (result := grade(solved_nb01, getattr(nb01, name), **answers)).status is not Status.CORRECT]
    assert not refused, "\n".join(refused)


# --- a wrong method is caught where it matches on this data --------------------------------------

def test_unstratified_split_with_the_notebooks_seed_is_rejected(solved_nb01):
    """Issue 8: without stratify=y the notebook's own seed gives nearly equal shares; the method is still wrong."""
    X_train, X_test, y_train, y_test = unstratified_split(solved_nb01)
    assert abs(y_train.mean() - y_test.mean()) < 5e-4, "the shares agree by chance at this seed"
    result = grade(solved_nb01, nb01.q1, X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test)
    assert result.status is Status.INCORRECT
    assert "without stratify=y" in result.message and "not stratified" in result.message


def test_reset_index_split_is_not_called_overlapping(solved_nb01):
    """Issue 8: after reset_index(drop=True) no row is in both parts, and the check does not say so."""
    ns = solved_nb01
    parts = {name: ns[name].reset_index(drop=True) for name in ("X_train", "X_test", "y_train", "y_test")}
    result = grade(ns, nb01.q1, **parts)
    assert result.status is Status.CORRECT, result.message


def test_overlap_is_found_by_row_content(solved_nb01):
    """Rows copied from the training set into the test set are found by their values, whatever their index."""
    ns = solved_nb01
    leaked = pd.concat([ns["X_test"].iloc[:-100], ns["X_train"].iloc[:100]]).reset_index(drop=True)
    labels = pd.concat([ns["y_test"].iloc[:-100], ns["y_train"].iloc[:100]]).reset_index(drop=True)
    result = grade(ns, nb01.q1, X_test=leaked, y_test=labels)
    assert result.status is Status.INCORRECT
    assert re.search(r"\b10\d rows of X_test also appear in X_train", result.message), result.message


def test_labels_misaligned_after_reset_are_found(solved_nb01):
    """Labels shuffled against their rows (indexes both reset) are found by content, not by index labels."""
    ns = solved_nb01
    result = grade(ns, nb01.q1, X_train=ns["X_train"].reset_index(drop=True),
                   y_train=ns["y_train"].sample(frac=1, random_state=0).reset_index(drop=True))
    assert result.status is Status.INCORRECT
    assert "carry another row's label" in result.message


def test_split_with_another_seed_is_named(solved_nb01):
    """A stratified split with another seed is right in size and share, and the message says what differs."""
    ns = solved_nb01
    X_train, X_test, y_train, y_test = train_test_split(ns["X"], ns["y"], test_size=0.25, stratify=ns["y"],
                                                        random_state=ns["SEED"] + 1)
    result = grade(ns, nb01.q1, X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test)
    assert result.status is Status.INCORRECT
    assert "random_state=SEED" in result.message


def test_test_file_has_no_seed_search():
    """Issue 8: no test searches for a seed where a check happens to fail (it would hide coincidences)."""
    source = Path(__file__).read_text(encoding="utf-8")
    assert "for seed in range" not in source.replace('"for seed in range"', "")


def test_probability_of_predicted_class_is_rejected(solved_nb01):
    """q2: the larger probability agrees with y_score wherever the model predicts 1, and is still wrong."""
    ns = solved_nb01
    confidence = ns["model"].predict_proba(ns["X_test"]).max(axis=1)
    predicted_one = np.asarray(ns["y_pred"]) == 1
    assert np.allclose(confidence[predicted_one], np.asarray(ns["y_score"])[predicted_one])
    result = grade(ns, nb01.q2, y_score=confidence)
    assert result.status is Status.INCORRECT and "probability of the predicted class" in result.message


@pytest.mark.parametrize(("average", "words"), [("micro", "this is the accuracy"), ("macro", "average='macro'")])
def test_averaged_precision_is_rejected(solved_nb01, average, words):
    """q3: precision averaged over both classes is a valid sklearn call and the wrong number."""
    ns = solved_nb01
    value = metrics.precision_score(ns["y_test"], ns["y_pred"], average=average)
    result = grade(ns, nb01.q3, test_metrics={**ns["test_metrics"], "precision": value})
    assert result.status is Status.INCORRECT and words in result.message


def test_minority_share_matching_on_the_test_labels_is_rejected(solved_nb01):
    """q4: `1 - mean` is the majority share on y_test (mostly 0s) but not on inputs where 1 dominates."""
    ns = solved_nb01
    share_of_zeros = lambda y: 1 - np.mean(y)  # noqa: E731 - a learner's one-liner
    assert share_of_zeros(ns["y_test"]) == pytest.approx(max(ns["y_test"].mean(), 1 - ns["y_test"].mean()))
    result = grade(ns, nb01.q4, majority_class_accuracy=share_of_zeros)
    assert result.status is Status.INCORRECT and "[1, 1, 1, 0]" in result.message and "minority" in result.message


def test_percentage_is_called_a_percentage(solved_nb01):
    """Issue 8: q4 returned as a percentage is named as one, not as a count."""
    result = grade(solved_nb01, nb01.q4, majority_class_accuracy=lambda y: 100 * max(np.mean(y), 1 - np.mean(y)))
    assert result.status is Status.INCORRECT
    assert "percentage" in result.message and "count" not in result.message


def test_transposed_confusion_matrix_swaps_fp_and_fn(solved_nb01):
    """q5: confusion_matrix(y_pred, y_test) has the right total and diagonal; only fp and fn are exchanged."""
    ns = solved_nb01
    tn, fp, fn, tp = metrics.confusion_matrix(ns["y_pred"], ns["y_test"]).ravel()
    result = grade(ns, nb01.q5, tn=tn, fp=fp, fn=fn, tp=tp)
    assert result.status is Status.INCORRECT and "`fp` and `fn` look swapped" in result.message


def test_all_four_counts_permuted_is_not_called_a_swap(solved_nb01):
    """Issue 8: q5 says 'fp and fn look swapped' only when exactly those two are exchanged."""
    ns = solved_nb01
    tn, fp, fn, tp = metrics.confusion_matrix(ns["y_test"], ns["y_pred"]).ravel()
    result = grade(ns, nb01.q5, tn=fn, fp=tp, fn=tn, tp=fp)
    assert result.status is Status.INCORRECT
    assert "swapped" not in result.message and "wrong places" in result.message


@pytest.mark.parametrize("inverted", ["class 0", "1 - y_score"])
def test_inverted_scores_are_named_not_called_swapped(solved_nb01, inverted):
    """Issue 8: q6 from 1 - y_score (or class 0's probability) says the scores rank backwards, not 'swapped'."""
    ns = solved_nb01
    scores = (ns["model"].predict_proba(ns["X_test"])[:, 0] if inverted == "class 0"
              else 1 - np.asarray(ns["y_score"]))
    result = grade(ns, nb01.q6, roc_curve_result=metrics.roc_curve(ns["y_test"], scores),
                   pr_curve_result=metrics.precision_recall_curve(ns["y_test"], scores))
    assert result.status is Status.INCORRECT
    assert "ranks the rows backwards" in result.message and "swapped" not in result.message


def test_group_rates_with_labels_and_predictions_exchanged_are_rejected(solved_nb01):
    """q7: MetricFrame(y_true=y_pred, y_pred=y_test) runs and gives rates of the right shape, all wrong."""
    ns = solved_nb01
    frame = rates_frame(ns["y_pred"], ns["y_test"], ns["X_test"]["sex"])
    result = grade(ns, nb01.q7, group_metrics=frame)
    assert result.status is Status.INCORRECT and "labels where the predictions go" in result.message


def test_group_rates_rounded_pass(solved_nb01):
    """q7: a MetricFrame of rates rounded to 3 significant digits is correct (the old atol=1e-6 rejected it)."""
    ns = solved_nb01
    rounded_rates = {name: (lambda y_true, y_pred, rate=rate: float(f"{rate(y_true, y_pred):.3g}"))
                     for name, rate in FOUR_RATES.items()}
    frame = rates_frame(ns["y_test"], ns["y_pred"], ns["X_test"]["sex"], rounded_rates)
    exact = ns["group_metrics"].by_group.reindex(frame.by_group.index)[list(FOUR_RATES)]
    assert not np.allclose(frame.by_group[list(FOUR_RATES)], exact, atol=1e-6, rtol=0)
    assert grade(ns, nb01.q7, group_metrics=frame).status is Status.CORRECT


@pytest.mark.parametrize(("gap", "words"), [("tpr", "only the TPR gap"), ("fpr", "only the FPR gap")])
def test_one_gap_only_is_rejected_even_where_it_matches(solved_nb01, gap, words):
    """q8: the TPR gap alone equals the equalized odds difference by sex here; data it has not seen exposes it."""
    from fairlearn.metrics import MetricFrame, false_positive_rate, true_positive_rate

    ns = solved_nb01
    rate = {"tpr": true_positive_rate, "fpr": false_positive_rate}[gap]

    def one_gap_only(y_true, y_pred, sensitive_features):
        by_group = MetricFrame(metrics=rate, y_true=y_true, y_pred=y_pred,
                               sensitive_features=sensitive_features).by_group
        return ns["disparity_differences"](y_true, y_pred, sensitive_features)[0], by_group.max() - by_group.min()

    result = grade(ns, nb01.q8, disparity_differences=one_gap_only)
    assert result.status is Status.INCORRECT and words in result.message, result.message
    if gap == "tpr":  # the coincidence this exercise's second case is there for
        _, on_test = one_gap_only(ns["y_test"], ns["y_pred"], ns["X_test"]["sex"])
        assert on_test == pytest.approx(ns["eo_difference"])
        assert "three groups it has not seen" in result.message


def test_worst_slice_by_selection_rate_is_rejected(solved_nb01):
    """Issue 8: picking the lowest selection rate finds the right race here by chance; an unseen table exposes it."""
    ns = solved_nb01

    def lowest_selection_rate(table, min_positives):
        reliable = table[table["n_positives"] >= min_positives]
        return reliable["selection_rate"].idxmin()

    race_table = ns["race_slices"].assign(selection_rate=pd.Series(np.asarray(ns["y_pred"])).groupby(
        np.asarray(ns["X_test"]["race"])).mean())
    assert lowest_selection_rate(race_table, ns["MIN_POSITIVES"]) == ns["worst_race_slice"], "a coincidence here"
    result = grade(ns, nb01.q9, find_worst_slice=lowest_selection_rate)
    assert result.status is Status.INCORRECT
    assert "age bands" in result.message and "lowest selection rate" in result.message


@pytest.mark.parametrize(("method", "words"), [
    (lambda table, least: table[table["n_positives"] > least]["recall"].idxmin(), "'at least' means >="),
    (lambda table, least: table[table["n_positives"] >= 50]["recall"].idxmin(), "instead of its `min_positives`"),
    (lambda table, least: "Black", "not a slice of the table"),
])
def test_worst_slice_methods_that_pass_on_the_race_table_are_rejected(solved_nb01, method, words):
    """q9: each method gives the right race on this data (checked) and is caught on the unseen table."""
    ns = solved_nb01
    assert method(ns["race_slices"], ns["MIN_POSITIVES"]) == ns["worst_race_slice"]
    result = grade(ns, nb01.q9, find_worst_slice=method)
    assert result.status is Status.INCORRECT and words in result.message, result.message
    assert "age bands" in result.message


def test_worst_slice_filtered_on_rows_is_rejected(solved_nb01):
    """q9: a filter on n_rows lets a slice with few true high earners through; the message names what it found."""
    ns = solved_nb01
    result = grade(ns, nb01.q9, find_worst_slice=lambda table, least: table[table["n_rows"] >= least]["recall"].idxmin())
    assert result.status is Status.INCORRECT
    assert re.search(r"\(\d+ true high earners, recall 0\.\d{3}\)", result.message), result.message


def test_worst_slice_wording_means_true_high_earners():
    """Issue 8: section 8 says 'true high earners', not 'true positives', for what MIN_POSITIVES counts."""
    text = "\n".join(cell.source for cell in nbformat.read(SOLUTION, as_version=4).cells)
    assert "MIN_POSITIVES` true positives" not in text
    assert "at least `MIN_POSITIVES` true high earners (rows whose true label is 1)" in text


def test_threshold_tuned_on_the_test_set_is_rejected(solved_nb01):
    """Issue 8: q10 is chosen on validation rows; the test-set threshold meets the target and is still wrong."""
    ns = solved_nb01
    on_test = threshold_for_recall(ns["y_test"], ns["y_score"], ns["TARGET_RECALL"])
    assert metrics.recall_score(ns["y_test"], np.asarray(ns["y_score"]) >= on_test) >= ns["TARGET_RECALL"]
    result = grade(ns, nb01.q10, threshold=on_test)
    assert result.status is Status.INCORRECT and "on the test set" in result.message


def test_threshold_just_short_of_the_target_prints_distinct_digits(solved_nb01):
    """Issue 8: a recall just below 0.8 prints like '0.7997', never '0.800, below the 0.8 target'."""
    ns = solved_nb01
    scores = np.unique(ns["model"].predict_proba(ns["X_val"])[:, 1])
    # The first score far enough above the answer not to count as it rounded to 3 significant digits.
    higher = float(scores[scores > ns["threshold"] * 1.002][0])
    recall = metrics.recall_score(ns["y_val"], ns["model"].predict_proba(ns["X_val"])[:, 1] >= higher)
    assert ns["TARGET_RECALL"] - 5e-3 < recall < ns["TARGET_RECALL"]
    result = grade(ns, nb01.q10, threshold=higher)
    assert result.status is Status.INCORRECT
    assert re.search(r"is 0\.79\d\d, below the 0\.8 target", result.message), result.message


def test_rounded_threshold_is_judged_by_the_rows_it_flags(solved_nb01):
    """q10: the answer rounded to 3 significant digits is right only where it flags the same validation rows;
    otherwise the message says whether it misses the target or flags more rows than needed."""
    ns = solved_nb01
    rounded_threshold = significant(ns["threshold"])
    result = grade(ns, nb01.q10, threshold=rounded_threshold)
    if flags_the_same_validation_rows(ns, rounded_threshold):
        assert result.status is Status.CORRECT, result.message
    else:
        recall = metrics.recall_score(ns["y_val"], validation_scores(ns) >= rounded_threshold)
        assert result.status is Status.INCORRECT
        words = "below the" if recall < ns["TARGET_RECALL"] else "more than the target needs"
        assert words in result.message, result.message
    assert shortest_rounding_of_the_threshold(ns) != ns["threshold"], "the correct form is a rounding"


def test_group_rates_at_threshold_with_swapped_arguments_are_rejected(solved_nb01):
    """q11: labels and predictions exchanged give a frame of the right shape with the base rates in it."""
    ns = solved_nb01
    at_threshold = (np.asarray(ns["y_score"]) >= ns["threshold"]).astype(int)
    result = grade(ns, nb01.q11, group_metrics_at_threshold=rates_frame(at_threshold, ns["y_test"],
                                                                        ns["X_test"]["sex"]))
    assert result.status is Status.INCORRECT and "labels where the predictions go" in result.message


def test_dashboard_reading_the_global_threshold_is_rejected(solved_nb01):
    """q12: a dashboard that reads the notebook's `threshold` draws the right figure in the notebook, not elsewhere."""
    ns = solved_nb01

    def build_with_global_threshold(y_true, y_score, sensitive_features, threshold):
        return ns["build_dashboard"](y_true, y_score, sensitive_features, ns["threshold"])

    result = grade(ns, nb01.q12, build_dashboard=build_with_global_threshold)
    assert result.status is Status.INCORRECT and "the notebook's `threshold`" in result.message


# --- the notebook as delivered -------------------------------------------------------------------

def test_stubs_are_one_placeholder_per_call():
    """Issue 8: no scaffold suggests separate expressions (`a, b = ____, ____`) where one call is expected.

    Kept on purpose: q1's four parts (its text says one train_test_split call returns them; a single
    `____` could not be unpacked as delivered) and q5's four counts (counting each one is a valid answer).
    """
    learner = nbformat.read(LEARNER, as_version=4)
    stubs = [line.strip() for cell in learner.cells if cell.cell_type == "code" for line in cell.source.splitlines()
             if "____" in line]
    tuple_stubs = [line for line in stubs if "____, ____" in line]
    assert tuple_stubs == ["X_train, X_test, y_train, y_test = ____, ____, ____, ____",
                           "tn, fp, fn, tp = ____, ____, ____, ____"]
    assert {"roc_curve_result = ____", "pr_curve_result = ____", "fig = ____", "axes = ____"} <= set(stubs)


def test_no_reference_to_notebooks_that_do_not_exist():
    """The notebook names no other notebook as if it existed (02-04, 06-08, 10-13 are not written yet)."""
    text = "\n".join(cell.source for cell in nbformat.read(SOLUTION, as_version=4).cells)
    assert not re.search(r"[Nn]otebooks? 0?([2-46-8]|1[0-3])\b|\b(0[2-46-8]|1[0-3]) ·", text)


# --- written answer and re-seeding ---------------------------------------------------------------

class TestRecommendation:
    @pytest.mark.parametrize(("text", "status"), [
        (____, Status.NOT_ATTEMPTED),
        ("Ship it.", Status.WRITTEN),
        (3.5, Status.INCORRECT),
    ])
    def test_statuses(self, solved_nb01, text, status):
        """The written recommendation is not attempted, self-assessed however short (length is advice), or not text."""
        assert nb01.q13.grade(with_answers(solved_nb01, recommendation=text)).status is status

    def test_worked_answer_is_self_assessed(self, solved_nb01):
        """The worked answer is long enough to be self-assessed against the rubric."""
        assert nb01.q13.grade(solved_nb01).status is Status.WRITTEN


def test_reseeded_split_still_grades_correct(solved_nb01):
    """Checks compute expectations from the learner's data, so another seed's answers are correct too."""
    ns = dict(solved_nb01)
    ns["SEED"] = 7
    X_train, X_test, y_train, y_test = train_test_split(ns["X"], ns["y"], test_size=0.25, stratify=ns["y"],
                                                        random_state=7)
    ns.update(X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test)
    ns["model"] = ns["model"].__class__(**ns["model"].get_params()).fit(X_train, y_train)
    ns["y_pred"], ns["y_score"] = ns["model"].predict(X_test), ns["model"].predict_proba(X_test)[:, 1]
    ns["test_metrics"] = {"accuracy": metrics.accuracy_score(y_test, ns["y_pred"]),
                          "precision": metrics.precision_score(y_test, ns["y_pred"]),
                          "recall": metrics.recall_score(y_test, ns["y_pred"]),
                          "f1": metrics.f1_score(y_test, ns["y_pred"]),
                          "roc_auc": metrics.roc_auc_score(y_test, ns["y_score"])}
    for exercise in (nb01.q1, nb01.q2, nb01.q3):
        assert exercise.grade(ns).status is Status.CORRECT
    assert nb01.q3.grade(solved_nb01 | {"test_metrics": ns["test_metrics"]}).status is Status.INCORRECT
