"""Exercises of notebook 01, Model Health Dashboard (UCI Adult Income).

Each checker computes its expected values with the reference code on the learner's
own data (their split, their model), so a re-seeded notebook grades correctly.
Numbers a learner computes are right to 3 significant digits (``close_enough``), a threshold
by the rows it flags and a curve by its points; where a wrong method could hit the right value
on this data, the check runs the learner's function on cases it has not shown, or compares with
what the method must give.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from types import MappingProxyType
from typing import Any, NoReturn

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
from model_health.teaching.grading import (
    Claim,
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    cached_by_data_digest,
    call_learner_function,
    close_enough,
    expect_binary_labels,
    expect_close,
    expect_dataframe,
    expect_function_picks,
    expect_number,
    expect_vector,
    format_distinct,
    refuse_the_wrong_method,
)

NOTEBOOK = "01_model_health_dashboard"
TEST_SHARE = 0.25


def _sizes(ns) -> dict[str, int]:
    return {"test set": len(ns["X_test"]), "training set": len(ns["X_train"])}


def _row_keys(features: pd.DataFrame, columns) -> np.ndarray:
    """One hash per row, from its values alone (not its index label), so a reset index keeps the keys."""
    return pd.util.hash_pandas_object(features[list(columns)], index=False).to_numpy()


def _split_reference(ns, *, stratify: bool) -> tuple:
    from sklearn.model_selection import train_test_split

    return tuple(train_test_split(ns["X"], ns["y"], test_size=TEST_SHARE, random_state=ns["SEED"],
                                  stratify=ns["y"] if stratify else None))


def _labelled_rows(features: pd.DataFrame, labels: pd.Series, columns) -> Counter:
    """How often each (row values, label) pair occurs: a split's content, whatever its order or index."""
    return Counter(zip(_row_keys(features, columns).tolist(), np.asarray(labels).astype(int).tolist()))


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
            if set(features.columns) != set(X.columns):
                raise Incorrect(f"X_{part} has columns {list(features.columns)}; expected the columns of X.")
            if len(features) != len(labels):
                raise Incorrect(f"X_{part} has {len(features)} rows but y_{part} has {len(labels)}: split X and y "
                                "in the same call.")
            if not features.index.equals(labels.index):
                raise Incorrect(f"The index labels of X_{part} and y_{part} do not line up (was only one of them "
                                "reset or reordered?). Later cells combine them and pandas matches rows by label: "
                                "reset both or neither.")
        keys = {"X": Counter(_row_keys(X, X.columns).tolist()),
                "train": Counter(_row_keys(X_train, X.columns).tolist()),
                "test": Counter(_row_keys(X_test, X.columns).tolist())}
        # A row may legitimately occur twice in X (the census has duplicates): count copies beyond X's.
        in_both = sum(max(0, min(keys["test"][key], keys["train"][key] + keys["test"][key] - keys["X"][key]))
                      for key in keys["test"] if key in keys["train"])
        if in_both:
            raise Incorrect(f"{in_both} rows of X_test also appear in X_train (same values in every column, more "
                            "copies than X holds): the test set must be rows the model never saw in training.")
        if len(X_train) + len(X_test) != len(X):
            raise Incorrect(f"X_train and X_test hold {len(X_train) + len(X_test)} rows together; X has {len(X)}. "
                            "Every row should land in exactly one part.")
        if keys["train"] + keys["test"] != keys["X"]:
            raise Incorrect("X_train and X_test together do not hold each row of X exactly once (a row is "
                            "repeated, missing or changed): split X itself, unchanged.")
        share = len(X_test) / len(X)
        if abs(share - (1 - TEST_SHARE)) <= 1 / len(X):
            raise Incorrect("X_train and X_test look swapped: the test set is the larger part (75%).")
        if abs(share - TEST_SHARE) > 1 / len(X):
            raise Incorrect(f"The test set is {share:.1%} of the rows; this exercise asks for 25% (test_size=0.25).")
        learner_rows = _labelled_rows(X_train, y_train, X.columns) + _labelled_rows(X_test, y_test, X.columns)
        if learner_rows != _labelled_rows(X, y, X.columns):
            raise Incorrect("The labels in y_train / y_test do not line up with the rows of X_train / X_test: some "
                            "rows carry another row's label. Split X and y in the same call.")
        test_rows = _labelled_rows(X_test, y_test, X.columns)
        _, reference_test, _, reference_y_test = _split_reference(ns, stratify=True)
        if test_rows == _labelled_rows(reference_test, reference_y_test, X.columns):
            return (f"{len(X_train):,} training and {len(X_test):,} test rows, both with "
                    f"{y_test.mean():.1%} high earners.")
        train_share, test_share = float(y_train.mean()), float(y_test.mean())
        if abs(train_share - test_share) > 5e-4:
            raise Incorrect(f"The share of high earners is {format_distinct(100 * train_share, 100 * test_share)}% "
                            f"in training but {format_distinct(100 * test_share, 100 * train_share)}% in test: the "
                            "split is not stratified. Pass stratify=y.")
        _, unstratified_test, _, unstratified_y_test = _split_reference(ns, stratify=False)
        if test_rows == _labelled_rows(unstratified_test, unstratified_y_test, X.columns):
            raise Incorrect("This is the split train_test_split gives without stratify=y: with this seed the shares "
                            "of high earners happen to agree, but another seed would not keep them equal. "
                            "The split is not stratified: pass stratify=y.")
        raise Incorrect("The test set has the right size and share of high earners, but other rows than "
                        "train_test_split(X, y, test_size=0.25, stratify=y, random_state=SEED) gives: "
                        "pass random_state=SEED so your split can be reproduced.")

    def reference(self, ns):
        return _split_reference(ns, stratify=True)


