"""Moving a submission's variables to the grader: data is rebuilt, nothing else is; the files of the exchange are
read only as regular files, within limits; grading takes at most its budget (issue 23)."""

from __future__ import annotations

import builtins
import collections
import datetime
import decimal
import fractions
import functools
import io
import mmap
import operator
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
import zoneinfo
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_pdf import PdfFile
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from model_health.classroom import batch_grading
from model_health.data import TabularDataset
from model_health.teaching.grading import ____
from model_health.teaching.results import Status
from model_health.teaching.grading._transfer import (
    ChargedClock,
    MIB,
    GradingBudget,
    GradingBudgetSpent,
    Opaque,
    RemoteFunction,
    RemoteObject,
    TransferFolder,
    TransferLimits,
    TransferRefused,
    create_new_file,
    read_regular_file,
    safe_loads,
)

from conftest import LocalKernel, crossed, load_snapshot, needs_bubblewrap


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Calls:
    """Pickles as a call of ``function`` with ``arguments``: what a crafted pickle asks the grader to run."""

    def __init__(self, function, *arguments):
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return (self.function, self.arguments)


class Session:
    """Stands for the kernel: records what the grader asked it."""

    def __init__(self):
        self.requests = []

    def request(self, operation, key, argument):
        self.requests.append((operation, key, argument))
        return 7


def stack_global(module: str, name: str) -> bytes:
    """The opcodes that push ``module.name`` (what a pickle names to call or build)."""
    return b"".join(pickle.dumps(text, protocol=4)[2:-1] for text in (module, name)) + pickle.STACK_GLOBAL


# --- what the grader builds: data only ----------------------------------------------------------------------------

def test_code_in_a_pickle_is_refused():
    with pytest.raises(pickle.UnpicklingError, match="not data"):
        safe_loads(pickle.dumps(Evil()))
    with pytest.raises(pickle.UnpicklingError, match="not data"):
        safe_loads(pickle.dumps(os.system))


def gadgets(tmp_path: Path) -> dict:
    """Constructors and functions a crafted pickle could name, each aimed at ``tmp_path/target``, which it would
    create or change (or at ``tmp_path/secret``, which it would read)."""
    target, secret = str(tmp_path / "target"), str(tmp_path / "secret")
    return {
        "np.memmap creating a file": Calls(np.memmap, target, np.uint8, "w+", 0, (4,)),
        "np.memmap reading a file": Calls(np.memmap, secret, np.uint8, "r"),
        "np.load": Calls(np.load, secret),
        "matplotlib's PdfFile": Calls(PdfFile, target),
        "pathlib.Path.write_text": Calls(Path.write_text, Path(target), "pwned"),
        "pathlib.Path": Calls(Path, target),
        "builtins.open": Calls(builtins.open, target, "w"),
        "io.open": Calls(io.open, target, "w"),
        "builtins.getattr": Calls(getattr, Path(target), "touch"),
        "builtins.eval": Calls(eval, f"open({target!r}, 'w')"),
        "builtins.exec": Calls(exec, f"open({target!r}, 'w')"),
        "functools.partial": Calls(functools.partial, builtins.open, target, "w"),
        "operator.attrgetter": Calls(operator.attrgetter("touch"), Path(target)),
        "os.system": Calls(os.system, f"touch {target}"),
        "subprocess.Popen": Calls(subprocess.Popen, ["touch", target]),
        "tempfile.mkstemp": Calls(tempfile.mkstemp, "", "target", str(tmp_path)),
        "mmap.mmap": Calls(mmap.mmap, -1, 4096),
        "pandas.read_pickle": Calls(pd.read_pickle, secret),
    }


@pytest.mark.parametrize("gadget", list(gadgets(Path("."))))
def test_a_constructor_that_opens_files_or_runs_code_is_refused_never_run(gadget, tmp_path):
    """The attacks of issue 23: np.memmap read a file into the feedback, np.memmap(..., "w+") and PdfFile created
    files with the instructor's rights. Each is refused by name before anything runs."""
    (tmp_path / "secret").write_bytes(pickle.dumps("the instructor's secret"))
    data = pickle.dumps(gadgets(tmp_path)[gadget], protocol=4)
    with pytest.raises(pickle.UnpicklingError, match="is not data the grader rebuilds"):
        safe_loads(data)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret"]  # nothing created
    assert pickle.loads((tmp_path / "secret").read_bytes()) == "the instructor's secret"


