"""Small assertions for checkers: each raises :class:`Incorrect` with a message for the learner."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from model_health.grading._core import Incorrect


def expect_number(name: str, value: Any) -> float:
    """``value`` as a float; a learner's string, NaN or array is feedback."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
        shape = f" of shape {np.shape(value)}" if hasattr(value, "shape") else ""
        raise Incorrect(f"`{name}` should be a single number, got {type(value).__name__}{shape}.")
    if np.isnan(value):
        raise Incorrect(f"`{name}` is NaN: a metric was computed on an empty or single-class input.")
    return float(value)


def expect_vector(name: str, value: Any, *, sizes: Mapping[str, int] | None = None) -> np.ndarray:
    """``value`` as a 1d array; ``sizes`` maps a split's name to its length ("test set": n, …).

    The first entry of ``sizes`` is the expected length; another entry that matches
    names the likely mistake ("this has the length of the training set").
    """
    if isinstance(value, (str, bytes, dict)) or np.isscalar(value) or value is None:
        raise Incorrect(f"`{name}` should be an array (one value per row), got {type(value).__name__}.")
    array = np.asarray(value)
    if array.ndim == 2 and array.shape[1] == 2:
        raise Incorrect(f"`{name}` has 2 columns (shape {array.shape}): predict_proba gives one column per "
                        "class; keep the positive class with [:, 1].")
    if array.ndim != 1:
        raise Incorrect(f"`{name}` should be 1-dimensional, got shape {array.shape}.")
    missing = int(pd.isna(array).sum()) if array.dtype.kind in "fO" else 0
    if missing:
        raise Incorrect(f"`{name}` contains {missing} missing (NaN) value(s): was a row dropped or misaligned?")
    if sizes:
        (expected_split, expected), *others = sizes.items()
        if len(array) != expected:
            for split, size in others:
                if len(array) == size:
                    raise Incorrect(f"`{name}` has {len(array)} values, the size of the {split}: "
                                    f"it looks computed on the {split}, not the {expected_split}.")
            raise Incorrect(f"`{name}` has {len(array)} values; expected one per row of the "
                            f"{expected_split} ({expected}).")
    return array


def expect_binary_labels(name: str, value: Any) -> np.ndarray:
    array = np.asarray(value)
    labels = set(np.unique(array).tolist())
    if not labels <= {0, 1}:
        shown = sorted(labels, key=str)[:4]
        if array.dtype.kind == "f":
            raise Incorrect(f"`{name}` holds values like {shown}: scores, not 0/1 labels. "
                            "Use model.predict or threshold the scores.")
        raise Incorrect(f"`{name}` should hold 0/1 labels, found {shown}.")
    return array.astype(int)


def expect_close(name: str, value: float, expected: float, *, tolerance: float = 1e-6,
                 mistakes: Mapping[str, float] | None = None, otherwise: str | None = None) -> None:
    """Accept ``value`` within ``tolerance`` of ``expected``.

    ``mistakes`` maps a message to the value that mistake would produce; the first one
    matched is the feedback. ``otherwise`` is the message when none matches.
    """
    if abs(value - expected) <= tolerance:
        return
    for message, wrong_value in (mistakes or {}).items():
        if wrong_value is not None and np.isfinite(wrong_value) and abs(value - wrong_value) <= tolerance:
            raise Incorrect(f"`{name}` = {value:.4g}: {message}")
    raise Incorrect(f"`{name}` = {value:.4g}: {otherwise or 'that does not match the value on the test set.'}")


def expect_dataframe(name: str, value: Any, columns: Iterable[str]) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise Incorrect(f"`{name}` should be a pandas DataFrame, got {type(value).__name__}.")
    missing = [column for column in columns if column not in value.columns]
    if missing:
        raise Incorrect(f"`{name}` is missing column(s) {missing}; it has {list(value.columns)}.")
    return value
