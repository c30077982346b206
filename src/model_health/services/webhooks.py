"""Alerts to a Slack-compatible webhook that survive a receiver being down: retries, a spool, a dead-letter folder.

:func:`send_alert` POSTs a JSON payload with an ``Idempotency-Key`` header (the key, percent-encoded
as UTF-8 by :func:`urllib.parse.quote`, so a key may hold any printable text). The answer decides
what happens to the alert:

- 2xx: delivered. Its key goes into a ledger in the spool folder (``delivered.txt``), and an alert
  whose key is there is never sent again, even if the job produces it again.
- a connection error, a timeout, 408, 425, 429 or any 5xx (the webhook is down or busy): retried
  with exponential backoff and full jitter; when the retries run out the alert is written to the
  spool folder, and :func:`flush_spool` delivers it on the next run.
- any other status: 404 or 410 (the webhook is gone) or another refusal (400, 403...). Sending it
  again would not help, so it is not retried: it is kept in ``<spool>/dead-letter/`` with the
  status and the start of the answer, and :func:`spool_problems` names it (the monitor job does at
  every run). Fix the webhook, then move the file back into the spool folder to resend it.

Each spool file is written whole (a temporary file, then renamed), and a lock file lets one sender
or flush at a time use a spool. A spool file that cannot be read is moved to ``<spool>/damaged/``,
named, and the other alerts are delivered.

Delivery is at least once: a request that timed out may have reached the receiver, and it is sent
again. Once, for the receiver, needs a receiver that keeps the keys it has received and answers 2xx
to a repeated key without acting on it again. :func:`create_receiver_app` does; Slack's incoming
webhooks ignore the header, so a Slack channel shows an alert twice when Slack answered too slowly.

:func:`create_receiver_app` is a small local receiver (FastAPI) that records what arrives,
honours the idempotency key, and can be told to fail its first calls or answer slowly, so
the notebook and the tests exercise the real failure paths.

    python -m model_health receiver --store received.jsonl --port 9000 [--fail-first 3] [--delay 2]
"""


import argparse
import asyncio
import hashlib
import json
import os
import random
import tempfile
import time
import unicodedata
from pathlib import Path
from urllib.parse import quote, unquote

from filelock import FileLock

__all__ = ["alert_key", "create_receiver_app", "flush_spool", "send_alert", "spool_problems"]

RETRYABLE = {408, 425, 429}  # and every 5xx: the webhook is busy or down, it did not refuse the alert
GONE = {404, 410}
ANSWER_KEPT = 200  # characters of a refusal's answer kept with the dead letter
DEAD_LETTER, DAMAGED = "dead-letter", "damaged"
NOT_IN_A_KEY = {"Cc": "a control character", "Cs": "a lone surrogate", "Zl": "a line separator",
                "Zp": "a paragraph separator"}


def alert_key(*parts: object) -> str:
    """A stable idempotency key for an alert: the same parts (model, window, rule) give the same key."""
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]


def _check_key(key) -> None:
    if not isinstance(key, str) or not key:
        raise ValueError(f"An idempotency key is one non-empty line of text, got {key!r}.")
    for char in key:
        kind = NOT_IN_A_KEY.get(unicodedata.category(char))
        if kind:
            raise ValueError(f"An idempotency key is one non-empty line of printable text; {key!r} holds "
                             f"U+{ord(char):04X} ({kind}). Remove it, or make the key with alert_key(...), which "
                             "takes any parts.")


def _check_url(url) -> None:
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"The webhook URL should be an http(s) URL like 'https://hooks.slack.com/services/...', "
                         f"got {url!r}.")


def _ledger(spool_dir: Path) -> Path:
    return spool_dir / "delivered.txt"


def _delivered(spool_dir: Path) -> set[str]:
    ledger = _ledger(spool_dir)
    # Bytes a crash left torn decode to lone surrogates, which no valid key holds.
    return set(ledger.read_bytes().decode("utf-8", "surrogateescape").split("\n")) if ledger.exists() else set()


def _entry_name(key: str) -> str:
    """The file of an alert in the spool: named by a digest, since a key may hold any character ('/', spaces)."""
    return f"{alert_key(key)}.json"


def _append_line(path: Path, line: str) -> None:
    """Append ``line`` as a line of its own, even after a line a crash left torn (no newline at the end)."""
    with path.open("a+b") as file:
        end = file.seek(0, os.SEEK_END)
        if end:
            file.seek(end - 1)
        torn = bool(end) and file.read(1) != b"\n"
        file.write(b"\n" * torn + line.encode("utf-8") + b"\n")
        file.flush()
        os.fsync(file.fileno())


