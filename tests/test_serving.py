"""The model server, the webhook receiver and the monitoring job, as real processes on localhost:
predictions logged before they are acknowledged, under concurrent clients too (no 5xx, no loss,
a batch logged whole or not at all), a re-sent request id answered from the log or refused,
strict validation with clear 422s that write nothing and echo no huge value, event times logged
in UTC, a kill that loses nothing acknowledged, malformed log rows skipped and named, alerts
retried, spooled and delivered exactly once. A fixture checks that no test leaves a server
process or port behind."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from model_health.services.monitor_job import EXIT_ALERT, EXIT_INVALID, run_monitor
from model_health.services.serving import LocalServer, save_bundle
from model_health.simulators import CHURN_FEATURES, churn_model, simulate_churn
from model_health.services.webhooks import alert_key, flush_spool, send_alert

from conftest import run_command

FEATURES = list(CHURN_FEATURES)
FAST_RETRY = {"base_delay": 0.01, "max_delay": 0.05, "timeout": 2.0, "seed": 0}


@pytest.fixture(autouse=True)
def no_process_or_port_left_behind():
    before = set(LocalServer.running)
    yield
    leaked = LocalServer.running - before
    ports = [server.port for server in leaked]
    for server in leaked:
        server.kill()
    assert not leaked, f"servers still running on ports {ports}"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("churn")
    churn = simulate_churn(seed=3, n_training=3000, n_weeks=8, per_week=300)
    train, validation = churn.training.iloc[:2000], churn.training.iloc[2000:]
    model = churn_model(train)
    bundle = save_bundle(folder / "churn.joblib", model, train[FEATURES], threshold=0.35, version="churn-test")
    reference = validation[FEATURES].assign(label=validation["churned"].to_numpy(),
                                            prediction=(model.predict_proba(validation[FEATURES])[:, 1] >= 0.35
                                                        ).astype(int))
    reference.to_csv(folder / "reference.csv", index=False)
    return churn, bundle, folder / "reference.csv"


def instances(frame: pd.DataFrame) -> list[dict]:
    return [{"request_id": row.request_id, "timestamp": row.timestamp.isoformat(),
             "features": {name: getattr(row, name) for name in FEATURES}}
            for row in frame.astype({"tenure_months": float, "support_calls": float}).itertuples()]


def send_week(url: str, week: pd.DataFrame) -> None:
    assert httpx.post(f"{url}/predict", json={"instances": instances(week)}, timeout=60).status_code == 200
    labels = [{"request_id": rid, "label": int(label)} for rid, label in zip(week["request_id"], week["churned"])]
    assert httpx.post(f"{url}/labels", json={"labels": labels}, timeout=60).status_code == 200


def test_predictions_are_logged_and_labels_join_them(world, tmp_path):
    churn, bundle, _ = world
    week = churn.traffic[churn.traffic["week"] == 1]
    with LocalServer(["serve", "--model", bundle, "--db", tmp_path / "log.db"]) as server:
        assert httpx.get(f"{server.url}/health").json()["model_version"] == "churn-test"
        answer = httpx.post(f"{server.url}/predict", json={"instances": instances(week.head(5))}).json()
        assert [item["request_id"] for item in answer["predictions"]] == list(week["request_id"].head(5))
        again = httpx.post(f"{server.url}/predict", json={"instances": instances(week.head(1))}).json()
        assert again["predictions"][0] == answer["predictions"][0]  # a retried request is idempotent
        labels = {"labels": [{"request_id": week["request_id"].iloc[0], "label": 1}]}
        assert httpx.post(f"{server.url}/labels", json=labels).json() == {"stored": 1}
        port = server.port
    assert port_is_free(port)
    with sqlite3.connect(tmp_path / "log.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == 5
        assert connection.execute("SELECT label FROM labels").fetchall() == [(1,)]


@pytest.fixture(scope="module")
def empty_log_server(world, tmp_path_factory):
    """One server on an empty prediction log for the malformed requests, each of which must leave it empty."""
    _, bundle, _ = world
    db = tmp_path_factory.mktemp("malformed") / "log.db"
    with LocalServer(["serve", "--model", bundle, "--db", db]) as server:
        yield server, db


@pytest.mark.parametrize("body, problem", [
    ({"instances": [{"request_id": "a", "features": {"tenure_months": -1, "monthly_charges": 50, "support_calls": 0,
                                                     "contract": "one-year", "payment_method": "card"}}]},
     "instances[0].features.tenure_months: Input should be greater than or equal to 0"),
    ({"instances": [{"request_id": "a", "features": {"tenure_months": 3, "monthly_charges": 50, "support_calls": 0,
                                                     "contract": "weekly", "payment_method": "card"}}]},
     "instances[0].features.contract: Input should be 'month-to-month', 'one-year' or 'two-year'"),
    ({"instances": [{"request_id": "a", "features": {"tenure_months": 3, "monthly_charges": 50, "support_calls": 0,
                                                     "contract": "one-year"}}]},
     "instances[0].features.payment_method: Field required"),
    ({"instances": []}, "instances: List should have at least 1 item"),
    ({"rows": []}, "instances: Field required"),
])
def test_malformed_requests_get_a_clear_422_and_write_nothing(empty_log_server, body, problem):
    server, db = empty_log_server
    response = httpx.post(f"{server.url}/predict", json=body)
    unknown = httpx.post(f"{server.url}/labels", json={"labels": [{"request_id": "never", "label": 1}]})
    assert response.status_code == 422 and any(line.startswith(problem) for line in response.json()["detail"])
    assert unknown.status_code == 422 and "never predicted" in unknown.json()["detail"][0]
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == 0
        assert connection.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 0


HUGE = "x" * 5_000_000  # a 5 MB value: a 422 names the field, it does not echo the value
STRICT_CASES = {  # where the change goes, the change, the start of the 422's first line
    "number as text": ("features", {"tenure_months": "12"},
                       "instances[0].features.tenure_months: Input should be a valid number"),
    "true as a number": ("features", {"support_calls": True},
                         "instances[0].features.support_calls: Input should be a valid number"),
    "misspelled field": ("instance", {"timestmp": "2026-03-09T10:00:00"},
                         "instances[0].timestmp: Extra inputs are not permitted"),
    "time as a number": ("instance", {"timestamp": 1773050400},
                         "instances[0].timestamp: Value error, should be an ISO-8601 date and time"),
    "huge request id": ("instance", {"request_id": HUGE},
                        "instances[0].request_id: String should have at most 200 characters"),
    "huge unknown feature": ("features", {HUGE: 1}, f"instances[0].features.{'x' * 40}... (5,000,000 characters): "
                                                    "Extra inputs are not permitted"),
    "label true": ("label", {"label": True}, "labels[0].label: Input should be a valid integer"),
    "label as text": ("label", {"label": "1"}, "labels[0].label: Input should be a valid integer"),
    "misspelled label field": ("label", {"lable": 1}, "labels[0].lable: Extra inputs are not permitted"),
    "huge unknown label id": ("label", {"request_id": HUGE},
                              "labels[0].request_id: String should have at most 200 characters"),
    "two labels for one id": ("label twice", {}, "labels: request_id values must be unique within a batch; "
                                                 "repeated: ['known-1']; nothing was written"),
}


@pytest.fixture(scope="module")
def strict_server(world, tmp_path_factory):
    """One server for the strict-validation cases, with one prediction logged (so a label could be stored)."""
    churn, bundle, _ = world
    db = tmp_path_factory.mktemp("strict") / "log.db"
    with LocalServer(["serve", "--model", bundle, "--db", db]) as server:
        known = {**instances(churn.traffic.head(1))[0], "request_id": "known-1"}
        assert httpx.post(f"{server.url}/predict", json={"instances": [known]}).status_code == 200
        yield server, db, known


@pytest.mark.parametrize("case", STRICT_CASES)
def test_unknown_fields_coerced_types_and_huge_values_get_a_short_422_that_writes_nothing(strict_server, case):
    server, db, known = strict_server
    where, change, problem = STRICT_CASES[case]
    if where == "features":
        path, body = "/predict", {"instances": [{**known, "request_id": "new-1",
                                                 "features": {**known["features"], **change}}]}
    elif where == "instance":
        path, body = "/predict", {"instances": [{**known, "request_id": "new-1", **change}]}
    else:
        label = {"request_id": "known-1", "label": 1, **change}
        path, body = "/labels", {"labels": [label, label] if where == "label twice" else [label]}
    response = httpx.post(f"{server.url}{path}", json=body, timeout=60)
    assert response.status_code == 422
    assert response.json()["detail"][0].startswith(problem), response.json()["detail"]
    assert len(response.content) < 2_000  # the 5 MB value is not echoed
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT request_id FROM predictions").fetchall() == [("known-1",)]
        assert connection.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 0


def test_a_resent_request_id_gets_its_logged_prediction_or_a_409(world, tmp_path):
    churn, bundle, _ = world
    week = churn.traffic[churn.traffic["week"] == 2]
    first, other = instances(week.head(2))
    model = churn_model(churn.training.iloc[2000:])
    other_model = save_bundle(tmp_path / "other.joblib", model, churn.training[FEATURES], threshold=0.9,
                              version="churn-other")
    with LocalServer(["serve", "--model", bundle, "--db", tmp_path / "log.db"]) as server:
        logged = httpx.post(f"{server.url}/predict", json={"instances": [first]}).json()["predictions"][0]
    with LocalServer(["serve", "--model", other_model, "--db", tmp_path / "log.db"]) as server:
        fresh = httpx.post(f"{server.url}/predict", json={"instances": [other]}).json()["predictions"][0]
        replay = httpx.post(f"{server.url}/predict", json={"instances": [first, other]}).json()["predictions"]
        charges = first["features"]["monthly_charges"]
        changed = {**first, "features": {**first["features"], "monthly_charges": charges + 1.0}}
        new = {**other, "request_id": "new-1"}
        conflict = httpx.post(f"{server.url}/predict", json={"instances": [new, changed]})
    now = model.predict_proba(pd.DataFrame([first["features"]]))[0, 1]
    assert replay == [logged, fresh] and round(now, 6) != logged["score"]  # what was logged, not what it says now
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == [f"instances: request_id(s) ['{first['request_id']}'] were predicted before "
                                         "with other features; nothing was written. A retry sends the same features; "
                                         "a new request needs a new request_id."]
    with sqlite3.connect(tmp_path / "log.db") as connection:
        rows = connection.execute("SELECT request_id, monthly_charges, round(score, 6), model_version "
                                  "FROM predictions").fetchall()
    assert sorted(rows) == sorted([
        (first["request_id"], first["features"]["monthly_charges"], logged["score"], "churn-test"),
        (other["request_id"], other["features"]["monthly_charges"], fresh["score"], "churn-other")])


def test_concurrent_clients_get_no_5xx_and_every_acknowledged_batch_is_logged_whole(world, tmp_path):
    churn, bundle, _ = world
    clients, requests_each = 8, 40
    pool = instances(churn.traffic.head(clients * requests_each * 5))

    def client(number: int) -> list[tuple[str, int, list[str]]]:
        """40 requests: new batches of 1 to 5, a replay every 10th, a batch that must be refused every 10th."""
        sent, acknowledged = [], []
        rows = iter(pool[number * requests_each * 5:(number + 1) * requests_each * 5])
        with httpx.Client(timeout=60) as session:
            for request in range(requests_each):
                if request % 10 == 4:  # a retry of a batch this client sent before: answered from the log
                    kind, batch = "replay", acknowledged[-1][1]
                elif request % 10 == 9:  # new rows and an id logged before with other features: none is logged
                    earlier = acknowledged[-1][1][0]
                    changed = {**earlier, "features": {**earlier["features"], "support_calls": 99.0}}
                    kind, batch = "refused", [{**next(rows), "request_id": f"c{number}-{request}-{position}"}
                                              for position in range(3)] + [changed]
                else:
                    kind, batch = "new", [{**next(rows), "request_id": f"c{number}-{request}-{position}"}
                                          for position in range(request % 5 + 1)]
                response = session.post(f"{server.url}/predict", json={"instances": batch})
                if kind == "new" and response.status_code == 200:
                    acknowledged.append((response.json()["predictions"], batch))
                if kind == "replay" and response.status_code == 200:
                    assert response.json()["predictions"] == acknowledged[-1][0]
                sent.append((kind, response.status_code, [item["request_id"] for item in batch]))
        return sent

    with LocalServer(["serve", "--model", bundle, "--db", tmp_path / "log.db"]) as server:
        with ThreadPoolExecutor(clients) as executor:
            sent = [item for result in executor.map(client, range(clients)) for item in result]
    with sqlite3.connect(tmp_path / "log.db") as connection:
        logged = [row[0] for row in connection.execute("SELECT request_id FROM predictions")]
    assert {(kind, status) for kind, status, _ in sent} == {("new", 200), ("replay", 200), ("refused", 409)}
    new_ids = [request_id for kind, _, ids in sent if kind == "new" for request_id in ids]
    refused_new_ids = [request_id for kind, _, ids in sent if kind == "refused" for request_id in ids[:-1]]
    assert sorted(logged) == sorted(new_ids) and not set(refused_new_ids) & set(logged)


def test_event_times_are_logged_in_utc_with_a_t_and_the_monitor_windows_them_so(world, tmp_path):
    churn, bundle, reference = world
    times = {"offset-east": "2026-03-10T03:00:00+05:00", "offset-west": "2026-03-09T23:30:00-01:00",
             "space": "2026-03-09 12:00:00", "zulu": "2026-03-03T00:00:00Z", "naive": "2026-03-02T23:59:59"}
    rows = instances(churn.traffic.head(len(times)))
    body = {"instances": [{**row, "request_id": name, "timestamp": stamp} for row, (name, stamp) in
                          zip(rows, times.items())]}
    with LocalServer(["serve", "--model", bundle, "--db", tmp_path / "log.db"]) as server:
        assert httpx.post(f"{server.url}/predict", json=body).status_code == 200
    with sqlite3.connect(tmp_path / "log.db") as connection:
        logged = dict(connection.execute("SELECT request_id, timestamp FROM predictions"))
    assert logged == {"offset-east": "2026-03-09T22:00:00", "offset-west": "2026-03-10T00:30:00",
                      "space": "2026-03-09T12:00:00", "zulu": "2026-03-03T00:00:00", "naive": "2026-03-02T23:59:59"}
    window = {"window_days": 7, "min_labels": 1, "evidently": False}
    in_utc = run_monitor(tmp_path / "log.db", reference, tmp_path / "a", end="2026-03-10", **window)
    with_offset = run_monitor(tmp_path / "log.db", reference, tmp_path / "b", end="2026-03-10T05:00:00+05:00", **window)
    assert in_utc.n_predictions == with_offset.n_predictions == 3  # east, space and zulu: [03-03, 03-10) in UTC
    assert with_offset.window_end == "2026-03-10T00:00:00"


def test_a_server_without_a_prediction_log_scores_and_keeps_nothing(world, tmp_path):
    churn, bundle, _ = world
    with LocalServer(["serve", "--model", bundle, "--no-prediction-log"]) as server:
        scored = httpx.post(f"{server.url}/predict", json={"instances": instances(churn.traffic.head(3))})
        labels = httpx.post(f"{server.url}/labels", json={"labels": [{"request_id": "w1-00000", "label": 1}]})
    assert scored.status_code == 200 and len(scored.json()["predictions"]) == 3
    assert labels.status_code == 404  # no log to join the labels to


def test_a_server_leaves_no_log_file_however_it_ends(world, tmp_path, monkeypatch):
    """A notebook starts servers with .start() and ends them with .stop(), its exit, or a killed kernel: each left
    an empty log file in the temporary folder. The log has no name there, so none is left whoever ends how; what
    the server printed is still said when it fails to start."""
    _, bundle, _ = world
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    for end in ("stop", "kill", "exit"):
        with LocalServer(["serve", "--model", bundle, "--no-prediction-log"]) as server:
            assert list(folder.iterdir()) == []
            if end != "exit":
                getattr(server, end)()
        assert list(folder.iterdir()) == [] and server.output() == ""
    broken = LocalServer(["serve", "--model", bundle])  # neither --db nor --no-prediction-log
    with pytest.raises(RuntimeError, match="(?s)exited with code 2 before it was ready:.*one of the arguments --db"):
        broken.start()
    assert list(folder.iterdir()) == []


def test_a_killed_server_loses_nothing_it_acknowledged(world, tmp_path):
    churn, bundle, _ = world
    acknowledged = []
    server = LocalServer(["serve", "--model", bundle, "--db", tmp_path / "log.db"]).start()
    try:
        for _, week in churn.traffic.groupby("week"):
            for start in range(0, len(week), 50):
                batch = week.iloc[start:start + 50]
                if httpx.post(f"{server.url}/predict", json={"instances": instances(batch)}).status_code == 200:
                    acknowledged += list(batch["request_id"])
            if len(acknowledged) > 600:
                break
    finally:
        server.kill()  # SIGKILL: no shutdown handler runs
    with sqlite3.connect(tmp_path / "log.db") as connection:
        logged = {row[0] for row in connection.execute("SELECT request_id FROM predictions")}
    assert set(acknowledged) <= logged and len(acknowledged) > 600


def test_bad_start_up_is_an_error_with_the_servers_output(tmp_path):
    with pytest.raises(RuntimeError, match="no such file"):
        LocalServer(["serve", "--model", tmp_path / "missing.joblib", "--db", tmp_path / "log.db"]).start()


def test_webhook_5xx_is_retried_then_delivered_once(tmp_path):
    with LocalServer(["receiver", "--store", tmp_path / "got.jsonl", "--fail-first", "2"]) as receiver:
        key = alert_key("m", "w1")
        assert send_alert(f"{receiver.url}/alerts", {"text": "hi"}, key, spool_dir=tmp_path / "spool",
                          **FAST_RETRY) == "delivered"
        assert send_alert(f"{receiver.url}/alerts", {"text": "hi"}, key, spool_dir=tmp_path / "spool",
                          **FAST_RETRY) == "already delivered"
        state = httpx.get(f"{receiver.url}/alerts").json()
    assert state["calls"] == 3 and [alert["key"] for alert in state["alerts"]] == [key]


def test_webhook_down_spools_and_the_next_run_delivers_exactly_once(tmp_path):
    spool = tmp_path / "spool"
    down = f"http://127.0.0.1:{LocalServer(['receiver']).port}/alerts"  # a free port: nothing listens
    key = alert_key("m", "w2")
    assert send_alert(down, {"text": "drop"}, key, spool_dir=spool, **FAST_RETRY) == "spooled"
    assert len(list(spool.glob("*.json"))) == 1
    with LocalServer(["receiver", "--store", tmp_path / "got.jsonl"]) as receiver:
        url = f"{receiver.url}/alerts"
        assert flush_spool(spool, url=url, **FAST_RETRY) == {key: "delivered"}
        assert flush_spool(spool, url=url, **FAST_RETRY) == {}
        assert send_alert(url, {"text": "drop"}, key, spool_dir=spool, **FAST_RETRY) == "already delivered"
        alerts = httpx.get(url).json()["alerts"]
    assert [alert["key"] for alert in alerts] == [key] and not list(spool.glob("*.json"))


def test_keys_with_any_character_are_delivered_once(tmp_path):
    with LocalServer(["receiver", "--store", tmp_path / "got.jsonl"]) as receiver:
        url, key = f"{receiver.url}/alerts", "fraud-wire/f1 SLO breached"
        outcomes = [send_alert(url, {"text": "x"}, key, spool_dir=tmp_path / "spool", **FAST_RETRY) for _ in range(2)]
    assert outcomes == ["delivered", "already delivered"]
    with pytest.raises(ValueError, match="one non-empty line"):
        send_alert(url, {"text": "x"}, "two\nlines", spool_dir=tmp_path / "spool")


def test_a_slow_webhook_times_out_and_is_spooled(tmp_path):
    with LocalServer(["receiver", "--store", tmp_path / "got.jsonl", "--delay", "1.5"]) as receiver:
        outcome = send_alert(f"{receiver.url}/alerts", {"text": "slow"}, alert_key("slow"), spool_dir=tmp_path,
                             attempts=2, base_delay=0.01, timeout=0.3, seed=0)
    assert outcome == "spooled"


def test_a_duplicate_alert_is_recorded_once_by_the_receiver(tmp_path):
    with LocalServer(["receiver", "--store", tmp_path / "got.jsonl"]) as receiver:
        for _ in range(2):
            httpx.post(f"{receiver.url}/alerts", json={"text": "x"}, headers={"Idempotency-Key": "k1"})
        assert len(httpx.get(f"{receiver.url}/alerts").json()["alerts"]) == 1


def log_with_traffic(world, db, weeks=range(1, 9)) -> None:
    churn, bundle, _ = world
    with LocalServer(["serve", "--model", bundle, "--db", db]) as server:
        for week in weeks:
            send_week(server.url, churn.traffic[churn.traffic["week"] == week])


def test_the_monitor_judges_a_window_and_alerts_after_the_promotion(world, tmp_path):
    _, _, reference = world
    log_with_traffic(world, tmp_path / "log.db")
    before = run_monitor(tmp_path / "log.db", reference, tmp_path / "out", end="2026-03-16", f1_threshold=0.42,
                         min_labels=100, evidently=False)
    with LocalServer(["receiver", "--store", tmp_path / "got.jsonl"]) as receiver:
        after = run_monitor(tmp_path / "log.db", reference, tmp_path / "out", end="2026-04-20", f1_threshold=0.42,
                            min_labels=100, webhook=f"{receiver.url}/alerts", spool_dir=tmp_path / "spool",
                            retry=FAST_RETRY)
        alerts = httpx.get(f"{receiver.url}/alerts").json()["alerts"]
    assert before.status == "ok" and after.status == "alert" and after.alert == "delivered"
    assert "F1" in alerts[0]["payload"]["text"] and after.report.exists()
    assert set(after.drift.index[after.drift["psi"] >= 0.1]) >= {"monthly_charges"}
    assert set(after.seconds) == {"deliver spooled alerts", "read and validate", "metrics", "drift table",
                                  "Evidently report", "alert"}


def test_too_few_labels_is_unknown_not_ok(world, tmp_path):
    _, _, reference = world
    log_with_traffic(world, tmp_path / "log.db", weeks=[1])
    result = run_monitor(tmp_path / "log.db", reference, tmp_path / "out", end="2026-03-09", min_labels=5000,
                         evidently=False)
    assert result.status == "unknown" and np.isnan(result.f1) and "fewer than 5000" in result.reason


def test_malformed_log_rows_are_counted_skipped_and_named(world, tmp_path):
    _, _, reference = world
    db = tmp_path / "log.db"
    log_with_traffic(world, db, weeks=[1])
    with sqlite3.connect(db) as connection:
        ids = [row[0] for row in connection.execute("SELECT request_id FROM predictions LIMIT 3")]
        connection.execute("UPDATE predictions SET monthly_charges = 'n/a' WHERE request_id = ?", (ids[0],))
        connection.execute("UPDATE predictions SET contract = NULL WHERE request_id = ?", (ids[1],))
        connection.execute("UPDATE labels SET label = 7 WHERE request_id = ?", (ids[2],))
    result = run_monitor(db, reference, tmp_path / "out", end="2026-03-09", min_labels=10, evidently=False)
    assert result.malformed == {"label not 0/1": 1, "missing contract": 1, "monthly_charges not a number": 1}
    assert result.n_predictions == 297
    assert "malformed rows skipped: 3" in (tmp_path / "out" / "monitor-2026-03-09.json").read_text()


def test_the_monitor_command_exit_codes(world, tmp_path, capsys):
    _, _, reference = world
    log_with_traffic(world, tmp_path / "log.db")

    def monitor(db: Path, *more: str) -> list[str]:
        return ["monitor", "--db", str(db), "--reference", str(reference), "--out", str(tmp_path / "out"),
                "--min-labels", "100", "--no-evidently", *more]

    alert = subprocess.run([sys.executable, "-m", "model_health",
                            *monitor(tmp_path / "log.db", "--end", "2026-04-20", "--f1-threshold", "0.42")],
                           capture_output=True, text=True, timeout=300)  # as cron runs it
    assert alert.returncode == EXIT_ALERT, alert.stderr
    assert "ALERT" in alert.stdout and "seconds per stage: deliver spooled alerts" in alert.stdout
    invalid = run_command(capsys, *monitor(tmp_path / "log.db", "--end", "someday"))
    assert invalid.returncode == EXIT_INVALID and "'someday'" in invalid.stderr
    missing = run_command(capsys, *monitor(tmp_path / "none.db", "--end", "2026-04-20"))
    assert missing.returncode == EXIT_INVALID and "no such prediction log" in missing.stderr


def test_the_monitor_reads_a_duckdb_log_the_same_way(world, tmp_path):
    import duckdb

    _, _, reference = world
    log_with_traffic(world, tmp_path / "log.db", weeks=[6, 7])
    with sqlite3.connect(tmp_path / "log.db") as connection:
        predictions = pd.read_sql_query("SELECT * FROM predictions", connection)
        labels = pd.read_sql_query("SELECT * FROM labels", connection)
    with duckdb.connect(str(tmp_path / "log.duckdb")) as connection:
        connection.register("predictions_frame", predictions)
        connection.register("labels_frame", labels)
        connection.execute("CREATE TABLE predictions AS SELECT * FROM predictions_frame")
        connection.execute("CREATE TABLE labels AS SELECT * FROM labels_frame")
        connection.execute("UPDATE predictions SET support_calls = NULL WHERE request_id = ?",
                           [predictions.loc[predictions["timestamp"] >= "2026-04-13", "request_id"].iloc[0]])
    kwargs = dict(end="2026-04-20", min_labels=100, f1_threshold=0.42, evidently=False)
    from_sqlite = run_monitor(tmp_path / "log.db", reference, tmp_path / "a", **kwargs)
    from_duckdb = run_monitor(tmp_path / "log.duckdb", reference, tmp_path / "b", **kwargs)
    assert from_duckdb.malformed == {"support_calls not a number": 1}
    assert from_duckdb.n_predictions == from_sqlite.n_predictions - 1 and from_duckdb.status == from_sqlite.status
    with pytest.raises(ValueError, match="not a prediction log"):
        (tmp_path / "empty.duckdb").write_bytes(b"not a database")
        run_monitor(tmp_path / "empty.duckdb", reference, tmp_path / "c", **kwargs)


def running(pid: str) -> bool:
    """Whether the process lives (an exited one that nobody has reaped yet does not)."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


