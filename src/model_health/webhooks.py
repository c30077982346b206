"""Alerts to a Slack-compatible webhook that survive a receiver being down: retries, a spool, exactly once.

:func:`send_alert` POSTs a JSON payload with an ``Idempotency-Key`` header. A connection error,
a timeout, a 429 or a 5xx is retried with exponential backoff and full jitter; when the
retries run out the alert is written to a spool folder, and :func:`flush_spool` delivers it
on the next run. A ledger of delivered keys in the same folder makes delivery happen once:
an alert whose key was delivered is never sent again, even if the job produces it again.

:func:`create_receiver_app` is a small local receiver (FastAPI) that records what arrives,
honours the idempotency key, and can be told to fail its first calls or answer slowly, so
the notebook and the tests exercise the real failure paths.

    python -m model_health receiver --store received.jsonl --port 9000 [--fail-first 3] [--delay 2]
"""


import argparse
import hashlib
import json
import random
import time
from pathlib import Path

__all__ = ["alert_key", "create_receiver_app", "flush_spool", "send_alert"]

RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


def alert_key(*parts: object) -> str:
    """A stable idempotency key for an alert: the same parts (model, window, rule) give the same key."""
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]


def _ledger(spool_dir: Path) -> Path:
    return spool_dir / "delivered.txt"


def _delivered(spool_dir: Path) -> set[str]:
    ledger = _ledger(spool_dir)
    return set(ledger.read_text(encoding="utf-8").splitlines()) if ledger.exists() else set()


def _spooled(spool_dir: Path, key: str) -> Path:
    """The spool file of an alert: named by a digest, since a key may hold any character ('/', spaces)."""
    return spool_dir / f"{alert_key(key)}.json"


def _post(url: str, payload: dict, key: str, *, attempts: int, base_delay: float, max_delay: float,
          timeout: float, rng: random.Random) -> tuple[str, str]:
    """("delivered" | "rejected" | "failed", what happened last)."""
    import httpx

    last = "no attempt made"
    for attempt in range(attempts):
        try:
            response = httpx.post(url, json=payload, headers={"Idempotency-Key": key}, timeout=timeout)
            last = f"HTTP {response.status_code}"
            if response.status_code < 300:
                return "delivered", last
            if response.status_code not in RETRYABLE:
                return "rejected", f"{last}: not retried (the receiver rejected the alert)"
        except httpx.TransportError as error:  # refused, reset, timed out
            last = f"{type(error).__name__}"
        if attempt < attempts - 1:
            time.sleep(rng.uniform(0, min(max_delay, base_delay * 2 ** attempt)))  # full jitter
    return "failed", f"{last} after {attempts} attempts"


def send_alert(url: str, payload: dict, key: str, *, spool_dir, attempts: int = 4, base_delay: float = 0.5,
               max_delay: float = 8.0, timeout: float = 5.0, seed: int | None = None) -> str:
    """Deliver ``payload``; return "delivered", "already delivered", "spooled" or "rejected: …".

    Spooled alerts are delivered by :func:`flush_spool` on the next run. ``seed`` fixes the
    jitter (for reproducible runs).
    """
    spool_dir = Path(spool_dir)
    spool_dir.mkdir(parents=True, exist_ok=True)
    if "\n" in key or not key:
        raise ValueError(f"An idempotency key is one non-empty line, got {key!r}.")
    if key in _delivered(spool_dir):
        return "already delivered"
    outcome, detail = _post(url, payload, key, attempts=attempts, base_delay=base_delay, max_delay=max_delay,
                            timeout=timeout, rng=random.Random(seed))
    if outcome == "delivered":
        with _ledger(spool_dir).open("a", encoding="utf-8") as ledger:
            ledger.write(key + "\n")
        _spooled(spool_dir, key).unlink(missing_ok=True)
        return "delivered"
    if outcome == "rejected":
        return f"rejected: {detail}"
    _spooled(spool_dir, key).write_text(json.dumps({"url": url, "key": key, "payload": payload, "error": detail}),
                                        encoding="utf-8")
    return "spooled"


def flush_spool(spool_dir, *, url: str | None = None, **retry) -> dict[str, str]:
    """Try to deliver every spooled alert (to ``url``, or the one it was meant for); key -> outcome."""
    spool_dir = Path(spool_dir)
    outcomes = {}
    for path in sorted(spool_dir.glob("*.json")) if spool_dir.exists() else []:
        spooled = json.loads(path.read_text(encoding="utf-8"))
        outcomes[spooled["key"]] = send_alert(url or spooled["url"], spooled["payload"], spooled["key"],
                                              spool_dir=spool_dir, **retry)
    return outcomes


def create_receiver_app(store, *, fail_first: int = 0, delay: float = 0.0):
    """A local Slack-compatible receiver: ``POST /alerts`` records each new key once; ``GET /alerts`` lists them."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    store = Path(store)
    calls = {"count": 0}
    app = FastAPI(title="Model Health Workbook webhook receiver")

    def received() -> list[dict]:
        if not store.exists():
            return []
        return [json.loads(line) for line in store.read_text(encoding="utf-8").splitlines() if line]

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.post("/alerts")
    async def alerts(request: Request):
        calls["count"] += 1
        if calls["count"] <= fail_first:
            return JSONResponse(status_code=503, content={"error": "temporarily unavailable"})
        if delay:
            time.sleep(delay)
        key = request.headers.get("Idempotency-Key", "")
        if key and any(item["key"] == key for item in received()):
            return {"ok": True, "duplicate": True}
        with store.open("a", encoding="utf-8") as file:
            file.write(json.dumps({"key": key, "payload": await request.json()}) + "\n")
        return {"ok": True, "duplicate": False}

    @app.get("/alerts")
    def listing():
        return {"calls": calls["count"], "alerts": received()}

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

