"""A model behind a REST API, with a prediction log: FastAPI + uvicorn + SQLite.

``POST /predict`` scores a batch of instances and logs each one (its request id, event time,
features, score and decision) to an SQLite prediction log before answering, so nothing the
server acknowledged is lost if it is killed. A batch is logged whole or not at all. A request id
sent again with the same features is answered with its logged prediction (a retry is
idempotent); with other features it is refused (409). ``POST /labels`` records outcomes that
arrive later (the feedback loop). ``GET /health`` says which model is loaded.

Requests are validated strictly: an unknown field, a number sent as text or ``true``, an id
longer than ``MAX_ID_LENGTH`` or a repeated id is a 422 that writes nothing. Event times are
logged in UTC as ``YYYY-MM-DDTHH:MM:SS``: a time with an offset is converted, a time without
one is taken to be UTC already.

    python -m model_health serve --model churn.joblib --db predictions.db --port 8000

:class:`LocalServer` starts such a server (or the webhook receiver) as a subprocess on a
free localhost port and stops it, for notebooks and tests.
"""


import argparse
import atexit
import datetime as dt
import os
import queue
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Annotated, Callable, Literal

import pandas as pd

from model_health._documents import shorten

__all__ = ["LocalServer", "ModelBundle", "create_app", "free_port", "open_log", "save_bundle"]

MAX_BATCH = 10_000
MAX_ID_LENGTH = 200
LOG_COLUMNS = ("request_id", "timestamp", "score", "prediction", "model_version")
BUSY_TIMEOUT_SECONDS = 30.0  # how long a write waits for another process's transaction (a notebook's connection)
SQLITE_MAX_PARAMETERS = 900  # below SQLite's oldest limit on bound parameters (999)
MAX_WRITES_PER_COMMIT = 256  # requests' writes in one transaction of the log, at most


class ModelBundle(dict):
    """What the server loads: the fitted ``model``, its decision ``threshold``, ``version`` and ``schema``.

    ``schema`` maps each feature to ``{"type": "number", "min": ...}`` or ``{"type": "category",
    "values": [...]}``: requests are validated against it, so a typo is a 422, not a silent score.
    """


def save_bundle(path, model, training: pd.DataFrame, *, threshold: float, version: str) -> Path:
    """Save ``model`` with the schema of ``training``'s feature columns (numbers' minimum, categories' values)."""
    import joblib

    schema = {}
    for column in training.columns:
        values = training[column]
        if pd.api.types.is_numeric_dtype(values):
            schema[column] = {"type": "number", "min": float(min(0.0, values.min()))}
        else:
            schema[column] = {"type": "category", "values": sorted(map(str, values.unique()))}
    path = Path(path)
    joblib.dump(ModelBundle(model=model, threshold=float(threshold), version=version, schema=schema), path)
    return path


