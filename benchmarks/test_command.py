"""Benchmark the test command: each of its pytest runs timed, and the costliest tests of the suite.

    python benchmarks/test_command.py [--top 25] [--save-durations]

Runs exactly what `python3 workbook.py test` runs (with the current Python, as `--here` does), adding only
pytest's --durations, and prints the seconds of each step, the total, and the top costs. The target
(issue "The test command"): the whole command in at most 10 minutes on a quiet 2-core machine, set-up
excluded. Tests never assert on time; this script is where the figure is measured.

--save-durations writes every suite test's seconds to tests/durations.json, which tests/conftest.py uses to hand
the costliest groups of tests to the xdist workers first. Save it from a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from workbook import prepare_test_environment, test_commands  # noqa: E402  (the command's own, not copies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=25, help="how many of the costliest tests to print")
    parser.add_argument("--save-durations", action="store_true", help="write the suite's seconds per test to "
                        "tests/durations.json (the order the workers get the tests in)")
    args = parser.parse_args()
    prepare_test_environment()
    steps = test_commands(Path(sys.executable), quick=False, rest=[f"--durations={args.top}"])
    if args.save_durations:
        steps[0] = [*steps[0], "--durations=0"]  # the later option wins: every test's time
    names = ["the suite (tests, src) and nbval over solutions/, run 1", "nbval over solutions/, run 2"]
    timings, failed = [], False
    for name, step in zip(names, steps):
        started = time.perf_counter()
        completed = subprocess.run([str(part) for part in step], cwd=ROOT, capture_output=True, text=True)
        timings.append((name, time.perf_counter() - started))
        failed |= completed.returncode != 0
        summary = [line for line in completed.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
        print(f"{name}: {timings[-1][1]:.0f} s; {summary[-1].strip('= ') if summary else 'no summary'}", flush=True)
        for line in re.findall(r"^(?:FAILED|ERROR) .+$", completed.stdout, re.M):
            print("  " + line, flush=True)  # a figure from a run that failed is no figure: say which test
        costs = re.findall(r"^([\d.]+)s (?:call|setup|teardown) +(.+?)$", completed.stdout, re.M)
        print("  " + "\n  ".join(f"{seconds}s {test}" for seconds, test in costs[:args.top]), flush=True)
        if args.save_durations and name.startswith("the suite"):
            per_test = defaultdict(float)
            for seconds, test in costs:
                per_test[test.split("@")[0]] += float(seconds)  # xdist's loadgroup adds "@group" to the node id
            saved = {test: round(seconds, 1) for test, seconds in sorted(per_test.items()) if seconds >= 0.5}
            (ROOT / "tests" / "durations.json").write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
            print(f"  saved the seconds of {len(saved)} tests to tests/durations.json", flush=True)
    print(f"total: {sum(seconds for _, seconds in timings):.0f} s "
          f"({sum(seconds for _, seconds in timings) / 60:.1f} min){'; some tests FAILED' if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
