"""The monitoring job: read a window of the prediction log, judge it, report, and alert.

    python -m model_health monitor --db predictions.db --reference reference.csv --out reports/ \\
        --end 2026-04-27 --window-days 7 --min-labels 200 --f1-threshold 0.45 \\
        --webhook http://127.0.0.1:9000/alerts --spool spool/

Steps (each timed): deliver alerts spooled by an earlier run; read the window's predictions
joined to the labels that have arrived; set aside malformed rows (counted, with the reason,
and named in the report); F1 on the labelled rows (NaN, status "unknown", when fewer than
``min_labels`` arrived: a verdict needs evidence); the workbook's drift table against the
reference set; an Evidently report (data drift and classification presets, one HTML file, on a seeded sample
of at most ``report_rows`` labelled rows: it is read by people, and Evidently takes minutes
at a million rows);
an alert to the webhook when F1 is below the threshold, sent once per window. Every run names
the alerts that wait for a person (refused by the webhook, or in a damaged spool file: see
:mod:`model_health.services.webhooks`).

Exit codes: 0 healthy, 1 an alert was raised, 2 invalid input (one line naming the argument),
3 unknown (too few labels), 4 the job itself failed (a traceback: a bug, or a disk that is full).
"""

from __future__ import annotations

import argparse
import json
import numbers
import sqlite3
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model_health.services.alert_routing import slack_message
from model_health.drift import drift_table
from model_health.services.webhooks import alert_key, flush_spool, send_alert, spool_problems

__all__ = ["MonitorResult", "read_window", "run_monitor"]

EXIT_OK, EXIT_ALERT, EXIT_INVALID, EXIT_UNKNOWN, EXIT_FAILED = 0, 1, 2, 3, 4


@dataclass
class MonitorResult:
    """What one run of the job found; ``seconds`` holds the time of each stage."""

    window_start: str
    window_end: str
    n_predictions: int
    n_labelled: int
    f1: float
    f1_threshold: float
    status: str  # "ok", "alert" or "unknown"
    reason: str
    malformed: dict[str, int]
    drift: pd.DataFrame
    report: Path | None = None
    alert: str = "none"
    spooled_delivered: dict[str, str] = field(default_factory=dict)
    undelivered: list[str] = field(default_factory=list)  # alerts that wait for a person, one line each
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        f1 = "NaN" if np.isnan(self.f1) else f"{self.f1:.3f}"
        malformed = sum(self.malformed.values())
        return (f"window {self.window_start} to {self.window_end}: {self.n_predictions} predictions, "
                f"{self.n_labelled} labelled, F1 {f1} (threshold {self.f1_threshold:.3f}): {self.status.upper()}"
                f"{f' ({self.reason})' if self.reason else ''}; malformed rows skipped: {malformed}; "
                f"alert: {self.alert}")