def test_a_refused_variable_is_opaque_with_its_reason(tmp_path):
    (tmp_path / "manifest.json").write_text('{"evil": "ok", "memory": "ok", "socket": "not transferable (TypeError)"}')
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Evil()))
    (tmp_path / "memory.pkl").write_bytes(pickle.dumps(Calls(np.memmap, str(tmp_path / "target"), np.uint8, "w+",
                                                             0, (4,))))
    rebuilt, notes = load_snapshot(tmp_path, Session())
    assert isinstance(rebuilt["evil"], Opaque) and "posix.system" in rebuilt["evil"].reason
    assert isinstance(rebuilt["memory"], Opaque) and "numpy.memmap is not data" in rebuilt["memory"].reason
    assert isinstance(rebuilt["socket"], Opaque) and set(notes) == {"evil", "memory", "socket"}
    assert not (tmp_path / "target").exists()


@pytest.mark.parametrize("module, name", [("model_health.data", "TabularDataset"), ("copyreg", "_reconstructor"),
                                          ("pandas._libs.missing", "NA")])
def test_a_pickle_cannot_change_a_class_or_function_of_the_grader(module, name):
    """BUILD with a slot state on a class the grader allows sets its attributes: a pickle could replace a method
    the checks use (TabularDataset.__repr__ here), for this submission and every later one in that process."""
    found = getattr(sys.modules[module], name) if module in sys.modules else None
    before = dict(vars(found)) if hasattr(found, "__dict__") else None
    crafted = (b"\x80\x04" + stack_global(module, name) + pickle.NONE + pickle.EMPTY_DICT
               + pickle.dumps("__repr__", protocol=4)[2:-1] + pickle.dumps("patched", protocol=4)[2:-1]
               + pickle.SETITEM + pickle.TUPLE2 + pickle.BUILD + pickle.STOP)
    with pytest.raises(pickle.UnpicklingError, match="sets attributes of .* code of the grader"):
        safe_loads(crafted)
    assert repr(TabularDataset) == "<class 'model_health.data.TabularDataset'>"
    if before is not None:
        assert dict(vars(found)) == before


@pytest.mark.parametrize("pid", [("function",), ("object", 1, "a", "b"), "k0", ("call", "k0")])
def test_a_malformed_reference_to_the_kernel_is_refused(pid):
    class Referring(pickle.Pickler):
        def persistent_id(self, obj):
            return pid if obj == "marker" else None

    buffer = io.BytesIO()
    Referring(buffer, protocol=4).dump(["marker"])
    with pytest.raises(pickle.UnpicklingError, match="not a reference to the submission's kernel"):
        safe_loads(buffer.getvalue(), Session())