def _labels_from(model, probabilities: np.ndarray) -> np.ndarray:
    """What ``model.predict`` returns, from the probabilities already computed (one pass over the rows, not two)."""
    return model.classes_[np.argmax(probabilities, axis=1)]


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
        probabilities = model.predict_proba(X_test)
        reference_labels = _labels_from(model, probabilities)
        if np.array_equal(labels, 1 - reference_labels):
            raise Incorrect("`y_pred` is the exact opposite of the model's predictions: 1 should mean '>50K'.")
        if not np.array_equal(labels, reference_labels):
            differ = int((labels != reference_labels).sum())
            raise Incorrect(f"{differ} of {len(labels)} labels in `y_pred` differ from the model's predictions "
                            "on X_test (in X_test's row order).")
        scores = expect_vector("y_score", y_score, sizes=_sizes(ns)).astype(float)
        if set(np.unique(scores).tolist()) <= {0.0, 1.0}:
            raise Incorrect("`y_score` holds only 0 and 1: these are labels, not scores. Use predict_proba.")
        if close_enough(scores, probabilities[:, 1]):
            return f"{labels.mean():.1%} of test rows are predicted '>50K'."
        if close_enough(scores, probabilities[:, 0]):
            raise Incorrect("`y_score` is the probability of class 0 (earning <=50K); take column [:, 1].")
        if close_enough(scores, probabilities.max(axis=1)):
            raise Incorrect("`y_score` is the probability of the predicted class (the larger column), so it agrees "
                            "with class 1 only where the model predicts 1; take column [:, 1] for every row.")
        raise Incorrect("`y_score` does not match the model's probability of class 1 on X_test.")

    def reference(self, ns):
        model, X_test = ns["model"], ns["X_test"]
        return model.predict(X_test), model.predict_proba(X_test)[:, 1]


def _label_metrics(y_true, y_pred, **options) -> dict[str, float]:
    """Precision, recall and F1 with sklearn's ``options`` (another pos_label, another average)."""
    from sklearn import metrics

    return {"precision": metrics.precision_score(y_true, y_pred, **options),
            "recall": metrics.recall_score(y_true, y_pred, **options),
            "f1": metrics.f1_score(y_true, y_pred, **options)}


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

        if isinstance(test_metrics, pd.Series):
            test_metrics = test_metrics.to_dict()
        if not isinstance(test_metrics, dict):
            raise Incorrect(f"`test_metrics` should be a dict from metric name to value, got {type(test_metrics).__name__}.")
        missing = [key for key in self.keys if key not in test_metrics]
        if missing:
            raise Incorrect(f"`test_metrics` is missing key(s) {missing}; expected exactly {list(self.keys)}.")
        y_test, y_pred, y_score = ns["y_test"], ns["y_pred"], ns["y_score"]
        model, X_train, y_train = ns["model"], ns["X_train"], ns["y_train"]
        expected = classification_metrics(y_test, y_pred, y_score)
        values = {key: expect_number(f'test_metrics["{key}"]', test_metrics[key]) for key in self.keys}
        if close_enough([values[key] for key in self.keys], [expected[key] for key in self.keys]):
            return self._insight(expected)
        # Only a wrong answer pays for the training-set predictions its diagnosis needs.
        train_probabilities = model.predict_proba(X_train)
        on_training = classification_metrics(y_train, _labels_from(model, train_probabilities),
                                             train_probabilities[:, 1])
        negative_class = _label_metrics(y_test, y_pred, pos_label=0)
        macro = _label_metrics(y_test, y_pred, average="macro")
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
                mistakes["this is the accuracy: micro-averaging over both classes gives it. Use the default "
                         "average='binary', which scores class 1."] = expected["accuracy"]
                mistakes["this averages the two classes (average='macro'); score class 1 only, the default "
                         "average='binary'."] = macro[key]
            expect_close(name, expect_number(name, test_metrics[key]), expected[key], mistakes=mistakes,
                         otherwise=f"that is not the {key} of the model on the test set.")
        return self._insight(expected)

    @staticmethod
    def _insight(expected: dict[str, float]) -> str:
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
        # Unseen labels as a Series, as y_test is: a pandas method (value_counts) is a valid answer.
        cases = [(ns["y_test"], "y_test"), (pd.Series([1, 1, 1, 0]), "[1, 1, 1, 0]"),
                 (pd.Series([0, 0, 1, 0, 0]), "[0, 0, 1, 0, 0]")]
        for labels, shown in cases:
            value = call_learner_function(majority_class_accuracy, labels, name="majority_class_accuracy")
            value = expect_number(f"majority_class_accuracy({shown})", value)
            expected = reference_majority_class_accuracy(labels)
            if value > 1:
                if close_enough(value / 100, expected):
                    raise Incorrect(f"On {shown} your function returned {value:.4g}, which looks like a percentage: "
                                    "return a share between 0 and 1 (accuracy_score's scale).")
                if close_enough(value, expected * len(labels)):
                    raise Incorrect(f"On {shown} your function returned {value:.4g}, a count of rows: divide by the "
                                    "number of rows to return a share between 0 and 1.")
                raise Incorrect(f"On {shown} your function returned {value:.4g}: an accuracy is a share between 0 and 1.")
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
        wrong = [name for name in counts if counts[name] != expected[name]]
        exchanged = {(name, other) for name in wrong for other in wrong
                     if counts[name] == expected[other] and counts[other] == expected[name]}
        if sorted(wrong) == ["fn", "fp"] and ("fp", "fn") in exchanged:
            raise Incorrect("`fp` and `fn` look swapped (the other two are right): rows are the true labels, "
                            "columns the predictions, so a false negative is a true 1 predicted 0. Did you pass "
                            "y_pred before y_test?")
        if sorted(wrong) == ["tn", "tp"] and ("tn", "tp") in exchanged:
            raise Incorrect("`tn` and `tp` look swapped (the other two are right): ravel() gives tn, fp, fn, tp.")
        if sorted(counts.values()) == sorted(expected.values()):
            raise Incorrect(f"The four counts are the right numbers in the wrong places ({', '.join(f'`{n}`' for n in wrong)} "
                            "hold another cell's count): ravel() gives tn, fp, fn, tp, rows being the true labels.")
        raise Incorrect(f"{', '.join(f'`{n}`' for n in wrong)} do not match the confusion matrix of y_pred "
                        "against y_test.")


