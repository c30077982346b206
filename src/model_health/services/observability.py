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

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from model_health._validation import as_real_number, as_whole_number, check_columns
from model_health.drift import MIN_SHARE, PSI_BINS
from model_health.drift._measures import _quantiles

__all__ = ["LOG_COLUMNS", "METRICS", "evaluate_slos", "fleet_dashboard", "ingest_duckdb", "reference_bins",
           "run_metric", "spark_session", "stream_ingest_spark"]

LOG_COLUMNS = {"model": "VARCHAR", "request_id": "VARCHAR", "ts": "BIGINT", "latency_ms": "DOUBLE", "score": "DOUBLE",
               "prediction": "INTEGER", "label": "INTEGER", "feature_1": "DOUBLE", "segment": "VARCHAR",
               "group_attr": "VARCHAR"}
_DAY = "CAST(FLOOR(ts / 86400) AS BIGINT)"  # days since 1970-01-01, the same in both engines
_P_DAY = _DAY.replace("ts", "p.ts")
_MIN_SHARE = f"CAST({MIN_SHARE!r} AS DOUBLE)"  # drift.MIN_SHARE: an empty bin's share, so PSI stays finite

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
    # The absolute gap: a fairness SLO bounds it whichever group is selected more often.
    "fairness_gap": f"""
        SELECT model, day, ABS(rate_a - rate_b) AS selection_gap
        FROM (SELECT model, {_DAY} AS day,
                     AVG(CASE WHEN group_attr = 'A' THEN prediction END) AS rate_a,
                     AVG(CASE WHEN group_attr = 'B' THEN prediction END) AS rate_b
              FROM predictions GROUP BY model, {_DAY}) AS rates""",
    "label_freshness": """
        SELECT model, (MAX(ts) - MAX(CASE WHEN label IS NOT NULL THEN ts END)) / 3600.0 AS hours_since_last_label
        FROM predictions GROUP BY model""",
    # drift.population_stability_index in SQL: every reference bin counts, also one empty today
    # (LEFT JOIN from the bins), both shares floored at MIN_SHARE. NULL for a day with no
    # feature_1 value or a model without reference bins (GREATEST skips NULLs, hence the CASE).
    "psi": f"""
        WITH binned AS (
                 SELECT p.model, {_P_DAY} AS day, b.bin, COUNT(*) AS n
                 FROM predictions p JOIN reference_bins b
                   ON p.model = b.model AND p.feature_1 > b.lower AND p.feature_1 <= b.upper
                 GROUP BY p.model, {_P_DAY}, b.bin),
             totals AS (SELECT model, day, SUM(n) AS total FROM binned GROUP BY model, day),
             days AS (SELECT model, {_DAY} AS day FROM predictions GROUP BY model, {_DAY}),
             shares AS (
                 SELECT days.model, days.day, totals.total, bins.share AS reference_share,
                        GREATEST(CAST(COALESCE(binned.n, 0) AS DOUBLE) / totals.total, {_MIN_SHARE}) AS actual,
                        GREATEST(bins.share, {_MIN_SHARE}) AS expected
                 FROM days
                 LEFT JOIN totals ON totals.model = days.model AND totals.day = days.day
                 LEFT JOIN reference_bins bins ON bins.model = days.model
                 LEFT JOIN binned ON binned.model = days.model AND binned.day = days.day AND binned.bin = bins.bin)
        SELECT model, day,
               SUM(CASE WHEN total IS NULL OR reference_share IS NULL THEN NULL
                        ELSE (actual - expected) * LN(actual / expected) END) AS psi_feature_1
        FROM shares GROUP BY model, day""",
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


def reference_bins(reference: pd.DataFrame, bins: int = PSI_BINS) -> pd.DataFrame:
    """Bins of ``feature_1`` per model from a reference period, each with its share of rows.

    The bins of :func:`model_health.drift.population_stability_index`: at the reference's
    quantiles (deciles by default), each ``(lower, upper]``, repeated edges merged, missing
    values left out; so the ``psi`` metric gives the helper's PSI.
    """
    check_columns(reference, ["model", "feature_1"], name="reference")
    bins = as_whole_number("bins", bins, minimum=2)
    rows = []
    for model, values in reference.groupby("model")["feature_1"]:
        values = pd.to_numeric(values).dropna().to_numpy(float)
        if values.size == 0:
            raise ValueError(f"`reference` has no feature_1 value for model {model!r}; its bins cannot be set.")
        inner = np.unique(_quantiles(values, np.linspace(0, 1, bins + 1)[1:-1]))
        counts = np.bincount(np.searchsorted(inner, values), minlength=len(inner) + 1)
        edges = np.concatenate([[-np.inf], inner, [np.inf]])
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