def every_kind_of_data() -> dict:
    """The data the notebooks' answers hold (tables, arrays, numbers, models, fairness results, the workbook's
    dataclasses) and the kinds learners give instead."""
    from fairlearn.metrics import MetricFrame

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "int": [1, 2, 3, 4], "float": [1.5, np.nan, 0.5, 2.0], "bool": [True, False, True, False],
        "text": ["a", "b", None, "d"], "category": pd.Categorical(["x", "y", "x", "y"]),
        "when": pd.date_range("2026-01-01", periods=4), "utc": pd.date_range("2026-01-01", periods=4, tz="UTC"),
        "berlin": pd.date_range("2026-01-01", periods=4, tz="Europe/Berlin"),
        "elapsed": pd.to_timedelta([1, 2, 3, 4], unit="D"), "Int64": pd.array([1, None, 3, 4], dtype="Int64"),
        "boolean": pd.array([True, None, False, True], dtype="boolean"),
        "Float64": pd.array([0.5, None, 1.0, 2.0], dtype="Float64"),
        "string": pd.array(["a", None, "c", "d"], dtype="string"),
        "month": pd.period_range("2026-01", periods=4, freq="M"), "bin": pd.interval_range(0, 4)})
    X = pd.DataFrame({"age": rng.integers(18, 80, 60), "sex": rng.choice(["F", "M"], 60)})
    y = (X["age"] > 45).astype(int)
    model = Pipeline([("prepare", ColumnTransformer([("scale", StandardScaler(), ["age"]),
                                                     ("encode", OneHotEncoder(), ["sex"])])),
                      ("classify", LogisticRegression())]).fit(X, y)
    return {
        "frame": frame, "multi": frame.set_index(["text", "int"]),
        "series": pd.Series([0.1, 0.2], index=pd.CategoricalIndex(["a", "b"]), name="rate"),
        "by month": frame.set_index("month")["float"], "by time": frame.set_index("when")["float"],
        "arrays": [np.arange(5), np.array(["a", "b"]), np.array([1, "a"], dtype=object),
                   np.ma.masked_array([1, 2], mask=[0, 1]), np.zeros((2, 2), order="F"),
                   np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])],
        "numbers": [np.float64(0.25), np.int64(3), np.bool_(True), np.str_("a"), np.datetime64("2026-01-01"),
                    1 + 2j, decimal.Decimal("1.5"), fractions.Fraction(1, 3), float("nan")],
        "time": [pd.Timestamp("2026-01-01", tz="UTC"), pd.Timedelta(1, "D"), pd.NaT, pd.NA, pd.Period("2026-01", "M"),
                 pd.Interval(0, 1), datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
                 datetime.date(2026, 1, 1), datetime.timedelta(hours=1)],
        "containers": (collections.OrderedDict(a=1), collections.defaultdict(list, a=[1]), collections.Counter("aab"),
                       collections.deque([1, 2]), {1, 2}, frozenset([3]), range(3), slice(1, 2), bytearray(b"x")),
        "random": [rng, np.random.RandomState(0), np.random.SeedSequence(1)],
        "model": model, "unfitted": DecisionTreeClassifier(max_depth=3), "dtype": np.float64,
        "by group": MetricFrame(metrics={"rate": lambda t, p: float(np.mean(p))}, y_true=y, y_pred=model.predict(X),
                                sensitive_features=X["sex"]),
        "dataset": TabularDataset(X.assign(target=y), "target", ("sex",), "toy"), "blank": ____,
    }


def test_every_kind_of_data_an_answer_holds_is_rebuilt_in_the_grader(tmp_path):
    """Derived from the 13 notebooks' answers: each is rebuilt as data, none is refused or left in the kernel."""
    namespace = every_kind_of_data()
    rebuilt, notes = crossed(tmp_path, {name.replace(" ", "_"): value for name, value in namespace.items()})
    assert notes == {}

    def remote_or_opaque(value):
        if isinstance(value, (RemoteObject, RemoteFunction, Opaque)):
            return True
        if isinstance(value, (list, tuple)):
            return any(map(remote_or_opaque, value))
        return False

    assert [name for name, value in rebuilt.items() if remote_or_opaque(value)] == []
    pd.testing.assert_frame_equal(rebuilt["frame"], namespace["frame"])
    pd.testing.assert_frame_equal(rebuilt["multi"], namespace["multi"])
    pd.testing.assert_series_equal(rebuilt["by_month"], namespace["by month"])
    X = namespace["dataset"].frame[["age", "sex"]]
    np.testing.assert_array_equal(rebuilt["model"].predict_proba(X), namespace["model"].predict_proba(X))
    assert rebuilt["numbers"][:-1] == namespace["numbers"][:-1] and np.isnan(rebuilt["numbers"][-1])
    assert rebuilt["containers"] == namespace["containers"] and rebuilt["blank"] is ____
    assert rebuilt["random"][0].bit_generator.state == namespace["random"][0].bit_generator.state
    pd.testing.assert_frame_equal(rebuilt["by_group"].by_group, namespace["by group"].by_group)
    pd.testing.assert_frame_equal(rebuilt["dataset"].frame, namespace["dataset"].frame)


