"""Load on the model server: N concurrent clients send M requests in all to a real server on 127.0.0.1.

The same requests go to a server that logs every prediction to SQLite and to one started with
``--no-prediction-log`` (scoring only), in the same run, alternating, ``--rounds`` times each.
Printed per run: throughput, p50/p99 latency, 5xx answers, other refusals, and predictions that
were acknowledged (200) but are not in the log afterwards. Then the cost of logging: the median
throughput with the log against the median without it.

    python benchmarks/serve_load.py [--clients 16] [--requests 2000] [--batch 1] [--rounds 2]

Targets (issue "Real parts that hold"): logging costs at most 25% of the throughput at 16
clients, with no acknowledged prediction lost and no 5xx. Bounded: each run stops sending after
``--max-seconds`` and each request times out after 60 s.
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from model_health.services.serving import LocalServer, save_bundle
from model_health.simulators import CHURN_FEATURES, churn_model, simulate_churn

FEATURES = list(CHURN_FEATURES)


def request_bodies(requests: int, batch: int, prefix: str) -> list[dict]:
    """``requests`` bodies of ``batch`` instances each, every request id new (``prefix`` keeps runs apart)."""
    world = simulate_churn(seed=0, n_training=100, n_weeks=1, per_week=requests * batch)
    rows = world.traffic.astype({name: float for name in ("tenure_months", "monthly_charges", "support_calls")})
    instances = [{"request_id": f"{prefix}-{position}", "timestamp": row.timestamp.isoformat(),
                  "features": {name: getattr(row, name) for name in FEATURES}}
                 for position, row in enumerate(rows.itertuples())]
    return [{"instances": instances[start:start + batch]} for start in range(0, len(instances), batch)]


def run(server_arguments: list, bodies: list[dict], clients: int, max_seconds: float) -> dict:
    """Send ``bodies`` from ``clients`` threads (one keep-alive connection each) to a new server; what happened."""
    latencies, statuses, acknowledged = [], [], []
    next_body, record = iter(bodies), threading.Lock()

    def client(deadline: float) -> None:
        with httpx.Client(timeout=60.0) as session:
            while time.monotonic() < deadline:
                with record:
                    body = next(next_body, None)
                if body is None:
                    return
                started = time.perf_counter()
                try:
                    status = session.post(f"{server.url}/predict", json=body).status_code
                except httpx.TransportError:
                    status = 0  # no answer at all
                elapsed = time.perf_counter() - started
                with record:
                    latencies.append(elapsed)
                    statuses.append(status)
                    if status == 200:
                        acknowledged.extend(instance["request_id"] for instance in body["instances"])

    with LocalServer(["serve", *server_arguments]) as server:
        warm_up = {"instances": [{**bodies[0]["instances"][0], "request_id": "warm-up"}]}
        httpx.post(f"{server.url}/predict", json=warm_up, timeout=60.0)  # the first call imports and warms up
        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            for future in [pool.submit(client, started + max_seconds) for _ in range(clients)]:
                future.result()
        seconds = time.monotonic() - started
    milliseconds = np.array(latencies) * 1000
    return {"requests": len(statuses), "seconds": seconds, "throughput": len(statuses) / seconds,
            "p50": float(np.percentile(milliseconds, 50)), "p99": float(np.percentile(milliseconds, 99)),
            "5xx": sum(500 <= status < 600 for status in statuses),
            "refused": sum(status != 200 and not 500 <= status < 600 for status in statuses),
            "acknowledged": acknowledged}


def missing_from_log(db: Path, acknowledged: list[str]) -> int:
    with sqlite3.connect(db) as connection:
        logged = {row[0] for row in connection.execute("SELECT request_id FROM predictions")}
    return len(set(acknowledged) - logged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000, help="requests per run, all clients together")
    parser.add_argument("--batch", type=int, default=1, help="instances per request")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each server, alternating")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="a run stops sending after this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        world = simulate_churn(seed=1, n_training=3000, n_weeks=1, per_week=10)
        bundle = save_bundle(folder / "churn.joblib", churn_model(world.training), world.training[FEATURES],
                             threshold=0.35, version="churn-bench")
        print(f"{args.clients} clients, {args.requests:,} requests of {args.batch} instance(s) per run, "
              f"{args.rounds} round(s); SQLite {sqlite3.sqlite_version}")
        print(f"{'server':<12}{'round':>6}{'requests':>10}{'seconds':>9}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
              f"{'5xx':>5}{'refused':>8}{'acknowledged, not logged':>26}")
        throughput = {"log": [], "no log": []}
        for round_, (name, arguments) in itertools.product(range(1, args.rounds + 1), (
                ("log", ["--db"]), ("no log", ["--no-prediction-log"]))):
            db = folder / f"log-{round_}.db"
            result = run(["--model", bundle, *arguments, *([db] if name == "log" else [])],
                         request_bodies(args.requests, args.batch, prefix=f"round{round_}"), args.clients,
                         args.max_seconds)
            missing = missing_from_log(db, result["acknowledged"]) if name == "log" else "-"
            throughput[name].append(result["throughput"])
            print(f"{name:<12}{round_:>6}{result['requests']:>10,}{result['seconds']:>9.1f}{result['throughput']:>8.0f}"
                  f"{result['p50']:>8.1f}{result['p99']:>8.1f}{result['5xx']:>5}{result['refused']:>8}{missing:>26}")
        with_log, without = statistics.median(throughput["log"]), statistics.median(throughput["no log"])
        print(f"logging costs {1 - with_log / without:.0%} of the throughput (median {with_log:.0f} req/s with the "
              f"log, {without:.0f} without; target <= 25%)")


if __name__ == "__main__":
    main()
