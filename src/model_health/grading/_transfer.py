"""Move a submission's variables out of its kernel without running its code in the grader.

The kernel (sandboxed, running the learner's cells) pickles each variable; every function in them
(the learner's, a lambda in a dict, an imported one) is replaced by a key, so the grader gets a
:class:`RemoteFunction` that calls it *in the kernel*; a live object that cannot be pickled (a
database connection) becomes a :class:`RemoteObject`, reached the same way. The grader loads the data with
:class:`SafeUnpickler`, which builds only data types (numbers, containers, NumPy, pandas,
scikit-learn estimators, the workbook's dataclasses) and refuses anything else, so a submission
can neither run code in the grader nor change the grading code it imported.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
from pathlib import Path
from typing import Any

# Functions a pickle of NumPy or pandas data calls to rebuild it; none reads or writes files.
_REBUILDERS = {
    ("copyreg", "_reconstructor"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy.random._pickle", "__generator_ctor"), ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__randomstate_ctor"), ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
    ("pandas._libs.internals", "_unpickle_block"), ("pandas.core.internals.blocks", "new_block"),
    ("pandas.core.indexes.base", "_new_Index"), ("pandas._libs.tslibs.timestamps", "_unpickle_timestamp"),
    ("pandas._libs.tslibs.timedeltas", "_timedelta_unpickle"), ("pandas._libs.tslibs.nattype", "__nat_unpickle"),
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"), ("pandas.core.arrays.categorical", "_unpickle"),
    ("numpy.ma.core", "_mareconstruct"),
    ("pandas.core.indexes.datetimes", "_new_DatetimeIndex"), ("pandas.core.indexes.period", "_new_PeriodIndex"),
    ("pandas.core.indexes.interval", "_new_IntervalIndex"), ("zoneinfo", "ZoneInfo._unpickle"), ("pytz", "_p"),
}
KERNEL_HELPERS = r'''
def __mh_helpers():
    REBUILDERS = set(%r)
    import functools, io, json, os, pickle, sys, types
    registry = {}

    class Live:  # stands for an object the grader reaches only through calls
        def __init__(self, target):
            self.key, self.kind = register(target), (type(target).__module__, type(target).__qualname__)

    def register(obj):
        key = f"k{len(registry)}"
        registry[key] = obj
        return key

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Live):
                return ("object", obj.key, *obj.kind)
            plots = tuple(cls for cls in (getattr(sys.modules.get("matplotlib.artist"), "Artist", None),
                                          getattr(sys.modules.get("matplotlib.figure"), "FigureBase", None)) if cls)
            if plots and isinstance(obj, plots):
                return ("object", Live(obj).key, type(obj).__module__, type(obj).__qualname__)  # a plot: ask it
            if (getattr(obj, "__module__", None), getattr(obj, "__name__", None)) in REBUILDERS:
                return None  # how NumPy and pandas rebuild data: the grader allows these by name
            if not isinstance(obj, type) and (isinstance(obj, (
                    types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.MethodWrapperType,
                    functools.partial)) or type(obj).__name__ in ("ufunc", "instancemethod", "cython_function_or_method")):
                return ("function", register(obj))  # a function: the grader calls it here
            return None

    class Unpickler(pickle.Unpickler):
        def persistent_load(self, key):
            return registry[key]  # the grader passing back something it got from here

    def dump(value, path):
        buffer = io.BytesIO()
        try:
            Pickler(buffer, protocol=4).dump(value)
        except Exception:  # a live object (a connection, a server): the grader gets a handle to it
            buffer = io.BytesIO()
            Pickler(buffer, protocol=4).dump(Live(value))
        with open(path, "wb") as file:
            file.write(buffer.getvalue())

    def snapshot(folder, namespace, names=None):
        os.makedirs(folder, exist_ok=True)
        manifest = {}
        skip = {"In", "Out", "exit", "quit", "get_ipython"}
        for name, value in list(namespace.items()):
            if name.startswith("_") or name in skip or isinstance(value, types.ModuleType):
                continue
            if names is not None and name not in names:
                continue
            try:
                dump(value, os.path.join(folder, name + ".pkl"))
                manifest[name] = "ok"
            except Exception as error:
                manifest[name] = f"not transferable ({type(error).__name__})"
        with open(os.path.join(folder, "manifest.json"), "w") as file:
            json.dump(manifest, file)

    def call(request, reply):
        with open(request, "rb") as file:
            operation, key, argument = Unpickler(file).load()
        target = registry[key]
        try:
            if operation == "call":
                value = target(*argument)
            elif operation == "getattr":
                value = getattr(target, argument)
            elif operation == "getitem":
                value = target[argument]
            elif operation == "len":
                value = len(target)
            else:  # "list"
                value = list(target)
            dump(value, reply)
        except BaseException as error:
            with open(reply + ".error", "w") as file:
                json.dump({"type": type(error).__name__, "message": str(error)[:2000]}, file)
    return snapshot, call

__mh_snapshot, __mh_call = __mh_helpers()
''' % (sorted(_REBUILDERS),)

_BUILTIN_TYPES = {"list", "dict", "set", "frozenset", "tuple", "str", "bytes", "bytearray", "int", "float", "complex",
                  "bool", "slice", "range", "object"}
# Classes from these packages are rebuilt (never their functions, except the rebuilders above): the
# workbook's data, models, fairness and report objects. Built from data alone, none of them runs code
# the data names, since the only callables a pickle can reach are these classes, the rebuilders and
# functions that run in the submission's kernel.
_DATA_MODULES = ("numpy", "pandas", "sklearn", "scipy", "fairlearn", "aif360", "aequitas", "matplotlib", "pandera",
                 "pyspark.pandas", "shap", "lime.explanation", "lime.lime_tabular", "mlflow.entities", "mlflow.tracking",
                 "httpx._models", "httpx._urls", "pathlib", "typing", "collections", "datetime", "decimal", "fractions",
                 "zoneinfo", "pytz", "dateutil", "enum", "uuid", "ipaddress")
_DATA_CLASSES = {("subprocess", "CompletedProcess")}
# Classes that touch files or run things when built, even in those modules.
_REFUSED = ("numpy.memmap", "numpy.core.memmap", "numpy._core.memmap", "numpy.lib.npyio", "numpy.lib._datasource",
            "pandas.io", "sklearn.utils._joblib", "sklearn.externals")


class Opaque:
    """A variable the grader could not rebuild; the exercises that read it are reported as not graded."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"<{self.reason}>"


