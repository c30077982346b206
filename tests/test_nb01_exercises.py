"""Notebook 01's exercises: plausible mistakes get their specific message (the checks every
exercise shares are in test_exercises.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate

from model_health.exercises import nb01_model_health_dashboard as nb01
from model_health.grading import ____, Status

from conftest import feedback_failures


def with_answers(namespace: dict, **answers) -> dict:
    """A copy of the solved namespace with some answers replaced."""
    return {**namespace, **answers}


def rates_frame(ns, y_true, y_pred, sensitive, metrics=None):
    from fairlearn.metrics import false_negative_rate, false_positive_rate, true_positive_rate

    metrics = metrics or {"selection_rate": selection_rate, "tpr": true_positive_rate,
                          "fnr": false_negative_rate, "fpr": false_positive_rate}
    return MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)


def mistakes(ns):
    """(exercise, answers that make a plausible mistake, words the feedback must contain)."""
    model, X_train, X_test, y_train, y_test = ns["model"], ns["X_train"], ns["X_test"], ns["y_train"], ns["y_test"]
    y_pred, y_score = ns["y_pred"], ns["y_score"]
    from sklearn import metrics
    from sklearn.model_selection import train_test_split

    good = ns["test_metrics"]
    train_pred = model.predict(X_train)
    sex = X_test["sex"]
    swapped_sex = sex.map({"Male": "Female", "Female": "Male"}).astype(str)
    X = ns["X"]
    # An unstratified split whose positive rates visibly differ (most seeds give one).
    X_tr, X_te, y_tr, y_te = next(
        split for seed in range(100)
        for split in [train_test_split(X, ns["y"], test_size=0.25, random_state=seed)]
        if abs(split[2].mean() - split[3].mean()) > 0.002)
    leaky_train = X_train.assign(income_over_50k=y_train)
    cm = metrics.confusion_matrix(y_test, y_pred).ravel()
    fpr, tpr, _ = metrics.roc_curve(y_test, y_score)
    precision, recall, _ = metrics.precision_recall_curve(y_test, y_score)
    label_fpr, label_tpr, _ = metrics.roc_curve(y_test, y_pred)
    from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio
    dp = ns["dp_difference"]
    table = ns["race_slices"]
    tiny = table[table["n_positives"] < ns["MIN_POSITIVES"]]["recall"]
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
        ("q1", dict(X_train=X_tr, X_test=X_te, y_train=y_tr, y_test=y_te), "not stratified"),
        ("q1", dict(X_train=leaky_train), "target column"),
        ("q1", dict(y_train=y_train.sample(frac=1, random_state=0)), "do not line up"),
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
        ("q4", dict(majority_class_accuracy=lambda y: float(np.sum(np.asarray(y) == 0))), "not a count"),
        ("q4", dict(majority_class_accuracy=raising), "raised ZeroDivisionError"),
        ("q5", dict(tn=cm[0], fp=cm[2], fn=cm[1], tp=cm[3]), "look swapped"),
        ("q5", dict(tn=cm[3], fp=cm[1], fn=cm[2], tp=cm[0]), "swapped"),
        ("q5", dict(zip(("tn", "fp", "fn", "tp"), metrics.confusion_matrix(y_train, train_pred).ravel())),
         "training set"),
        ("q6", dict(fpr=label_fpr, tpr=label_tpr), "0/1 labels"),
        ("q6", dict(fpr=tpr, tpr=fpr), "look swapped"),
        ("q6", dict(precision_curve=recall, recall_curve=precision), "look swapped"),
        ("q7", dict(group_metrics=rates_frame(ns, y_test, y_pred, swapped_sex)), "swapped between groups"),
        ("q7", dict(group_metrics=rates_frame(ns, y_test, y_test, sex)), "labels where the predictions go"),
        ("q7", dict(group_metrics=rates_frame(ns, y_test, y_pred, sex, {"selection_rate": selection_rate})),
         "lacks metric"),
        ("q7", dict(group_metrics=rates_frame(ns, y_test, y_pred, X_test["race"])), "groups"),
        ("q7", dict(group_metrics=pd.DataFrame()), "should be a fairlearn MetricFrame"),
        ("q8", dict(dp_difference=-dp), "negative"),
        ("q8", dict(dp_difference=demographic_parity_ratio(y_test, y_pred, sensitive_features=sex)), "ratio"),
        ("q8", dict(dp_difference=demographic_parity_difference(y_test, y_test, sensitive_features=sex)),
         "true labels"),
        ("q8", dict(eo_difference=dp), "demographic parity difference"),
        ("q9", dict(worst_race_slice=tiny.idxmin()), "fewer than"),
        ("q9", dict(worst_race_slice=table["recall"].idxmax()), "highest recall"),
        ("q9", dict(worst_race_slice="Martian"), "is not one of the slices"),
        ("q9", dict(race_slices=table.assign(n_positives=predicted_positives.reindex(table.index).to_numpy())),
         "predicted positives"),
        ("q10", dict(threshold=0.5), "below the"),
        ("q10", dict(threshold=0.01), "higher threshold still meets it"),
        ("q10", dict(threshold=50), "between 0 and 1"),
        ("q11", dict(group_metrics_at_threshold=ns["group_metrics"]), "default threshold"),
        ("q12", dict(build_dashboard=build_at_half), "still shows threshold 0.5"),
        ("q12", dict(build_dashboard=build_axes), "should return the matplotlib Figure"),
        ("q12", dict(build_dashboard=build_two_panels), "2 panel(s)"),
        ("q12", dict(build_dashboard=raising), "raised TypeError"),
    ]


def test_mistakes_get_specific_feedback(solved_nb01):
    """Each plausible mistake is incorrect, with the message that names its likely cause."""
    tiny = solved_nb01["race_slices"]["n_positives"] < solved_nb01["MIN_POSITIVES"]
    assert tiny.any(), "the test data should hold a slice too small to rank"
    failures = feedback_failures(nb01.EXERCISES, solved_nb01, mistakes(solved_nb01))
    assert not failures, "\n".join(failures)


class TestRecommendation:
    @pytest.mark.parametrize(("text", "status"), [
        (____, Status.NOT_ATTEMPTED),
        ("Ship it.", Status.INCORRECT),
        (3.5, Status.INCORRECT),
    ])
    def test_statuses(self, solved_nb01, text, status):
        """The written recommendation is not attempted, too short, or not text."""
        assert nb01.q13.grade(with_answers(solved_nb01, recommendation=text)).status is status

    def test_worked_answer_is_self_assessed(self, solved_nb01):
        """The worked answer is long enough to be self-assessed against the rubric."""
        assert nb01.q13.grade(solved_nb01).status is Status.SELF_ASSESSED


def test_reseeded_split_still_grades_correct(solved_nb01):
    """Checks compute expectations from the learner's data, so another seed's answers are correct too."""
    from sklearn.model_selection import train_test_split

    ns = dict(solved_nb01)
    ns["SEED"] = 7
    X_train, X_test, y_train, y_test = train_test_split(ns["X"], ns["y"], test_size=0.25, stratify=ns["y"],
                                                        random_state=7)
    ns.update(X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test)
    ns["model"] = ns["model"].__class__(**ns["model"].get_params()).fit(X_train, y_train)
    ns["y_pred"], ns["y_score"] = ns["model"].predict(X_test), ns["model"].predict_proba(X_test)[:, 1]
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
    ns["test_metrics"] = {"accuracy": accuracy_score(y_test, ns["y_pred"]),
                          "precision": precision_score(y_test, ns["y_pred"]),
                          "recall": recall_score(y_test, ns["y_pred"]), "f1": f1_score(y_test, ns["y_pred"]),
                          "roc_auc": roc_auc_score(y_test, ns["y_score"])}
    for exercise in (nb01.q1, nb01.q2, nb01.q3):
        assert exercise.grade(ns).status is Status.CORRECT
    assert nb01.q3.grade(solved_nb01 | {"test_metrics": ns["test_metrics"]}).status is Status.INCORRECT