def _objective(model, sli, bound) -> dict[str, float]:
    """``bound`` ({"min": x}, {"max": y} or both) as finite numbers with min <= max, or a ValueError naming the SLO."""
    if not isinstance(bound, Mapping) or not bound or not set(bound) <= {"min", "max"}:
        raise ValueError(f"The SLO of {model!r} on {sli!r} should be {{'min': x}}, {{'max': y}} or both, "
                         f"got {bound!r}.")
    limits = {key: as_real_number(f"slos[{model!r}][{sli!r}][{key!r}]", value) for key, value in bound.items()}
    if limits.get("min", -np.inf) > limits.get("max", np.inf):
        raise ValueError(f"The SLO of {model!r} on {sli!r} has min {limits['min']!r} above max {limits['max']!r}: no "
                         "day could meet it.")
    return limits


def _objective_text(bound: Mapping) -> str:
    """The bounds as given, e.g. ">= 0.55", "<= 300" or ">= 0.1 and <= 0.3"."""
    return " and ".join(f"{'>=' if key == 'min' else '<='} {bound[key]}" for key in ("min", "max") if key in bound)


def evaluate_slos(daily: pd.DataFrame, slos: dict, *, target: float = 0.9, recent_days: int = 3) -> pd.DataFrame:
    """SLO status per model and objective, with error budgets.

    ``daily``: one row per model and day with the SLIs named in ``slos`` (e.g. ``p95_ms``,
    ``f1``, ``psi_feature_1``, ``selection_gap``). ``slos``: model -> {sli: {"max": x},
    {"min": x} or {"min": x, "max": y}}; a day is good when its SLI is within every bound
    given, unknown when it is NaN. ``selection_gap`` (the ``fairness_gap`` metric) is the
    absolute gap between the groups' selection rates, so ``{"max": 0.2}`` bounds it whichever
    group is favoured. ``target`` is the share of days that should be good, in (0, 1]: the
    error budget is ``1 - target`` times the days measured; status is "breached" when bad days
    exceed it, "at risk" past 75% of it, "met" otherwise. It is "unknown" when no day could be
    measured, or when the model has no measured day among the fleet's latest ``recent_days``
    measured days for that SLI (a verdict on stale data is no verdict: its labels stopped
    arriving, say). A bound that is not a finite number, or a target outside (0, 1], is a
    ValueError naming it.
    """
    check_columns(daily, ["model", "day"], name="daily")
    target = as_real_number("target", target)
    if not 0 < target <= 1:
        raise ValueError(f"`target` is the share of days that should meet each SLO, in (0, 1], got {target!r}.")
    recent_days = as_whole_number("recent_days", recent_days, minimum=1)
    if not isinstance(slos, Mapping):
        raise ValueError(f"`slos` should be a dict of model -> {{sli: {{'min': x}} or {{'max': y}}}}, got "
                         f"{type(slos).__name__}.")
    rows = []
    for model, objectives in slos.items():
        days = daily[daily["model"] == model]
        if not isinstance(objectives, Mapping):
            raise ValueError(f"`slos[{model!r}]` should be a dict of sli -> {{'min': x}} or {{'max': y}}, got "
                             f"{type(objectives).__name__}.")
        for sli, bound in objectives.items():
            if sli not in days:
                raise ValueError(f"SLO for {model!r} names {sli!r}, which `daily` does not have.")
            limits = _objective(model, sli, bound)
            values = pd.to_numeric(days.sort_values("day")[sli], errors="coerce")
            measured = values.dropna()
            good = (measured >= limits.get("min", -np.inf)) & (measured <= limits.get("max", np.inf))
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
            rows.append({"model": model, "sli": sli, "objective": _objective_text(bound),
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