def _as_timestamp(name: str, value) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` should be a date or time like '2026-04-27', got {value!r}.") from None
    if pd.isna(stamp):
        raise ValueError(f"`{name}` should be a date or time, got {value!r}.")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp  # the log's times are UTC


def _whole_number(name: str, value, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value).is_integer() or value < 1:
        raise ValueError(f"`{name}` should be a whole number of {what}, 1 or more, got {value!r}.")


def _folder(name: str, path) -> Path:
    """``path`` as a folder, made if missing; a ValueError naming ``name`` when a file is in the way."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        in_the_way = next((part for part in (path, *path.parents) if part.exists() and not part.is_dir()), None)
        why = f"{in_the_way} is a file" if in_the_way else error.strerror
        raise ValueError(f"`{name}` {path} cannot be a folder ({why}): pass a folder, or a path where one can be "
                         "made.") from None
    return path


def _read_reference(reference) -> pd.DataFrame:
    if not isinstance(reference, (str, Path)):
        return reference
    path = Path(reference)
    expected = "pass the reference set's CSV file (its features, label and prediction)"
    if path.is_dir():
        raise ValueError(f"`reference` {path} is a folder: {expected}.")
    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as error:  # missing, unreadable, empty, not CSV
        raise ValueError(f"`reference` {path} cannot be read ({error}): {expected}.") from None


DUCKDB_SUFFIXES = (".duckdb", ".ddb")


def _prediction_log(db_path) -> Path:
    db_path = Path(db_path)
    if not db_path.is_file():
        why = "is a folder, not a prediction log" if db_path.is_dir() else "no such prediction log"
        raise ValueError(f"`db_path` {db_path}: {why}; pass the SQLite file `python -m model_health serve --db` "
                         "writes, or a .duckdb file with the same tables.")
    return db_path


def _query_log(db_path: Path, wanted: list[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The window's rows, only the columns the job reads (fetching them is most of the job's time)."""
    selected = ", ".join(f'p."{column}"' for column in wanted)
    query = (f"SELECT {selected}, l.label FROM predictions p LEFT JOIN labels l USING (request_id) "
             "WHERE p.timestamp >= ? AND p.timestamp < ?")
    window = (start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds"))

    def check_columns(logged: set[str]) -> None:
        missing = [column for column in wanted if column not in logged]
        if missing or not logged:
            raise ValueError(f"{db_path}: the log has no predictions table with the column(s) {missing or wanted} "
                             "that the reference set has.")

    if db_path.suffix in DUCKDB_SUFFIXES:  # a log kept in DuckDB (the same two tables)
        import duckdb

        try:
            with duckdb.connect(str(db_path.resolve()), read_only=True) as connection:  # not read as "md:..."
                check_columns({row[0] for row in connection.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'predictions'").fetchall()})
                return connection.execute(query, window).df()
        except duckdb.Error as error:
            raise ValueError(f"{db_path}: not a prediction log ({error}).") from None
    # A URI, for read-only: as_uri() quotes '#', '?' and '%', which a raw path would turn into a fragment, a query
    # or an escape, opening another file.
    with sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True) as connection:
        try:
            check_columns({row[1] for row in connection.execute("PRAGMA table_info(predictions)")})
            return pd.DataFrame.from_records(connection.execute(query, window).fetchall(), columns=[*wanted, "label"])
        except sqlite3.DatabaseError as error:
            raise ValueError(f"{db_path}: not a prediction log ({error}).") from None


def read_window(db_path, start, end, reference: pd.DataFrame, features: list[str]) -> tuple[pd.DataFrame, dict]:
    """Predictions logged in [start, end) with their labels, and the count of malformed rows by reason.

    A row is malformed when a numeric feature, the score or the prediction is not a number, a
    category is missing, the prediction is not 0/1 or a label is not 0/1. ``db_path`` is the
    server's SQLite log, or a DuckDB file (``.duckdb``) with the same two tables.
    """
    db_path = _prediction_log(db_path)
    wanted = [*features, "score", "prediction"]
    frame = _query_log(db_path, wanted, start, end)
    bad = pd.Series("", index=frame.index)

    def flag(rows: pd.Series, reason: str) -> None:
        nonlocal bad
        bad = bad.mask(rows & (bad == ""), reason)  # a row's first problem names it

    for column in features:
        if pd.api.types.is_numeric_dtype(reference[column]):
            frame[column] = numbers = pd.to_numeric(frame[column], errors="coerce")
            flag(numbers.isna(), f"{column} not a number")
        else:
            flag(frame[column].isna(), f"missing {column}")
    for column in ("score", "prediction", "label"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if column == "label":  # no label yet is normal; a label that is not 0/1 is not
            flag(frame[column].notna() & ~numbers.isin([0, 1]), "label not 0/1")
        else:
            flag(numbers.isna(), f"{column} not a number")
        if column == "prediction":
            flag(numbers.notna() & ~numbers.isin([0, 1]), "prediction not 0/1")
        frame[column] = numbers
    malformed = bad[bad != ""].value_counts().sort_index().to_dict()
    return frame[bad == ""].reset_index(drop=True), {str(reason): int(count) for reason, count in malformed.items()}


def _evidently_snapshot(reference: pd.DataFrame, current: pd.DataFrame, features: list[str]):
    """Evidently's data-drift and classification presets run on ``current`` against ``reference``."""
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.presets import ClassificationPreset, DataDriftPreset

    numbers = [column for column in features if pd.api.types.is_numeric_dtype(reference[column])]
    definition = DataDefinition(
        classification=[BinaryClassification(target="label", prediction_labels="prediction")],
        numerical_columns=numbers, categorical_columns=[column for column in features if column not in numbers])
    columns = features + ["label", "prediction"]
    data = [Dataset.from_pandas(frame[columns].astype({"label": int, "prediction": int}), data_definition=definition)
            for frame in (current, reference)]
    return Report([DataDriftPreset(columns=features), ClassificationPreset()]).run(*data)


def _payload(model: str, result: MonitorResult, report: Path | None) -> dict:
    drifted = result.drift.index[result.drift["psi"] >= 0.25].tolist() if len(result.drift) else []
    text = (f":rotating_light: *{model}*: F1 {result.f1:.3f} is below {result.f1_threshold:.3f} for "
            f"{result.window_start} to {result.window_end} ({result.n_labelled} labelled predictions).")
    details = [f"Drifted features (PSI >= 0.25): {len(drifted)}{': ' + ', '.join(drifted) if drifted else ''}"]
    if report is not None:
        details.append(f"Report: {report.name}")
    return slack_message(text, details)  # within Block Kit's limits, however many features drift


def run_monitor(db_path, reference, out_dir, *, end, window_days: int = 7, min_labels: int = 200,
                f1_threshold: float = 0.45, webhook: str | None = None, spool_dir=None, model: str = "churn-model",
                evidently: bool = True, report_rows: int = 20_000, retry: dict | None = None) -> MonitorResult:
    """One run of the job over the ``window_days`` days before ``end``; see the module docstring."""
    from sklearn.metrics import f1_score

    seconds, clock = {}, time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now

    if not 0 < f1_threshold < 1:
        raise ValueError(f"`f1_threshold` should be between 0 and 1, got {f1_threshold!r}.")
    _whole_number("min_labels", min_labels, "labelled predictions")
    _whole_number("window_days", window_days, "days")
    if webhook and spool_dir is None:
        raise ValueError("An alert needs `spool_dir`: where it waits when the webhook is down.")
    reference = _read_reference(reference)
    missing = [column for column in ("label", "prediction") if column not in reference]
    if missing:
        raise ValueError(f"The reference set needs the columns {missing} (its outcomes and the model's decisions).")
    features = [column for column in reference.columns if column not in ("label", "prediction", "score")]
    end = _as_timestamp("end", end)
    start = end - pd.Timedelta(days=window_days)
    db_path = _prediction_log(db_path)
    out_dir = _folder("out_dir", out_dir)
    if webhook:
        spool_dir = _folder("spool_dir", spool_dir)
    retry = retry or {}
    spooled = flush_spool(spool_dir, url=webhook, **retry) if webhook else {}
    lap("deliver spooled alerts")

    window, malformed = read_window(db_path, start, end, reference, features)
    lap("read and validate")
    labelled = window.dropna(subset=["label"])
    if len(labelled) < min_labels:
        f1, status = float("nan"), "unknown"
        reason = f"only {len(labelled)} labelled predictions, fewer than {min_labels}: F1 not judged"
    else:
        f1 = float(f1_score(labelled["label"].astype(int), labelled["prediction"].astype(int), zero_division=np.nan))
        status, reason = ("alert", "") if f1 < f1_threshold else ("ok", "")
        if np.isnan(f1):
            status, reason = "unknown", "F1 is undefined (no predicted or actual positives)"
    lap("metrics")
    drift = drift_table(reference[features], window[features]) if len(window) else pd.DataFrame(columns=["psi"])
    lap("drift table")

    result = MonitorResult(window_start=start.isoformat(timespec="seconds"),
                           window_end=end.isoformat(timespec="seconds"), n_predictions=len(window),
                           n_labelled=len(labelled), f1=f1, f1_threshold=f1_threshold, status=status, reason=reason,
                           malformed=malformed, drift=drift, spooled_delivered=spooled, seconds=seconds)
    stem = f"monitor-{end.strftime('%Y-%m-%d')}"
    if evidently and len(labelled) and len(window):
        # The report is for people: at most `report_rows` labelled rows, a seeded sample (F1 and drift use all).
        shown = labelled.sample(report_rows, random_state=0) if len(labelled) > report_rows else labelled
        result.report = out_dir / f"{stem}.html"
        _evidently_snapshot(reference, shown, features).save_html(str(result.report))
    lap("Evidently report")
    (out_dir / f"{stem}.json").write_text(json.dumps({
        "summary": result.summary(), "status": status, "f1": None if np.isnan(f1) else f1,
        "n_predictions": len(window), "n_labelled": len(labelled), "malformed": malformed,
        "drift": drift.reset_index().rename(columns={"index": "feature"}).to_dict("records")}, indent=2,
        default=str), encoding="utf-8")
    if status == "alert" and webhook:
        key = alert_key(model, result.window_start, result.window_end, f"f1<{f1_threshold}")
        result.alert = send_alert(webhook, _payload(model, result, result.report), key, spool_dir=spool_dir, **retry)
    if spool_dir is not None:
        result.undelivered = spool_problems(spool_dir)
    lap("alert")
    return result


def monitor(argv=None) -> int:
    """``python -m model_health monitor``: one run of the job; prints its summary and the time per stage."""
    parser = argparse.ArgumentParser(prog="python -m model_health monitor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="SQLite prediction log written by the model server")
    parser.add_argument("--reference", required=True, help="reference set (CSV: features, label, prediction)")
    parser.add_argument("--out", required=True, help="folder for the reports")
    parser.add_argument("--end", default=pd.Timestamp.now().strftime("%Y-%m-%d"), help="end of the window")
    parser.add_argument("--window-days", type=int, default=7)
    parser.add_argument("--min-labels", type=int, default=200)
    parser.add_argument("--f1-threshold", type=float, default=0.45)
    parser.add_argument("--webhook", help="Slack-compatible webhook URL for alerts")
    parser.add_argument("--spool", help="folder where undelivered alerts wait (required with --webhook)")
    parser.add_argument("--model", default="churn-model", help="model name in alerts")
    parser.add_argument("--no-evidently", action="store_true", help="skip the Evidently report")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_INVALID
    try:
        result = run_monitor(args.db, args.reference, args.out, end=args.end, window_days=args.window_days,
                             min_labels=args.min_labels, f1_threshold=args.f1_threshold, webhook=args.webhook,
                             spool_dir=args.spool, model=args.model, evidently=not args.no_evidently)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except Exception:  # uncaught, Python would exit 1: the alert code
        traceback.print_exc()
        return EXIT_FAILED
    print(result.summary())
    for reason, count in result.malformed.items():
        print(f"  skipped {count} malformed row(s): {reason}")
    print("seconds per stage: " + ", ".join(f"{stage} {value:.2f}" for stage, value in result.seconds.items()))
    for problem in result.undelivered:
        print(f"warning: {problem}", file=sys.stderr)
    return {"ok": EXIT_OK, "alert": EXIT_ALERT, "unknown": EXIT_UNKNOWN}[result.status]


def evidently_drifted_columns(reference: pd.DataFrame, current: pd.DataFrame, features: list[str]) -> list[str]:
    """The features the job's Evidently report marks as drifted (Evidently's own tests and thresholds), sorted.

    ``current`` and ``reference`` hold the features, ``label`` and ``prediction``, as the job passes them.
    """
    drifted = []
    for metric in _evidently_snapshot(reference, current, features).dict()["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift") and metric["value"] >= config.get("threshold", np.inf):
            drifted.append(config["column"])
    return sorted(drifted)
