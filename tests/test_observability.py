"""The fleet's central store: every injected incident shows in its metric and no healthy model
trips; one SQL definition per metric gives the same numbers on DuckDB and on Spark (after a
Structured Streaming ingestion); SLOs and error budgets; offline settings; clear errors."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from model_health.drift import population_stability_index
from model_health.services.observability import (
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


def psi_by_sql(reference: np.ndarray, current: np.ndarray) -> float:
    import duckdb

    connection = duckdb.connect()
    connection.register("reference_bins", reference_bins(pd.DataFrame({"model": "m", "feature_1": reference})))
    connection.register("predictions", pd.DataFrame({"model": "m", "ts": 0, "feature_1": current}))
    return float(run_metric(connection, "psi")["psi_feature_1"].item())


@pytest.mark.parametrize("shift", ["none", "half a standard deviation", "top decile empty", "two deciles empty",
                                   "all in one bin"])
def test_the_psi_sql_is_the_drift_helpers_psi(shift):
    """The SQL gives drift.population_stability_index's PSI, also when bins are empty today (they count, at
    MIN_SHARE): it gave 0.01 and 0.04 where the helper gives 0.70 and 1.42, ignoring the empty bins."""
    rng = np.random.default_rng(3)
    reference = rng.normal(size=5000)
    current = {"none": rng.normal(size=3000), "half a standard deviation": rng.normal(0.5, 1, 3000),
               "top decile empty": reference[reference < np.quantile(reference, 0.9)],
               "two deciles empty": reference[reference < np.quantile(reference, 0.8)],
               "all in one bin": np.full(200, np.median(reference) - 1e-6)}[shift]
    assert psi_by_sql(reference, current) == pytest.approx(population_stability_index(reference, current), rel=1e-9)


def test_the_psi_sql_matches_the_helper_on_every_model_and_day(fleet):
    """Reference days 1-3 against each day of each model, with the helper's bins (edges included in the lower bin)."""
    _, _, connection, _, metrics = fleet
    log = connection.execute("SELECT model, ts, feature_1 FROM predictions").df()
    log["day"] = log["ts"] // 86400 - log["ts"].min() // 86400 + 1
    by_sql = metrics["psi"].set_index(["model", "day"])["psi_feature_1"]
    assert len(by_sql) == log.groupby(["model", "day"]).ngroups
    for (model, day), rows in log.groupby(["model", "day"]):
        reference = log.loc[(log["model"] == model) & (log["day"] <= 3), "feature_1"]
        assert by_sql[(model, day)] == pytest.approx(population_stability_index(reference, rows["feature_1"]),
                                                     rel=1e-9), (model, day)


def test_psi_is_null_where_it_is_undefined():
    """A day with no feature_1 value, or a model without reference bins, has no PSI: NULL, not 0 and not dropped."""
    import duckdb

    connection = duckdb.connect()
    connection.register("reference_bins", reference_bins(pd.DataFrame({"model": "m", "feature_1": np.arange(100.0)})))
    connection.register("predictions", pd.DataFrame({"model": ["m", "m", "m", "other"], "ts": [0, 0, 86400, 0],
                                                     "feature_1": [1.0, 2.0, None, 1.0]}))
    psi = run_metric(connection, "psi")
    assert psi[["model", "day"]].values.tolist() == [["m", 0], ["m", 1], ["other", 0]]
    assert psi["psi_feature_1"].notna().tolist() == [True, False, False]


def test_the_selection_gap_is_two_sided():
    """Group B selected far more often than A is a gap too: the metric is |rate A - rate B|, so a max bounds both."""
    import duckdb

    connection = duckdb.connect()
    connection.register("predictions", pd.DataFrame({"model": "m", "ts": 0, "group_attr": ["A"] * 10 + ["B"] * 10,
                                                     "prediction": [1] * 1 + [0] * 9 + [1] * 6 + [0] * 4}))
    gap = run_metric(connection, "fairness_gap")
    assert gap["selection_gap"].item() == pytest.approx(0.5)
    assert evaluate_slos(gap, {"m": {"selection_gap": {"max": 0.2}}})["status"].item() == "breached"


