"""Metrics, baseline, slices and thresholds agree with scikit-learn and with brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from model_health.evaluation import (
    classification_metrics,
    majority_class_accuracy,
    slice_table,
    threshold_for_recall,
    worst_slice,
)
from model_health.exceptions import UndefinedValueWarning


@pytest.fixture
def random_predictions():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 500)
    y_score = np.clip(0.35 * y_true + rng.random(500) * 0.65, 0, 1)
    return y_true, (y_score >= 0.5).astype(int), y_score


class TestClassificationMetrics:
    def test_hand_computed(self):
        """TP=1, FP=0, FN=1, TN=2 gives precision 1, recall 0.5, F1 2/3."""
        result = classification_metrics([0, 1, 1, 0], [0, 1, 0, 0], [0.1, 0.9, 0.4, 0.3])
        assert result == pytest.approx({"accuracy": 0.75, "precision": 1.0, "recall": 0.5,
                                        "f1": 2 / 3, "roc_auc": 1.0})

    @pytest.mark.parametrize("container", [list, np.asarray, pd.Series])
    def test_matches_sklearn(self, random_predictions, container):
        """Every metric equals scikit-learn's on random data."""
        y_true, y_pred, y_score = random_predictions
        result = classification_metrics(container(y_true), container(y_pred), container(y_score))
        assert result["f1"] == pytest.approx(metrics.f1_score(y_true, y_pred))
        assert result["roc_auc"] == pytest.approx(metrics.roc_auc_score(y_true, y_score))

    def test_single_class(self):
        """A single-class y_true cannot have a ROC AUC: clear error."""
        with pytest.raises(ValueError, match="single class"):
            classification_metrics([1, 1], [1, 0], [0.2, 0.3])

    def test_length_mismatch(self):
        """Inputs from different splits are caught."""
        with pytest.raises(ValueError, match="same length"):
            classification_metrics([1, 0, 1], [1, 0], [0.2, 0.3, 0.4])


    def test_precision_without_predicted_positives_is_nan(self):
        """Nothing predicted positive: precision is undefined (NaN with a warning), not 0."""
        with pytest.warns(UndefinedValueWarning, match="precision is NaN because `y_pred` has no positives"):
            result = classification_metrics([0, 1, 1, 0], [0, 0, 0, 0], [0.1, 0.4, 0.3, 0.2])
        assert np.isnan(result["precision"])
        assert result["recall"] == 0.0 and result["f1"] == 0.0

    @pytest.mark.parametrize(("arguments", "message"), [
        (([0, 1], [0, 1], ["0.1", "0.9"]), r"`y_score` should hold numeric scores.*numbers stored as text"),
        (([0, 1], [0, 1], [0.1, None]), r"`y_score` contains 1 missing value"),
        (([0, 1], [0, 1], pd.Series([0.1, pd.NA], dtype="Float64")), r"`y_score` contains 1 NaN"),
        ((pd.Series([True, pd.NA], dtype="boolean"), [0, 1], [0.1, 0.9]), r"`y_true` contains 1 missing value"),
        (([0, 1], [0, 1], np.array([[0.1, 0.9]])), r"`y_score` should be a 1d array, got an array of shape \(1, 2\)"),
        (([0, 1], [0, 1], pd.Series([], dtype=float)), "`y_score` is empty"),
        (([0, 1], [0, 1], pd.NA), "`y_score` should be a 1d array-like"),
        (([0, 1], [0, 1], {0.1, 0.9}), "`y_score` should be a 1d array-like .* got set instead"),
    ])
    def test_bad_inputs(self, arguments, message):
        """Text numbers, None, pd.NA, 2-D, empty and unordered inputs name the argument."""
        with pytest.raises(ValueError, match=message):
            classification_metrics(*arguments)

    @pytest.mark.parametrize("dtype", ["Int64", "boolean"])
    def test_nullable_labels_without_missing_values(self, dtype):
        """Nullable Int64/boolean labels with no missing value are ordinary labels."""
        y_true = pd.Series([0, 1, 1, 0]).astype(dtype)
        assert classification_metrics(y_true, y_true, [0.1, 0.9, 0.8, 0.3])["accuracy"] == 1.0


class TestMajorityClassAccuracy:
    @pytest.mark.parametrize(("labels", "expected"), [([0, 0, 0, 1], 0.75), ([1, 1, 0], 2 / 3), ([1, 0], 0.5)])
    def test_values(self, labels, expected):
        """The share of the more frequent class."""
        assert majority_class_accuracy(labels) == pytest.approx(expected)