class SafeUnpickler(pickle.Unpickler):
    """Rebuilds data only. A function in the data comes back as a :class:`RemoteFunction`, a live object
    as a :class:`RemoteObject`."""

    def __init__(self, file, session=None) -> None:
        super().__init__(file)
        self.session = session

    def find_class(self, module: str, name: str):
        if (module, name) in _REBUILDERS:
            return super().find_class(module, name)
        if (module == "builtins" and name in _BUILTIN_TYPES) or (module, name) in _DATA_CLASSES:
            return super().find_class(module, name)
        if module.startswith(_REFUSED):
            raise pickle.UnpicklingError(f"{module}.{name} is not data")
        if any(module == prefix or module.startswith(prefix + ".") for prefix in _DATA_MODULES):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        if module.startswith("model_health."):
            found = super().find_class(module, name)
            if isinstance(found, type) and (dataclasses.is_dataclass(found) or found.__name__ == "_Placeholder"):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not data the grader rebuilds")

    def persistent_load(self, pid):
        if self.session is None:
            raise pickle.UnpicklingError("a function or live object, but no kernel to reach it in")
        kind, key, *of_class = pid
        if kind == "function":
            return RemoteFunction(self.session, key)
        try:  # the remote object answers isinstance as its class would, when the grader may load that class
            cls = self.find_class(*of_class) if of_class else None
        except pickle.UnpicklingError:
            cls = None
        return RemoteObject(self.session, key, cls)


def safe_loads(data: bytes, session=None) -> Any:
    return SafeUnpickler(io.BytesIO(data), session).load()


class _Remote:
    def __init__(self, session, key: str) -> None:
        self._session, self._key = session, key

    def __reduce__(self):
        # Plain pickling (a cache's digest) sees a stable name; a request to the kernel sends the key.
        return (str, (f"<in the submission's kernel: {self._key}>",))


class RemoteFunction(_Remote):
    """A function of the submission (the learner's, or one in its data), called in its kernel; only data
    crosses back."""

    def __call__(self, *args):
        return self._session.request("call", self._key, args)

    def __repr__(self) -> str:
        return f"<function in the submission's kernel ({self._key})>"


class RemoteObject(_Remote):
    """A live object of the submission (a database connection, a server): reached through calls to its kernel."""

    def __init__(self, session, key: str, cls: type | None = None) -> None:
        super().__init__(session, key)
        self._class = cls

    @property
    def __class__(self):  # isinstance(proxy, Figure) holds for a remote Figure
        return self._class or RemoteObject

    def __getattr__(self, name: str):
        if name in ("_session", "_key", "_class") or name.startswith("__"):  # its own fields (unset while copied)
            raise AttributeError(name)
        return self._session.request("getattr", self._key, name)

    def __getitem__(self, item):
        return self._session.request("getitem", self._key, item)

    def __call__(self, *args):
        return self._session.request("call", self._key, args)

    def __len__(self) -> int:
        return self._session.request("len", self._key, None)

    def __iter__(self):
        return iter(self._session.request("list", self._key, None))

    def __repr__(self) -> str:
        return f"<object in the submission's kernel ({self._key})>"


class RequestPickler(pickle.Pickler):
    """Pickles the grader's side of a call; a remote function or object goes back as its key."""

    def persistent_id(self, obj):
        return obj._key if isinstance(obj, _Remote) else None


def request_bytes(operation: str, key: str, argument) -> bytes:
    buffer = io.BytesIO()
    RequestPickler(buffer, protocol=4).dump((operation, key, argument))
    return buffer.getvalue()


def load_snapshot(folder: Path, session) -> tuple[dict[str, Any], dict[str, str]]:
    """The kernel's variables (rebuilt safely) and a note per variable that could not be."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    namespace, notes = {}, {}
    for name, state in manifest.items():
        if state != "ok":
            notes[name] = state
            namespace[name] = Opaque(f"`{name}` could not be sent to the grader: {state}")
            continue
        try:
            namespace[name] = safe_loads((folder / f"{name}.pkl").read_bytes(), session)
        except Exception as error:
            notes[name] = f"refused ({error})"
            namespace[name] = Opaque(f"`{name}` holds something the grader does not rebuild ({error})")
    return namespace, notes