def test_data_is_rebuilt_and_functions_become_calls_into_the_kernel(tmp_path):
    namespace = {"frame": pd.DataFrame({"a": [1.5, 2.0]}, index=pd.date_range("2026-01-01", periods=2)),
                 "series": pd.Series(["x", "y"], dtype="category"), "array": np.arange(3, dtype=np.float32),
                 "blank": ____, "rules": {"double": lambda x: 2 * x}, "open_file": open(os.devnull),
                 "_private": 1}
    kernel = LocalKernel(tmp_path)
    session = Session()
    rebuilt, notes = load_snapshot(kernel.snapshot(namespace), session)
    assert notes == {} and "_private" not in rebuilt
    pd.testing.assert_frame_equal(rebuilt["frame"], namespace["frame"])
    pd.testing.assert_series_equal(rebuilt["series"], namespace["series"])
    assert rebuilt["array"].dtype == np.float32 and rebuilt["blank"] is ____
    double = rebuilt["rules"]["double"]
    assert isinstance(double, RemoteFunction) and double(21) == 7
    assert session.requests[0] == ("call", "k0", ((21,), {}))
    assert rebuilt["open_file"].name == 7  # a live object: its attributes are asked for
    namespace["open_file"].close()


def test_what_the_grader_would_refuse_crosses_by_reference_and_answers_from_the_kernel(tmp_path):
    """A memory map, a path, a fitted tree (compiled code that trusts its data), a learner's own class, a time zone
    named by a lookup: each is reached through calls to the kernel, never rebuilt; a dict keeps its other items."""
    (tmp_path / "data.bin").write_bytes(bytes(range(8)))
    X, y = np.arange(20.0).reshape(-1, 1), np.arange(20) % 2

    class Threshold:  # a learner's own class
        def __init__(self, cut):
            self.cut = cut

        def decide(self, score, *, margin=0.0):
            return score + margin >= self.cut

    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    namespace = {"memory": np.memmap(tmp_path / "data.bin", dtype=np.uint8, mode="r"), "received": tmp_path / "x.txt",
                 "tree": tree, "rule": Threshold(0.5), "zone": zoneinfo.ZoneInfo("Europe/Berlin"),
                 "parts": {"scale": 2, "memory": np.memmap(tmp_path / "data.bin", dtype=np.uint8, mode="r")}}
    kernel = LocalKernel(tmp_path / "kernel")
    rebuilt, notes = load_snapshot(kernel.snapshot(namespace), kernel)
    assert notes == {}
    for name in ("memory", "received", "tree", "rule", "zone"):
        assert type(rebuilt[name]) is RemoteObject, name
    assert rebuilt["parts"]["scale"] == 2 and type(rebuilt["parts"]["memory"]) is RemoteObject
    assert isinstance(rebuilt["tree"], DecisionTreeClassifier)  # it answers isinstance as a tree
    np.testing.assert_array_equal(rebuilt["tree"].predict(X), tree.predict(X))
    assert rebuilt["rule"].decide(0.4, margin=0.2) is True and rebuilt["rule"].cut == 0.5
    assert rebuilt["received"].exists() is False  # asked in the kernel
    assert len(rebuilt["memory"]) == 8 and list(rebuilt["memory"])[3] == 3


def test_a_path_the_submission_names_is_opened_only_inside_its_working_copy(tmp_path, monkeypatch):
    """A check opens the notebook's own files (its prediction log, its policy); a path the learner points elsewhere,
    or through a link out of the working copy, is refused, never opened with the instructor's rights."""
    work = tmp_path / "copy"
    (work / "notebooks").mkdir(parents=True)
    (work / "output").mkdir()
    (work / "output" / "log.txt").write_text("the learner's log")
    (tmp_path / "secret.txt").write_text("the instructor's secret")
    (work / "output" / "link.txt").symlink_to(tmp_path / "secret.txt")
    session = batch_grading.KernelSession(Manager(), work, call_timeout=600)
    kernel = LocalKernel(tmp_path / "kernel")
    kernel.confine = session.confine
    try:
        rebuilt, _ = load_snapshot(kernel.snapshot({"LOG": Path("../output/log.txt"), "SECRET": tmp_path / "secret.txt",
                                                    "LINK": Path("../output/link.txt")}), kernel)
        monkeypatch.chdir(work / "notebooks")  # where the checks run
        assert Path(rebuilt["LOG"]).read_text() == "the learner's log"
        for name in ("SECRET", "LINK"):
            with pytest.raises(PermissionError, match="is outside the submission's folder"):
                open(rebuilt[name])
    finally:
        session.close()


