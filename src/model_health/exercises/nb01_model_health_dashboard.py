"""Exercises of notebook 01, Model Health Dashboard (UCI Adult Income).

Each checker computes its expected values with the reference code on the learner's
own data (their split, their model), so a re-seeded notebook grades correctly.
Tolerances: metrics and rates 1e-6 (they are exact computations).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from model_health.evaluation import (
    classification_metrics,
    majority_class_accuracy as reference_majority_class_accuracy,
    slice_table,
    threshold_for_recall,
    worst_slice,
)
from model_health.fairness import GROUP_RATE_METRICS, disparity_summary, group_rates
from model_health.grading import (
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    call_learner_function,
    expect_binary_labels,
    expect_close,
    expect_dataframe,
    expect_number,
    expect_vector,
)

NOTEBOOK = "01_model_health_dashboard"
TEST_SHARE = 0.25


def _sizes(ns) -> dict[str, int]:
    return {"test set": len(ns["X_test"]), "training set": len(ns["X_train"])}


class SplitData(Exercise):
    title = "Hold out a stratified test set"
    reads = ("X_train", "X_test", "y_train", "y_test")
    hints = (
        "Use sklearn.model_selection.train_test_split on X and y together, so their rows stay aligned.",
        "Pass test_size=0.25, stratify=y (same share of high earners in both parts) and random_state=SEED.",
    )

    def expect(self, ns, X_train, X_test, y_train, y_test):
        X, y = ns["X"], ns["y"]
        for name, value, kind in (("X_train", X_train, pd.DataFrame), ("X_test", X_test, pd.DataFrame),
                                  ("y_train", y_train, pd.Series), ("y_test", y_test, pd.Series)):
            if not isinstance(value, kind):
                raise Incorrect(f"`{name}` should be a pandas {kind.__name__}, got {type(value).__name__}. "
                                "train_test_split keeps pandas types when you pass X and y.")
        if y.name in X_train.columns:
            raise Incorrect(f"The target column '{y.name}' is among the features in X_train: the model would "
                            "read the answer. Split X (without the target) and y.")
        for part, features, labels in (("train", X_train, y_train), ("test", X_test, y_test)):
            if not features.index.equals(labels.index):
                raise Incorrect(f"The rows of X_{part} and y_{part} do not line up: split X and y in the same call.")
        shared = X_train.index.intersection(X_test.index)
        if len(shared):
            raise Incorrect(f"{len(shared)} rows appear in both X_train and X_test: the test set must be rows "
                            "the model never saw in training.")
        if len(X_train) + len(X_test) != len(X):
            raise Incorrect(f"X_train and X_test hold {len(X_train) + len(X_test)} rows together; X has {len(X)}. "
                            "Every row should land in exactly one part.")
        share = len(X_test) / len(X)
        if abs(share - (1 - TEST_SHARE)) <= 1 / len(X):
            raise Incorrect("X_train and X_test look swapped: the test set is the larger part (75%).")
        if abs(share - TEST_SHARE) > 1 / len(X):
            raise Incorrect(f"The test set is {share:.1%} of the rows; this exercise asks for 25% (test_size=0.25).")
        if abs(y_train.mean() - y_test.mean()) > 5e-4:
            raise Incorrect(f"The share of high earners is {y_train.mean():.2%} in training but {y_test.mean():.2%} "
                            "in test: the split is not stratified. Pass stratify=y.")
        return (f"{len(X_train):,} training and {len(X_test):,} test rows, both with "
                f"{y_test.mean():.1%} high earners.")

    def reference(self, ns):
        from sklearn.model_selection import train_test_split

        return tuple(train_test_split(ns["X"], ns["y"], test_size=TEST_SHARE, stratify=ns["y"],
                                      random_state=ns["SEED"]))


class Predict(Exercise):
    title = "Predict labels and scores on the test set"
    reads = ("y_pred", "y_score")
    hints = (
        "The model is already trained. Ask it about rows it has not seen: X_test.",
        "model.predict(X_test) gives 0/1 labels; model.predict_proba(X_test) gives one column per class.",
        "y_score is the probability of class 1: model.predict_proba(X_test)[:, 1].",
    )

    def expect(self, ns, y_pred, y_score):
        model, X_test = ns["model"], ns["X_test"]
        labels = expect_binary_labels("y_pred", expect_vector("y_pred", y_pred, sizes=_sizes(ns)))
        reference_labels = model.predict(X_test)
        if np.array_equal(labels, 1 - reference_labels):
            raise Incorrect("`y_pred` is the exact opposite of the model's predictions: 1 should mean '>50K'.")
        if not np.array_equal(labels, reference_labels):
            differ = int((labels != reference_labels).sum())
            raise Incorrect(f"{differ} of {len(labels)} labels in `y_pred` differ from the model's predictions "
                            "on X_test (in X_test's row order).")
        scores = expect_vector("y_score", y_score, sizes=_sizes(ns)).astype(float)
        if set(np.unique(scores).tolist()) <= {0.0, 1.0}:
            raise Incorrect("`y_score` holds only 0 and 1: these are labels, not scores. Use predict_proba.")
        probabilities = model.predict_proba(X_test)
        if np.allclose(scores, probabilities[:, 0], atol=1e-9):
            raise Incorrect("`y_score` is the probability of class 0 (earning <=50K); take column [:, 1].")
        if not np.allclose(scores, probabilities[:, 1], atol=1e-9):
            raise Incorrect("`y_score` does not match the model's probability of class 1 on X_test.")
        return f"{labels.mean():.1%} of test rows are predicted '>50K'."

    def reference(self, ns):
        model, X_test = ns["model"], ns["X_test"]
        return model.predict(X_test), model.predict_proba(X_test)[:, 1]


def _metrics_for_negative_class(y_true, y_pred) -> dict[str, float]:
    from sklearn import metrics

    return {"precision": metrics.precision_score(y_true, y_pred, pos_label=0),
            "recall": metrics.recall_score(y_true, y_pred, pos_label=0),
            "f1": metrics.f1_score(y_true, y_pred, pos_label=0)}


class TestMetrics(Exercise):
    title = "Compute the key metrics on the test set"
    reads = ("test_metrics",)
    hints = (
        "Each metric compares the truth y_test with the model's answer: y_pred for the label metrics.",
        "ROC AUC ranks rows, so it needs the scores y_score, not the 0/1 labels.",
        "sklearn.metrics has accuracy_score, precision_score, recall_score, f1_score and roc_auc_score.",
    )
    keys = ("accuracy", "precision", "recall", "f1", "roc_auc")

    def expect(self, ns, test_metrics):
        from sklearn.metrics import roc_auc_score

        if not isinstance(test_metrics, dict):
            raise Incorrect(f"`test_metrics` should be a dict from metric name to value, got {type(test_metrics).__name__}.")
        missing = [key for key in self.keys if key not in test_metrics]
        if missing:
            raise Incorrect(f"`test_metrics` is missing key(s) {missing}; expected exactly {list(self.keys)}.")
        y_test, y_pred, y_score = ns["y_test"], ns["y_pred"], ns["y_score"]
        model, X_train, y_train = ns["model"], ns["X_train"], ns["y_train"]
        expected = classification_metrics(y_test, y_pred, y_score)
        on_training = classification_metrics(y_train, model.predict(X_train), model.predict_proba(X_train)[:, 1])
        negative_class = _metrics_for_negative_class(y_test, y_pred)
        for key in self.keys:
            name = f'test_metrics["{key}"]'
            mistakes = {"this matches the training-set value: compute it on y_test and the test predictions.":
                        on_training[key]}
            if key == "precision":
                mistakes["this is the recall; precision is TP / (TP + FP)."] = expected["recall"]
            if key == "recall":
                mistakes["this is the precision; recall is TP / (TP + FN)."] = expected["precision"]
            if key == "f1":
                mistakes["this is the arithmetic mean of precision and recall; F1 is their harmonic mean."] = (
                    expected["precision"] + expected["recall"]) / 2
            if key == "roc_auc":
                mistakes["computed from the 0/1 labels; ROC AUC needs the scores y_score."] = roc_auc_score(y_test, y_pred)
            if key in negative_class:
                mistakes["this is the value for class 0; the positive class here is 1 ('>50K')."] = negative_class[key]
            expect_close(name, expect_number(name, test_metrics[key]), expected[key], mistakes=mistakes,
                         otherwise=f"that is not the {key} of the model on the test set.")
        missed = 1 - expected["recall"]
        return (f"Accuracy is {expected['accuracy']:.3f}, yet recall is {expected['recall']:.3f}: "
                f"the model misses {missed:.0%} of the people who earn >50K. Which number would you report?")


class MajorityBaseline(Exercise):
    title = "Accuracy of the majority-class baseline"
    reads = ("majority_class_accuracy",)
    hints = (
        "A model that always predicts the most frequent class is right on every row of that class.",
        "With 0/1 labels, the share of 1s is y_true.mean(); the share of 0s is 1 minus that.",
        "Return the larger of the two shares.",
    )

    def expect(self, ns, majority_class_accuracy):
        cases = [(ns["y_test"], "y_test"), (np.array([1, 1, 1, 0]), "[1, 1, 1, 0]"),
                 (np.array([0, 0, 1, 0, 0]), "[0, 0, 1, 0, 0]")]
        for labels, shown in cases:
            value = call_learner_function(majority_class_accuracy, labels, name="majority_class_accuracy")
            value = expect_number(f"majority_class_accuracy({shown})", value)
            expected = reference_majority_class_accuracy(labels)
            if value > 1:
                raise Incorrect(f"On {shown} your function returned {value:.4g}: return a share (0 to 1), not a count.")
            expect_close(f"majority_class_accuracy({shown})", value, expected, mistakes={
                "that is the share of the minority class; the baseline predicts the majority class.": 1 - expected,
            }, otherwise="that is not the accuracy of always predicting the most frequent class.")
        baseline = reference_majority_class_accuracy(ns["y_test"])
        accuracy = float(np.mean(np.asarray(ns["y_pred"]) == np.asarray(ns["y_test"])))
        return (f"Predicting '<=50K' for everyone already scores {baseline:.3f} accuracy; the model's "
                f"{accuracy:.3f} is only {accuracy - baseline:.3f} better. That is why accuracy misleads here.")


class ConfusionCounts(Exercise):
    title = "Read the confusion matrix"
    reads = ("tn", "fp", "fn", "tp")
    hints = (
        "sklearn.metrics.confusion_matrix(y_true, y_pred) has the true labels as rows and predictions as columns.",
        "For 0/1 labels, confusion_matrix(...).ravel() gives tn, fp, fn, tp in that order.",
    )

    def expect(self, ns, tn, fp, fn, tp):
        from sklearn.metrics import confusion_matrix

        counts = {name: expect_number(name, value) for name, value in (("tn", tn), ("fp", fp), ("fn", fn), ("tp", tp))}
        y_test, y_pred = ns["y_test"], ns["y_pred"]
        expected = dict(zip(("tn", "fp", "fn", "tp"), confusion_matrix(y_test, y_pred).ravel().tolist()))
        total = sum(counts.values())
        if total == len(ns["y_train"]):
            raise Incorrect("The four counts add up to the size of the training set: count the test predictions.")
        if total != len(y_test):
            raise Incorrect(f"tn + fp + fn + tp = {total:g}, but the test set has {len(y_test)} rows.")
        if counts == expected:
            return (f"{expected['fn']:,} high earners were missed (false negatives) and "
                    f"{expected['fp']:,} people were wrongly flagged (false positives).")
        if counts["fp"] == expected["fn"] and counts["fn"] == expected["fp"]:
            raise Incorrect("`fp` and `fn` look swapped: rows are the true labels, columns the predictions, so a "
                            "false negative is a true 1 predicted 0.")
        if counts["tn"] == expected["tp"] and counts["tp"] == expected["tn"]:
            raise Incorrect("`tn` and `tp` look swapped: ravel() gives tn, fp, fn, tp.")
        wrong = [name for name in counts if counts[name] != expected[name]]
        raise Incorrect(f"{', '.join(f'`{n}`' for n in wrong)} do not match the confusion matrix of y_pred "
                        "against y_test.")


class Curves(Exercise):
    title = "ROC and precision-recall curves"
    reads = ("fpr", "tpr", "precision_curve", "recall_curve")
    hints = (
        "Curves sweep the threshold over the scores, so they need y_score, not y_pred.",
        "roc_curve(y_true, y_score) returns fpr, tpr, thresholds; precision_recall_curve returns precision, "
        "recall, thresholds.",
    )

    def expect(self, ns, fpr, tpr, precision_curve, recall_curve):
        from sklearn.metrics import auc, precision_recall_curve, roc_auc_score

        y_test, y_score = ns["y_test"], ns["y_score"]
        arrays = {name: expect_vector(name, value) for name, value in
                  (("fpr", fpr), ("tpr", tpr), ("precision_curve", precision_curve), ("recall_curve", recall_curve))}
        if len(arrays["fpr"]) <= 3:
            raise Incorrect(f"`fpr` has only {len(arrays['fpr'])} points: the curve was built from 0/1 labels. "
                            "Pass the scores y_score.")
        if len(arrays["fpr"]) != len(arrays["tpr"]):
            raise Incorrect("`fpr` and `tpr` have different lengths; take both from one roc_curve call.")
        expected_auc = roc_auc_score(y_test, y_score)
        try:
            area = auc(arrays["fpr"], arrays["tpr"])
        except ValueError:
            raise Incorrect("`fpr` is not sorted, so it is not the x-axis of an ROC curve; "
                            "use the first value roc_curve returns.") from None
        expect_close("area under (fpr, tpr)", area, expected_auc, mistakes={
            "fpr and tpr look swapped: roc_curve returns fpr first.": 1 - expected_auc,
        }, otherwise="that is not the area under the test-set ROC curve of y_score.")
        precision, recall = arrays["precision_curve"], arrays["recall_curve"]
        if len(precision) <= 3:
            raise Incorrect("`precision_curve` has only a few points: it was built from 0/1 labels; use y_score.")
        if precision[-1] == 0 and recall[-1] == 1:
            raise Incorrect("`precision_curve` and `recall_curve` look swapped: precision_recall_curve returns "
                            "precision first.")
        reference_precision, reference_recall, _ = precision_recall_curve(y_test, y_score)
        try:
            pr_area = auc(recall, precision)
        except ValueError:
            raise Incorrect("`recall_curve` is not sorted; use the second value precision_recall_curve returns.") from None
        expect_close("area under (recall_curve, precision_curve)", pr_area, auc(reference_recall, reference_precision),
                     otherwise="that is not the test-set precision-recall curve of y_score.")
        return f"ROC AUC {expected_auc:.3f}. Look at the plots below to see what each curve shows."


def _expect_group_rates(name: str, frame: Any, y_true, y_pred, groups, *, default_y_pred=None) -> pd.DataFrame:
    """Shared by the two MetricFrame exercises: compare a learner's frame with the reference rates."""
    from fairlearn.metrics import MetricFrame

    if not isinstance(frame, MetricFrame):
        raise Incorrect(f"`{name}` should be a fairlearn MetricFrame, got {type(frame).__name__}.")
    by_group = frame.by_group
    if isinstance(by_group, pd.Series):
        raise Incorrect(f"`{name}` holds a single metric; pass a dict of the four metrics {list(GROUP_RATE_METRICS)}.")
    missing = [metric for metric in GROUP_RATE_METRICS if metric not in by_group.columns]
    if missing:
        raise Incorrect(f"`{name}` lacks metric(s) named {missing}; it has {list(by_group.columns)}.")
    expected = group_rates(y_true, y_pred, groups).by_group
    if sorted(map(str, by_group.index)) != sorted(map(str, expected.index)):
        raise Incorrect(f"`{name}` has groups {list(by_group.index)}; expected the groups of X_test['sex'] "
                        f"{list(expected.index)}.")
    learner = by_group.reindex(expected.index)[list(GROUP_RATE_METRICS)].astype(float)
    if default_y_pred is not None and np.allclose(
            learner, group_rates(y_true, default_y_pred, groups).by_group[list(GROUP_RATE_METRICS)], atol=1e-6):
        raise Incorrect(f"`{name}` shows the rates at the default threshold 0.5; predict with "
                        "y_score >= threshold first.")
    base_rates = pd.Series(np.asarray(y_true)).groupby(np.asarray(groups)).mean().reindex(expected.index)
    for metric in GROUP_RATE_METRICS:
        mine, reference = learner[metric].to_numpy(), expected[metric].to_numpy()
        if np.allclose(mine, reference, atol=1e-6):
            continue
        if len(mine) == 2 and np.allclose(mine[::-1], reference, atol=1e-6):
            raise Incorrect(f"The {metric} values look swapped between groups: check sensitive_features is "
                            "X_test['sex'] in the same row order as y_test.")
        if metric == "selection_rate" and np.allclose(mine, base_rates.to_numpy(), atol=1e-6):
            raise Incorrect("The selection rates equal each group's share of true high earners: you passed "
                            "the labels where the predictions go (y_pred=...).")
        counterpart = {"tpr": "fnr", "fnr": "tpr"}.get(metric)
        if counterpart and np.allclose(mine, expected[counterpart].to_numpy(), atol=1e-6):
            raise Incorrect(f"`{metric}` holds the {counterpart} values: TPR and FNR add up to 1 for each group.")
        raise Incorrect(f"The {metric} per group does not match the model's test predictions by sex.")
    return expected


