"""One store and one definition per metric for a fleet of models: DuckDB by default, Spark to scale out.

Prediction logs (JSON lines, see ``simulators.simulate_model_fleet``) are ingested into a
``predictions`` table: into an embedded **DuckDB** file (:func:`ingest_duckdb`), or by a
**Spark Structured Streaming** job into Parquet (:func:`stream_ingest_spark`). Every metric is
one SQL text in :data:`METRICS`, written in the SQL both engines speak, so a test can prove
they agree (``tests/test_observability.py``). :func:`evaluate_slos` turns daily metrics into
SLO status with error budgets; a metric that cannot be computed is "unknown", never "met".

On a cluster, the same streaming job runs with ``spark-submit --master spark://host:7077`` (or
``--master yarn``) and a shared ``log_dir``; nothing in the SQL changes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["LOG_COLUMNS", "METRICS", "evaluate_slos", "fleet_dashboard", "ingest_duckdb", "reference_bins",
           "run_metric", "spark_session", "stream_ingest_spark"]

LOG_COLUMNS = {"model": "VARCHAR", "request_id": "VARCHAR", "ts": "BIGINT", "latency_ms": "DOUBLE", "score": "DOUBLE",
               "prediction": "INTEGER", "label": "INTEGER", "feature_1": "DOUBLE", "segment": "VARCHAR",
               "group_attr": "VARCHAR"}
_DAY = "CAST(FLOOR(ts / 86400) AS BIGINT)"  # days since 1970-01-01, the same in both engines
_P_DAY = _DAY.replace("ts", "p.ts")

METRICS = {
    "volume": f"""
        SELECT model, {_DAY} AS day, COUNT(*) AS predictions
        FROM predictions GROUP BY model, {_DAY}""",
    "latency": f"""
        SELECT model, {_DAY} AS day,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50_ms,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_ms
        FROM predictions GROUP BY model, {_DAY}""",
    "performance": f"""
        SELECT model, day, labelled,
               CASE WHEN 2 * tp + fp + fn = 0 THEN NULL ELSE 2.0 * tp / (2 * tp + fp + fn) END AS f1
        FROM (SELECT model, {_DAY} AS day, COUNT(label) AS labelled,
                     SUM(CASE WHEN label = 1 AND prediction = 1 THEN 1 ELSE 0 END) AS tp,
                     SUM(CASE WHEN label = 0 AND prediction = 1 THEN 1 ELSE 0 END) AS fp,
                     SUM(CASE WHEN label = 1 AND prediction = 0 THEN 1 ELSE 0 END) AS fn
              FROM predictions GROUP BY model, {_DAY}) AS counts""",
    "fairness_gap": f"""
        SELECT model, day, rate_a - rate_b AS selection_gap
        FROM (SELECT model, {_DAY} AS day,
                     AVG(CASE WHEN group_attr = 'A' THEN prediction END) AS rate_a,
                     AVG(CASE WHEN group_attr = 'B' THEN prediction END) AS rate_b
              FROM predictions GROUP BY model, {_DAY}) AS rates""",
    "label_freshness": """
        SELECT model, (MAX(ts) - MAX(CASE WHEN label IS NOT NULL THEN ts END)) / 3600.0 AS hours_since_last_label
        FROM predictions GROUP BY model""",
    "psi": f"""
        SELECT counts.model, counts.day,
               SUM((GREATEST(counts.share, 0.0001) - bins.share) * LN(GREATEST(counts.share, 0.0001) / bins.share))
                   AS psi_feature_1
        FROM (SELECT p.model, {_P_DAY} AS day, b.bin,
                     COUNT(*) * 1.0 / SUM(COUNT(*)) OVER (PARTITION BY p.model, {_P_DAY}) AS share
              FROM predictions p JOIN reference_bins b
                ON p.model = b.model AND p.feature_1 >= b.lower AND p.feature_1 < b.upper
              GROUP BY p.model, {_P_DAY}, b.bin) AS counts
        JOIN reference_bins bins ON counts.model = bins.model AND counts.bin = bins.bin
        GROUP BY counts.model, counts.day""",
}


def ingest_duckdb(log_dir, database=":memory:"):
    """A DuckDB connection whose ``predictions`` table holds every JSON line under ``log_dir``."""
    import duckdb

    files = sorted(Path(log_dir).glob("*/*.jsonl"))
    if not files:
        raise ValueError(f"{log_dir}: no prediction logs (<model>/<day>.jsonl) found.")
    connection = duckdb.connect(str(database))
    connection.execute("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false")
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in LOG_COLUMNS.items())
    connection.execute(f"CREATE OR REPLACE TABLE predictions AS SELECT * FROM read_json(?, columns = {{{columns}}}, "
                       "format = 'newline_delimited')", [[str(path) for path in files]])
    return connection


def reference_bins(reference: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Decile bins of ``feature_1`` per model from a reference period, each with its share of rows."""
    rows = []
    for model, values in reference.groupby("model")["feature_1"]:
        edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)))
        edges[0], edges[-1] = -np.inf, np.inf
        counts = np.histogram(values, edges)[0]
        rows += [{"model": model, "bin": position, "lower": float(edges[position]),
                  "upper": float(edges[position + 1]), "share": counts[position] / counts.sum()}
                 for position in range(len(counts))]
    return pd.DataFrame(rows)