def _write_whole(path: Path, entry: dict) -> None:
    """Write ``entry`` as JSON so that a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    file = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False)
    try:
        with file:
            json.dump(entry, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(file.name, path)
    except BaseException:
        Path(file.name).unlink(missing_ok=True)
        raise


def _locked(spool_dir: Path):
    """The spool's lock: two runs flushing at once would each send every alert both had read."""
    return FileLock(spool_dir / ".lock")


def _post(url: str, payload: dict, key: str, *, attempts: int, base_delay: float, max_delay: float,
          timeout: float, rng: random.Random) -> tuple[str, dict]:
    """("delivered" | "refused" | "failed", what happened: ``error``, and for a refusal ``status`` and ``answer``)."""
    import httpx

    last = "no attempt made"
    for attempt in range(attempts):
        try:
            response = httpx.post(url, json=payload, headers={"Idempotency-Key": quote(key)}, timeout=timeout)
        except httpx.TransportError as error:  # refused, reset, timed out
            last = type(error).__name__
        else:
            last = f"HTTP {response.status_code}"
            if response.is_success:
                return "delivered", {"error": ""}
            if response.status_code not in RETRYABLE and not response.is_server_error:
                answer = response.text[:ANSWER_KEPT]
                why = ("the webhook is gone: fix its URL" if response.status_code in GONE
                       else "the receiver refused the alert")
                return "refused", {"error": f"{last} ({why})" + (f": {answer!r}" if answer else ""),
                                   "status": response.status_code, "answer": answer}
        if attempt < attempts - 1:
            time.sleep(rng.uniform(0, min(max_delay, base_delay * 2 ** attempt)))  # full jitter
    return "failed", {"error": f"{last} after {attempts} attempts"}


def _send(url: str, payload: dict, key: str, spool_dir: Path, *, attempts: int = 4, base_delay: float = 0.5,
          max_delay: float = 8.0, timeout: float = 5.0, seed: int | None = None) -> str:
    """:func:`send_alert`'s work, with the spool locked by the caller."""
    spooled, dead = spool_dir / _entry_name(key), spool_dir / DEAD_LETTER / _entry_name(key)
    if key in _delivered(spool_dir):
        spooled.unlink(missing_ok=True)  # left by a run stopped between the ledger and the spool
        return "already delivered"
    outcome, what = _post(url, payload, key, attempts=attempts, base_delay=base_delay, max_delay=max_delay,
                          timeout=timeout, rng=random.Random(seed))
    if outcome == "delivered":
        _append_line(_ledger(spool_dir), key)
        spooled.unlink(missing_ok=True)
        dead.unlink(missing_ok=True)
        return "delivered"
    entry = {"url": url, "key": key, "payload": payload, **what}
    if outcome == "refused":
        _write_whole(dead, entry)
        spooled.unlink(missing_ok=True)
        return f"dead-lettered: {what['error']}"
    _write_whole(spooled, entry)
    return "spooled"


def send_alert(url: str, payload: dict, key: str, *, spool_dir, attempts: int = 4, base_delay: float = 0.5,
               max_delay: float = 8.0, timeout: float = 5.0, seed: int | None = None) -> str:
    """Deliver ``payload``; return "delivered", "already delivered", "spooled" or "dead-lettered: …".

    Spooled alerts are delivered by :func:`flush_spool` on the next run; a dead-lettered one waits
    in ``<spool_dir>/dead-letter/`` for a person (see the module docstring). ``key`` is any
    non-empty text without control characters. ``seed`` fixes the jitter (for reproducible runs).
    """
    _check_url(url)
    _check_key(key)
    spool_dir = Path(spool_dir)
    spool_dir.mkdir(parents=True, exist_ok=True)
    with _locked(spool_dir):
        return _send(url, payload, key, spool_dir, attempts=attempts, base_delay=base_delay, max_delay=max_delay,
                     timeout=timeout, seed=seed)


def _read_entry(path: Path) -> dict:
    try:
        entry = json.loads(path.read_bytes())
    except ValueError as error:  # torn, or not UTF-8
        raise ValueError(f"not a JSON spool entry: {error}") from None
    if not isinstance(entry, dict) or not {"url", "key", "payload"} <= entry.keys():
        raise ValueError("not a spooled alert: it needs url, key and payload")
    _check_url(entry["url"])
    _check_key(entry["key"])
    return entry