class GroupRates(Exercise):
    title = "Rates by sex with fairlearn's MetricFrame"
    reads = ("group_metrics",)
    hints = (
        "MetricFrame(metrics={...}, y_true=..., y_pred=..., sensitive_features=...) computes each metric per group.",
        "fairlearn.metrics provides selection_rate, true_positive_rate, false_negative_rate, false_positive_rate.",
        "Use y_test, y_pred and X_test['sex']; name the metrics selection_rate, tpr, fnr and fpr.",
    )

    def expect(self, ns, group_metrics):
        expected = _expect_group_rates("group_metrics", group_metrics, ns["y_test"], ns["y_pred"], ns["X_test"]["sex"])
        rates = expected["selection_rate"]
        return (f"the model selects {rates.max():.1%} of {rates.idxmax()} vs {rates.min():.1%} of "
                f"{rates.idxmin()}. Compare the fnr row: whose high earners does it miss more?")

    def reference(self, ns):
        return group_rates(ns["y_test"], ns["y_pred"], ns["X_test"]["sex"])


class DisparityScores(Exercise):
    title = "Demographic parity and equalized odds differences"
    reads = ("dp_difference", "eo_difference")
    hints = (
        "fairlearn.metrics has demographic_parity_difference and equalized_odds_difference.",
        "Both take (y_true, y_pred, sensitive_features=...); use the test set and X_test['sex'].",
    )

    def expect(self, ns, dp_difference, eo_difference):
        from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio

        y_test, y_pred, sex = ns["y_test"], ns["y_pred"], ns["X_test"]["sex"]
        expected = disparity_summary(y_test, y_pred, sex)
        dp, eo = expected["demographic_parity_difference"], expected["equalized_odds_difference"]
        rates = group_rates(y_test, y_pred, sex).by_group
        expect_close("dp_difference", expect_number("dp_difference", dp_difference), dp, mistakes={
            "negative: fairlearn reports the gap as largest minus smallest group rate, so it is >= 0.": -dp,
            "that is the equalized odds difference; demographic parity compares selection rates.": eo,
            "that is the gap in the true labels (base rates); pass the predictions as y_pred.":
                demographic_parity_difference(y_test, y_test, sensitive_features=sex),
            "that is a ratio (smallest / largest); this exercise asks for the difference.":
                demographic_parity_ratio(y_test, y_pred, sensitive_features=sex),
        })
        tpr_gap = rates["tpr"].max() - rates["tpr"].min()
        fpr_gap = rates["fpr"].max() - rates["fpr"].min()
        eo_mistakes = {"that is the demographic parity difference; equalized odds compares TPR and FPR.": dp}
        if not np.isclose(tpr_gap, eo):
            eo_mistakes["that is only the TPR gap (equal opportunity); equalized odds takes the larger of the "
                        "TPR and FPR gaps."] = tpr_gap
        if not np.isclose(fpr_gap, eo):
            eo_mistakes["that is only the FPR gap; equalized odds takes the larger of the TPR and FPR gaps."] = fpr_gap
        expect_close("eo_difference", expect_number("eo_difference", eo_difference), eo, mistakes=eo_mistakes)
        return (f"selection rates differ by {dp:.3f} between the sexes, and error rates by up to {eo:.3f}. "
                "Part of the first gap mirrors different base rates in the data; the second is about errors.")