class TestSliceTable:
    def test_columns_and_values(self):
        """One row per slice with its size, positives and recall."""
        table = slice_table([1, 0, 1, 1], [1, 0, 0, 1], pd.Series(["a", "a", "b", "b"]))
        assert table["n_rows"].tolist() == [2, 2]
        assert table["n_positives"].tolist() == [1, 2]
        assert table["recall"].tolist() == [1.0, 0.5]

    def test_custom_metrics(self):
        """Any (y_true, y_pred) metric can be added."""
        table = slice_table([1, 0, 1, 1], [1, 1, 0, 1], ["a", "a", "b", "b"],
                            metrics={"precision": metrics.precision_score})
        assert table["precision"].tolist() == [0.5, 1.0]

    def test_slice_without_positives_has_nan_recall(self):
        """A slice with no positives has no recall: NaN with a warning naming it, not 0.0."""
        with pytest.warns(UndefinedValueWarning, match=r"recall is NaN for slice\(s\) \['b'\]"):
            table = slice_table([1, 0, 0, 0], [1, 0, 1, 0], ["a", "a", "b", "b"])
        assert np.isnan(table.loc["b", "recall"]) and table.loc["a", "recall"] == 1.0

    def test_user_metric_gets_nan_on_zero_division(self):
        """A scikit-learn metric that would divide by zero is NaN on that slice."""
        with pytest.warns(UndefinedValueWarning, match=r"precision is NaN for slice\(s\) \['b'\]"):
            table = slice_table([1, 0, 1, 1], [1, 1, 0, 0], ["a", "a", "b", "b"],
                                metrics={"precision": metrics.precision_score})
        assert np.isnan(table.loc["b", "precision"])

    def test_user_choice_of_zero_division_is_kept(self):
        """A metric whose zero_division the caller set is left alone (no NaN, no warning)."""
        from functools import partial

        table = slice_table([1, 0, 1, 1], [1, 1, 0, 0], ["a", "a", "b", "b"],
                            metrics={"precision": partial(metrics.precision_score, zero_division=0.0)})
        assert table.loc["b", "precision"] == 0.0

    @pytest.mark.parametrize(("chosen", "message"), [
        ({"recall": "recall_score"}, "`metrics` should be a dict of name -> function"),
        ([metrics.recall_score], "`metrics` should be a dict of name -> function"),
        ({"n_rows": metrics.recall_score}, r"reserved name\(s\) \['n_rows'\]"),
    ])
    def test_bad_metrics(self, chosen, message):
        """Metrics must be named functions, and not shadow the size columns."""
        with pytest.raises(ValueError, match=message):
            slice_table([1, 0], [1, 0], ["a", "b"], metrics=chosen)

    def test_nan_slice(self):
        """A missing slice label is rejected."""
        with pytest.raises(ValueError, match="missing group label"):
            slice_table([1, 0], [1, 0], ["a", None])

    def test_length_mismatch(self):
        """Slices from another split are caught."""
        with pytest.raises(ValueError, match="`slices` has 3"):
            slice_table([1, 0], [1, 0], ["a", "b", "b"])


class TestWorstSlice:
    table = pd.DataFrame({"n_positives": [3, 80, 90], "recall": [0.1, 0.5, 0.7]}, index=["tiny", "b", "c"])

    def test_respects_minimum(self):
        """A tiny slice is never the answer, however low its metric."""
        assert worst_slice(self.table, "recall", min_positives=30) == "b"
        assert worst_slice(self.table, "recall", min_positives=1) == "tiny"

    def test_missing_metric(self):
        """A metric the table lacks is named."""
        with pytest.raises(ValueError, match=r"missing column\(s\) \['f1'\]"):
            worst_slice(self.table, "f1", min_positives=1)

    def test_no_slice_qualifies(self):
        """If every slice is too small, the error says what to change."""
        with pytest.raises(ValueError, match="No slice has at least 100 positives"):
            worst_slice(self.table, "recall", min_positives=100)


    def test_nan_eligible_slice_is_an_error(self):
        """An eligible slice whose metric is NaN is not skipped: the worst slice cannot be known."""
        table = pd.DataFrame({"n_positives": [40, 80, 90], "precision": [np.nan, 0.5, 0.7]}, index=["a", "b", "c"])
        with pytest.raises(ValueError, match=r"`table\['precision'\]` is NaN for slice\(s\) \['a'\] with at least 30 "
                                             "positives, so the worst slice cannot be known"):
            worst_slice(table, "precision", min_positives=30)
        assert worst_slice(table, "precision", min_positives=50) == "b"

    @pytest.mark.parametrize(("minimum", "message"), [
        ("30", "`min_positives` should be a real number, got str '30'"),
        (2.5, "`min_positives` should be a whole number >= 0"),
        (None, "`min_positives` should be a real number"),
        (np.nan, "`min_positives` should be a finite number"),
    ])
    def test_bad_minimum(self, minimum, message):
        """The minimum must be a whole number."""
        with pytest.raises(ValueError, match=message):
            worst_slice(self.table, "recall", min_positives=minimum)

    def test_text_metric_column(self):
        """A metric column of text is named rather than compared as text."""
        with pytest.raises(ValueError, match=r"`table\['recall'\]` should hold numbers"):
            worst_slice(self.table.astype({"recall": str}), "recall", min_positives=1)

    def test_empty_table(self):
        """An empty table says how to build one."""
        with pytest.raises(ValueError, match="`table` has no rows"):
            worst_slice(self.table.iloc[:0], "recall", min_positives=1)


class TestThresholdForRecall:
    @pytest.mark.parametrize("target", [0.3, 0.6, 0.8, 0.95, 1.0])
    def test_largest_threshold_meeting_target(self, random_predictions, target):
        """Equals a brute-force search over every distinct score."""
        y_true, _, y_score = random_predictions
        positive_scores = y_score[y_true == 1]
        meeting = [t for t in np.unique(y_score) if np.mean(positive_scores >= t) >= target]  # recall at t
        assert threshold_for_recall(y_true, y_score, target) == max(meeting)

    @pytest.mark.parametrize("target", [0, -0.1, 1.5])
    def test_rejects_impossible_targets(self, target):
        """A target outside (0, 1] is an error."""
        with pytest.raises(ValueError, match="must be in"):
            threshold_for_recall([0, 1], [0.2, 0.8], target)

    @pytest.mark.parametrize("target", ["0.8", None, np.nan])
    def test_rejects_non_numbers(self, target):
        """Text, None and NaN targets name the argument (text used to raise a TypeError)."""
        with pytest.raises(ValueError, match="`target_recall` should be a (real|finite) number"):
            threshold_for_recall([0, 1], [0.2, 0.8], target)