def open_log(db_path, schema: dict) -> sqlite3.Connection:
    """The prediction log (created if new): WAL mode, a table of predictions and one of labels.

    The connection is in autocommit mode (transactions are explicit) and waits up to
    ``BUSY_TIMEOUT_SECONDS`` for another process's write. Any thread may use it, one at a time:
    in the server, only the log's writer thread does.
    """
    connection = sqlite3.connect(db_path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS,
                                 check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")  # readers (the monitoring job) never block the writer
    connection.execute("PRAGMA synchronous=FULL")  # a committed prediction survives the process being killed
    features = ", ".join(f'"{name}" {"REAL" if spec["type"] == "number" else "TEXT"}' for name, spec in schema.items())
    connection.execute(f"CREATE TABLE IF NOT EXISTS predictions (request_id TEXT PRIMARY KEY, timestamp TEXT NOT NULL, "
                       f"{features}, score REAL, prediction INTEGER, model_version TEXT)")
    connection.execute("CREATE TABLE IF NOT EXISTS labels (request_id TEXT PRIMARY KEY, label INTEGER NOT NULL, "
                       "received_at TEXT NOT NULL)")
    connection.execute("CREATE INDEX IF NOT EXISTS predictions_by_time ON predictions (timestamp)")
    return connection


class _LogWriter:
    """The one thread that writes the prediction log; requests hand it their writes and wait.

    It takes the writes waiting together into one transaction, each in a savepoint (a write that
    raises, such as a refusal, leaves nothing behind and the others stand), commits, and only
    then answers each request: what is acknowledged is on disk. One commit (one fsync) serves
    many requests. Request threads taking turns on the connection under a lock were slower
    (about 140 against 190 requests/s at 16 clients): the holder waited for the GIL at every
    SQLite call while the next requests queued.
    """

    def __init__(self, connection: sqlite3.Connection):
        self.connection, self.waiting = connection, queue.SimpleQueue()
        threading.Thread(target=self._run, name="prediction-log-writer", daemon=True).start()

    def write(self, work: Callable[[sqlite3.Connection], object]):
        """``work(connection)`` in a transaction of the log: what it returns once committed, or what it raised."""
        done = Future()
        self.waiting.put((work, done))
        return done.result()

    def _run(self) -> None:
        while True:
            group = [self.waiting.get()]
            while len(group) < MAX_WRITES_PER_COMMIT and not self.waiting.empty():
                group.append(self.waiting.get())
            self._commit(group)

    def _commit(self, group: list) -> None:
        log, outcomes = self.connection, []
        try:
            log.execute("BEGIN IMMEDIATE")
            for work, done in group:
                log.execute("SAVEPOINT request")
                try:
                    outcomes.append((done, work(log), None))
                except Exception as error:
                    log.execute("ROLLBACK TO request")
                    outcomes.append((done, None, error))
                log.execute("RELEASE request")
            log.execute("COMMIT")
        except sqlite3.Error as error:  # nothing of the group was committed: none of it is acknowledged
            if log.in_transaction:
                log.execute("ROLLBACK")
            for _, done in group:
                done.set_exception(RuntimeError(f"the prediction log could not commit ({error}); nothing was written"))
            return
        for done, result, error in outcomes:
            if error is None:
                done.set_result(result)
            else:
                done.set_exception(error)


def _log_time(stamp: dt.datetime) -> str:
    """``stamp`` as the log stores times: UTC, ``YYYY-MM-DDTHH:MM:SS`` (text that sorts in time order)."""
    return stamp.isoformat(timespec="seconds")


def _now() -> str:
    return _log_time(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))