class SliceAnalysis(Exercise):
    title = "Find the worst slice by race"
    reads = ("race_slices", "worst_race_slice")
    hints = (
        "A MetricFrame with sensitive_features=X_test['race'] gives one row per race; add count-style metrics.",
        "n_positives counts the true high earners in a slice: recall's denominator.",
        "Among slices with at least MIN_POSITIVES positives, take the one with the lowest recall (idxmin).",
    )

    def expect(self, ns, race_slices, worst_race_slice):
        table = expect_dataframe("race_slices", race_slices, ["n_rows", "n_positives", "recall"])
        y_test, y_pred, race = ns["y_test"], ns["y_pred"], ns["X_test"]["race"]
        expected = slice_table(y_test, y_pred, race)
        if sorted(map(str, table.index)) != sorted(map(str, expected.index)):
            raise Incorrect(f"`race_slices` has rows {list(table.index)}; expected one per race in X_test['race'].")
        mine = table.reindex(expected.index)
        if mine["n_rows"].sum() == len(ns["y_train"]):
            raise Incorrect("The slice sizes add up to the training set; slice the test set.")
        if not np.allclose(mine["n_rows"].astype(float), expected["n_rows"]):
            raise Incorrect("`n_rows` does not match the number of test rows in each race.")
        predicted = pd.Series(np.asarray(y_pred)).groupby(np.asarray(race)).sum().reindex(expected.index)
        if np.allclose(mine["n_positives"].astype(float), predicted.to_numpy()):
            raise Incorrect("`n_positives` counts predicted positives; count the true high earners (y_true).")
        if not np.allclose(mine["n_positives"].astype(float), expected["n_positives"]):
            raise Incorrect("`n_positives` does not match the number of true high earners in each race.")
        if not np.allclose(mine["recall"].astype(float), expected["recall"], atol=1e-6):
            raise Incorrect("`recall` per slice does not match the model's recall on each race's test rows.")
        minimum = ns["MIN_POSITIVES"]
        answer = worst_slice(expected, "recall", min_positives=minimum)
        if not isinstance(worst_race_slice, str):
            raise Incorrect(f"`worst_race_slice` should be a race name (str), got {type(worst_race_slice).__name__}.")
        if worst_race_slice not in expected.index:
            raise Incorrect(f"'{worst_race_slice}' is not one of the slices {list(expected.index)}.")
        positives = int(expected.loc[worst_race_slice, "n_positives"])
        if worst_race_slice != answer and positives < minimum:
            raise Incorrect(f"'{worst_race_slice}' has only {positives} positives in the test set (fewer than "
                            f"MIN_POSITIVES = {minimum}): one more or one fewer hit moves its recall by "
                            f"{1 / positives:.2f}. Report it as too small to judge; pick among the larger slices.")
        if worst_race_slice == expected["recall"].idxmax():
            raise Incorrect(f"'{worst_race_slice}' has the highest recall: that is the best slice, not the worst.")
        if worst_race_slice != answer:
            raise Incorrect(f"'{worst_race_slice}' is not the lowest recall among slices with at least "
                            f"{minimum} positives.")
        overall = float(np.mean(np.asarray(y_pred)[np.asarray(y_test) == 1]))
        return (f"recall for '{answer}' is {expected.loc[answer, 'recall']:.3f} vs {overall:.3f} overall. "
                "The aggregate hid it; smaller slices are too uncertain to rank.")

    def reference(self, ns):
        table = slice_table(ns["y_test"], ns["y_pred"], ns["X_test"]["race"])
        return table, worst_slice(table, "recall", min_positives=ns["MIN_POSITIVES"])


