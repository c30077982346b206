"""Each dashboard panel draws the data it is given, titled and labelled, on the axes it is given."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

from model_health.fairness import group_rates
from model_health.plots import (
    plot_decision_boundary_2d,
    plot_confusion_matrix,
    plot_group_rates,
    plot_precision_recall,
    plot_roc,
    plot_selection_rate_by_threshold,
    plot_slices,
)


@pytest.fixture
def ax():
    figure, axes = plt.subplots()
    yield axes
    plt.close(figure)


@pytest.fixture
def data():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 2, 300)
    y_score = np.clip(0.4 * y_true + 0.6 * rng.random(300), 0, 1)
    groups = pd.Series(rng.choice(["a", "b"], 300), name="group")
    return y_true, y_score, groups


def has_line(ax, x, y) -> bool:
    return any(len(line.get_xdata()) == len(x) and np.allclose(line.get_xdata(), x)
               and np.allclose(line.get_ydata(), y) for line in ax.get_lines())


class TestPanels:
    def test_confusion_matrix(self, ax, data):
        """The image holds sklearn's confusion matrix."""
        y_true, y_score, _ = data
        y_pred = (y_score >= 0.5).astype(int)
        assert plot_confusion_matrix(ax, y_true, y_pred) is ax
        assert np.array_equal(ax.images[0].get_array(), confusion_matrix(y_true, y_pred))
        assert ax.get_title() == "Confusion matrix"

    def test_roc(self, ax, data):
        """The curve is roc_curve's (fpr, tpr), with labelled axes."""
        y_true, y_score, _ = data
        fpr, tpr, _ = roc_curve(y_true, y_score)
        assert plot_roc(ax, y_true, y_score) is ax
        assert has_line(ax, fpr, tpr)
        assert ax.get_xlabel() == "False positive rate"

    def test_precision_recall(self, ax, data):
        """The curve is precision_recall_curve's (recall, precision)."""
        y_true, y_score, _ = data
        precision, recall, _ = precision_recall_curve(y_true, y_score)
        assert plot_precision_recall(ax, y_true, y_score) is ax
        assert has_line(ax, recall, precision)
        assert ax.get_ylabel() == "Precision"

    def test_group_rates(self, ax, data):
        """One bar per group and rate, with heights equal to the MetricFrame's values."""
        y_true, y_score, groups = data
        frame = group_rates(y_true, (y_score >= 0.5).astype(int), groups)
        plot_group_rates(ax, frame)
        heights = sorted(patch.get_height() for patch in ax.patches if patch.get_height() > 0)
        assert heights == pytest.approx(sorted(v for v in frame.by_group.to_numpy().ravel() if v > 0))
        assert ax.get_title() == "Rates by group"

    def test_slices_grey_small_ones(self, ax):
        """Slices below the minimum of positives are grey; the others coloured."""
        table = pd.DataFrame({"n_positives": [5, 100], "recall": [0.2, 0.6]}, index=["small", "large"])
        plot_slices(ax, table, "recall", min_positives=50)
        colours = [patch.get_facecolor() for patch in ax.patches]
        assert colours[0] != colours[1]
        assert [tick.get_text() for tick in ax.get_yticklabels()] == ["small (5 positives)", "large (100 positives)"]

    def test_slices_missing_metric(self, ax):
        """A metric the table lacks is named."""
        with pytest.raises(ValueError, match=r"missing column\(s\) \['recall'\]"):
            plot_slices(ax, pd.DataFrame({"n_positives": [1]}), "recall", min_positives=1)

    def test_selection_rate_by_threshold(self, ax, data):
        """One line per group plus the threshold marker."""
        _, y_score, groups = data
        plot_selection_rate_by_threshold(ax, y_score, groups, threshold=0.4)
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels == ["a", "b", "threshold 0.4"]
        first = ax.get_lines()[0]
        assert first.get_ydata()[0] == 1.0  # everyone is selected at threshold 0


class TestBadInput:
    def test_scores_as_labels(self, ax):
        """Scores where labels belong are rejected."""
        with pytest.raises(ValueError, match="threshold them first"):
            plot_confusion_matrix(ax, [0, 1], [0.2, 0.7])

    def test_length_mismatch(self, ax):
        """Mismatched inputs name both arguments."""
        with pytest.raises(ValueError, match="`y_true` has 3, `y_score` has 2"):
            plot_roc(ax, [0, 1, 1], [0.2, 0.7])