def _curve_arrays(name: str, value: Any, function: str, parts: str) -> tuple[np.ndarray, np.ndarray]:
    """The first two arrays of what ``function`` returns (x and y of the curve, in its order)."""
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        got = f"a {type(value).__name__} of {len(value)} items" if isinstance(value, (tuple, list)) else (
            type(value).__name__)
        raise Incorrect(f"`{name}` should be the three arrays {function} returns ({parts}), got {got}. "
                        f"Assign the call itself: {name} = {function}(...).")
    first, second = (expect_vector(f"{name}[{i}]", value[i]).astype(float) for i in (0, 1))
    expect_vector(f"{name}[2]", value[2])
    return first, second


# A curve's values lie in [0, 1], so they count as right to 3 decimals, as printed: 3 significant digits would refuse
# 0.000 for the first recall of a precision-recall curve (0.0003) rounded.
CURVE_TOLERANCE = 5e-4 * (1 + 1e-6)


def _is_curve(first: np.ndarray, second: np.ndarray, curves: list[tuple]) -> bool:
    """Whether (first, second) are the first two arrays of one of ``curves``, point for point (in that order or
    reversed), to 3 decimals."""
    def same(mine: np.ndarray, reference: np.ndarray) -> bool:
        return len(mine) == len(reference) and np.allclose(mine, reference, rtol=0, atol=CURVE_TOLERANCE,
                                                           equal_nan=True)

    return any(same(first[::step], curve[0]) and same(second[::step], curve[1])
               for curve in curves for step in (1, -1))


def _roc_curves(y_true, y_score) -> list[tuple]:
    """What roc_curve returns, with its default drop_intermediate=True and with every point: the same curve."""
    from sklearn.metrics import roc_curve

    return [roc_curve(y_true, y_score, drop_intermediate=drop) for drop in (True, False)]


def _pr_curves(y_true, y_score) -> list[tuple]:
    """What precision_recall_curve returns, with every point (its default) and with drop_intermediate=True."""
    from sklearn.metrics import precision_recall_curve

    return [precision_recall_curve(y_true, y_score, drop_intermediate=drop) for drop in (False, True)]


def _validation_scores(ns) -> np.ndarray:
    """The model's scores on the validation rows, kept aside to choose a threshold (section 9)."""
    return ns["model"].predict_proba(ns["X_val"])[:, 1]