class ChooseThreshold(Exercise):
    title = "Choose a threshold for a recall target"
    reads = ("threshold",)
    hints = (
        "Lowering the threshold flags more people: recall goes up, precision usually down.",
        "precision_recall_curve(y_test, y_score) gives the recall at each candidate threshold.",
        "Keep the thresholds whose recall >= TARGET_RECALL and take the largest: recall[:-1] aligns with thresholds.",
    )

    def expect(self, ns, threshold):
        from sklearn.metrics import recall_score

        value = expect_number("threshold", threshold)
        if not 0 < value < 1:
            raise Incorrect(f"`threshold` = {value:.4g}: a threshold on probabilities lies between 0 and 1.")
        y_test, y_score, target = ns["y_test"], np.asarray(ns["y_score"]), ns["TARGET_RECALL"]
        recall = recall_score(y_test, y_score >= value)
        if recall < target:
            raise Incorrect(f"Recall at threshold {value:.3g} is {recall:.3f}, below the {target} target: "
                            "lower the threshold.")
        best = threshold_for_recall(y_test, y_score, target)
        if not np.array_equal(y_score >= value, y_score >= best):
            raise Incorrect(f"Recall at {value:.3g} is {recall:.3f}, above the target, but a higher threshold still "
                            "meets it: you flag more people than the target needs. Take the largest threshold.")
        flagged, default = (y_score >= value).mean(), (y_score >= 0.5).mean()
        return (f"the model now flags {flagged:.1%} of test rows instead of {default:.1%} at 0.5. "
                "Next, see what that does to each group.")

    def reference(self, ns):
        return threshold_for_recall(ns["y_test"], ns["y_score"], ns["TARGET_RECALL"])


