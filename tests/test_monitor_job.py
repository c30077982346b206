"""The monitor command's input checks (a one-line error and exit 2, never a traceback or the alert code),
a prediction log whose path holds URI characters, and what a run says about alerts it could not
deliver. The log is a small SQLite file built here; the webhook is faked (no network)."""

from __future__ import annotations

import json
import sqlite3

import httpx
import numpy as np
import pandas as pd
import pytest

from model_health.services.monitor_job import EXIT_ALERT, EXIT_FAILED, EXIT_INVALID, EXIT_OK, monitor, run_monitor

END = "2026-04-20"
HOOK = "http://hooks.invalid/alerts"


@pytest.fixture
def job(tmp_path):
    """A reference CSV and a week of logged predictions (half of them wrong: F1 0.5) in a SQLite log."""
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"tenure": rng.integers(1, 60, 400), "plan": rng.choice(["a", "b"], 400),
                              "label": np.tile([0, 1], 200), "prediction": np.tile([0, 1], 200)})
    reference.to_csv(tmp_path / "reference.csv", index=False)
    week = reference.iloc[:300].assign(request_id=[f"r{i}" for i in range(300)], score=0.5,
                                       timestamp=pd.date_range("2026-04-14", periods=300, freq="20min").strftime(
                                           "%Y-%m-%dT%H:%M:%S"),
                                       prediction=np.tile([0, 1, 1, 0], 75))
    with sqlite3.connect(tmp_path / "log.db") as connection:
        week.drop(columns="label").to_sql("predictions", connection, index=False)
        week[["request_id", "label"]].to_sql("labels", connection, index=False)
    return tmp_path


def command(folder, changes: dict | None = None) -> list[str]:
    """The monitor command's arguments for ``job``, with ``changes`` (flag -> value) made."""
    options = {"--db": folder / "log.db", "--reference": folder / "reference.csv", "--out": folder / "out",
               "--end": END, "--min-labels": 100, "--f1-threshold": 0.3} | (changes or {})
    return [*(str(part) for option in options.items() for part in option), "--no-evidently"]


def run(argv, capsys) -> tuple[int, str, str]:
    code = monitor(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_healthy_run_for_comparison(job, capsys):
    code, out, err = run(command(job), capsys)
    assert code == EXIT_OK and "300 predictions, 300 labelled, F1 0.500" in out and err == ""


@pytest.mark.parametrize(("changes", "named"), [
    (lambda folder: {"--reference": folder}, "`reference`"),
    (lambda folder: {"--db": folder}, "`db_path`"),
    (lambda folder: {"--out": folder / "log.db" / "out"}, "`out_dir`"),
    (lambda folder: {"--window-days": 0}, "`window_days`"),
    (lambda folder: {"--window-days": -7}, "`window_days`"),
    (lambda folder: {"--webhook": "http://127.0.0.1:9/alerts", "--spool": folder / "reference.csv"}, "`spool_dir`"),
    (lambda folder: {"--webhook": "hooks.slack.com/x", "--spool": folder / "spool"}, "webhook URL"),
])
def test_a_usage_error_is_one_line_naming_the_argument_and_exit_2(job, capsys, changes, named):
    """A folder as --reference or --db, --out under a file, a window of 0 or -7 days, --spool that is a file, a webhook
    that is not a URL: exit 2 (not 1, the alert code, or 3), one line that names the argument, no traceback."""
    code, out, err = run(command(job, changes(job)), capsys)
    assert code == EXIT_INVALID and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and named in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["log#1.db", "log?mode=rw.db", "log%20x.db", "week 16 #2 (copy).db"])
def test_a_log_path_with_uri_characters_opens_that_file(job, name):
    """SQLite is opened by URI: '#', '?' and '%' in the path are quoted, not read as a fragment, query or escape."""
    (job / "log.db").rename(job / name)
    result = run_monitor(job / name, job / "reference.csv", job / "out", end=END, min_labels=100, evidently=False)
    assert result.n_predictions == 300 and result.status == "ok"
    assert sorted(path.name for path in job.iterdir()) == sorted([name, "out", "reference.csv"])  # no file made


def test_a_failure_of_the_job_itself_is_not_the_alert_code(job, capsys, monkeypatch):
    import model_health.services.monitor_job as monitor_job

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(monitor_job, "drift_table", broken)
    code, _, err = run(command(job), capsys)
    assert code == EXIT_FAILED and "RuntimeError: a bug" in err


@pytest.fixture
def webhook(monkeypatch):
    """A fake webhook answering each status of ``answers`` in turn."""
    answers = []
    monkeypatch.setattr(httpx, "post", lambda url, json, headers, timeout: httpx.Response(answers.pop(0)))
    return answers


def test_a_dead_letter_is_named_at_every_run(job, capsys, webhook):
    """The webhook answered 404: the alert is kept, and this run and the next (a healthy one) both say where."""
    spool = job / "spool"
    webhook.extend([404])
    code, out, err = run(command(job, {"--f1-threshold": 0.6, "--webhook": HOOK, "--spool": spool}), capsys)
    [dead] = (spool / "dead-letter").glob("*.json")
    assert code == EXIT_ALERT and "alert: dead-lettered: HTTP 404" in out
    assert "warning: " in err and str(dead) in err
    code, out, err = run(command(job, {"--webhook": HOOK, "--spool": spool}), capsys)
    assert code == EXIT_OK and str(dead) in err and webhook == []


def test_a_torn_spool_file_is_set_aside_and_the_run_goes_on(job, capsys, webhook):
    """A half-written spool entry used to stop every run with exit 2 and 'Unterminated string', naming no file."""
    spool = job / "spool"
    spool.mkdir()
    (spool / "torn.json").write_text(f'{{"url": "{HOOK}", "key": "k", "pay')
    webhook.extend([200])
    code, out, err = run(command(job, {"--f1-threshold": 0.6, "--webhook": HOOK, "--spool": spool}), capsys)
    [moved] = (spool / "damaged").iterdir()
    assert code == EXIT_ALERT and "alert: delivered" in out
    assert f"damaged spool file {moved}" in err
    report = json.loads((job / "out" / "monitor-2026-04-20.json").read_text())
    assert report["status"] == "alert"
