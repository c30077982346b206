"""The alert sender, its spool and the local receiver: what each HTTP status does to an alert, a spool
that survives a torn file and two runs at once, idempotency keys of any text, and a receiver that
stays usable after a torn line or a bad body. The sender's webhook is faked (no network) except
where two runs share one receiver, on a free 127.0.0.1 port."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from urllib.parse import unquote

import httpx
import pytest

from model_health.services.serving import LocalServer
from model_health.services.webhooks import create_receiver_app, flush_spool, send_alert, spool_problems

FAST_RETRY = {"base_delay": 0.01, "max_delay": 0.05, "timeout": 5.0, "seed": 0}
URL = "http://receiver.invalid/alerts"


@pytest.fixture
def webhook(monkeypatch):
    """A fake webhook: set ``answers`` (status codes, or (status, body)), read ``sent`` (headers of each POST)."""

    class Webhook:
        answers: list = []
        sent: list[dict] = []

    def post(url, json, headers, timeout):
        Webhook.sent.append(headers)
        answer = Webhook.answers.pop(0)
        status, body = answer if isinstance(answer, tuple) else (answer, "")
        return httpx.Response(status, text=body)

    monkeypatch.setattr(httpx, "post", post)
    return Webhook


def ledger(spool) -> list[str]:
    return (spool / "delivered.txt").read_text().split() if (spool / "delivered.txt").exists() else []


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_webhook_keeps_the_alert_as_a_dead_letter(tmp_path, webhook, status):
    """404/410: sent once, not spooled, kept in dead-letter/ with the status, and named at every later flush."""
    webhook.answers = [status]
    spool = tmp_path / "spool"
    outcome = send_alert(URL, {"text": "x"}, "k1", spool_dir=spool, **FAST_RETRY)
    assert outcome.startswith(f"dead-lettered: HTTP {status} (the webhook is gone")
    assert len(webhook.sent) == 1 and not list(spool.glob("*.json")) and ledger(spool) == []
    [dead] = (spool / "dead-letter").glob("*.json")
    assert json.loads(dead.read_text()) | {"error": ""} == {"url": URL, "key": "k1", "payload": {"text": "x"},
                                                            "status": status, "answer": "", "error": ""}
    for _ in range(2):  # every run says so, and does not send it again
        assert flush_spool(spool, **FAST_RETRY) == {}
        [problem] = spool_problems(spool)
        assert "'k1'" in problem and f"HTTP {status}" in problem and str(dead) in problem
    assert len(webhook.sent) == 1


def test_a_refused_alert_is_kept_with_the_status_and_the_answer(tmp_path, webhook):
    """Another 4xx (here 400): not retried; the dead letter keeps the status and the start of the answer."""
    webhook.answers = [(400, "invalid_payload" + "x" * 1000)]
    spool = tmp_path / "spool"
    outcome = send_alert(URL, {"text": "x"}, "k1", spool_dir=spool, **FAST_RETRY)
    assert outcome.startswith("dead-lettered: HTTP 400 (the receiver refused the alert): 'invalid_payload")
    [dead] = (spool / "dead-letter").glob("*.json")
    kept = json.loads(dead.read_text())
    assert kept["status"] == 400 and kept["answer"] == ("invalid_payload" + "x" * 1000)[:200]
    assert len(webhook.sent) == 1 and not list(spool.glob("*.json"))


@pytest.mark.parametrize("status", [429, 500, 503, 507])
def test_a_busy_or_failing_webhook_is_retried_then_spooled(tmp_path, webhook, status):
    """429 and every 5xx are retried, then spooled for the next run (a 507 used to be dropped)."""
    webhook.answers = [status] * 3
    spool = tmp_path / "spool"
    assert send_alert(URL, {"text": "x"}, "k1", spool_dir=spool, attempts=3, **FAST_RETRY) == "spooled"
    assert len(webhook.sent) == 3 and len(list(spool.glob("*.json"))) == 1
    webhook.answers = [200]
    assert flush_spool(spool, **FAST_RETRY) == {"k1": "delivered"}
    assert ledger(spool) == ["k1"] and not list(spool.glob("*.json")) and spool_problems(spool) == []


def test_a_busy_webhook_that_recovers_within_the_retries_gets_the_alert_once(tmp_path, webhook):
    webhook.answers = [429, 503, 200]
    assert send_alert(URL, {"text": "x"}, "k1", spool_dir=tmp_path, **FAST_RETRY) == "delivered"
    assert len(webhook.sent) == 3 and ledger(tmp_path) == ["k1"] and not list(tmp_path.rglob("*.json"))


def test_a_dead_letter_moved_back_is_delivered_and_forgotten(tmp_path, webhook):
    """The documented way to resend: fix the webhook, move the file back into the spool folder."""
    webhook.answers = [404]
    spool = tmp_path / "spool"
    send_alert(URL, {"text": "x"}, "k1", spool_dir=spool, **FAST_RETRY)
    [dead] = (spool / "dead-letter").glob("*.json")
    dead.rename(spool / dead.name)
    webhook.answers = [200]
    assert flush_spool(spool, url="http://fixed.invalid/alerts", **FAST_RETRY) == {"k1": "delivered"}
    assert spool_problems(spool) == [] and ledger(spool) == ["k1"]


def test_a_torn_spool_file_is_quarantined_and_the_others_delivered(tmp_path, webhook):
    """A half-written entry (or one whose key no header can carry) is moved aside and named; the rest go."""
    spool = tmp_path / "spool"
    webhook.answers = [503]
    send_alert(URL, {"text": "x"}, "good", spool_dir=spool, attempts=1, **FAST_RETRY)
    torn, bad_key = spool / "0-torn.json", spool / "1-bad-key.json"
    torn.write_text('{"url": "http://receiver.invalid/alerts", "key": "k2", "payload": {"te')
    bad_key.write_text(json.dumps({"url": URL, "key": "line\r", "payload": {}}))
    webhook.answers = [200]
    outcomes = flush_spool(spool, **FAST_RETRY)
    assert outcomes["good"] == "delivered" and len(webhook.sent) == 2
    assert outcomes[str(torn)].startswith("quarantined (not a JSON spool entry: Unterminated string")
    assert "U+000D" in outcomes[str(bad_key)]
    moved = sorted(path.name for path in (spool / "damaged").iterdir())
    assert [name.split(".")[0] for name in moved] == ["0-torn", "1-bad-key"] and not list(spool.glob("*.json"))
    assert all("damaged spool file" in problem for problem in spool_problems(spool))
    assert flush_spool(spool, **FAST_RETRY) == {}


def test_a_spooled_alert_whose_key_was_delivered_is_not_sent_and_leaves_the_spool(tmp_path, webhook):
    """A run stopped after the ledger line but before removing the spool file: the next flush tidies up."""
    webhook.answers = [503]
    send_alert(URL, {"text": "x"}, "k1", spool_dir=tmp_path, attempts=1, **FAST_RETRY)
    (tmp_path / "delivered.txt").write_text("k1\n")
    assert flush_spool(tmp_path, **FAST_RETRY) == {"k1": "already delivered"}
    assert flush_spool(tmp_path, **FAST_RETRY) == {} and len(webhook.sent) == 1


def test_a_torn_ledger_line_does_not_swallow_the_next_key(tmp_path, webhook):
    """The ledger ends in half a key (a crash mid-append): the next key still gets a line of its own."""
    (tmp_path / "delivered.txt").write_bytes(b"0123\xe2\x82")
    webhook.answers = [200]
    outcomes = [send_alert(URL, {"text": "x"}, "k1", spool_dir=tmp_path, **FAST_RETRY) for _ in range(2)]
    assert outcomes == ["delivered", "already delivered"] and len(webhook.sent) == 1


def test_a_spool_write_cut_short_leaves_the_earlier_entry_whole(tmp_path, webhook, monkeypatch):
    """A crash while an entry is rewritten (here: the rename fails) raises, and the earlier entry still reads."""
    import os

    spool = tmp_path / "spool"
    webhook.answers = [503]
    send_alert(URL, {"text": "first"}, "k1", spool_dir=spool, attempts=1, **FAST_RETRY)
    [entry] = spool.glob("*.json")
    before = entry.read_text()

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    webhook.answers = [500]
    with pytest.raises(OSError, match="No space left"):
        send_alert(URL, {"text": "second"}, "k1", spool_dir=spool, attempts=1, **FAST_RETRY)
    assert entry.read_text() == before and list(spool.glob("*.json")) == [entry] and not list(spool.glob("*.tmp"))


@pytest.mark.parametrize("key", ["modèle/F1 < 0,45 · 2026-W16", "дрейф", "🚨 fraud-wire"])
def test_a_non_ascii_key_is_sent_percent_encoded_and_delivered_once(tmp_path, webhook, key):
    webhook.answers = [200]
    outcomes = [send_alert(URL, {"text": "x"}, key, spool_dir=tmp_path, **FAST_RETRY) for _ in range(2)]
    assert outcomes == ["delivered", "already delivered"] and len(webhook.sent) == 1
    header = webhook.sent[0]["Idempotency-Key"]
    assert header.isascii() and unquote(header) == key and ledger(tmp_path) == key.split()


@pytest.mark.parametrize(("key", "named"), [("line\r", "U+000D"), ("two\nlines", "U+000A"), ("nul\x00", "U+0000"),
                                            ("tab\tkey", "U+0009"), ("next\x85line", "U+0085"),
                                            ("para\u2029graph", "U+2029"), ("half\ud800", "U+D800")])
def test_a_key_with_a_control_character_is_refused_before_anything_is_sent(tmp_path, webhook, key, named):
    with pytest.raises(ValueError, match=f"one non-empty line.*{re.escape(named)}"):
        send_alert(URL, {"text": "x"}, key, spool_dir=tmp_path, **FAST_RETRY)
    assert webhook.sent == [] and not list(tmp_path.rglob("*.json"))


@pytest.mark.parametrize("key", ["", None, 7])
def test_an_empty_or_non_text_key_is_refused(tmp_path, webhook, key):
    with pytest.raises(ValueError, match="one non-empty line of text"):
        send_alert(URL, {"text": "x"}, key, spool_dir=tmp_path, **FAST_RETRY)


@pytest.mark.parametrize("url", ["hooks.slack.com/services/x", "ftp://example.org/alerts", "http://", 42])
def test_a_webhook_that_is_not_an_http_url_is_refused(tmp_path, webhook, url):
    with pytest.raises(ValueError, match="http"):
        send_alert(url, {"text": "x"}, "k1", spool_dir=tmp_path, **FAST_RETRY)
    assert webhook.sent == []


def test_two_flushes_at_once_send_each_spooled_alert_once(tmp_path):
    """Two runs flushing one spool at the same moment: one waits for the other, so 5 alerts are 5 POSTs."""
    spool = tmp_path / "spool"
    down = f"http://127.0.0.1:{LocalServer(['receiver']).port}/alerts"  # a free port: nothing listens
    keys = [f"alert-{number}" for number in range(5)]
    for key in keys:
        assert send_alert(down, {"text": key}, key, spool_dir=spool, attempts=1, **FAST_RETRY) == "spooled"
    # The receiver is slow (0.3 s an alert), so without the lock both flushes read all 5 entries.
    with LocalServer(["receiver", "--store", tmp_path / "got.jsonl", "--delay", "0.3"]) as receiver:
        start, outcomes = threading.Barrier(2), []

        def flush():
            start.wait(timeout=60)
            outcomes.append(flush_spool(spool, url=f"{receiver.url}/alerts", **FAST_RETRY | {"timeout": 30.0}))

        runs = [threading.Thread(target=flush) for _ in range(2)]
        for run in runs:
            run.start()
        for run in runs:
            run.join(timeout=120)
        state = httpx.get(f"{receiver.url}/alerts", timeout=30).json()
    assert sorted(outcomes, key=len) == [{}, dict.fromkeys(keys, "delivered")]
    assert state["calls"] == 5 and sorted(alert["key"] for alert in state["alerts"]) == keys


def receive(app, *requests: tuple[str, str, dict]) -> list[tuple[str, httpx.Response]]:
    """Send ``requests`` (method, path, httpx options) to ``app`` at once, in one event loop; the responses in
    the order they completed, each with its path."""

    async def send_all():
        done = []
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            async def send(method, path, options):
                response = await client.request(method, path, **options)
                done.append((path, response))

            await asyncio.gather(*(send(*request) for request in requests))
        return done

    return asyncio.run(send_all())


def test_the_receiver_skips_a_torn_line_and_keeps_recording(tmp_path):
    """A crash mid-write left half a line: it is counted, not fatal, and the next alert gets a line of its own."""
    store = tmp_path / "got.jsonl"
    store.write_text(json.dumps({"key": "k1", "payload": {"text": "a"}}) + '\n{"key": "k2", "payl')
    app = create_receiver_app(store)
    [(_, first)] = receive(app, ("POST", "/alerts", {"json": {"text": "b"}, "headers": {"Idempotency-Key": "k3"}}))
    [(_, again)] = receive(app, ("POST", "/alerts", {"json": {"text": "b"}, "headers": {"Idempotency-Key": "k3"}}))
    [(_, listing)] = receive(app, ("GET", "/alerts", {}))
    assert first.status_code == 200 and again.json() == {"ok": True, "duplicate": True}
    assert [alert["key"] for alert in listing.json()["alerts"]] == ["k1", "k3"]
    assert listing.json()["damaged_lines"] == 1


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "the body is empty"),
    (b"   ", "the body is empty"),
    (b"text=hello", "the body is not JSON"),
    (b"\xff\xfe{", "the body is not JSON"),
    (b"[1, 2]", "should be a JSON object"),
])
def test_the_receiver_answers_400_with_a_reason_to_a_body_that_is_not_an_alert(tmp_path, body, reason):
    app = create_receiver_app(tmp_path / "got.jsonl")
    [(_, response)] = receive(app, ("POST", "/alerts", {"content": body, "headers": {"Idempotency-Key": "k1"}}))
    assert response.status_code == 400 and reason in response.json()["error"]
    assert not (tmp_path / "got.jsonl").exists()


def test_a_slow_receiver_still_answers_health_and_records_a_repeated_key_once(tmp_path):
    """While two POSTs of one key wait out the delay, /health answers; the alert is recorded once."""
    app = create_receiver_app(tmp_path / "got.jsonl", delay=5.0)
    post = ("POST", "/alerts", {"json": {"text": "x"}, "headers": {"Idempotency-Key": "k1"}})
    done = receive(app, post, post, ("GET", "/health", {}))
    assert [path for path, _ in done] == ["/health", "/alerts", "/alerts"]
    assert sorted(response.json()["duplicate"] for _, response in done[1:]) == [False, True]
    assert len((tmp_path / "got.jsonl").read_text().splitlines()) == 1