def _timestamp_text(value):
    """Only text is a timestamp: a number would be read as seconds since 1970 without a word."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("should be an ISO-8601 date and time such as '2026-03-09T10:00:00' or "
                         "'2026-03-09T10:00:00+05:00'")
    return value


def _in_utc(stamp: dt.datetime) -> dt.datetime:
    """A time with an offset converted to UTC; a time without one is taken to be UTC already."""
    if stamp.tzinfo is None:
        return stamp
    try:
        return stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


def _strict_models(schema: dict):
    """The request bodies as pydantic models: strict types, no unknown fields, bounded lengths."""
    from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

    strict = ConfigDict(strict=True, extra="forbid")
    RequestId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
    # Strict validation of a parsed body would refuse every text time; _timestamp_text refuses numbers instead.
    Timestamp = Annotated[dt.datetime, Field(strict=False), BeforeValidator(_timestamp_text), AfterValidator(_in_utc)]

    fields = {}
    for name, spec in schema.items():
        if spec["type"] == "number":
            fields[name] = (float, Field(ge=spec["min"], allow_inf_nan=False))
        else:
            fields[name] = (Literal[tuple(spec["values"])], ...)
    Features = create_model("Features", __config__=strict, **fields)

    class Instance(BaseModel):
        model_config = strict
        request_id: RequestId
        timestamp: Timestamp | None = None
        features: Features

    class PredictRequest(BaseModel):
        model_config = strict
        instances: list[Instance] = Field(min_length=1, max_length=MAX_BATCH)

    class Label(BaseModel):
        model_config = strict
        request_id: RequestId
        label: int = Field(ge=0, le=1)  # strict int: true and 1.0 are refused (Literal[0, 1] takes them)

    class LabelRequest(BaseModel):
        model_config = strict
        labels: list[Label] = Field(min_length=1, max_length=MAX_BATCH)

    return PredictRequest, LabelRequest


def _some(ids: list[str]) -> str:
    """The first three of ``ids`` and how many more: a refusal names examples, not a whole batch."""
    return f"{ids[:3]}{f' and {len(ids) - 3} more' if len(ids) > 3 else ''}"


def _repeated(ids: list[str], what: str) -> str | None:
    """The refusal for a batch that names one request id twice, or None."""
    seen, repeated = set(), []
    for request_id in ids:
        if request_id in seen and request_id not in repeated:
            repeated.append(request_id)
        seen.add(request_id)
    return (f"{what}: request_id values must be unique within a batch; repeated: {_some(repeated)}; "
            "nothing was written") if repeated else None


def _logged(connection: sqlite3.Connection, columns: list[str], ids: list[str]) -> dict[str, tuple]:
    """The logged ``columns`` of the predictions among ``ids``, by request id."""
    selected = ", ".join(["request_id", *(f'"{column}"' for column in columns)])
    found = {}
    for start in range(0, len(ids), SQLITE_MAX_PARAMETERS):
        chunk = ids[start:start + SQLITE_MAX_PARAMETERS]
        found.update((row[0], row[1:]) for row in connection.execute(
            f"SELECT {selected} FROM predictions WHERE request_id IN ({', '.join('?' * len(chunk))})", chunk))
    return found


def create_app(bundle_path, db_path):
    """The FastAPI app serving the bundle in ``bundle_path`` and logging to ``db_path``.

    ``db_path=None`` serves predictions without logging them (and no ``/labels``): only for
    measuring what the log costs (``benchmarks/serve_load.py``); such a server keeps no record.
    """
    import joblib
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    bundle = joblib.load(bundle_path)
    schema, features = bundle["schema"], list(bundle["schema"])
    # Requests run in a thread pool; only the writer's thread touches the log (threads that each sent BEGIN on
    # one shared connection committed or rolled back each other's rows).
    writer = _LogWriter(open_log(db_path, schema)) if db_path is not None else None
    PredictRequest, LabelRequest = _strict_models(schema)
    columns = [*LOG_COLUMNS[:2], *features, *LOG_COLUMNS[2:]]  # the order of a logged row
    quoted = ", ".join(f'"{name}"' for name in columns)
    insert_prediction = f"INSERT INTO predictions ({quoted}) VALUES ({', '.join('?' * len(columns))})"

    app = FastAPI(title="Model Health Workbook model server", version=bundle["version"])

    @app.exception_handler(RequestValidationError)
    async def readable_validation_error(request: Request, error: RequestValidationError):
        problems = [shorten("".join(f"[{part}]" if isinstance(part, int) else f".{shorten(str(part), 40)}"
                                     for part in item["loc"][1:]).lstrip("."), 200) + f": {shorten(item['msg'], 200)}"
                    for item in error.errors()]
        return JSONResponse(status_code=422, content={"detail": problems[:20], "problems": len(problems),
                                                      "written": 0})

    @app.get("/health")
    def health():
        return {"status": "ok", "model_version": bundle["version"], "features": features}

    @app.post("/predict")
    def predict(request: PredictRequest):
        ids = [instance.request_id for instance in request.instances]
        if problem := _repeated(ids, "instances"):
            raise HTTPException(422, detail=[problem])
        values = [[getattr(instance.features, name) for name in features] for instance in request.instances]
        scores = bundle["model"].predict_proba(pd.DataFrame(values, columns=features))[:, 1].tolist()
        answers = {request_id: (score, int(score >= bundle["threshold"])) for request_id, score in zip(ids, scores)}
        if writer is not None:
            received = _now()
            rows = [(instance.request_id, _log_time(instance.timestamp) if instance.timestamp else received, *row,
                     *answers[instance.request_id], bundle["version"])
                    for instance, row in zip(request.instances, values)]

            def log_batch(connection: sqlite3.Connection) -> dict[str, tuple]:
                """All of the batch is logged, or none of it; returns the ids logged before, with their features."""
                logged = _logged(connection, [*features, "score", "prediction"], ids)
                conflicts = [row[0] for row in rows if row[0] in logged and logged[row[0]][:-2] != row[2:-3]]
                if conflicts:
                    raise HTTPException(409, detail=[
                        f"instances: request_id(s) {_some(conflicts)} were predicted before with other features; "
                        "nothing was written. A retry sends the same features; a new request needs a new request_id."])
                connection.executemany(insert_prediction, [row for row in rows if row[0] not in logged])
                return logged

            # A retry (same id, same features) is answered with the prediction logged the first time.
            answers.update((request_id, logged[-2:]) for request_id, logged in writer.write(log_batch).items())
        return {"model_version": bundle["version"],
                "predictions": [{"request_id": request_id, "score": round(float(answers[request_id][0]), 6),
                                 "prediction": int(answers[request_id][1])} for request_id in ids]}

    if writer is None:
        return app

    @app.post("/labels")
    def labels(request: LabelRequest):
        ids = [item.request_id for item in request.labels]
        if problem := _repeated(ids, "labels"):
            raise HTTPException(422, detail=[problem])
        received = _now()

        def store_labels(connection: sqlite3.Connection) -> None:
            logged = _logged(connection, [], ids)
            unknown = [request_id for request_id in ids if request_id not in logged]
            if unknown:
                raise HTTPException(422, detail=[f"labels: {len(unknown)} request_id(s) were never predicted: "
                                                 f"{_some(unknown)}; nothing was written"])
            connection.executemany("INSERT OR REPLACE INTO labels (request_id, label, received_at) VALUES (?, ?, ?)",
                                   [(item.request_id, item.label, received) for item in request.labels])

        writer.write(store_labels)
        return {"stored": len(ids)}

    return app


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalServer:
    """``python -m model_health <command> ... --port N`` as a subprocess on a free localhost port.

    Use as a context manager: it waits until ``GET /health`` answers, and on exit stops the
    process (terminate, then kill) so no process or port is left behind.

    >>> # with LocalServer(["serve", "--model", "m.joblib", "--db", "log.db"]) as server: server.url
    """

    running: "set[LocalServer]" = set()

    def __init__(self, arguments: list[str], *, startup_timeout: float = 60.0):
        self.arguments, self.startup_timeout = [str(argument) for argument in arguments], startup_timeout
        self.port, self.process = free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = None  # what the server prints: a file with no name, so nothing is left whoever ends how

    def start(self) -> "LocalServer":
        import httpx

        self._log = tempfile.TemporaryFile(prefix="model-health-server-")
        # Its own session: Jupyter's interrupt (SIGINT to the kernel's process group) stops the cell, not the
        # server; the server ends with this process instead (end_with_parent), even if it is killed.
        self.process = subprocess.Popen([sys.executable, "-m", "model_health", *self.arguments, "--port",
                                         str(self.port)], stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True, env={**os.environ, PARENT_VARIABLE: str(os.getpid())})
        LocalServer.running.add(self)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                printed = self.output()
                self.stop()
                raise RuntimeError(f"The server exited with code {self.process.returncode} before it was ready:\n"
                                   f"{printed[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        printed = self.output()
        self.stop()
        raise TimeoutError(f"The server did not answer /health within {self.startup_timeout} s:\n"
                           f"{printed[-2000:]}")

    def output(self) -> str:
        """What the server has printed, while it runs (its log goes when it stops)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", errors="replace")

    def _ended(self) -> None:
        LocalServer.running.discard(self)
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._ended()

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then kill after 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._ended()

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


