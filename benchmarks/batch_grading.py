"""Benchmark batch grading: a class of 30 submissions of notebook 01, graded two at a time.

The class is built from the test fixtures (tests/fixtures/submissions): correct, partly correct,
empty and reordered copies in turn, each renamed so every submission is graded (none resumed):

    python benchmarks/batch_grading.py [--submissions 30] [--jobs 2] [--unsandboxed]

--unsandboxed grades without bubblewrap, to measure what the sandbox costs.

The target (issues "Instructor mode", "Batch grading an instructor can stake marks on"): 30 submissions in at
most 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from model_health.batch_grading import Options, collect, grade_all

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "submissions"
KINDS = ("correct", "partly_correct", "empty", "cells_reordered")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--unsandboxed", action="store_true", help="kernels without bubblewrap (memory limit only)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "class").mkdir()
        for number in range(args.submissions):
            kind = KINDS[number % len(KINDS)]
            shutil.copy(FIXTURES / f"{kind}.ipynb", folder / "class" / f"learner-{number:02d}-{kind}.ipynb")
        started = time.perf_counter()
        rows = grade_all(collect([folder / "class"]), folder / "gradebook.csv", options=Options(unsandboxed=args.unsandboxed), jobs=args.jobs,
                         progress=False)
        seconds = time.perf_counter() - started
    graded = sum(row.state == "graded" for row in rows)
    print(f"{len(rows)} submissions of notebook 01 ({graded} fully graded) with {args.jobs} at a time: {seconds:.0f} s "
          f"({seconds / len(rows):.1f} s each; target: 30 in 180 s); sandbox: {rows[0].sandbox}")


if __name__ == "__main__":
    main()
