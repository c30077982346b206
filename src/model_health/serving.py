"""A model behind a REST API, with a prediction log: FastAPI + uvicorn + SQLite.

``POST /predict`` scores a batch of instances and logs each one (its request id, event time,
features, score and decision) to an SQLite prediction log before answering, so nothing the
server acknowledged is lost if it is killed. ``POST /labels`` records outcomes that arrive
later (the feedback loop). ``GET /health`` says which model is loaded.

    python -m model_health serve --model churn.joblib --db predictions.db --port 8000

:class:`LocalServer` starts such a server (or the webhook receiver) as a subprocess on a
free localhost port and stops it, for notebooks and tests.
"""


import argparse
import atexit
import datetime as dt
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

import pandas as pd

__all__ = ["LocalServer", "ModelBundle", "create_app", "free_port", "open_log", "save_bundle"]

MAX_BATCH = 10_000
LOG_COLUMNS = ("request_id", "timestamp", "score", "prediction", "model_version")


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
    """The prediction log (created if new): WAL mode, a table of predictions and one of labels."""
    connection = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")  # a committed prediction survives the process being killed
    features = ", ".join(f'"{name}" {"REAL" if spec["type"] == "number" else "TEXT"}' for name, spec in schema.items())
    connection.execute(f"CREATE TABLE IF NOT EXISTS predictions (request_id TEXT PRIMARY KEY, timestamp TEXT NOT NULL, "
                       f"{features}, score REAL, prediction INTEGER, model_version TEXT)")
    connection.execute("CREATE TABLE IF NOT EXISTS labels (request_id TEXT PRIMARY KEY, label INTEGER NOT NULL, "
                       "received_at TEXT NOT NULL)")
    connection.execute("CREATE INDEX IF NOT EXISTS predictions_by_time ON predictions (timestamp)")
    return connection


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")


def _feature_model(schema: dict):
    from pydantic import ConfigDict, Field, create_model

    fields = {}
    for name, spec in schema.items():
        if spec["type"] == "number":
            fields[name] = (float, Field(ge=spec["min"], allow_inf_nan=False))
        else:
            fields[name] = (Literal[tuple(spec["values"])], ...)
    return create_model("Features", __config__=ConfigDict(extra="forbid"), **fields)


def create_app(bundle_path, db_path):
    """The FastAPI app serving the bundle in ``bundle_path`` and logging to ``db_path``."""
    import joblib
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, Field

    bundle = joblib.load(bundle_path)
    schema, features = bundle["schema"], list(bundle["schema"])
    connection = open_log(db_path, schema)
    Features = _feature_model(schema)

    class Instance(BaseModel):
        request_id: str = Field(min_length=1, max_length=200)
        timestamp: dt.datetime | None = None
        features: Features

    class PredictRequest(BaseModel):
        instances: list[Instance] = Field(min_length=1, max_length=MAX_BATCH)

    class Label(BaseModel):
        request_id: str = Field(min_length=1)
        label: Literal[0, 1]

    class LabelRequest(BaseModel):
        labels: list[Label] = Field(min_length=1, max_length=MAX_BATCH)

    app = FastAPI(title="Model Health Workbook model server", version=bundle["version"])

    @app.exception_handler(RequestValidationError)
    async def readable_validation_error(request: Request, error: RequestValidationError):
        problems = ["".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in item["loc"][1:]
                            ).lstrip(".") + f": {item['msg']}" for item in error.errors()]
        return JSONResponse(status_code=422, content={"detail": problems[:20], "problems": len(problems),
                                                      "written": 0})

    @app.get("/health")
    def health():
        return {"status": "ok", "model_version": bundle["version"], "features": features}

    @app.post("/predict")
    def predict(request: PredictRequest):
        ids = [instance.request_id for instance in request.instances]
        if len(set(ids)) != len(ids):
            raise HTTPException(422, detail=["instances: request_id values must be unique within a batch"])
        frame = pd.DataFrame([instance.features.model_dump() for instance in request.instances], columns=features)
        scores = bundle["model"].predict_proba(frame)[:, 1]
        decisions = (scores >= bundle["threshold"]).astype(int)
        received = _now()
        rows = [(instance.request_id,
                 instance.timestamp.replace(tzinfo=None).isoformat(timespec="seconds") if instance.timestamp else received,
                 *frame.iloc[position].tolist(), float(scores[position]), int(decisions[position]), bundle["version"])
                for position, instance in enumerate(request.instances)]
        placeholders = ", ".join("?" * (len(features) + len(LOG_COLUMNS)))
        columns = ", ".join(["request_id", "timestamp", *(f'"{name}"' for name in features), "score", "prediction",
                             "model_version"])
        with connection:  # one transaction: all of the batch is logged, or none of it
            connection.execute("BEGIN")
            # A retried request (same id) keeps its first logged prediction: idempotent.
            connection.executemany(f"INSERT OR IGNORE INTO predictions ({columns}) VALUES ({placeholders})", rows)
        return {"model_version": bundle["version"],
                "predictions": [{"request_id": instance.request_id, "score": round(float(scores[position]), 6),
                                 "prediction": int(decisions[position])}
                                for position, instance in enumerate(request.instances)]}

    @app.post("/labels")
    def labels(request: LabelRequest):
        ids = [item.request_id for item in request.labels]
        known = set()
        for start in range(0, len(ids), 900):  # SQLite's limit on bound parameters
            chunk = ids[start:start + 900]
            known |= {row[0] for row in connection.execute(
                f"SELECT request_id FROM predictions WHERE request_id IN ({', '.join('?' * len(chunk))})", chunk)}
        unknown = [request_id for request_id in ids if request_id not in known]
        if unknown:
            raise HTTPException(422, detail=[f"labels: {len(unknown)} request_id(s) were never predicted, e.g. "
                                             f"{unknown[:3]}; nothing was written"])
        received = _now()
        with connection:
            connection.execute("BEGIN")
            connection.executemany("INSERT OR REPLACE INTO labels (request_id, label, received_at) VALUES (?, ?, ?)",
                                   [(item.request_id, item.label, received) for item in request.labels])
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
        self._log = tempfile.NamedTemporaryFile(prefix="model-health-server-", suffix=".log", delete=False)

    def start(self) -> "LocalServer":
        import httpx

        self.process = subprocess.Popen([sys.executable, "-m", "model_health", *self.arguments, "--port",
                                         str(self.port)], stdout=self._log, stderr=subprocess.STDOUT)
        LocalServer.running.add(self)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"The server exited with code {self.process.returncode} before it was ready:\n"
                                   f"{self.output()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"The server did not answer /health within {self.startup_timeout} s:\n"
                           f"{self.output()[-2000:]}")

    def output(self) -> str:
        """What the server printed (its log)."""
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        LocalServer.running.discard(self)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then kill after 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        LocalServer.running.discard(self)

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)


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
    parser.add_argument("--db", required=True, help="SQLite prediction log (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if not Path(args.model).is_file():
        print(f"error: --model {args.model}: no such file.", file=sys.stderr)
        return 2
    uvicorn.run(create_app(args.model, args.db), host=args.host, port=args.port, log_level="warning")
    return 0

