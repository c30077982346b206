"""Run notebooks headless: check them, or benchmark them.

    python -m model_health.teaching.runner selfcheck   # each notebook's score, learner and solution versions
    python -m model_health.teaching.runner bench   # execution time per notebook, total, peak memory, import time
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from model_health.paths import NOTEBOOKS, REPO, SOLUTIONS, notebook_names
from model_health.teaching.results import summary_in_outputs


def execute_notebook(path: Path, *, timeout: int = 600) -> nbformat.NotebookNode:
    """Execute a notebook in its own folder and return it with outputs (the file is not changed)."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def notebooks() -> list[Path]:
    return [folder / f"{name}.ipynb" for folder in (NOTEBOOKS, SOLUTIONS) for name in notebook_names()]


def selfcheck() -> int:
    """Run every learner and solution notebook and print its score (learner versions 0, solutions full marks)."""
    for path in notebooks():
        summary = summary_in_outputs(execute_notebook(path).cells)
        line = "no score summary found" if summary is None else " ".join(
            [summary.headline, f"Open: {', '.join(summary.open) or 'none'}.",
             *([f"Check failed: {', '.join(summary.check_failed)}."] if summary.check_failed else [])])
        print(f"{path.relative_to(REPO)}: {line}", flush=True)
    return 0


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def bench() -> int:
    total = 0.0
    for path in notebooks():
        start = time.perf_counter()
        execute_notebook(path)
        seconds = time.perf_counter() - start
        total += seconds
        print(f"{path.relative_to(REPO)}: {seconds:.1f} s", flush=True)
    print(f"total: {total:.1f} s over {len(notebooks())} notebooks")
    # ru_maxrss of children is the largest kernel's peak (kilobytes on Linux).
    print(f"peak memory of a kernel: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB")
    exercise_modules = [f"model_health.teaching.exercises.nb{name}" for name in notebook_names()]
    for module in ["model_health", "model_health.teaching.grading", *exercise_modules]:
        best = min(_import_seconds(module) for _ in range(3))
        print(f"import {module}: {best:.2f} s (best of 3)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("selfcheck", "bench"))
    return {"selfcheck": selfcheck, "bench": bench}[parser.parse_args(argv).command]()


if __name__ == "__main__":
    sys.exit(main())
