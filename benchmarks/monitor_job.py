"""Benchmark the monitoring job over a prediction log of 1M predictions, all labelled, in SQLite and DuckDB.

The log is written straight into SQLite with the model server's schema (sending a million
predictions through HTTP would time the server, not the job), and copied into a DuckDB file
with the same two tables. Then one run of the job per store over a window holding every row,
timed per stage, with rows per second for each:

    python benchmarks/monitor_job.py [--rows 1000000]

The target (issue "Track C"): the job end to end in at most 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from model_health.services.monitor_job import run_monitor
from model_health.services.serving import open_log
from model_health.simulators import CHURN_FEATURES, churn_model, simulate_churn

THRESHOLD = 0.35


def build_log(folder: Path, rows: int) -> tuple[Path, Path]:
    features = list(CHURN_FEATURES)
    per_week = int(rows / (8 + 2 * 0.4))  # eight weeks, two of them billing weeks with 40% more traffic
    world = simulate_churn(seed=0, n_weeks=8, per_week=per_week)
    model = churn_model(world.training.iloc[:6000])
    validation = world.training.iloc[6000:]
    reference = validation[features].assign(
        label=validation["churned"].to_numpy(),
        prediction=(model.predict_proba(validation[features])[:, 1] >= THRESHOLD).astype(int))
    reference.to_csv(folder / "reference.csv", index=False)
    traffic = world.traffic
    scores = model.predict_proba(traffic[features])[:, 1]
    schema = {name: {"type": "number" if name in ("tenure_months", "monthly_charges", "support_calls") else "category"}
              for name in features}
    connection = open_log(folder / "log.db", schema)
    timestamps = traffic["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy()
    rows_out = zip(traffic["request_id"], timestamps, *(traffic[name].tolist() for name in features), scores.tolist(),
                   (scores >= THRESHOLD).astype(int).tolist(), ["churn-1"] * len(traffic))
    connection.execute("BEGIN")
    connection.executemany(f"INSERT INTO predictions VALUES ({', '.join('?' * (len(features) + 5))})", rows_out)
    connection.executemany("INSERT INTO labels VALUES (?, ?, ?)",
                           zip(traffic["request_id"], traffic["churned"].tolist(), timestamps))
    connection.execute("COMMIT")
    connection.close()
    return folder / "log.db", folder / "reference.csv"


def copy_to_duckdb(sqlite_path: Path, duckdb_path: Path) -> Path:
    import sqlite3

    import duckdb
    import pandas as pd

    with sqlite3.connect(sqlite_path) as source, duckdb.connect(str(duckdb_path)) as target:
        for table in ("predictions", "labels"):
            frame = pd.read_sql_query(f"SELECT * FROM {table}", source)  # noqa: F841 (DuckDB reads it by name)
            target.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
    return duckdb_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        db, reference = build_log(Path(folder), args.rows)
        duck = copy_to_duckdb(db, Path(folder) / "log.duckdb")
        print(f"built a log of {args.rows:,} predictions in {time.perf_counter() - started:.1f} s (not timed below)")
        import evidently  # noqa: F401  (imported once, as a scheduled job's process would before its first run)

        for store, path in (("SQLite", db), ("DuckDB", duck)):
            started = time.perf_counter()
            result = run_monitor(path, reference, Path(folder) / "out", end="2026-04-27", window_days=56,
                                 min_labels=1, f1_threshold=0.45)
            total = time.perf_counter() - started
            rows = result.n_predictions
            print(f"\n{store}: {result.summary()}")
            print(f"{'stage':<24}{'seconds':>9}{'rows/s':>14}")
            for stage, seconds in result.seconds.items():
                rate = f"{rows / seconds:,.0f}" if seconds > 0.001 else "-"
                print(f"{stage:<24}{seconds:>9.2f}{rate:>14}")
            print(f"{'end to end':<24}{total:>9.2f}{rows / total:>14,.0f}   (target: <= 10 s)")


if __name__ == "__main__":
    main()
