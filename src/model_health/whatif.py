"""A what-if explorer in ipywidgets: the core of Google's What-If Tool, without TensorFlow.

Two panels. :class:`CandidateExplorer`: pick a candidate, edit their features, and see the
score, the decision and the SHAP reasons change. :class:`ThresholdExplorer`: one threshold
slider per group, with each group's selection rate, TPR and FPR updating as you drag.
Each panel's state is plain data (``state()``, ``rates()``), so tests drive the widgets'
callbacks with no browser, and a headless notebook run still works.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from model_health._validation import as_binary_labels, as_groups, as_real_number, as_scores, check_same_length
from model_health.explain import linear_shap, narrate, top_reasons
from model_health.fairness import group_rates

__all__ = ["CandidateExplorer", "ThresholdExplorer"]


def _as_threshold(threshold) -> float:
    threshold = as_real_number("threshold", threshold)
    if not 0 <= threshold <= 1:
        raise ValueError(f"`threshold` is a score between 0 and 1, got {threshold!r}.")
    return threshold


class CandidateExplorer:
    """Pick a candidate, edit their features, and watch score, decision and reasons.

    ``model`` is a fitted linear scorer (see :func:`model_health.explain.linear_shap`),
    ``candidates`` a DataFrame of the model's features (its index names the candidates) and
    ``background`` the data SHAP compares against (the training set).
    """

    def __init__(self, model, candidates: pd.DataFrame, background: pd.DataFrame, *, threshold: float = 0.5,
                 labels: dict[str, str] | None = None):
        import ipywidgets as widgets

        if not isinstance(candidates, pd.DataFrame) or candidates.empty:
            raise ValueError("`candidates` should be a non-empty DataFrame of the model's features, one row each.")
        self.model, self.candidates, self.background = model, candidates, background[list(candidates.columns)]
        self.threshold, self.labels = _as_threshold(threshold), labels or {}
        self.picker = widgets.Dropdown(options=list(candidates.index), description="Candidate")
        self.sliders = {feature: self._slider(widgets, feature) for feature in candidates.columns}
        self.output = widgets.HTML()
        self.picker.observe(lambda change: self.select(change["new"]), names="value")
        for slider in self.sliders.values():
            slider.observe(lambda change: self._refresh(), names="value")
        self.widget = widgets.VBox([self.picker, *self.sliders.values(), self.output])
        self.select(self.picker.value)

    def _slider(self, widgets, feature: str):
        column = pd.to_numeric(pd.concat([self.background[feature], self.candidates[feature]]))
        low, high = float(column.min()), float(column.max())
        if set(np.unique(column)) <= {0, 1}:
            return widgets.IntSlider(min=0, max=1, step=1, description=feature, continuous_update=False)
        return widgets.FloatSlider(min=low, max=high, step=round((high - low) / 100, 3), description=feature,
                                   continuous_update=False, readout_format=".2f")

    def select(self, candidate) -> None:
        """Show ``candidate`` (an index label of ``candidates``) with their recorded features."""
        if candidate not in self.candidates.index:
            raise KeyError(f"{candidate!r} is not a candidate; pick one of {list(self.candidates.index)[:5]}…")
        self.picker.value = candidate
        self._updating = True  # one refresh for the whole row, not one per slider
        try:
            for feature, slider in self.sliders.items():
                slider.value = self.candidates.loc[candidate, feature]
        finally:
            self._updating = False
        self._refresh()

    def set_feature(self, feature: str, value: float) -> None:
        """Edit one feature of the shown candidate (what the slider does)."""
        if feature not in self.sliders:
            raise KeyError(f"{feature!r} is not a feature of the model: {list(self.sliders)}.")
        self.sliders[feature].value = value

    def state(self) -> dict:
        """The edited row, its score, decision and top reasons (the panel's content as data)."""
        row = pd.DataFrame([{feature: slider.value for feature, slider in self.sliders.items()}],
                           index=[self.picker.value])
        score = float(self.model.predict_proba(row)[0, 1])
        reasons = top_reasons(linear_shap(self.model, self.background, row).iloc[0])
        decision = "shortlisted" if score >= self.threshold else "not shortlisted"
        return {"row": row.iloc[0].to_dict(), "score": score, "decision": decision, "reasons": reasons,
                "narrative": narrate(reasons, score=score, decision=decision, labels=self.labels)}

    def _refresh(self) -> None:
        if getattr(self, "_updating", False):
            return
        self.output.value = f"<p>{html.escape(self.state()['narrative'])}</p>"


class ThresholdExplorer:
    """One threshold slider per group; each group's selection rate, TPR and FPR update live."""

    def __init__(self, y_true, scores, groups, *, threshold: float = 0.5):
        import ipywidgets as widgets

        self.y_true, self.scores = as_binary_labels("y_true", y_true), as_scores("scores", scores)
        self.groups = as_groups("groups", groups).astype(str)  # a missing group label is an error, not "nan"
        check_same_length(y_true=self.y_true, scores=self.scores, groups=self.groups)
        threshold = _as_threshold(threshold)
        self.sliders = {group: widgets.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.01, description=group,
                                                   continuous_update=False)
                        for group in sorted(self.groups.unique())}
        self.output = widgets.HTML()
        for slider in self.sliders.values():
            slider.observe(lambda change: self._refresh(), names="value")
        self.widget = widgets.VBox([*self.sliders.values(), self.output])
        self._refresh()

    def set_threshold(self, group: str, value: float) -> None:
        """Move one group's threshold (what its slider does)."""
        if group not in self.sliders:
            raise KeyError(f"{group!r} is not a group: {list(self.sliders)}.")
        self.sliders[group].value = value

    def decisions(self) -> np.ndarray:
        """1 where a person's score reaches their group's threshold."""
        thresholds = self.groups.map({group: slider.value for group, slider in self.sliders.items()})
        return (self.scores >= thresholds.to_numpy()).astype(int)

    def rates(self) -> pd.DataFrame:
        """Selection rate, TPR and FPR per group at the current thresholds."""
        table = group_rates(self.y_true, self.decisions(), self.groups).by_group[["selection_rate", "tpr", "fpr"]]
        table.insert(0, "threshold", [self.sliders[group].value for group in table.index])
        return table.rename_axis("group")

    def _refresh(self) -> None:
        self.output.value = self.rates().round(3).to_html()
