"""Explanations a person can read: SHAP values of a linear scorer, top reasons, narratives, counterfactuals.

Thin over SHAP (``shap.LinearExplainer``, exact for a linear model with an independent
masker). What no library does is written here: turning attributions into a faithful
sentence, and the smallest change of one feature that flips a decision.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from model_health._validation import as_real_number, as_whole_number
from model_health.exceptions import ApproximateValueWarning, UndefinedValueWarning

__all__ = ["change_needed", "linear_shap", "narrate", "top_reasons"]


def _steps(model) -> tuple[list, object]:
    """The transforming steps and the final linear estimator of ``model`` (a Pipeline or an estimator)."""
    from sklearn.pipeline import Pipeline

    steps = [step for _, step in model.steps[:-1]] if isinstance(model, Pipeline) else []
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if not hasattr(final, "coef_") or np.ndim(final.coef_) != 2 or final.coef_.shape[0] != 1:
        raise TypeError(f"explain needs a fitted binary linear classifier (a LogisticRegression, alone or last in a "
                        f"Pipeline of scalers), got {type(final).__name__}. Fit the model first, or explain it with "
                        "shap.Explainer instead.")
    return steps, final


def _as_frame(name: str, X, columns=None) -> pd.DataFrame:
    if isinstance(X, pd.Series):
        X = X.to_frame().T
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"`{name}` should be a DataFrame with the model's feature columns, got {type(X).__name__}.")
    if columns is not None:
        missing = [column for column in columns if column not in X]
        if missing:
            raise ValueError(f"`{name}` lacks the feature column(s) {missing}: pass the same columns the model was "
                             "fitted on.")
        X = X[list(columns)]
    if X.isna().any().any():
        raise ValueError(f"`{name}` has NaN in {X.columns[X.isna().any()].tolist()}; impute or drop those rows first.")
    return X


def linear_shap(model, background: pd.DataFrame, X: pd.DataFrame) -> pd.DataFrame:
    """SHAP values (log-odds) of each row of ``X``, one column per feature, for a linear scorer.

    ``background`` is the data "absent" features are drawn from (the training set, say).
    Each row plus ``attrs["base_value"]`` sums to the model's decision function.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [1.0, 0, 1, 0]})
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> values = linear_shap(model, X, X)
    >>> bool(np.allclose(values.sum(axis=1) + values.attrs["base_value"], model.decision_function(X)))
    True
    """
    import shap

    steps, final = _steps(model)
    background = _as_frame("background", background)
    X = _as_frame("X", X, background.columns)

    def transform(frame):
        values = frame
        for step in steps:
            values = step.transform(values)
        return np.asarray(values.toarray() if hasattr(values, "toarray") else values, dtype=float)  # sparse: one-hot

    transformed = transform(X)
    if transformed.shape[1] != X.shape[1]:
        raise ValueError(f"The pipeline turns {X.shape[1]} columns into {transformed.shape[1]}; SHAP values per "
                         "input column need a one-to-one transform (scaling). Explain the encoded columns instead.")
    explainer = shap.LinearExplainer(final, shap.maskers.Independent(transform(background), max_samples=len(background)))
    values = pd.DataFrame(explainer.shap_values(transformed), index=X.index, columns=X.columns)
    values.attrs["base_value"] = float(np.ravel(explainer.expected_value)[0])
    return values


def top_reasons(shap_row, k: int = 3) -> list[tuple[str, str]]:
    """The ``k`` features with the largest |SHAP value|, largest first, each with "raised" or "lowered".

    A feature with a SHAP value of exactly 0 moved nothing and is never a reason. ``k`` is a
    whole number >= 1.

    >>> top_reasons(pd.Series({"a": 0.2, "b": -0.9, "c": 0.0}), k=3)
    [('b', 'lowered'), ('a', 'raised')]
    """
    k = as_whole_number("k", k, minimum=1)
    if isinstance(shap_row, Mapping):
        shap_row = pd.Series(dict(shap_row))
    if not isinstance(shap_row, pd.Series):
        raise TypeError(f"`shap_row` should be a Series of SHAP values by feature (one row of linear_shap's result), "
                        f"got {type(shap_row).__name__}.")
    values = pd.to_numeric(shap_row, errors="coerce").astype(float)
    if values.isna().any():
        raise ValueError(f"`shap_row` has NaN or non-numeric values for {values.index[values.isna()].tolist()}.")
    values = values[values != 0]
    order = values.abs().sort_values(ascending=False, kind="stable").index[:k]
    return [(str(feature), "raised" if values[feature] > 0 else "lowered") for feature in order]


def narrate(reasons, *, score: float, decision: str, labels: Mapping[str, str] | None = None) -> str:
    """A sentence a manager can read, naming the reasons in order and which way each pushed the score.

    >>> narrate([("skills_test", "raised"), ("named_school", "lowered")], score=0.71, decision="shortlisted",
    ...         labels={"skills_test": "skills-test result"})
    'Shortlisted (score 0.71). The main reasons: the skills-test result raised the score; named_school lowered it.'
    """
    labels = labels or {}
    if not reasons:
        return f"{decision.capitalize()} (score {score:.2f}). No feature moved the score away from the average."
    clauses = [f"{'the ' if feature in labels else ''}{labels.get(feature, feature)} "
               f"{direction} {'the score' if position == 0 else 'it'}"
               for position, (feature, direction) in enumerate(reasons)]
    return f"{decision.capitalize()} (score {score:.2f}). The main reasons: {'; '.join(clauses)}."


SEARCH_DOUBLINGS = 60  # a non-linear search tries changes up to 2**60 times the first step, each way


def _search_change(log_odds, target: float, first_step: float) -> float:
    """The change nearest 0 found where ``log_odds(change)`` crosses ``target`` (Brent's method), or NaN.

    Each direction is searched by doubling ``first_step`` until the log-odds cross the target,
    and no further than the feature's values the pipeline can transform (``log`` of a negative
    number, an overflow: the model then refuses the row, and the search stops there).
    """
    from scipy.optimize import brentq

    def gap(change: float) -> float:
        try:
            return log_odds(change) - target
        except ValueError:  # scikit-learn refuses the NaN or infinity the transform made
            return float("nan")

    def crossing(direction: float) -> float | None:
        """A change in ``direction`` past which the log-odds are on the target's other side, or None."""
        valid = 0.0
        for doubling in range(SEARCH_DOUBLINGS):
            change = direction * first_step * 2.0 ** doubling
            end = gap(change)
            if np.isnan(end):  # past the values the pipeline takes: halve the step towards their edge
                for _ in range(SEARCH_DOUBLINGS):
                    middle = (valid + change) / 2
                    end = gap(middle)
                    if np.sign(end) == -np.sign(start):
                        return middle
                    valid, change = (valid, middle) if np.isnan(end) else (middle, change)
                return None
            if np.sign(end) == -np.sign(start):
                return change
            valid = change
        return None

    found = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the same NaN or infinity, as NumPy reports it
        start = gap(0.0)
        for direction in (1.0, -1.0):
            end = crossing(direction) if start != 0 else None
            if end is not None:
                found.append(brentq(gap, 0.0, end, xtol=1e-12 * (1 + abs(end)), rtol=1e-14))
    return min(found, key=abs) if found else float("nan")


