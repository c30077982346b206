"""Vet seeds for per-learner variants: run every solution notebook on each seed and print its score.

    python benchmarks/vet_variant_seeds.py 7 11 101 [--notebook 06 …] [--jobs 2]

A seed may join ``model_health.variants.VARIANT_SEEDS`` only if every notebook's solution scores full
marks on it and every claim of its prose holds (``EXERCISES.claims``, issue 22 §6): on some seeds a simulated
scenario stops showing what its exercise teaches (a fair model that fails the gate by sampling noise), or a mistake
a check names gives exactly the right value (issue 22 §3: no check could tell them apart). A mistake within the tolerance is printed: there a rounded answer by the wrong
method passes, and the exercise wants a redesign. Each run executes in its own scratch folder, so the
solutions' stored outputs and output/ are not touched. About 2.5 minutes per seed on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from model_health.paths import notebook_names
from model_health.runner import OPEN_LINE, SCORE_LINE, output_text
from model_health.variants import with_seed

REPO = Path(__file__).resolve().parents[1]


# Run after the solution: every mistake a check names must differ from the right value on this seed's data.
SEPARATION = """import importlib
from model_health.grading import WrittenAnswer
from model_health.grading._expect import coinciding_mistakes, mistake_separations
_module = importlib.import_module("model_health.exercises.nb{name}")
_exercises = {{_exercise.name: _exercise for _exercise in _module.EXERCISES}}
for _exercise in _exercises.values():
    if not isinstance(_exercise, WrittenAnswer):
        for _message, _gap in mistake_separations(_exercise, globals()).items():
            print(f"SEPARATION {{_exercise.name}} {{_gap!r}} {{_message[:60]}}")
        _identical = coinciding_mistakes(_exercise, globals(), exactly=True)
        for _line in _identical:
            print("MISTAKE COINCIDES", _line)
        for _line in set(coinciding_mistakes(_exercise, globals())) - set(_identical):
            print("mistake within tolerance (refused only where computed exactly):", _line)
# The story (issue 22 §6): each claim of the prose about the data holds on this seed's data too.
for _claim in _module.EXERCISES.claims:
    try:
        _held = bool(_claim.holds(globals()))
    except Exception as _error:
        _held = f"{{type(_error).__name__}}: {{_error}}"
    if _held is not True:
        print("CLAIM FAILS", repr(_claim.quote), "" if _held is False else _held)
# The wrong answers of tests/test_nb{number}_exercises.py, custom branches included, built from this seed's data: one
# graded correct here is printed (some are built from the published seed's specifics: look at each by hand).
import sys
sys.path.insert(0, {tests!r})
try:
    _wrong = importlib.import_module("test_nb{number}_exercises").mistakes(globals())
except Exception as _error:
    print("MISTAKES NOT BUILT:", type(_error).__name__, _error)
    _wrong = []
for _q, _answers, _words in _wrong:
    try:
        _status = _exercises[_q].grade({{**globals(), **_answers}}).status.name
    except Exception as _error:  # the tests' strict mode: a check that breaks raises
        _status = f"{{type(_error).__name__}}: {{_error}}"
    if _status != "INCORRECT":
        print(f"MISTAKE {{'ACCEPTED' if _status == 'CORRECT' else 'NOT JUDGED'}} on this seed (by hand):", _q,
              sorted(_answers), repr(_words), _status[:120])"""


def score(name: str, seed: int) -> tuple[str, int, bool, str, float]:
    """(notebook, seed, full marks?, its score line and failed checks, seconds)."""
    from nbclient import NotebookClient

    notebook = with_seed(nbformat.read(REPO / "solutions" / f"{name}.ipynb", as_version=4), seed)
    notebook.cells.append(nbformat.v4.new_code_cell(SEPARATION.format(name=name, number=name[:2], tests=str(REPO / "tests"))))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"vet-{seed}-") as folder:  # a run leaves tens of MB of stores
        scratch = Path(folder)
        (scratch / "notebooks").mkdir()
        (scratch / "examples").symlink_to(REPO / "examples")  # notebooks read ../examples
        os.environ["MODEL_HEALTH_PROGRESS"] = str(scratch / "progress")
        NotebookClient(notebook, timeout=900, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(scratch / "notebooks")}}).execute()
    text = output_text(notebook)
    errors = [f"{output.ename}: {output.evalue[:160]}" for cell in notebook.cells
              for output in cell.get("outputs", []) if output.output_type == "error"]
    failed = [line for line in text.splitlines() if line.startswith(("✘", "MISTAKE COINCIDES", "CLAIM FAILS"))]
    found, still_open = SCORE_LINE.search(text), OPEN_LINE.search(text)
    within = [line for line in text.splitlines()
              if line.startswith(("mistake within tolerance", "MISTAKE ACCEPTED", "MISTAKE NOT JUDGED",
                                 "MISTAKES NOT BUILT"))]
    full = bool(found and still_open and still_open.group(0).startswith("Open: none") and not failed and not errors)
    summary = " ".join(part for part in [found.group(0) if found else "no score", *failed, *errors, *within] if part)
    separations = {(exercise, message): float(gap) for exercise, gap, message in
                   (line.split(" ", 3)[1:] for line in text.splitlines() if line.startswith("SEPARATION "))}
    return name, seed, full, summary, time.perf_counter() - started, separations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("seeds", nargs="+", type=int)
    parser.add_argument("--notebook", action="append", default=[])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    names = notebook_names(args.notebook)
    vetted = {seed: True for seed in args.seeds}
    least: dict[str, dict[tuple[str, str], float]] = {}  # notebook -> (exercise, mistake) -> least gap over seeds
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = [(name, seed) for seed in args.seeds for name in names]
        for name, seed, full, summary, seconds, separations in pool.map(score, *zip(*runs)):
            vetted[seed] &= full
            for key, gap in separations.items():
                least.setdefault(name, {})[key] = min(least.get(name, {}).get(key, gap), gap)
            print(f"seed {seed:>5} {name}: {'full marks' if full else 'NOT full marks'} ({seconds:.0f} s) {summary}",
                  flush=True)
    print("\nMistakes named to expect_close, and the least relative gap between a mistake's value and the right one "
          "over these seeds:")
    for name in names:
        gaps = least.get(name, {})
        if gaps:
            (exercise, message), gap = min(gaps.items(), key=lambda item: item[1])
            print(f"  {name}: {len(gaps)} mistake(s); least gap {gap:.3g} ({exercise}: {message})")
        else:
            print(f"  {name}: no mistake named to expect_close")
    print(f"vetted on {len(names)} notebook(s): {sorted(seed for seed, ok in vetted.items() if ok)}; "
          f"rejected: {sorted(seed for seed, ok in vetted.items() if not ok)}")


if __name__ == "__main__":
    main()