class RatesAtThreshold(Exercise):
    title = "Group rates at the new threshold"
    reads = ("group_metrics_at_threshold",)
    hints = (
        "Make new 0/1 predictions from the scores: (y_score >= threshold).astype(int).",
        "Then build the same MetricFrame as before with these predictions.",
    )

    def expect(self, ns, group_metrics_at_threshold):
        y_score = np.asarray(ns["y_score"])
        predictions = (y_score >= ns["threshold"]).astype(int)
        expected = _expect_group_rates("group_metrics_at_threshold", group_metrics_at_threshold, ns["y_test"],
                                       predictions, ns["X_test"]["sex"], default_y_pred=ns["y_pred"])
        before = group_rates(ns["y_test"], ns["y_pred"], ns["X_test"]["sex"]).by_group
        gap_before = before["selection_rate"].max() - before["selection_rate"].min()
        gap_after = expected["selection_rate"].max() - expected["selection_rate"].min()
        return (f"the selection-rate gap went from {gap_before:.3f} to {gap_after:.3f}. A threshold is "
                "a policy choice with group effects, not only an accuracy knob.")


def _bar_heights(ax) -> np.ndarray:
    from matplotlib.patches import Rectangle

    return np.array([patch.get_height() for patch in ax.patches if isinstance(patch, Rectangle)])


