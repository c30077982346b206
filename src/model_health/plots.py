"""Dashboard panels: each draws one view on a given matplotlib ``Axes`` and returns it.

Thin over scikit-learn's display classes and seaborn; titles and axis labels are set
so every panel reads on its own.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from model_health._validation import as_binary_labels, as_groups, as_scores, check_columns, check_same_length
from model_health.simulators import MONTH_NAMES

__all__ = [
    "plot_decision_boundary_2d",
    "plot_confusion_matrix",
    "plot_distribution_shift",
    "plot_metric_by_month",
    "plot_psi",
    "plot_psi_by_month",
    "plot_group_rates",
    "plot_precision_recall",
    "plot_roc",
    "plot_selection_rate_by_threshold",
    "plot_slices",
]


def plot_confusion_matrix(ax, y_true, y_pred):
    """Counts of true vs predicted labels (rows: truth, columns: prediction)."""
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true, y_pred = as_binary_labels("y_true", y_true), as_binary_labels("y_pred", y_pred)
    check_same_length(y_true=y_true, y_pred=y_pred)
    ConfusionMatrixDisplay.from_predictions(y_true, y_pred, ax=ax, colorbar=False, cmap="Blues",
                                            values_format="d")
    ax.set_title("Confusion matrix")
    ax.grid(False)
    return ax


def _score_curve(ax, display, y_true, y_score, *, title: str, xlabel: str, ylabel: str):
    """Draw a scikit-learn curve display of scores, with its chance level and labelled axes."""
    y_true, y_score = as_binary_labels("y_true", y_true, require_both_classes=True), as_scores("y_score", y_score)
    check_same_length(y_true=y_true, y_score=y_score)
    display.from_predictions(y_true, y_score, ax=ax, name="model", plot_chance_level=True)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def plot_roc(ax, y_true, y_score):
    """ROC curve with its AUC and the diagonal of a random ranking."""
    from sklearn.metrics import RocCurveDisplay

    return _score_curve(ax, RocCurveDisplay, y_true, y_score, title="ROC curve",
                        xlabel="False positive rate", ylabel="True positive rate (recall)")


def plot_precision_recall(ax, y_true, y_score):
    """Precision-recall curve with its average precision and the prevalence baseline."""
    from sklearn.metrics import PrecisionRecallDisplay

    return _score_curve(ax, PrecisionRecallDisplay, y_true, y_score, title="Precision-recall curve",
                        xlabel="Recall", ylabel="Precision")


def plot_group_rates(ax, metric_frame):
    """Bars of each rate (selection rate, TPR, …) per group, from a fairlearn ``MetricFrame``."""
    import seaborn as sns

    by_group = metric_frame.by_group
    group_name = by_group.index.name or "group"
    long = by_group.reset_index(names=group_name).melt(id_vars=group_name, var_name="rate", value_name="value")
    sns.barplot(data=long, x="rate", y="value", hue=group_name, ax=ax)
    ax.set_ylim(0, 1)
    ax.set_title(f"Rates by {group_name}")
    ax.set_xlabel("")
    ax.set_ylabel("Rate (share of rows)")
    return ax


def plot_slices(ax, table: pd.DataFrame, metric: str, *, min_positives: int):
    """Horizontal bars of ``metric`` per slice; slices with too few positives are greyed and marked."""
    check_columns(table, ["n_positives", metric], name="table")
    reliable = table["n_positives"] >= min_positives
    colours = np.where(reliable, "tab:blue", "lightgrey")
    labels = [f"{name} ({int(n)} positives)" for name, n in zip(table.index, table["n_positives"])]
    ax.barh(labels, table[metric], color=colours)
    ax.set_xlim(0, 1)
    ax.set_title(f"{metric} by slice (grey: fewer than {min_positives} positives)")
    ax.set_xlabel(metric)
    return ax


def plot_selection_rate_by_threshold(ax, y_score, sensitive_features, *, threshold: float):
    """Selection rate per group as the threshold moves, with the chosen threshold marked."""
    y_score = as_scores("y_score", y_score)
    groups = as_groups("sensitive_features", sensitive_features)
    check_same_length(y_score=y_score, sensitive_features=groups)
    grid = np.linspace(0, 1, 101)
    for group in sorted(groups.unique()):
        scores = y_score[(groups == group).to_numpy()]
        ax.plot(grid, [(scores >= t).mean() for t in grid], label=str(group))
    ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3g}")
    ax.set_title("Selection rate by threshold")
    ax.set_xlabel("Threshold on the score")
    ax.set_ylabel("Selection rate")
    ax.legend()
    return ax


def plot_metric_by_month(ax, values: pd.Series, *, baseline: float, tolerance: float, name: str = "F1",
                         alert_month=None):
    """A metric per month against its baseline and the degradation line; an alert month is marked."""
    ax.plot(values.index, values.to_numpy(), marker="o", label=name)
    ax.axhline(baseline, color="grey", linestyle=":", label=f"baseline {baseline:.3g}")
    ax.axhline((1 - tolerance) * baseline, color="tab:red", linestyle="--",
               label=f"{tolerance:.0%} below baseline")
    if alert_month is not None:
        ax.axvline(alert_month, color="black", linewidth=1, label=f"first alert (month {alert_month})")
    ax.set_title(f"{name} by month in production")
    ax.set_xlabel("Month since deployment")
    ax.set_ylabel(name)
    ax.set_xticks(list(values.index))
    ax.legend(loc="lower left")
    return ax


def plot_psi(ax, psi: pd.Series):
    """PSI per feature as bars, with the 0.1 (watch) and 0.25 (drift) bands."""
    from model_health.drift import PSI_ALERT, PSI_WATCH

    ordered = psi.sort_values()
    colours = ["tab:red" if v > PSI_ALERT else "tab:orange" if v >= PSI_WATCH else "tab:blue" for v in ordered]
    ax.barh([str(name) for name in ordered.index], ordered.to_numpy(), color=colours)
    ax.axvline(PSI_WATCH, color="tab:orange", linestyle="--", label=f"watch ({PSI_WATCH})")
    ax.axvline(PSI_ALERT, color="tab:red", linestyle="--", label=f"drift ({PSI_ALERT})")
    ax.set_title("Population stability index by feature")
    ax.set_xlabel("PSI against the training window")
    ax.legend(loc="lower right")
    return ax


def plot_psi_by_month(ax, psi: pd.DataFrame, *, calendar_months=None):
    """The largest PSI per month, one line per reference (a column of ``psi``), with the bands.

    The axis is logarithmic: a stable month's PSI (about 0.01) and a drifted one's (1 or
    more) both stay readable. ``calendar_months`` maps each month to its calendar month
    (1-12), which then labels the ticks ("13 Jan").
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    from model_health.drift import PSI_ALERT, PSI_WATCH

    if not isinstance(psi, pd.DataFrame):
        raise TypeError(f"`psi` should be a DataFrame with one column per reference, got {type(psi).__name__}.")
    # Orange and red are the bands' colours, so the references take others.
    colours = itertools.cycle(("tab:blue", "tab:purple", "tab:green", "tab:brown", "tab:gray"))
    for reference, colour in zip(psi.columns, colours):
        ax.plot(psi.index, psi[reference].to_numpy(), marker="o", color=colour, label=str(reference))
    ax.axhline(PSI_WATCH, color="tab:orange", linestyle="--", label=f"watch ({PSI_WATCH})")
    ax.axhline(PSI_ALERT, color="tab:red", linestyle="--", label=f"drift alert ({PSI_ALERT})")
    ax.set_yscale("log", nonpositive="clip")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))  # 0.01, 0.1, 1 (not 10^-2)
    ax.yaxis.set_minor_formatter(NullFormatter())
    months = list(psi.index)
    labels = ([f"{month}\n{MONTH_NAMES[calendar_months[month] - 1]}" for month in months]
              if calendar_months is not None else [str(month) for month in months])
    ax.set_xticks(months, labels)
    ax.set_title("Largest feature PSI by month")
    ax.set_xlabel("Month since deployment" + (" (calendar month)" if calendar_months is not None else ""))
    ax.set_ylabel("Largest PSI of any feature (log scale)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: the lines fill the whole panel
    return ax


def plot_distribution_shift(ax, reference: pd.Series, current: pd.Series, *, labels=("training", "production")):
    """Overlaid distributions of one feature: densities for numbers, shares for categories."""
    import seaborn as sns

    name = reference.name or "value"
    combined = pd.concat([reference.rename(name).to_frame().assign(sample=labels[0]),
                          current.rename(name).to_frame().assign(sample=labels[1])], ignore_index=True)
    if pd.api.types.is_numeric_dtype(reference):
        sns.histplot(data=combined, x=name, hue="sample", stat="density", common_norm=False, element="step",
                     bins=40, ax=ax)
        ax.set_ylabel("Density")
    else:
        shares = combined.groupby("sample", observed=True)[name].value_counts(normalize=True).rename("share")
        sns.barplot(data=shares.reset_index(), x=name, y="share", hue="sample", ax=ax)
        ax.set_ylabel("Share of rows")
    ax.set_title(f"{name}: {labels[0]} vs {labels[1]}")
    return ax


def plot_decision_boundary_2d(ax, pipeline, X: pd.DataFrame, groups, *, title: str = "Decision boundary"):
    """The applicants in the model's two principal directions, marked by group, with the boundary.

    ``pipeline`` is a fitted scikit-learn Pipeline whose last step is a linear classifier with
    ``decision_function`` (e.g. LogisticRegression). The earlier steps encode ``X``; PCA finds the
    plane through the mean that keeps the most variance, and the line is where the classifier's
    score is 0 on that plane (the full boundary is a hyperplane: this is its trace).
    """
    from sklearn.decomposition import PCA

    encoded = pipeline[:-1].transform(X)
    encoded = encoded.toarray() if hasattr(encoded, "toarray") else np.asarray(encoded)
    groups = as_groups("groups", groups)
    check_same_length(X=encoded, groups=groups)
    pca = PCA(n_components=2, random_state=0).fit(encoded)
    points = pca.transform(encoded)
    for group in sorted(groups.unique(), key=str):
        mask = (groups == group).to_numpy()
        ax.scatter(points[mask, 0], points[mask, 1], s=12, alpha=0.6, label=str(group))
    grid_x, grid_y = np.meshgrid(np.linspace(*ax.get_xlim(), 200), np.linspace(*ax.get_ylim(), 200))
    plane = pca.inverse_transform(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    score = pipeline[-1].decision_function(plane).reshape(grid_x.shape)
    ax.contour(grid_x, grid_y, score, levels=[0], colors="black", linewidths=1.5)
    ax.set_xlabel(f"principal direction 1 ({pca.explained_variance_ratio_[0]:.0%} of variance)")
    ax.set_ylabel(f"principal direction 2 ({pca.explained_variance_ratio_[1]:.0%} of variance)")
    ax.set_title(title)
    ax.legend(title=groups.name or "group", fontsize="small")
    return ax
