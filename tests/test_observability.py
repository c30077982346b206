"""The fleet's central store: every injected incident shows in its metric and no healthy model
trips; one SQL definition per metric gives the same numbers on DuckDB and on Spark (after a
Structured Streaming ingestion); SLOs and error budgets; offline settings; clear errors."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from model_health.observability import (
    METRICS,
    evaluate_slos,
    ingest_duckdb,
    reference_bins,
    run_metric,
    spark_session,
    stream_ingest_spark,
)
from model_health.simulators import FLEET, FLEET_INCIDENTS, simulate_model_fleet


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fleet")
    world = simulate_model_fleet(folder / "logs", seed=5)
    connection = ingest_duckdb(folder / "logs")
    first_day = int(world.start.timestamp()) // 86400
    reference = connection.execute(f"SELECT model, feature_1 FROM predictions WHERE ts < {(first_day + 3) * 86400}").df()
    bins = reference_bins(reference)
    connection.register("reference_bins", bins)
    metrics = {name: run_metric(connection, name) for name in METRICS}
    for name, frame in metrics.items():
        if "day" in frame:
            frame["day"] = frame["day"] - first_day + 1  # 1 = the first day of the logs
    return world, folder, connection, bins, metrics


def by_day(metrics, name, column):
    return metrics[name].pivot(index="day", columns="model", values=column)


def test_the_store_holds_every_line_and_stays_offline(fleet):
    world, folder, connection, _, _ = fleet
    lines = sum(len(path.read_text().splitlines()) for path in (folder / "logs").glob("*/*.jsonl"))
    assert connection.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == lines
    assert connection.execute("SELECT current_setting('autoinstall_known_extensions')").fetchone()[0] is False
    assert sorted(world.models["model"]) == sorted(name for name, *_ in FLEET) and len(FLEET) >= 12


def test_each_incident_shows_in_its_metric_and_only_there(fleet):
    world, _, _, _, metrics = fleet
    healthy = [name for name, *_ in FLEET if name not in FLEET_INCIDENTS]
    f1, psi = by_day(metrics, "performance", "f1"), by_day(metrics, "psi", "psi_feature_1")
    p95, gap = by_day(metrics, "latency", "p95_ms"), by_day(metrics, "fairness_gap", "selection_gap")
    freshness = metrics["label_freshness"].set_index("model")["hours_since_last_label"]
    before, after = slice(1, 5), slice(10, 12)
    assert f1.loc[after, "fraud-wire"].mean() < f1.loc[before, "fraud-wire"].mean() - 0.15
    assert (psi.loc[after, "upsell-propensity"] > 0.25).all() and (psi.loc[:, healthy] < 0.25).all().all()
    assert (p95.loc[after, "support-escalation"] > 2.5 * p95.loc[before, "support-escalation"].mean()).all()
    assert gap.loc[after, "loan-approval"].mean() > gap.loc[before, "loan-approval"].mean() + 0.15
    assert freshness["spam-filter"] > 24 * 7 and (freshness[healthy] < 49).all()
    for name in healthy:
        assert abs(f1.loc[after, name].mean() - f1.loc[before, name].mean()) < 0.1
        assert abs(gap.loc[after, name].mean() - gap.loc[before, name].mean()) < 0.1


def test_days_without_labels_have_no_f1_not_zero(fleet):
    _, _, _, _, metrics = fleet
    last_days = metrics["performance"][metrics["performance"]["day"] >= 13]
    assert (last_days["labelled"] == 0).all() and last_days["f1"].isna().all()


def test_slos_with_error_budgets(fleet):
    _, _, _, _, metrics = fleet
    daily = metrics["performance"].merge(metrics["latency"], on=["model", "day"]).merge(
        metrics["psi"], on=["model", "day"])
    slos = {"fraud-wire": {"f1": {"min": 0.6}}, "support-escalation": {"p95_ms": {"max": 300}},
            "churn-eu": {"f1": {"min": 0.55}, "p95_ms": {"max": 300}, "psi_feature_1": {"max": 0.25}}}
    status = evaluate_slos(daily, slos, target=0.9).set_index(["model", "sli"])
    assert status.loc[("fraud-wire", "f1"), "status"] == "breached"
    assert status.loc[("fraud-wire", "f1"), "days_unknown"] == 2  # the two days whose outcomes are not in
    assert status.loc[("support-escalation", "p95_ms"), "status"] == "breached"
    assert (status.loc["churn-eu", "status"] == "met").all()
    no_labels = daily.assign(f1=np.nan)
    assert evaluate_slos(no_labels, {"churn-eu": {"f1": {"min": 0.5}}})["status"].tolist() == ["unknown"]
    one_bad = pd.DataFrame({"model": "m", "day": range(20), "f1": [0.4] + [0.8] * 19})
    assert evaluate_slos(one_bad, {"m": {"f1": {"min": 0.5}}}, target=0.9)["status"].tolist() == ["met"]
    two_bad = one_bad.assign(f1=[0.4, 0.4] + [0.8] * 18)
    assert evaluate_slos(two_bad, {"m": {"f1": {"min": 0.5}}}, target=0.9)["status"].tolist() == ["at risk"]
    with pytest.raises(ValueError, match="names 'auc'"):
        evaluate_slos(daily, {"churn-eu": {"auc": {"min": 0.7}}})


def test_clear_errors(tmp_path, fleet):
    _, _, connection, _, _ = fleet
    with pytest.raises(ValueError, match="no prediction logs"):
        ingest_duckdb(tmp_path)
    with pytest.raises(ValueError, match="Unknown metric 'auc'"):
        run_metric(connection, "auc")


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (Debian: apt-get install "
                                                           "default-jre-headless; CI installs it)")
def test_spark_streaming_and_spark_sql_match_duckdb(fleet, tmp_path):
    pytest.importorskip("pyspark", reason="pyspark is the `scale` extra (`python workbook.py setup --scale`)")
    world, folder, connection, bins, _ = fleet
    spark = spark_session("workbook-parity-test")
    spark.sparkContext.setLogLevel("ERROR")
    try:
        logs = tmp_path / "logs"
        shutil.copytree(folder / "logs", logs, ignore=shutil.ignore_patterns("day-14.jsonl"))
        first = stream_ingest_spark(spark, logs, tmp_path / "parquet", tmp_path / "checkpoint")
        for model_dir in (folder / "logs").iterdir():  # a new day arrives: the stream picks up only the new files
            shutil.copy(model_dir / "day-14.jsonl", logs / model_dir.name / "day-14.jsonl")
        total = stream_ingest_spark(spark, logs, tmp_path / "parquet", tmp_path / "checkpoint")
        assert total == connection.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] > first
        spark.createDataFrame(bins).createOrReplaceTempView("reference_bins")
        for name in METRICS:
            duck, sparked = run_metric(connection, name), run_metric(spark, name)
            keys = [column for column in ("model", "day") if column in duck]
            assert duck[keys].astype(str).equals(sparked[keys].astype(str)), name
            values = [column for column in duck if column not in keys]
            assert np.allclose(duck[values].astype(float), sparked[values].astype(float), equal_nan=True), name
    finally:
        spark.stop()


def fleet_status(fleet):
    world, _, _, _, metrics = fleet
    daily = metrics["performance"].merge(metrics["latency"], on=["model", "day"]).merge(
        metrics["psi"], on=["model", "day"]).merge(metrics["fairness_gap"], on=["model", "day"])
    slos = {name: {"f1": {"min": 0.55}, "p95_ms": {"max": 250}, "psi_feature_1": {"max": 0.25},
                   "selection_gap": {"max": 0.2}} for name in world.models["model"]}
    slos["spam-filter"] = {"f1": {"min": 0.55}}  # its labels stopped on day 6: judged on stale days, it is unknown
    return world, daily, evaluate_slos(daily, slos)


def test_the_dashboard_shows_every_model_with_its_worst_status(fleet, tmp_path):
    from model_health.observability import fleet_dashboard

    world, daily, status = fleet_status(fleet)
    page = fleet_dashboard(world.models, status, daily, tmp_path / "fleet.html").read_text()
    for model in world.models["model"]:
        assert f'<tr data-model="{model}">' in page and f'id="{model}"' in page
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?:', page)  # self-contained
    rows = dict(re.findall(r'<tr data-model="([^"]+)">.*?<span class="status [^"]+">([^<]+)</span>', page, re.S))
    assert rows["fraud-wire"] == rows["upsell-propensity"] == rows["support-escalation"] == "breached"
    assert rows["spam-filter"] == "unknown" and rows["churn-eu"] == "met"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (Debian: apt-get install "
                                                               "chromium; CI installs it)")
def test_the_dashboard_renders_in_chromium(fleet, tmp_path):
    from conftest import rendered_text

    from model_health.observability import fleet_dashboard

    world, daily, status = fleet_status(fleet)
    text = rendered_text(fleet_dashboard(world.models, status, daily, tmp_path / "fleet.html"), tmp_path / "profile")
    for model in world.models["model"]:
        assert model in text
    assert text.count("breached") >= 3 and "unknown" in text and "Model fleet health" in text