# --- the files of the exchange -------------------------------------------------------------------------------

def test_a_symbolic_link_is_never_followed(tmp_path):
    """A symlink planted as a transfer file made the grader read (or overwrite) its target."""
    secret = tmp_path / "secret.pkl"
    secret.write_bytes(pickle.dumps("the instructor's secret"))
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "manifest.json").write_text('{"answer": "ok"}')
    (snapshot / "answer.pkl").symlink_to(secret)
    with pytest.raises(TransferRefused, match="answer.pkl is a symbolic link; the grader follows none"):
        read_regular_file(snapshot / "answer.pkl", MIB)
    rebuilt, notes = load_snapshot(snapshot)
    assert isinstance(rebuilt["answer"], Opaque) and "symbolic link" in rebuilt["answer"].reason
    assert "secret" not in rebuilt["answer"].reason
    (snapshot / "manifest.json").unlink()
    (snapshot / "manifest.json").symlink_to(tmp_path / "elsewhere.json")
    (tmp_path / "elsewhere.json").write_text('{"secret": "ok"}')
    with pytest.raises(TransferRefused, match="manifest.json is a symbolic link"):
        load_snapshot(snapshot)


def test_a_request_is_never_written_through_a_planted_link_or_over_a_planted_file(tmp_path):
    target = tmp_path / "target"
    target.write_text("the instructor's file")
    (tmp_path / "call-1.in").symlink_to(target)
    (tmp_path / "call-2.in").symlink_to(tmp_path / "not-yet")
    (tmp_path / "call-3.in").write_text("planted")
    for name in ("call-1.in", "call-2.in", "call-3.in"):
        with pytest.raises(TransferRefused, match="already exists"):
            create_new_file(tmp_path / name, b"request")
    assert target.read_text() == "the instructor's file" and not (tmp_path / "not-yet").exists()
    with TransferFolder(tmp_path) as folder:
        with pytest.raises(TransferRefused, match="already exists"):
            folder.write_new(tmp_path / "call-1.in", b"request")
        folder.write_new(tmp_path / "call-4.in", b"request")
    assert (tmp_path / "call-4.in").read_bytes() == b"request" and target.read_text() == "the instructor's file"