class TestMonitoringPanels:
    def test_metric_by_month(self, ax):
        """The metric line, the baseline, the degradation line and the alert marker are drawn."""
        from model_health.plots import plot_metric_by_month

        values = pd.Series([0.5, 0.48, 0.4], index=[1, 2, 3])
        plot_metric_by_month(ax, values, baseline=0.5, tolerance=0.1, alert_month=2)
        lines = ax.get_lines()
        assert np.allclose(lines[0].get_ydata(), values)
        assert lines[2].get_ydata()[0] == pytest.approx(0.45)
        assert "first alert (month 2)" in [line.get_label() for line in lines]

    def test_psi_bars_coloured_by_band(self, ax):
        """Bars are sorted and coloured by band, with both thresholds drawn."""
        from model_health.plots import plot_psi

        plot_psi(ax, pd.Series({"a": 0.5, "b": 0.05, "c": 0.2}))
        assert [tick.get_text() for tick in ax.get_yticklabels()] == ["b", "c", "a"]
        assert len({patch.get_facecolor() for patch in ax.patches}) == 3
        assert sorted(line.get_xdata()[0] for line in ax.get_lines()) == [0.1, 0.25]

    def test_psi_by_month_one_line_per_reference(self, ax):
        """One line per reference on a log axis, both bands drawn, ticks named by calendar month."""
        from model_health.plots import plot_psi_by_month

        psi = pd.DataFrame({"static": [0.9, 0.02], "seasonal": [0.01, 0.4]}, index=[13, 14])
        assert plot_psi_by_month(ax, psi, calendar_months={13: 1, 14: 2}) is ax
        lines = ax.get_lines()
        assert [line.get_label() for line in lines[:2]] == ["static", "seasonal"]
        assert np.allclose(lines[1].get_ydata(), [0.01, 0.4])
        assert sorted(line.get_ydata()[0] for line in lines[2:]) == [0.1, 0.25]
        assert not {line.get_color() for line in lines[:2]} & {line.get_color() for line in lines[2:]}
        assert ax.get_yscale() == "log"
        assert [tick.get_text() for tick in ax.get_xticklabels()] == ["13\nJan", "14\nFeb"]

    def test_psi_by_month_needs_a_frame(self, ax):
        """A single Series is rejected with what is expected instead."""
        from model_health.plots import plot_psi_by_month

        with pytest.raises(TypeError, match="one column per reference, got Series"):
            plot_psi_by_month(ax, pd.Series([0.1, 0.2]))

    def test_distribution_shift_numeric_and_categorical(self, ax):
        """Numbers draw densities, categories shares; both titled with the feature."""
        from model_health.plots import plot_distribution_shift

        plot_distribution_shift(ax, pd.Series([1.0, 2, 3], name="x"), pd.Series([2.0, 3, 4], name="x"))
        assert ax.get_title() == "x: training vs production" and ax.get_ylabel() == "Density"
        ax.clear()
        plot_distribution_shift(ax, pd.Series(list("aab"), name="c"), pd.Series(list("abb"), name="c"))
        heights = sorted(round(p.get_height(), 3) for p in ax.patches if p.get_height() > 0)
        assert heights == [0.333, 0.333, 0.667, 0.667]


class TestDecisionBoundary:
    def test_line_is_where_the_classifier_scores_zero(self):
        """Every point of the drawn line maps back (through PCA) to a score of 0, and each group is marked."""
        from sklearn.compose import ColumnTransformer
        from sklearn.decomposition import PCA
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        rng = np.random.default_rng(0)
        X = pd.DataFrame({"amount": rng.normal(size=200), "years": rng.normal(size=200),
                          "kind": pd.Categorical(rng.choice(["a", "b"], size=200))})
        y = (X["amount"] + X["years"] + rng.normal(scale=0.5, size=200) > 0).astype(int)
        encode = ColumnTransformer([("n", StandardScaler(), ["amount", "years"]), ("c", OneHotEncoder(), ["kind"])])
        pipeline = make_pipeline(encode, LogisticRegression()).fit(X, y)
        groups = pd.Series(np.where(X["years"] > 0, "older", "younger"), name="age band")
        fig, ax = plt.subplots()
        plot_decision_boundary_2d(ax, pipeline, X, groups)
        from matplotlib.contour import ContourSet

        (contour,) = [collection for collection in ax.collections if isinstance(collection, ContourSet)]
        (line,) = contour.get_paths()
        pca = PCA(n_components=2, random_state=0).fit(pipeline[:-1].transform(X))
        scores = pipeline[-1].decision_function(pca.inverse_transform(line.vertices))
        assert np.abs(scores).max() < 0.05
        assert [text.get_text() for text in ax.get_legend().get_texts()] == ["older", "younger"]
        plt.close(fig)

    def test_groups_must_match_rows(self):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
        pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, [0, 0, 1, 1])
        fig, ax = plt.subplots()
        with pytest.raises(ValueError, match="groups"):
            plot_decision_boundary_2d(ax, pipeline, X, ["x", "y"])
        plt.close(fig)
