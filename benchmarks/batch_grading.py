"""Benchmark batch grading: a class of 30 submissions of notebook 01, graded two at a time.

The class is notebook 01 handed in four ways in turn: solved, half solved (the later answers left as delivered),
as delivered, and solved with its answer cells moved to the end, each under its own name so every submission is
graded (none resumed). Notebook 01, not the test fixtures' notebook 08: 01 is the one a class starts with, and
about twice as costly to run.

    python benchmarks/batch_grading.py [--submissions 30] [--jobs 2] [--unsandboxed] [--notebook 01] [--fresh]

--unsandboxed grades without bubblewrap, to measure what the sandbox costs. --fresh records the notebook's
references anew (a run of its published solutions, as a class's first grading does); without it, references kept
by an earlier grading are used.

The target (issues "Instructor mode", "Batch grading an instructor can stake marks on"): 30 submissions in at
most 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import copy
import os
import tempfile
import time
from pathlib import Path

import nbformat

from model_health.teaching.authoring import solved_learner_notebook
from model_health.classroom.batch_grading import Options, collect, grade_all
from model_health.paths import NOTEBOOKS, notebook_names


def handed_in(name: str) -> dict[str, nbformat.NotebookNode]:
    """Notebook ``name`` as four kinds of learner hand it in."""
    delivered = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    solved = solved_learner_notebook(name)
    answers = [index for index, cell in enumerate(solved.cells)
               if cell.metadata.get("model_health", {}).get("role") == "answer"]
    half = copy.deepcopy(solved)
    for index in answers[len(answers) // 2:]:
        half.cells[index] = delivered.cells[index]
    reordered = copy.deepcopy(solved)
    reordered.cells = [cell for index, cell in enumerate(solved.cells) if index not in answers] + \
        [solved.cells[index] for index in reversed(answers)]
    return {"correct": solved, "half_solved": half, "empty": delivered, "cells_reordered": reordered}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--unsandboxed", action="store_true", help="kernels without bubblewrap (memory limit only)")
    parser.add_argument("--notebook", default="01", help="the notebook the class hands in (number or name)")
    parser.add_argument("--fresh", action="store_true", help="record the references anew, in a folder of this run")
    args = parser.parse_args()
    (name,) = notebook_names([args.notebook])
    kinds = handed_in(name)
    names = list(kinds)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if args.fresh:  # the grading processes inherit it
            os.environ["MODEL_HEALTH_REFERENCES"] = str(folder / "references")
        (folder / "class").mkdir()
        for number in range(args.submissions):
            kind = names[number % len(names)]
            nbformat.write(kinds[kind], folder / "class" / f"learner-{number:02d}-{kind}.ipynb")
        started = time.perf_counter()
        rows = grade_all(collect([folder / "class"]), folder / "gradebook.csv",
                         options=Options(unsandboxed=args.unsandboxed), jobs=args.jobs, progress=False)
        seconds = time.perf_counter() - started
    graded = sum(row.state == "graded" for row in rows)
    print(f"{len(rows)} submissions of notebook {name} ({graded} fully graded) with {args.jobs} at a time: "
          f"{seconds:.0f} s ({seconds / len(rows):.1f} s each; target: 30 in 180 s); references "
          f"{'recorded in this run' if args.fresh else 'kept, if an earlier grading recorded them'}; "
          f"sandbox: {rows[0].sandbox}")


if __name__ == "__main__":
    main()
