"""Input validation shared by the public helpers.

Validate once, at the public boundary; messages name the argument, show what was
received and say how to fix it (the shape of scikit-learn's validation messages).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


class UndefinedValueWarning(UserWarning):
    """A quantity is undefined for the data given, so NaN is returned; the message says why.

    An undefined value is never reported as 0, and a verdict computed from it is "unknown".
    """


def as_1d_array(name: str, values, *, allow_nan: bool = False) -> np.ndarray:
    """Return ``values`` as a non-empty 1d array, or raise a ValueError naming ``name``."""
    if isinstance(values, (str, bytes)) or values is None or np.isscalar(values):
        raise ValueError(
            f"`{name}` should be a 1d array-like (list, numpy array or pandas Series), "
            f"got {type(values).__name__} instead."
        )
    array = np.asarray(values)
    if array.ndim == 2 and 1 in array.shape:
        raise ValueError(
            f"`{name}` should be a 1d array, got an array of shape {array.shape} instead. "
            "Flatten it with np.ravel(...) or pick one column."
        )
    if array.ndim != 1:
        raise ValueError(f"`{name}` should be a 1d array, got an array of shape {array.shape} instead.")
    if array.size == 0:
        raise ValueError(f"`{name}` is empty; it needs at least one value.")
    if not allow_nan and array.dtype.kind in "fc" and np.isnan(array).any():
        raise ValueError(
            f"`{name}` contains {int(np.isnan(array).sum())} NaN value(s); "
            "drop or impute the missing rows before computing metrics."
        )
    if not allow_nan and array.dtype == object and pd.isna(array).any():
        raise ValueError(
            f"`{name}` contains {int(pd.isna(array).sum())} missing value(s); "
            "drop or impute the missing rows before computing metrics."
        )
    return array


def as_binary_labels(name: str, values, *, require_both_classes: bool = False) -> np.ndarray:
    """Return ``values`` as a 1d int array of 0/1 labels, or raise a ValueError."""
    array = as_1d_array(name, values)
    if array.dtype == bool:
        array = array.astype(int)
    if array.dtype.kind not in "iuf":
        raise ValueError(
            f"`{name}` should hold binary labels 0/1, got values of dtype {array.dtype} "
            f"(for example {array[0]!r}). Encode the positive class as 1 and the other as 0."
        )
    unexpected = sorted(set(np.unique(array).tolist()) - {0, 1})
    if unexpected:
        raise ValueError(
            f"`{name}` should hold binary labels 0/1, got other values {unexpected[:5]}. "
            "If these are scores, threshold them first (scores >= threshold)."
        )
    if require_both_classes and np.unique(array).size < 2:
        raise ValueError(
            f"`{name}` holds a single class ({int(array[0])}); this metric needs both classes. "
            "Use a larger or stratified sample."
        )
    return array.astype(int)


def as_scores(name: str, values) -> np.ndarray:
    """Return ``values`` as a 1d float array of scores in [0, 1], or raise a ValueError."""
    array = as_1d_array(name, values)
    if array.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` should hold numeric scores, got values of dtype {array.dtype}.")
    array = array.astype(float)
    if array.min() < 0 or array.max() > 1:
        raise ValueError(
            f"`{name}` should hold probabilities in [0, 1], got values from {array.min():.3g} "
            f"to {array.max():.3g}. Use model.predict_proba(X)[:, 1]."
        )
    return array


def check_same_length(**arrays) -> None:
    """Raise a ValueError naming the arguments whose lengths differ."""
    lengths = {name: len(values) for name, values in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"`{name}` has {n}" for name, n in lengths.items())
        raise ValueError(
            f"Inputs must have the same length, but {described} rows. "
            "Check they all come from the same split (e.g. all from the test set)."
        )


def as_groups(name: str, values, *, min_group_size: int = 1) -> pd.Series:
    """Return group labels as a Series, raising a ValueError on NaN or empty/small groups."""
    as_1d_array(name, values, allow_nan=True)  # type, shape and emptiness
    # Built from the original values: np.asarray would turn a NaN among strings into 'nan'.
    series = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values)
    if series.isna().any():
        raise ValueError(
            f"`{name}` contains {int(series.isna().sum())} missing group label(s); "
            "fill them (e.g. with 'Unknown') or drop those rows."
        )
    counts = series.value_counts(sort=False)  # a categorical's unused categories count 0
    small = counts[counts < max(min_group_size, 1)]
    if len(small):
        described = ", ".join(f"{group!r} ({n} rows)" for group, n in small.items())
        if (small == 0).all():
            fix = "Drop unused categories with .cat.remove_unused_categories()."
        else:
            fix = "Merge small groups or report them as too small to assess."
        raise ValueError(
            f"`{name}` has groups with fewer than {max(min_group_size, 1)} row(s): {described}. {fix}"
        )
    return series


def check_columns(frame: pd.DataFrame, required: Iterable[str], *, name: str = "data") -> None:
    """Raise a ValueError listing the required columns missing from ``frame``."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"`{name}` should be a pandas DataFrame, got {type(frame).__name__} instead.")
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(
            f"`{name}` is missing column(s) {missing}; it has {list(frame.columns)}."
        )
