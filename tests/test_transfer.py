"""Moving a submission's variables to the grader: data is rebuilt, nothing else is."""

from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pandas as pd
import pytest

from model_health.grading import ____
from model_health.grading._transfer import KERNEL_HELPERS, Opaque, RemoteFunction, load_snapshot, safe_loads


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Session:
    """Stands for the kernel: records what the grader asked it."""

    def __init__(self):
        self.requests = []

    def request(self, operation, key, argument):
        self.requests.append((operation, key, argument))
        return 7


@pytest.mark.parametrize("value", [Evil(), os.system], ids=["a reduce that calls os.system", "os.system"])
def test_code_in_a_pickle_is_refused(value):
    with pytest.raises(pickle.UnpicklingError, match="not data"):
        safe_loads(pickle.dumps(value))


def test_data_is_rebuilt_and_functions_become_calls_into_the_kernel(tmp_path):
    helpers = {}
    exec(KERNEL_HELPERS, helpers)
    namespace = {"frame": pd.DataFrame({"a": [1.5, 2.0]}, index=pd.date_range("2026-01-01", periods=2)),
                 "series": pd.Series(["x", "y"], dtype="category"), "array": np.arange(3, dtype=np.float32),
                 "blank": ____, "rules": {"double": lambda x: 2 * x}, "open_file": open(os.devnull),
                 "_private": 1}
    helpers["__mh_snapshot"](str(tmp_path), namespace)
    session = Session()
    rebuilt, notes = load_snapshot(tmp_path, session)
    assert notes == {} and "_private" not in rebuilt
    pd.testing.assert_frame_equal(rebuilt["frame"], namespace["frame"])
    pd.testing.assert_series_equal(rebuilt["series"], namespace["series"])
    assert rebuilt["array"].dtype == np.float32 and rebuilt["blank"] is ____
    double = rebuilt["rules"]["double"]
    assert isinstance(double, RemoteFunction) and double(21) == 7
    assert session.requests[0][0] == "call" and session.requests[0][2] == (21,)
    assert rebuilt["open_file"].name == 7  # a live object: its attributes are asked for
    namespace["open_file"].close()


def test_a_refused_variable_is_opaque_with_its_reason(tmp_path):
    (tmp_path / "manifest.json").write_text('{"evil": "ok", "socket": "not transferable (TypeError)"}')
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Evil()))
    rebuilt, notes = load_snapshot(tmp_path, Session())
    assert isinstance(rebuilt["evil"], Opaque) and "posix.system" in rebuilt["evil"].reason
    assert isinstance(rebuilt["socket"], Opaque) and set(notes) == {"evil", "socket"}