class Dashboard(Exercise):
    title = "Assemble the one-figure dashboard"
    reads = ("build_dashboard",)
    hints = (
        "Create the grid with fig, axes = plt.subplots(2, 2, figsize=(13, 10)) and give each panel one axes.",
        "Turn scores into labels with the threshold argument before the confusion matrix and the group rates.",
        "The helpers plot_confusion_matrix, plot_roc, plot_precision_recall and plot_group_rates each take ax first.",
    )
    probe_threshold = 0.3

    def expect(self, ns, build_dashboard):
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        y_true = np.asarray(ns["y_test"])[:2000]
        y_score = np.asarray(ns["y_score"])[:2000]
        sex = ns["X_test"]["sex"].iloc[:2000].reset_index(drop=True)
        figure = call_learner_function(build_dashboard, y_true, y_score, sex, self.probe_threshold,
                                       name="build_dashboard")
        try:
            return self._expect_panels(figure, y_true, y_score, sex)
        finally:
            if isinstance(figure, Figure):
                plt.close(figure)

    def _expect_panels(self, figure, y_true, y_score, sex):
        from matplotlib.figure import Figure
        from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

        if not isinstance(figure, Figure):
            raise Incorrect(f"`build_dashboard` should return the matplotlib Figure, got {type(figure).__name__}.")
        axes = figure.axes
        if len(axes) < 4:
            raise Incorrect(f"The figure has {len(axes)} panel(s); the dashboard needs 4: confusion matrix, ROC, "
                            "precision-recall and rates by group.")
        at_probe = (y_score >= self.probe_threshold).astype(int)
        at_default = (y_score >= 0.5).astype(int)
        matrices = [np.asarray(ax.images[0].get_array()) for ax in axes if ax.images]
        if not any(np.array_equal(m, confusion_matrix(y_true, at_probe)) for m in matrices):
            if any(np.array_equal(m, confusion_matrix(y_true, at_default)) for m in matrices):
                raise Incorrect("Called with threshold=0.3, the confusion matrix still shows threshold 0.5: "
                                "use the `threshold` argument.")
            raise Incorrect("No panel shows the confusion matrix of the predictions at `threshold` "
                            "(tested with threshold=0.3 on 2,000 test rows).")
        lines = [line for ax in axes for line in ax.get_lines()]

        def drawn(x, y) -> bool:
            return any(len(line.get_xdata()) == len(x) and np.allclose(line.get_xdata(), x)
                       and np.allclose(line.get_ydata(), y) for line in lines)

        fpr, tpr, _ = roc_curve(y_true, y_score)
        if not drawn(fpr, tpr):
            raise Incorrect("No panel shows the ROC curve of `y_score` (false positive rate on x, true positive "
                            "rate on y).")
        precision, recall, _ = precision_recall_curve(y_true, y_score)
        if not drawn(recall, precision):
            raise Incorrect("No panel shows the precision-recall curve of `y_score` (recall on x, precision on y).")
        rates = group_rates(y_true, at_probe, sex).by_group["selection_rate"].to_numpy()
        default_rates = group_rates(y_true, at_default, sex).by_group["selection_rate"].to_numpy()

        def has_bars(values) -> bool:
            return any(all(np.isclose(_bar_heights(ax), v, atol=1e-9).any() for v in values) for ax in axes)

        if not has_bars(rates):
            if has_bars(default_rates):
                raise Incorrect("The group panel shows selection rates at 0.5, not at `threshold`.")
            raise Incorrect("No panel shows the selection rate of each group at `threshold` as bars.")
        return "four panels, one story. Re-run it with another threshold and watch every panel move."


class Recommendation(WrittenAnswer):
    title = "Recommend: ship, fix, or investigate?"
    reads = ("recommendation",)
    min_words = 40
    rubric = (
        "States a decision (ship / ship with conditions / do not ship) in the first sentence.",
        "Quotes at least two numbers from this notebook (e.g. recall, the FNR gap by sex, the worst slice).",
        "Explains why accuracy alone is not the headline (the majority baseline).",
        "Names the fairness finding and who it affects, without claiming its cause.",
        "Proposes a next step with an owner or a check (threshold review, slice monitoring, data collection).",
    )


EXERCISES = ExerciseSet(NOTEBOOK, [
    SplitData(), Predict(), TestMetrics(), MajorityBaseline(), ConfusionCounts(), Curves(),
    GroupRates(), DisparityScores(), SliceAnalysis(), ChooseThreshold(), RatesAtThreshold(),
    Dashboard(), Recommendation(),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12, q13 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13", "score_summary"]