def test_both_bounds_of_an_slo_count():
    """With min and max, a day below min is bad too (min was ignored when max was given)."""
    daily = pd.DataFrame({"model": "m", "day": range(10), "psi": [0.05] * 5 + [0.2] * 5})
    status = evaluate_slos(daily, {"m": {"psi": {"min": 0.1, "max": 0.3}}}, target=0.9).iloc[0]
    assert (status["status"], status["bad_days"], status["objective"]) == ("breached", 5, ">= 0.1 and <= 0.3")
    assert evaluate_slos(daily, {"m": {"psi": {"min": 0.0, "max": 0.3}}})["status"].item() == "met"


@pytest.mark.parametrize(("arguments", "message"), [
    ({"target": float("nan")}, r"`target` should be a finite number, got nan"),
    ({"target": -1}, r"`target` is the share of days that should meet each SLO, in \(0, 1\], got -1.0"),
    ({"target": 0}, r"`target` is the share .* got 0.0"),
    ({"target": 1.5}, r"`target` is the share .* got 1.5"),
    ({"target": "0.9"}, r"`target` should be a real number, got str '0.9'"),
    ({"recent_days": 0}, r"`recent_days` should be a whole number >= 1, got 0"),
    ({"slos": {"m": {"f1": {"min": float("nan")}}}}, r"`slos\['m'\]\['f1'\]\['min'\]` should be a finite number"),
    ({"slos": {"m": {"f1": {"max": None}}}}, r"`slos\['m'\]\['f1'\]\['max'\]` should be a real number"),
    ({"slos": {"m": {"f1": {"min": 0.9, "max": 0.5}}}}, r"The SLO of 'm' on 'f1' has min 0.9 above max 0.5"),
    ({"slos": {"m": {"f1": {"maximum": 0.5}}}}, r"The SLO of 'm' on 'f1' should be \{'min': x\}, \{'max': y\} or both"),
    ({"slos": {"m": {"f1": 0.5}}}, r"The SLO of 'm' on 'f1' should be"),
    ({"slos": {"m": ["f1"]}}, r"`slos\['m'\]` should be a dict"),
])
def test_an_invalid_slo_or_target_is_an_error_naming_it(arguments, message):
    """target=nan and target=-1 said "met"; now every invalid setting is a ValueError that names it."""
    daily = pd.DataFrame({"model": "m", "day": range(5), "f1": [0.1] * 5})
    with pytest.raises(ValueError, match=message):
        evaluate_slos(daily, **{"slos": {"m": {"f1": {"min": 0.5}}}, **arguments})


@pytest.mark.parametrize(("reference", "bins", "message"), [
    (pd.DataFrame({"model": ["m"], "score": [0.5]}), 10, r"`reference` is missing column\(s\) \['feature_1'\]"),
    (pd.DataFrame({"model": ["m", "n"], "feature_1": [0.5, None]}), 10, "no feature_1 value for model 'n'"),
    (pd.DataFrame({"model": ["m"], "feature_1": [0.5]}), 1, "`bins` should be a whole number >= 2"),
])
def test_reference_bins_refuses_what_it_cannot_bin(reference, bins, message):
    """A model without reference values would get bins of NaN shares, and PSI from them; it is an error instead."""
    with pytest.raises(ValueError, match=message):
        reference_bins(reference, bins)


def test_clear_errors(tmp_path, fleet):
    _, _, connection, _, _ = fleet
    with pytest.raises(ValueError, match="no prediction logs"):
        ingest_duckdb(tmp_path)
    with pytest.raises(ValueError, match="Unknown metric 'auc'"):
        run_metric(connection, "auc")


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (Debian: apt-get install "
                                                           "default-jre-headless; CI installs it)")
@pytest.mark.slow
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
    from model_health.services.observability import fleet_dashboard

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

    from model_health.services.observability import fleet_dashboard

    world, daily, status = fleet_status(fleet)
    text = rendered_text(fleet_dashboard(world.models, status, daily, tmp_path / "fleet.html"), tmp_path / "profile")
    for model in world.models["model"]:
        assert model in text
    assert text.count("breached") >= 3 and "unknown" in text and "Model fleet health" in text