KERNEL_WITH_A_SERVER = """
import signal, sys, time
from model_health.services.serving import LocalServer
signal.signal(signal.SIGINT, lambda *_: print("interrupted", flush=True))  # as a kernel: the cell stops, it lives
server = LocalServer(["receiver", "--store", sys.argv[1]]).start()
print(server.process.pid, server.url, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ending with the parent uses Linux's prctl")
def test_an_interrupt_leaves_the_server_running_and_a_killed_kernel_takes_it_down(tmp_path):
    """Jupyter's interrupt signals the kernel's whole process group: the server is not in it. A kernel killed at
    a restart runs no clean-up: its server ends anyway."""
    with subprocess.Popen([sys.executable, "-c", KERNEL_WITH_A_SERVER, str(tmp_path / "got.jsonl")],
                          stdout=subprocess.PIPE, text=True, start_new_session=True) as kernel:
        try:
            pid, url = kernel.stdout.readline().split()
            os.killpg(kernel.pid, signal.SIGINT)
            assert kernel.stdout.readline().strip() == "interrupted"
            assert httpx.get(f"{url}/health", timeout=30).status_code == 200
            kernel.kill()
            kernel.wait(30)
            deadline = time.monotonic() + 60
            while running(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not running(pid), "the server outlived the kernel that started it"
        finally:
            kernel.kill()