def run_briefly(function, *args):
    """``function(*args)`` in a thread: what it returns or raises; a failure if it still runs after a minute."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function(*args)
        except Exception as error:
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), f"{function.__name__} blocked"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    """A FIFO placed in the snapshot blocked the grader forever."""
    (tmp_path / "manifest.json").write_text('{"answer": "ok"}')
    os.mkfifo(tmp_path / "answer.pkl")
    rebuilt, notes = run_briefly(load_snapshot, tmp_path)
    assert isinstance(rebuilt["answer"], Opaque) and "answer.pkl is a FIFO, not a regular file" in notes["answer"]
    with pytest.raises(TransferRefused, match="is a FIFO"):
        run_briefly(read_regular_file, tmp_path / "answer.pkl", MIB)


def test_a_folder_of_the_exchange_replaced_by_a_link_leads_nowhere_else(tmp_path):
    """The grader opens the folder it created once and everything in it relative to that: renaming it and putting
    a link in its place, or linking a folder inside it elsewhere, changes nothing it reads."""
    elsewhere = tmp_path / "elsewhere"
    LocalKernel(elsewhere).snapshot({"answer": "planted"}, "answers")
    transfer = tmp_path / "transfer"
    LocalKernel(transfer).snapshot({"answer": "the learner's"}, "answers")
    with TransferFolder(transfer) as folder:
        transfer.rename(tmp_path / "moved")
        transfer.symlink_to(elsewhere)
        assert folder.load_snapshot(transfer / "answers")[0] == {"answer": "the learner's"}
        (tmp_path / "moved" / "other").symlink_to(elsewhere / "answers")
        with pytest.raises(TransferRefused, match="other is a symbolic link"):
            folder.load_snapshot(transfer / "other")
    (tmp_path / "planted").mkdir()
    (tmp_path / "planted" / "manifest.json").write_text('{"../../secret": "ok", "fine": "not transferable (X)"}')
    rebuilt, notes = load_snapshot(tmp_path / "planted")
    assert notes == {"../../secret": "refused (not a variable's name)", "fine": "not transferable (X)"}


# --- sizes ----------------------------------------------------------------------------------------------------

def test_a_variable_over_its_limit_is_not_read(tmp_path):
    rebuilt, notes = crossed(tmp_path, {"big": np.zeros(100_000), "small": 1.5},
                             TransferLimits(variable_bytes=100_000, total_bytes=MIB))
    assert rebuilt["small"] == 1.5 and isinstance(rebuilt["big"], Opaque)
    assert "big.pkl is larger than 0.0953674 MiB" in rebuilt["big"].reason


def test_one_array_bound_to_twenty_names_is_loaded_once(tmp_path):
    """One 100 MB array bound to 20 names grew the grader to 2.9 GB: identical data is now loaded once (the same
    object under every name, as in the kernel), and counts once against the submission's limit."""
    array = np.arange(MIB // 8, dtype=np.float64)  # 1 MiB
    rebuilt, notes = crossed(tmp_path, {f"name_{i}": array for i in range(20)}, TransferLimits(total_bytes=2 * MIB))
    assert notes == {}
    assert all(rebuilt[f"name_{i}"] is rebuilt["name_0"] for i in range(20))
    np.testing.assert_array_equal(rebuilt["name_0"], array)


def test_the_data_loaded_from_one_submission_is_capped(tmp_path):
    arrays = {f"name_{i}": np.full(MIB // 8, i, dtype=np.float64) for i in range(20)}  # 20 different MiB
    rebuilt, notes = crossed(tmp_path, arrays, TransferLimits(total_bytes=5 * MIB))
    loaded = [name for name, value in rebuilt.items() if isinstance(value, np.ndarray)]
    assert 1 <= len(loaded) < 5 and len(notes) == 20 - len(loaded)
    assert all("passed the 5 MiB the grader loads from one submission" in note for note in notes.values())


def test_a_grading_process_has_a_memory_limit():
    """The grader had no memory limit: data a submission sends (or builds) could grow it without bound."""
    program = ("from model_health.classroom.batch_grading import _limit_memory\n_limit_memory(1024)\nimport numpy\n"
               "try:\n    numpy.ones(2 ** 31, dtype=numpy.uint8)\nexcept MemoryError:\n    print('refused')\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "refused", done.stderr


# --- the time grading takes -------------------------------------------------------------------------------------

def test_the_budget_stops_the_graders_own_work_when_it_is_spent():
    started = time.monotonic()
    with pytest.raises(GradingBudgetSpent, match=r"the grading budget ran out \(0.2 s, Options.grading_budget\)"):
        with GradingBudget(0.2):
            while time.monotonic() - started < 120:  # a check looping over crafted data
                pass
    assert time.monotonic() - started < 120, "the loop was not interrupted"


needs_schedstat = pytest.mark.skipif(not os.path.exists("/proc/self/task") or not hasattr(os, "sched_setaffinity"),
                                     reason="no Linux scheduler statistics (/proc/<pid>/task/<tid>/schedstat) here")
BUSY = "while True: pass"


def _busy_on(cpu: int) -> subprocess.Popen:
    """A process that keeps CPU ``cpu`` busy (and no other)."""
    return subprocess.Popen([sys.executable, "-c", f"import os; os.sched_setaffinity(0, {{{cpu}}})\n{BUSY}"])


@needs_schedstat
def test_a_clock_does_not_charge_a_process_the_time_it_waited_for_a_cpu():
    """Two processes share one CPU: each runs about half the time, and the half it stood waiting is not charged."""
    cpu = min(os.sched_getaffinity(0))
    watched, other = _busy_on(cpu), _busy_on(cpu)
    try:
        clock = ChargedClock(lambda: [watched.pid])
        time.sleep(3)
        assert clock.waited() > 0.25 * clock.passed()
        assert clock.elapsed() < 0.75 * clock.passed()
    finally:
        for process in (watched, other):
            process.kill()
            process.wait()


@needs_schedstat
def test_a_clock_charges_a_process_the_time_it_sleeps():
    """Sleeping, like waiting for I/O, is the process's own time: a limit still stops a submission that sleeps."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        clock = ChargedClock(lambda: [sleeper.pid])
        time.sleep(2)
        assert clock.elapsed() > 0.9 * clock.passed() > 1.5
    finally:
        sleeper.kill()
        sleeper.wait()


@needs_schedstat
def test_the_budget_is_not_spent_while_the_grader_waits_for_a_cpu():
    """The grader's own work on a CPU two other processes keep busy: a second of budget outlasts two seconds passed,
    for the grader ran about a third of them."""
    cpu, before = min(os.sched_getaffinity(0)), os.sched_getaffinity(0)
    hogs = [_busy_on(cpu), _busy_on(cpu)]
    try:
        os.sched_setaffinity(0, {cpu})
        with GradingBudget(1.0) as budget:
            started = time.monotonic()
            while time.monotonic() - started < 2:  # a check's own work
                pass
            assert budget.left() > 0
    finally:
        os.sched_setaffinity(0, before)
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.mark.parametrize("seconds", [0, -1, float("inf"), float("nan"), True, "300"])
def test_a_budget_that_is_not_a_positive_finite_number_is_refused(seconds):
    with pytest.raises(ValueError, match="positive, finite number of seconds"):
        GradingBudget(seconds)


class Client:
    """A kernel client that records what it is asked to run."""

    def __init__(self):
        self.executed = []

    def start_channels(self):
        pass

    def wait_for_ready(self, timeout):
        pass

    def stop_channels(self):
        pass

    def execute(self, code, **options):
        self.executed.append(code)
        raise AssertionError("the kernel was asked to run code")


class Manager:
    def __init__(self):
        self.client_ = Client()

    def client(self):
        return self.client_


def test_once_the_budget_is_spent_a_call_into_the_kernel_fails_at_once(tmp_path):
    """Slow calls into the kernel ran past the notebook's limit: no budget covered grading."""
    manager = Manager()
    session = batch_grading.KernelSession(manager, tmp_path, call_timeout=600)
    try:
        function = RemoteFunction(session, "k0")
        budget = GradingBudget(0.2)
        with pytest.raises(GradingBudgetSpent):
            with budget:
                session.budget = budget
                while True:
                    time.sleep(0.01)
        with pytest.raises(GradingBudgetSpent, match="the grading budget ran out"):
            function(1)
        assert manager.client_.executed == [] and list(session.folder.iterdir()) == []
    finally:
        session.close()


@needs_bubblewrap
@pytest.mark.slow
def test_exercises_left_when_the_budget_runs_out_are_not_graded_and_a_rerun_grades_them(tmp_path):
    """A learner's function that never returns when the grader calls it: that exercise and the ones after it are
    "not graded: the grading budget ran out", and the row is one a rerun grades again."""
    from model_health.teaching.authoring import solved_learner_notebook

    notebook = solved_learner_notebook("08_resume_screening_audit")  # the lightest notebook to run
    answer = next(cell for cell in notebook.cells if "def gap_at_equal_skill" in cell.source
                  and cell.metadata.get("model_health", {}).get("role") == "answer")
    answer.source += ("\nimport sys as _sys, time as _time\n_solved = gap_at_equal_skill\n"
                      "def gap_at_equal_skill(score, skill, groups):\n"
                      "    if _sys._getframe(1).f_code.co_name == 'call':  # asked by the grader\n"
                      "        _time.sleep(10 ** 6)\n"
                      "    return _solved(score, skill, groups)\n")
    submission = batch_grading.Submission("slow.ipynb", nbformat.writes(notebook).encode())
    options = batch_grading.Options(cell_timeout=120, notebook_timeout=600, call_timeout=600, grading_budget=20)
    graded = batch_grading.grade_submission(submission, options, tmp_path)
    budget = "the grading budget ran out (20 s, Options.grading_budget)"
    assert graded.results["q5"] == (Status.NOT_GRADED, budget) and graded.results["q8"] == (Status.NOT_GRADED, budget)
    assert graded.results["q4"][0] is Status.CORRECT  # graded before the budget ran out
    assert any(problem.startswith(f"{batch_grading.RERUN}: {budget}") for problem in graded.problems)
    assert batch_grading._unfinished(graded) and graded.state == "partly graded"
