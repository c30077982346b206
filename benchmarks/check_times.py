"""Benchmark the checks: how long each exercise's check takes on its solved notebook, first and second time.

    python benchmarks/check_times.py [--only 04,12] [--limit 3]

Runs each solution notebook in this process (as tests/conftest.py does), then grades every exercise twice, its
caches emptied first: the first grade pays for the reference computations, as a learner's first check does, and
the second shows what the cache (grading._cache) saves when a learner re-runs a check. Prints every check, marking those over the limit (issue "Checks a learner can trust":
a check answers in at most 3 s on a quiet 2-core machine). Tests never assert on time; this is where it is
measured.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ["MODEL_HEALTH_PROGRESS"] = tempfile.mkdtemp(prefix="model-health-bench-progress-")
from conftest import run_code_cells  # noqa: E402  (runs a notebook's code cells as a kernel would)

from model_health.teaching.grading._cache import clear_caches  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated notebook numbers (default: all)")
    parser.add_argument("--limit", type=float, default=3.0, help="seconds a check may take")
    args = parser.parse_args()
    wanted = {number.zfill(2) for number in args.only.split(",")} if args.only else None
    over = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        if wanted and path.stem[:2] not in wanted:
            continue
        namespace = run_code_cells(path)
        exercises = importlib.import_module(f"model_health.teaching.exercises.nb{path.stem}").EXERCISES
        for exercise in exercises:
            clear_caches()  # the learner's first check pays for the references; the notebook's run warmed them
            seconds = []
            for _ in range(2):
                started = time.perf_counter()
                exercise.grade(namespace)
                seconds.append(time.perf_counter() - started)
            flag = "  OVER" if seconds[0] > args.limit else ""
            print(f"{path.stem[:2]} {exercise.name:>4}: {seconds[0]:6.2f} s first, {seconds[1]:6.2f} s again{flag}",
                  flush=True)
            if seconds[0] > args.limit:
                over.append(f"{path.stem[:2]} {exercise.name} ({seconds[0]:.1f} s)")
    print(f"checks over {args.limit:g} s on first grade: {', '.join(over) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