class Curves(Exercise):
    title = "ROC and precision-recall curves"
    reads = ("roc_curve_result", "pr_curve_result")
    hints = (
        "Curves sweep the threshold over the scores, so they need y_score, not y_pred.",
        "roc_curve(y_true, y_score) returns fpr, tpr, thresholds; precision_recall_curve returns precision, "
        "recall, thresholds. Assign each call's result as it is: roc_curve_result = roc_curve(...).",
    )

    def expect(self, ns, roc_curve_result, pr_curve_result):
        from sklearn.metrics import roc_auc_score

        # The curves themselves, not their areas: the validation set's curve has nearly the test set's area.
        y_test, y_score = ns["y_test"], np.asarray(ns["y_score"])
        fpr, tpr = _curve_arrays("roc_curve_result", roc_curve_result, "roc_curve", "fpr, tpr, thresholds")
        if len(fpr) <= 3:
            raise Incorrect(f"The ROC curve has only {len(fpr)} points: it was built from 0/1 labels. "
                            "Pass the scores y_score.")
        if len(fpr) != len(tpr):
            raise Incorrect("The fpr and tpr arrays have different lengths; take both from one roc_curve call.")
        expected_auc = roc_auc_score(y_test, y_score)
        if not _is_curve(fpr, tpr, _roc_curves(y_test, y_score)):
            self._explain_roc(fpr, tpr, expected_auc, ns)
        precision, recall = _curve_arrays("pr_curve_result", pr_curve_result, "precision_recall_curve",
                                          "precision, recall, thresholds")
        if len(precision) <= 3:
            raise Incorrect("The precision-recall curve has only a few points: it was built from 0/1 labels; "
                            "use y_score.")
        if len(precision) != len(recall):
            raise Incorrect("The precision and recall arrays have different lengths; take both from one "
                            "precision_recall_curve call.")
        if precision[-1] == 0 and recall[-1] == 1:
            raise Incorrect("precision and recall look swapped: precision_recall_curve returns precision first.")
        if not _is_curve(precision, recall, _pr_curves(y_test, y_score)):
            self._explain_precision_recall(precision, recall, ns)
        return f"ROC AUC {expected_auc:.3f}. Look at the plots below to see what each curve shows."

    @staticmethod
    def _explain_roc(fpr: np.ndarray, tpr: np.ndarray, expected_auc: float, ns) -> NoReturn:
        """Raise the reason an ROC curve that is not the test-set curve of y_score is wrong."""
        from sklearn.metrics import auc

        y_test, y_score = ns["y_test"], np.asarray(ns["y_score"])
        try:
            area = auc(fpr, tpr)
        except ValueError:
            raise Incorrect("The first array of `roc_curve_result` is not sorted, so it is not the x-axis of an ROC "
                            "curve: keep roc_curve's order (fpr, tpr, thresholds).") from None
        if _is_curve(tpr, fpr, _roc_curves(y_test, y_score)):
            raise Incorrect("fpr and tpr look swapped: roc_curve returns fpr first, then tpr.")
        if _is_curve(fpr, tpr, _roc_curves(y_test, 1 - y_score)):
            raise Incorrect("This ROC curve ranks the rows backwards (its area is 1 - ROC AUC): it was built from "
                            "the probability of class 0 or 1 - y_score. Pass y_score, the probability of class 1.")
        if close_enough(area, 1 - expected_auc):
            raise Incorrect(f"The area under this ROC curve is {format_distinct(area, expected_auc)}, which is "
                            "1 - ROC AUC: either the scores rank rows backwards (class 0's probability) or fpr "
                            "and tpr are swapped.")
        if _is_curve(fpr, tpr, _roc_curves(ns["y_val"], _validation_scores(ns))):
            raise Incorrect("This ROC curve was computed on the validation set (y_val and the scores on X_val); "
                            "use the test set: roc_curve(y_test, y_score).")
        raise Incorrect(f"This ROC curve ({len(fpr)} points, area {format_distinct(area, expected_auc)}) is not the "
                        f"test-set ROC curve of y_score (area {format_distinct(expected_auc, area)}).")

    @staticmethod
    def _explain_precision_recall(precision: np.ndarray, recall: np.ndarray, ns) -> NoReturn:
        """Raise the reason a precision-recall curve that is not the test-set curve of y_score is wrong."""
        from sklearn.metrics import auc

        y_test, y_score = ns["y_test"], np.asarray(ns["y_score"])
        try:
            auc(recall, precision)
        except ValueError:
            raise Incorrect("The second array of `pr_curve_result` is not sorted: keep precision_recall_curve's order "
                            "(precision, recall, thresholds).") from None
        if _is_curve(precision, recall, _pr_curves(y_test, 1 - y_score)):
            raise Incorrect("This precision-recall curve ranks the rows backwards: it was built from the probability "
                            "of class 0 or 1 - y_score. Pass y_score.")
        if _is_curve(precision, recall, _pr_curves(ns["y_val"], _validation_scores(ns))):
            raise Incorrect("This precision-recall curve was computed on the validation set (y_val and the scores "
                            "on X_val); use the test set: precision_recall_curve(y_test, y_score).")
        expected_points = len(_pr_curves(y_test, y_score)[0][0])
        raise Incorrect(f"This precision-recall curve ({len(precision)} points) is not the test-set "
                        f"precision-recall curve of y_score ({expected_points} points).")

    def reference(self, ns):
        from sklearn.metrics import precision_recall_curve, roc_curve

        return roc_curve(ns["y_test"], ns["y_score"]), precision_recall_curve(ns["y_test"], ns["y_score"])


# Five checks ask for the same fairlearn MetricFrames (about 0.25 s each, nine per grade of the notebook), and a batch
# asks again for every submission: computed once per data (callers read the results, never change them).
@cached_by_data_digest
def _rates_by_group(y_true, y_pred, groups) -> pd.DataFrame:
    return group_rates(y_true, y_pred, groups).by_group


_disparity = cached_by_data_digest(disparity_summary)
_slices = cached_by_data_digest(slice_table)


def _expect_group_rates(name: str, frame: Any, y_true, y_pred, groups, *, default_y_pred=None,
                        strict_y_pred=None) -> pd.DataFrame:
    """Shared by the two MetricFrame exercises: compare a learner's frame with the reference rates.

    ``strict_y_pred``: the predictions at ``score > threshold``. A MetricFrame is computed, never typed, so rates
    that are exactly those, not the reference's, come from the strict comparison even where they agree to 3
    significant digits (a row or two at the threshold)."""
    from fairlearn.metrics import MetricFrame

    if not isinstance(frame, MetricFrame):
        raise Incorrect(f"`{name}` should be a fairlearn MetricFrame, got {type(frame).__name__}.")
    by_group = frame.by_group
    if isinstance(by_group, pd.Series):
        raise Incorrect(f"`{name}` holds a single metric; pass a dict of the four metrics {list(GROUP_RATE_METRICS)}.")
    missing = [metric for metric in GROUP_RATE_METRICS if metric not in by_group.columns]
    if missing:
        raise Incorrect(f"`{name}` lacks metric(s) named {missing}; it has {list(by_group.columns)}.")
    expected = _rates_by_group(y_true, y_pred, groups)
    if sorted(map(str, by_group.index)) != sorted(map(str, expected.index)):
        raise Incorrect(f"`{name}` has groups {list(by_group.index)}; expected the groups of X_test['sex'] "
                        f"{list(expected.index)}.")
    learner = by_group.reindex(expected.index)[list(GROUP_RATE_METRICS)].astype(float)
    at = 0 if strict_y_pred is None else int(np.sum(np.asarray(strict_y_pred) != np.asarray(y_pred)))
    if at:  # no score at the threshold: the two methods agree, and nothing tells them apart
        refuse_the_wrong_method(
            learner, expected[list(GROUP_RATE_METRICS)],
            _rates_by_group(y_true, strict_y_pred, groups)[list(GROUP_RATE_METRICS)],
            f"`{name}` counts a score as positive only above the threshold (y_score > threshold), so the {at} "
            "row(s) scored exactly at it are negatives; a threshold includes them: y_score >= threshold, as "
            "scikit-learn's curves define it.")
    if close_enough(learner, expected[list(GROUP_RATE_METRICS)]):
        return expected
    if default_y_pred is not None and close_enough(
            learner, _rates_by_group(y_true, default_y_pred, groups)[list(GROUP_RATE_METRICS)]):
        raise Incorrect(f"`{name}` shows the rates at the default threshold 0.5; predict with "
                        "y_score >= threshold first.")
    base_rates = pd.Series(np.asarray(y_true)).groupby(np.asarray(groups)).mean().reindex(expected.index)
    for metric in GROUP_RATE_METRICS:
        mine, reference = learner[metric].to_numpy(), expected[metric].to_numpy()
        if close_enough(mine, reference):
            continue
        if len(mine) == 2 and close_enough(mine[::-1], reference):
            raise Incorrect(f"The {metric} values look swapped between groups: check sensitive_features is "
                            "X_test['sex'] in the same row order as y_test.")
        if metric == "selection_rate" and close_enough(mine, base_rates.to_numpy()):
            raise Incorrect("The selection rates equal each group's share of true high earners: you passed "
                            "the labels where the predictions go (y_pred=...).")
        counterpart = {"tpr": "fnr", "fnr": "tpr"}.get(metric)
        if counterpart and close_enough(mine, expected[counterpart].to_numpy()):
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