def flush_spool(spool_dir, *, url: str | None = None, **retry) -> dict[str, str]:
    """Try to deliver every spooled alert (to ``url``, or the one it was meant for); key -> outcome.

    A spool file that cannot be read is moved to ``<spool_dir>/damaged/``; its outcome, under the
    file's path, says why and where it went.
    """
    if url is not None:
        _check_url(url)
    spool_dir = Path(spool_dir)
    outcomes = {}
    if not spool_dir.is_dir():
        return outcomes
    with _locked(spool_dir):
        for path in sorted(spool_dir.glob("*.json")):
            try:
                entry = _read_entry(path)
            except ValueError as problem:
                moved = spool_dir / DAMAGED / f"{path.stem}.{time.time_ns()}{path.suffix}"
                moved.parent.mkdir(exist_ok=True)
                os.replace(path, moved)
                outcomes[str(path)] = f"quarantined ({problem}): moved to {moved}"
                continue
            outcomes[entry["key"]] = _send(url or entry["url"], entry["payload"], entry["key"], spool_dir, **retry)
    return outcomes


def spool_problems(spool_dir) -> list[str]:
    """One line for each alert that waits for a person: every dead letter and every damaged spool file."""
    spool_dir = Path(spool_dir)
    problems = []
    for path in sorted((spool_dir / DEAD_LETTER).glob("*.json")):
        try:
            entry = json.loads(path.read_bytes())
            what = f"alert {entry['key']!r} was not delivered ({entry['error']})"
        except (ValueError, KeyError, TypeError):
            what = "an alert was not delivered"
        problems.append(f"{what}: kept in {path}; fix the webhook, then move the file back to {spool_dir} and the "
                        "next run sends it.")
    for path in sorted((spool_dir / DAMAGED).glob("*")):
        problems.append(f"damaged spool file {path}: its alert was not delivered; repair it and move it back to "
                        f"{spool_dir}, or delete it.")
    return problems


def create_receiver_app(store, *, fail_first: int = 0, delay: float = 0.0):
    """A local Slack-compatible receiver: ``POST /alerts`` records each new key once; ``GET /alerts`` lists them.

    The store is a JSON-lines file; a line a crash left torn is skipped (and counted in ``GET
    /alerts``'s ``damaged_lines``). A body that is not a JSON object gets a 400 saying why.
    """
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    store = Path(store)
    calls = {"count": 0}
    app = FastAPI(title="Model Health Workbook webhook receiver")

    def received() -> tuple[list[dict], int]:
        """The alerts recorded, and how many lines could not be read."""
        alerts, damaged = [], 0
        for line in store.read_bytes().splitlines() if store.exists() else []:
            try:
                alert = json.loads(line)
            except ValueError:
                alert = None
            if isinstance(alert, dict) and "key" in alert:
                alerts.append(alert)
            elif line.strip():
                damaged += 1
        return alerts, damaged

    def bad_request(reason: str) -> JSONResponse:
        return JSONResponse(status_code=400, content={"error": f"{reason}; send the alert as a JSON object, "
                                                               'like {"text": "F1 fell below 0.45"}.'})

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.post("/alerts")
    async def alerts(request: Request):
        calls["count"] += 1
        if calls["count"] <= fail_first:
            return JSONResponse(status_code=503, content={"error": "temporarily unavailable"})
        body = await request.body()
        if not body.strip():
            return bad_request("the body is empty")
        try:
            payload = json.loads(body)
        except ValueError as error:
            return bad_request(f"the body is not JSON ({error})")
        if not isinstance(payload, dict):
            return bad_request(f"the body should be a JSON object, got a JSON {type(payload).__name__}")
        if delay:
            await asyncio.sleep(delay)  # slow, yet /health and other requests are answered meanwhile
        key = unquote(request.headers.get("Idempotency-Key", ""))
        # Nothing is awaited from here on: two requests with one key cannot both find it new.
        if key and any(alert["key"] == key for alert in received()[0]):
            return {"ok": True, "duplicate": True}
        _append_line(store, json.dumps({"key": key, "payload": payload}))
        return {"ok": True, "duplicate": False}

    @app.get("/alerts")
    def listing():
        alerts, damaged = received()
        return {"calls": calls["count"], "alerts": alerts, "damaged_lines": damaged}

    return app


def receiver(argv=None) -> int:
    """``python -m model_health receiver``: run the local webhook receiver until stopped."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m model_health receiver", description="A local webhook receiver.")
    parser.add_argument("--store", required=True, help="JSON-lines file where received alerts are kept")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--fail-first", type=int, default=0, help="answer 503 to this many first calls")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before answering")
    args = parser.parse_args(argv)
    uvicorn.run(create_receiver_app(args.store, fail_first=args.fail_first, delay=args.delay), host="127.0.0.1",
                port=args.port, log_level="warning")
    return 0