PARENT_VARIABLE = "MODEL_HEALTH_SERVER_PARENT"  # the process a LocalServer's server ends with


def end_with_parent() -> None:
    """In a server a :class:`LocalServer` started: receive SIGTERM (a graceful stop) when the process that started
    it ends, however it ends (a kernel killed by a restart runs no atexit handler). Linux only; elsewhere the
    starter's atexit handler is what stops it."""
    import ctypes
    import signal

    parent = os.environ.pop(PARENT_VARIABLE, None)
    if parent is None or not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != int(parent):  # the starter ended before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


@atexit.register
def _stop_all_servers() -> None:
    """A kernel that exits (or a notebook that failed halfway) leaves no server behind."""
    for server in list(LocalServer.running):
        server.stop()


def serve(argv=None) -> int:
    """``python -m model_health serve``: run the model server (uvicorn) until stopped."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m model_health serve", description="Serve a model bundle.")
    parser.add_argument("--model", required=True, help="model bundle written by save_bundle (joblib)")
    log = parser.add_mutually_exclusive_group(required=True)
    log.add_argument("--db", help="SQLite prediction log (created if missing)")
    log.add_argument("--no-prediction-log", action="store_true",
                     help="log nothing (and serve no /labels): only to measure what the log costs "
                          "(benchmarks/serve_load.py)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if not Path(args.model).is_file():
        print(f"error: --model {args.model}: no such file.", file=sys.stderr)
        return 2
    uvicorn.run(create_app(args.model, args.db), host=args.host, port=args.port, log_level="warning")
    return 0