@cache
def _unseen_disparity_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three groups the learner has not seen, where the FPR gap exceeds the TPR gap (unlike the test set by sex)."""
    rng = np.random.default_rng(2026)
    groups = np.repeat(np.array(["group a", "group b", "group c"]), [300, 200, 250])
    y_true = (rng.random(groups.size) < np.select([groups == "group a", groups == "group b"], [0.3, 0.5], 0.4)).astype(int)
    # Per group: chance of predicting 1 for a true 1 (TPR) and for a true 0 (FPR).
    tpr = np.select([groups == "group a", groups == "group b"], [0.70, 0.74], 0.72)
    fpr = np.select([groups == "group a", groups == "group b"], [0.05, 0.30], 0.15)
    y_pred = (rng.random(groups.size) < np.where(y_true == 1, tpr, fpr)).astype(int)
    return y_true, y_pred, groups


@cache
def _unseen_disparity_summary() -> dict[str, float]:
    return disparity_summary(*_unseen_disparity_case())


def _disparity_mistakes(y_true, y_pred, groups, expected) -> tuple[dict[str, float], dict[str, float]]:
    """What each plausible wrong method gives for (dp, eo) on this data, mapped to the message naming it."""
    from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio

    dp, eo = expected["demographic_parity_difference"], expected["equalized_odds_difference"]
    rates = _rates_by_group(y_true, y_pred, groups)
    dp_mistakes = {
        "negative: fairlearn reports the gap as largest minus smallest group rate, so it is >= 0.": -dp,
        "that is the equalized odds difference; demographic parity compares selection rates.": eo,
        "that is the gap in the true labels (base rates); pass the predictions as y_pred.":
            demographic_parity_difference(y_true, y_true, sensitive_features=groups),
        "that is a ratio (smallest / largest); this exercise asks for the difference.":
            demographic_parity_ratio(y_true, y_pred, sensitive_features=groups),
    }
    eo_mistakes = {
        "that is the demographic parity difference; equalized odds compares TPR and FPR.": dp,
        "that is only the TPR gap (equal opportunity); equalized odds takes the larger of the TPR and FPR gaps.":
            np.ptp(rates["tpr"]),
        "that is only the FPR gap; equalized odds takes the larger of the TPR and FPR gaps.": np.ptp(rates["fpr"]),
    }
    return dp_mistakes, eo_mistakes


class DisparityScores(Exercise):
    title = "Demographic parity and equalized odds differences"
    reads = ("disparity_differences",)
    hints = (
        "fairlearn.metrics has demographic_parity_difference and equalized_odds_difference.",
        "Both take (y_true, y_pred, sensitive_features=...); pass the function's own arguments through.",
        "return dp, eo: two numbers, demographic parity first.",
    )

    def expect(self, ns, disparity_differences):
        y_test, y_pred, sex = ns["y_test"], ns["y_pred"], ns["X_test"]["sex"]
        on_test = _disparity(y_test, y_pred, sex)
        for y_true, predictions, groups, shown in ((y_test, y_pred, sex, "the test predictions by sex"),
                                                   (*(part.copy() for part in _unseen_disparity_case()),
                                                    "three groups it has not seen")):
            dp, eo = self._expect_pair(disparity_differences, y_true, predictions, groups, shown)
            expected = on_test if groups is sex else _unseen_disparity_summary()
            right = (expected["demographic_parity_difference"], expected["equalized_odds_difference"])
            if close_enough([dp, eo], right):
                continue  # the mistakes below cost a few fairlearn passes: only for a wrong answer
            dp_mistakes, eo_mistakes = _disparity_mistakes(y_true, predictions, groups, expected)
            expect_close(f"dp_difference on {shown}", dp, right[0], mistakes=dp_mistakes)
            expect_close(f"eo_difference on {shown}", eo, right[1], mistakes=eo_mistakes)
        expected = on_test
        return (f"selection rates differ by {expected['demographic_parity_difference']:.3f} between the sexes, and "
                f"error rates by up to {expected['equalized_odds_difference']:.3f}. Part of the first gap mirrors "
                "different base rates in the data; the second is about errors.")

    @staticmethod
    def _expect_pair(disparity_differences, y_true, y_pred, groups, shown) -> tuple[float, float]:
        result = call_learner_function(disparity_differences, y_true, y_pred, groups, name="disparity_differences")
        if isinstance(result, dict) or not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Incorrect(f"On {shown}, `disparity_differences` returned {type(result).__name__} "
                            f"{result!r:.60}; return two numbers: dp, eo.")
        return (expect_number(f"dp_difference on {shown}", result[0]),
                expect_number(f"eo_difference on {shown}", result[1]))

    def reference(self, ns):
        return _reference_disparity_differences


def _reference_disparity_differences(y_true, y_pred, sensitive_features) -> tuple[float, float]:
    """The reference `disparity_differences`: fairlearn's two differences, through the workbook's summary."""
    summary = disparity_summary(y_true, y_pred, sensitive_features)
    return summary["demographic_parity_difference"], summary["equalized_odds_difference"]


def _with_slice_index(name: str, table: pd.DataFrame, slices: pd.Index) -> pd.DataFrame:
    """``table`` indexed by slice name: as built by MetricFrame, or with the names in a column (reset index)."""
    wanted = sorted(map(str, slices))
    if sorted(map(str, table.index)) == wanted:
        return table.set_axis(table.index.map(str))
    for column in table.columns:
        if sorted(map(str, table[column])) == wanted:
            return table.set_index(table[column].map(str)).drop(columns=column)
    raise Incorrect(f"`{name}` has rows {list(table.index)}; expected one per race in X_test['race'] "
                    f"{list(map(str, slices))}.")


def _reference_worst_slice(table: pd.DataFrame, min_positives: int) -> str:
    """The reference `find_worst_slice`: lowest recall among slices with enough true high earners."""
    return worst_slice(table, "recall", min_positives=min_positives)


# A table the learner has not seen: each wrong way of picking the worst slice picks another slice here.
UNSEEN_SLICES = pd.DataFrame(
    {"n_rows": [900, 450, 20, 2600, 700, 1300, 300],
     "n_positives": [60, 40, 8, 900, 45, 500, 12],
     "recall": [0.62, 0.55, 0.10, 0.90, 0.60, 0.75, 0.30],
     "selection_rate": [0.12, 0.08, 0.25, 0.40, 0.09, 0.03, 0.05]},
    index=pd.Index(["26-35", "18-25", "unknown", "36-50", "51-65", "66+", "under 18"], name="age band"))
UNSEEN_MIN_POSITIVES = 40


def _worst_slice_mistakes(table: pd.DataFrame, min_positives: int, global_minimum: int) -> dict[str, str]:
    """What each plausible wrong method picks on ``table``, mapped to the message naming it."""
    eligible = table[table["n_positives"] >= min_positives]
    candidates = {
        "picks the highest recall: that is the best slice, not the worst.": eligible["recall"].idxmax(),
        "picks the lowest recall of all slices, even one with fewer than min_positives true high earners: "
        "filter on n_positives >= min_positives first.": table["recall"].idxmin(),
        "leaves out slices with exactly min_positives true high earners: 'at least' means >=.":
            _lowest(table[table["n_positives"] > min_positives], "recall"),
        "filters on n_rows; min_positives counts true high earners (n_positives).":
            _lowest(table[table["n_rows"] >= min_positives], "recall"),
        f"uses MIN_POSITIVES = {global_minimum} instead of its `min_positives` argument.":
            _lowest(table[table["n_positives"] >= global_minimum], "recall"),
    }
    if "selection_rate" in table.columns:
        candidates["picks the lowest selection rate; the worst slice here is the one with the lowest recall."] = (
            eligible["selection_rate"].idxmin())
    right = _reference_worst_slice(table, min_positives)
    return {message: pick for message, pick in candidates.items() if pick is not None and pick != right}


def _lowest(table: pd.DataFrame, metric: str) -> str | None:
    return None if table.empty else table[metric].idxmin()


def _describe_slice(pick, table: pd.DataFrame, min_positives: int) -> str:
    return f" ({int(table.loc[pick, 'n_positives'])} true high earners, recall {table.loc[pick, 'recall']:.3f})"


def _why_not_the_worst_slice(picked, right, table: pd.DataFrame, min_positives: int) -> str:
    if isinstance(picked, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        return "return one slice's name (the index label), e.g. with idxmin()."
    if str(picked) not in map(str, table.index):
        return ("not a slice of the table it was given: return a label of `table.index` (was the answer written in "
                "by hand?).")
    return f"not the lowest recall among slices with at least {min_positives} true high earners."


class SliceAnalysis(Exercise):
    title = "Find the worst slice by race"
    reads = ("race_slices", "find_worst_slice")
    hints = (
        "A MetricFrame with sensitive_features=X_test['race'] gives one row per race; add count-style metrics.",
        "n_positives counts the true high earners in a slice (rows whose true label is 1): recall's denominator.",
        "In find_worst_slice, keep the rows of `table` with n_positives >= min_positives, then take the index "
        "of the lowest recall (idxmin). Use the argument, not the global MIN_POSITIVES.",
    )

    def expect(self, ns, race_slices, find_worst_slice):
        table = expect_dataframe("race_slices", race_slices, ["n_rows", "n_positives", "recall"])
        y_test, y_pred, race = ns["y_test"], ns["y_pred"], ns["X_test"]["race"]
        expected = _slices(y_test, y_pred, race)
        expected = expected.set_axis(expected.index.map(str))
        mine = _with_slice_index("race_slices", table, expected.index).reindex(expected.index)
        if mine["n_rows"].sum() == len(ns["y_train"]):
            raise Incorrect("The slice sizes add up to the training set; slice the test set.")
        if not np.array_equal(mine["n_rows"].astype(float), expected["n_rows"].astype(float)):
            raise Incorrect("`n_rows` does not match the number of test rows in each race.")
        predicted = pd.Series(np.asarray(y_pred)).groupby(np.asarray(race.astype(str))).sum().reindex(expected.index)
        if np.array_equal(mine["n_positives"].astype(float), predicted.to_numpy(dtype=float)):
            raise Incorrect("`n_positives` counts predicted positives; count the true high earners (y_true).")
        if not np.array_equal(mine["n_positives"].astype(float), expected["n_positives"].astype(float)):
            raise Incorrect("`n_positives` does not match the number of true high earners in each race.")
        if not close_enough(mine["recall"].astype(float), expected["recall"]):
            raise Incorrect("`recall` per slice does not match the model's recall on each race's test rows.")
        minimum = ns["MIN_POSITIVES"]
        # Offered a selection_rate column too, so a function that ranks by it runs (and is caught below).
        with_selection = expected.assign(selection_rate=pd.Series(np.asarray(y_pred)).groupby(
            np.asarray(race.astype(str))).mean())
        expect_function_picks(
            find_worst_slice, "find_worst_slice",
            [((with_selection, minimum), "the race table, MIN_POSITIVES"),
             ((UNSEEN_SLICES, UNSEEN_MIN_POSITIVES),
              f"a table of age bands (not shown), min_positives={UNSEEN_MIN_POSITIVES}")],
            _reference_worst_slice, mistakes=lambda table, least: _worst_slice_mistakes(table, least, minimum),
            describe=_describe_slice, explain=_why_not_the_worst_slice)
        answer = _reference_worst_slice(expected, minimum)
        overall = float(np.mean(np.asarray(y_pred)[np.asarray(y_test) == 1]))
        return (f"recall for '{answer}' is {expected.loc[answer, 'recall']:.3f} vs {overall:.3f} overall. "
                "The aggregate hid it; smaller slices are too uncertain to rank.")

    def reference(self, ns):
        return slice_table(ns["y_test"], ns["y_pred"], ns["X_test"]["race"]), _reference_worst_slice


class ChooseThreshold(Exercise):
    title = "Choose a threshold for a recall target, on the validation set"
    reads = ("threshold",)
    rejected_forms = MappingProxyType({
        form: "a threshold is judged by the validation rows it flags: rounded, it can flag other rows and miss the "
              "target (a rounding that flags the same rows is accepted)"
        for form in ("3 decimals", "3 significant digits")})
    hints = (
        "Lowering the threshold flags more people: recall goes up, precision usually down.",
        "val_recalls[i] is the validation recall at val_thresholds[i]; val_recalls[:-1] has one entry per threshold.",
        "Keep the thresholds whose recall >= TARGET_RECALL and take the largest: "
        "val_thresholds[val_recalls[:-1] >= TARGET_RECALL].max().",
    )

    def expect(self, ns, threshold):
        from sklearn.metrics import recall_score

        value = expect_number("threshold", threshold)
        if not 0 < value < 1:
            raise Incorrect(f"`threshold` = {value:.4g}: a threshold on probabilities lies between 0 and 1.")
        val_score = _validation_scores(ns)
        best = threshold_for_recall(ns["y_val"], val_score, ns["TARGET_RECALL"])
        # Judged by the rows it flags, not by its digits: a neighbouring threshold within 0.0005 of the answer can
        # miss the target or flag more rows, while a rounding that flags the same rows is the same choice.
        if not np.array_equal(val_score >= value, val_score >= best):
            self._explain(value, best, ns, val_score)
        test_recall = recall_score(ns["y_test"], np.asarray(ns["y_score"]) >= value)
        return (f"chosen on validation rows, it reaches a test recall of {test_recall:.3f} "
                f"(target {ns['TARGET_RECALL']}): that is the number to report. Next, see what it does to each group.")

    @staticmethod
    def _explain(value: float, best: float, ns, val_score: np.ndarray) -> NoReturn:
        """Raise the reason a threshold that flags other validation rows than the reference one is wrong."""
        from sklearn.metrics import recall_score

        y_val, target = ns["y_val"], ns["TARGET_RECALL"]
        test_score = np.asarray(ns["y_score"])
        on_test = threshold_for_recall(ns["y_test"], test_score, target)
        if close_enough(value, on_test, shown=None) or np.array_equal(test_score >= value, test_score >= on_test):
            raise Incorrect(f"`threshold` = {format_distinct(value, best)} is the threshold that meets the target on "
                            "the test set. Choose it on the validation set (y_val, y_val_score) and keep the test "
                            "set for evaluating.")
        recall = recall_score(y_val, val_score >= value)
        if recall < target:
            raise Incorrect(f"Recall on the validation set at threshold {format_distinct(value, best)} is "
                            f"{format_distinct(recall, target)}, below the {target} target: lower the threshold.")
        # Meeting the target while flagging other rows than the largest such threshold: it flags more rows.
        flagged, needed = int(np.sum(val_score >= value)), int(np.sum(val_score >= best))
        raise Incorrect(f"Validation recall at {format_distinct(value, best)} is {format_distinct(recall, target)}, "
                        f"which meets the {target} target, but a higher threshold still meets it: yours flags "
                        f"{flagged:,} validation rows, {flagged - needed:,} more than the target needs. Take the "
                        "largest threshold.")

    def reference(self, ns):
        return threshold_for_recall(ns["y_val"], _validation_scores(ns), ns["TARGET_RECALL"])


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
                                       predictions, ns["X_test"]["sex"], default_y_pred=ns["y_pred"],
                                       strict_y_pred=(y_score > ns["threshold"]).astype(int))
        before = _rates_by_group(ns["y_test"], ns["y_pred"], ns["X_test"]["sex"])
        gap_before = before["selection_rate"].max() - before["selection_rate"].min()
        gap_after = expected["selection_rate"].max() - expected["selection_rate"].min()
        return (f"the selection-rate gap went from {gap_before:.3f} to {gap_after:.3f}. A threshold is "
                "a policy choice with group effects, not only an accuracy knob.")


def _bar_heights(ax) -> np.ndarray:
    from matplotlib.patches import Rectangle

    return np.array([patch.get_height() for patch in ax.patches if isinstance(patch, Rectangle)])


def _drawn_matrices(ax) -> list[np.ndarray]:
    """The 2 x 2 matrices an axes draws: as an image (imshow, ConfusionMatrixDisplay) or as a mesh of cells
    (seaborn's heatmap, pcolormesh)."""
    from matplotlib.collections import QuadMesh

    drawn = [np.asarray(image.get_array()) for image in ax.images]
    drawn += [np.asarray(mesh.get_array()) for mesh in ax.collections if isinstance(mesh, QuadMesh)]
    return [matrix.reshape(2, 2) for matrix in drawn if matrix.size == 4]


class Dashboard(Exercise):
    title = "Assemble the one-figure dashboard"
    reads = ("build_dashboard",)
    shown_as_written = "the next cell draws the learner's own dashboard"
    hints = (
        "Create the figure with fig = plt.figure(figsize=(13, 10)), then its 2 x 2 grid with axes = fig.subplots(2, 2); "
        "give each panel one axes.",
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
            return self._expect_panels(figure, y_true, y_score, sex, ns.get("threshold"))
        finally:
            if isinstance(figure, Figure):
                plt.close(figure)

    def _expect_panels(self, figure, y_true, y_score, sex, notebook_threshold):
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
        # The notebook's own `threshold` variable: a function reading it instead of its argument would pass there.
        at_global = (y_score >= notebook_threshold).astype(int) if isinstance(notebook_threshold, (float, np.floating)) else None
        matrices = [matrix for ax in axes for matrix in _drawn_matrices(ax)]
        if not any(np.array_equal(m, confusion_matrix(y_true, at_probe)) for m in matrices):
            if any(np.array_equal(m, confusion_matrix(y_true, at_default)) for m in matrices):
                raise Incorrect("Called with threshold=0.3, the confusion matrix still shows threshold 0.5: "
                                "use the `threshold` argument.")
            if at_global is not None and any(np.array_equal(m, confusion_matrix(y_true, at_global)) for m in matrices):
                raise Incorrect(f"Called with threshold=0.3, the confusion matrix shows the notebook's `threshold` "
                                f"({notebook_threshold:.4g}): use the function's `threshold` argument.")
            raise Incorrect("No panel shows the confusion matrix of the predictions at `threshold` "
                            "(tested with threshold=0.3 on 2,000 test rows).")
        lines = [line for ax in axes for line in ax.get_lines()]

        def drawn(x, y) -> bool:
            return any(len(line.get_xdata()) == len(x) and close_enough(line.get_xdata(), x)
                       and close_enough(line.get_ydata(), y) for line in lines)

        fpr, tpr, _ = roc_curve(y_true, y_score)
        if not drawn(fpr, tpr):
            raise Incorrect("No panel shows the ROC curve of `y_score` (false positive rate on x, true positive "
                            "rate on y).")
        precision, recall, _ = precision_recall_curve(y_true, y_score)
        if not drawn(recall, precision):
            raise Incorrect("No panel shows the precision-recall curve of `y_score` (recall on x, precision on y).")
        rates = _rates_by_group(y_true, at_probe, sex)["selection_rate"].to_numpy()
        default_rates = _rates_by_group(y_true, at_default, sex)["selection_rate"].to_numpy()

        def has_bars(values) -> bool:
            return any(all(any(close_enough(height, v) for height in _bar_heights(ax)) for v in values)
                       for ax in axes)

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


# --- the story the prose tells (issue 22 §6: it must hold on every seed) -------------------------------------

def _women_are_a_third_of_the_rows(ns) -> bool:
    return bool(abs((ns["X"]["sex"].astype(str) == "Female").mean() - 1 / 3) < 0.05)


def _women_earn_over_50k_far_less_often(ns) -> bool:
    rates = pd.Series(np.asarray(ns["y"], dtype=float)).groupby(np.asarray(ns["X"]["sex"].astype(str))).mean()
    return bool(rates["Female"] < 0.5 * rates["Male"])


def _always_predicting_the_majority_scores_high_accuracy(ns) -> bool:
    share = float(np.mean(ns["y_test"]))
    return max(share, 1 - share) >= 0.7


EXERCISES = ExerciseSet(NOTEBOOK, [
    SplitData(), Predict(), TestMetrics(), MajorityBaseline(), ConfusionCounts(), Curves(),
    GroupRates(), DisparityScores(), SliceAnalysis(), ChooseThreshold(), RatesAtThreshold(),
    Dashboard(), Recommendation(),
], claims=[
    Claim("women are a third of the rows", _women_are_a_third_of_the_rows),
    Claim("Women in this data earn >50K far less often", _women_earn_over_50k_far_less_often),
    Claim("a model that ignores its input and always predicts that class already scores high accuracy",
          _always_predicting_the_majority_scores_high_accuracy),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12, q13 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13", "score_summary"]