def change_needed(model, candidate, feature: str, threshold: float = 0.5) -> float:
    """The change of ``feature``, all else fixed, that puts the predicted probability exactly at ``threshold``.

    For a rejected candidate that is the smallest change that gets them shortlisted (positive:
    raise the feature; negative: lower it). Exact for a model whose log-odds are linear in the
    feature (a linear model, alone or after scalers). When a pipeline transforms the feature
    non-linearly, the change is found by a numerical search instead, with an
    ``ApproximateValueWarning``: it reaches the threshold, but is the smallest such change only
    if the score moves one way with the feature. NaN, with an ``UndefinedValueWarning``, when
    the feature has no effect on the score, or when no change of it reaches the threshold.

    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"a": [0.0, 1, 2, 3]})
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> delta = change_needed(model, X.iloc[0], "a")
    >>> round(float(model.predict_proba(X.iloc[[0]].assign(a=X["a"].iloc[0] + delta))[0, 1]), 6)
    0.5
    """
    threshold = as_real_number("threshold", threshold)
    if not 0 < threshold < 1:
        raise ValueError(f"`threshold` is a probability strictly between 0 and 1, got {threshold!r}.")
    _steps(model)
    row = _as_frame("candidate", candidate)
    if len(row) != 1:
        raise ValueError(f"`candidate` should be one row (a Series or a one-row DataFrame), got {len(row)} rows.")
    if feature not in row:
        raise ValueError(f"{feature!r} is not a column of the candidate: {list(row.columns)}.")
    row = row.astype({feature: float})
    start = float(row[feature].iloc[0])

    def log_odds(change: float) -> float:
        return float(model.decision_function(row.assign(**{feature: start + change}))[0])

    target, now = float(np.log(threshold / (1 - threshold))), log_odds(0.0)
    slope = log_odds(1.0) - now
    if slope == 0:
        warnings.warn(f"change_needed: `{feature}` has no effect on the score (moving it by 1 leaves the log-odds at "
                      f"{now:.4g}), so no change of it alone reaches the threshold {threshold:g}: NaN.",
                      UndefinedValueWarning, stacklevel=2)
        return float("nan")
    change = (target - now) / slope
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            landed = log_odds(change)
        except ValueError:  # the transform cannot take the linear guess: not linear, search
            landed = float("nan")
    if abs(landed - target) <= 1e-9 * (1 + abs(target) + abs(now)):
        return change  # the log-odds are linear in the feature: exact
    searched = _search_change(log_odds, target, abs(change) if np.isfinite(change) and change else 1.0)
    if np.isnan(searched):
        warnings.warn(f"change_needed: no change of `{feature}` found that puts the score at {threshold:g} (the "
                      "model's score is not linear in it, and the search found no crossing): NaN.",
                      UndefinedValueWarning, stacklevel=2)
    else:
        warnings.warn(f"change_needed: the model's score is not linear in `{feature}` (its pipeline transforms it), "
                      f"so the change {searched:.6g} was found by a numerical search and is approximate: it puts the "
                      f"score at {threshold:g}, and is the smallest such change only if the score moves one way with "
                      f"`{feature}`. Check it with predict_proba.", ApproximateValueWarning, stacklevel=2)
    return searched
