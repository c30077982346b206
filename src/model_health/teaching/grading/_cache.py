"""Reference computations cached by a digest of their input data, so a check repeated on the
same data (a learner re-running it after each edit) does not refit a model.

A key is a digest of the values, index, column names and dtypes of every argument, in
row order, so a reordered or edited table is a different key: only the same data hits.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import numpy as np
import pandas as pd

Result = TypeVar("Result")

CACHE_SIZE = 32


def data_digest(*values: Any) -> str:
    """A hex digest of ``values``: equal for equal data in the same row order, else different.

    DataFrames and Series are hashed with ``pd.util.hash_pandas_object`` (index included),
    plus their column names and dtypes; arrays by their bytes, dtype and shape; anything
    else by its pickle (numbers, strings, tuples, a fitted model: its learned state too).

    Examples
    --------
    >>> table = pd.DataFrame({"x": [1, 2, 3]})
    >>> data_digest(table) == data_digest(table.copy())
    True
    >>> data_digest(table) == data_digest(table.iloc[::-1])
    False
    """
    digest = hashlib.blake2b(digest_size=16)
    for value in values:
        if isinstance(value, (pd.DataFrame, pd.Series)):
            digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
            digest.update(repr(list(value.columns) if isinstance(value, pd.DataFrame) else value.name).encode())
            digest.update(repr(value.dtypes.to_dict() if isinstance(value, pd.DataFrame) else value.dtype).encode())
        elif isinstance(value, np.ndarray):
            digest.update(np.ascontiguousarray(value).tobytes())
            digest.update(repr((value.dtype, value.shape)).encode())
        else:
            digest.update(pickle.dumps(value, protocol=5))
        digest.update(b"\x00")  # so ("ab", "c") and ("a", "bc") differ
    return digest.hexdigest()


def cached_by_data_digest(function: Callable[..., Result]) -> Callable[..., Result]:
    """Cache ``function``'s results by :func:`data_digest` of its positional arguments.

    Keeps the last ``CACHE_SIZE`` results. The function should return something the
    caller will not modify (numbers, tuples, read-only arrays): the same object is returned
    on every hit.

    Examples
    --------
    >>> calls = []
    >>> @cached_by_data_digest
    ... def total(values):
    ...     calls.append(1)
    ...     return float(values.sum())
    >>> total(pd.Series([1.0, 2.0])), total(pd.Series([1.0, 2.0])), len(calls)
    (3.0, 3.0, 1)
    """
    results: OrderedDict[str, Result] = OrderedDict()

    @wraps(function)
    def cached(*args: Any) -> Result:
        key = data_digest(*args)
        if key in results:
            results.move_to_end(key)
            return results[key]
        result = function(*args)
        results[key] = result
        if len(results) > CACHE_SIZE:
            results.popitem(last=False)
        return result

    cached.cache_clear = results.clear  # type: ignore[attr-defined]
    _CACHES.append(results)
    return cached


_CACHES: list[OrderedDict] = []  # every cache made by cached_by_data_digest


def clear_caches() -> None:
    """Empty every cache :func:`cached_by_data_digest` made: the next check pays for its references again, as a
    learner's first check does (benchmarks/check_times.py measures that)."""
    for results in _CACHES:
        results.clear()
