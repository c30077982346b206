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


class TestThresholdForRecall:
    @pytest.mark.parametrize("target", [0.3, 0.6, 0.8, 0.95, 1.0])
    def test_largest_threshold_meeting_target(self, random_predictions, target):
        """Equals a brute-force search over every distinct score."""
        y_true, _, y_score = random_predictions
        meeting = [t for t in np.unique(y_score) if metrics.recall_score(y_true, y_score >= t) >= target]
        assert threshold_for_recall(y_true, y_score, target) == max(meeting)

    @pytest.mark.parametrize("target", [0, -0.1, 1.5])
    def test_rejects_impossible_targets(self, target):
        """A target outside (0, 1] is an error."""
        with pytest.raises(ValueError, match="must be in"):
            threshold_for_recall([0, 1], [0.2, 0.8], target)