def run_metric(engine, name: str) -> pd.DataFrame:
    """Metric ``name`` from ``METRICS`` on a DuckDB connection or a SparkSession, sorted by model and day."""
    if name not in METRICS:
        raise ValueError(f"Unknown metric {name!r}; metrics: {sorted(METRICS)}.")
    if hasattr(engine, "sparkContext"):
        frame = engine.sql(METRICS[name]).toPandas()
    else:
        frame = engine.execute(METRICS[name]).df()
    keys = [column for column in ("model", "day") if column in frame]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def spark_session(app: str = "model-health-observability"):
    """A local Spark session bound to loopback, UI off (the scale-out path, in one process)."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[2]").appName(app)
            .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC").getOrCreate())


def stream_ingest_spark(spark, log_dir, out_dir, checkpoint_dir):
    """Spark Structured Streaming: JSON-lines logs in ``log_dir`` to Parquet in ``out_dir``.

    Runs with ``trigger(availableNow=True)``: it processes every file present, then stops; run it
    again (same checkpoint) and it picks up only new files. Registers the result as the
    ``predictions`` view and returns its row count.
    """
    from pyspark.sql.types import DoubleType, IntegerType, LongType, StringType, StructField, StructType

    spark_types = {"VARCHAR": StringType(), "BIGINT": LongType(), "DOUBLE": DoubleType(), "INTEGER": IntegerType()}
    schema = StructType([StructField(name, spark_types[kind]) for name, kind in LOG_COLUMNS.items()])
    query = (spark.readStream.schema(schema).option("recursiveFileLookup", "true").json(str(log_dir))
             .writeStream.format("parquet").option("path", str(out_dir))
             .option("checkpointLocation", str(checkpoint_dir)).trigger(availableNow=True).start())
    query.awaitTermination()
    table = spark.read.schema(schema).parquet(str(out_dir))
    table.createOrReplaceTempView("predictions")
    return table.count()


def evaluate_slos(daily: pd.DataFrame, slos: dict, *, target: float = 0.9, recent_days: int = 3) -> pd.DataFrame:
    """SLO status per model and objective, with error budgets.

    ``daily``: one row per model and day with the SLIs named in ``slos`` (e.g. ``p95_ms``,
    ``f1``, ``psi_feature_1``, ``selection_gap``). ``slos``: model -> {sli: {"max": x} or
    {"min": x}}. A day is good when its SLI meets the objective, unknown when it is NaN. The
    error budget is the share of days that may be bad, ``1 - target``, times the days
    measured; status is "breached" when bad days exceed it, "at risk" past 75% of it, "met"
    otherwise. It is "unknown" when no day could be measured, or when the model has no measured
    day among the fleet's latest ``recent_days`` measured days for that SLI (a verdict on stale
    data is no verdict: its labels stopped arriving, say).
    """
    rows = []
    for model, objectives in slos.items():
        days = daily[daily["model"] == model]
        for sli, bound in objectives.items():
            if sli not in days:
                raise ValueError(f"SLO for {model!r} names {sli!r}, which `daily` does not have.")
            values = pd.to_numeric(days.sort_values("day")[sli], errors="coerce")
            measured = values.dropna()
            good = measured <= bound["max"] if "max" in bound else measured >= bound["min"]
            budget = round((1 - target) * len(measured), 9)  # 0.1 * 20 is 1.9999999999999996 in floating point
            bad = int((~good).sum())
            fleet_latest = daily.loc[pd.to_numeric(daily[sli], errors="coerce").notna(), "day"].max()
            stale = not (days.loc[measured.index, "day"] > fleet_latest - recent_days).any()
            if measured.empty or stale:
                status = "unknown"
            elif bad > budget:
                status = "breached"
            elif budget and bad > 0.75 * budget:
                status = "at risk"
            else:
                status = "met"
            rows.append({"model": model, "sli": sli, "objective": f"{'<=' if 'max' in bound else '>='} "
                                                               f"{bound.get('max', bound.get('min'))}",
                         "days_measured": len(measured), "days_unknown": int(values.isna().sum()), "bad_days": bad,
                         "budget_days": round(budget, 2),
                         "budget_left": round(1 - bad / budget, 2) if budget else np.nan,
                         "status": status})
    return pd.DataFrame(rows)


STATUS_ORDER = ("breached", "unknown", "at risk", "met")  # worst first


def _sparkline(values: pd.Series, width: int = 120, height: int = 24) -> str:
    """An inline SVG line of the daily values (no script, no file: the page works offline)."""
    points = values.dropna()
    if len(points) < 2:
        return "not enough data"
    low, high = float(points.min()), float(points.max())
    span = (high - low) or 1.0
    xs = np.linspace(2, width - 2, len(values))
    coordinates = " ".join(f"{x:.1f},{height - 2 - (float(value) - low) / span * (height - 4):.1f}"
                           for x, value in zip(xs, values) if not np.isnan(value))
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="trend"><polyline fill="none" '
            f'stroke="#0969da" stroke-width="1.5" points="{coordinates}"/></svg>')


def fleet_dashboard(models: pd.DataFrame, slo_status: pd.DataFrame, daily: pd.DataFrame, path,
                    *, title: str = "Model fleet health") -> Path:
    """Write a self-contained HTML page: every model's status against its SLOs, with a drill-down each."""
    from markupsafe import Markup

    from model_health.reports import render_html

    entries = []
    for model in models.itertuples():
        rows = slo_status[slo_status["model"] == model.model]
        status = next((level for level in STATUS_ORDER if (rows["status"] == level).any()), "unknown")
        slos = [{**row, "budget_left_text": "n/a" if pd.isna(row["budget_left"]) else f"{row['budget_left']:.0%}",
                 "sparkline": Markup(_sparkline(daily.loc[daily["model"] == model.model].sort_values("day")[
                     row["sli"]].astype(float).reset_index(drop=True)))}
                for row in rows.to_dict("records")]
        entries.append({"model": model.model, "owner": model.owner, "risk_tier": model.risk_tier, "status": status,
                        "breached": rows.loc[rows["status"] == "breached", "sli"].tolist(), "slos": slos})
    page = render_html("fleet_dashboard", title=title, models=entries)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
