"""Vet seeds for per-learner variants: run each solution notebook on each seed, and record whether it holds there.

    python3 workbook.py vet 7 11 101 [--notebook 06 …] [--jobs 2] [--record]
    python3 workbook.py vet --until 100 --notebook 08     # new seeds, until 100 are vetted for notebook 08

``--record`` writes each run's verdict into tests/vetting_record.json with a digest of the files the run depends on
(:func:`vetted_files`); tests/test_vetting_record.py fails when a seed of a list a learner can get is not vetted on
the current files, so a change to a notebook, its checks, their code or the data asks for its seeds to be vetted
again. ``--until N`` tries seeds the record has no verdict for, in order, and records each, until N are vetted for
every notebook named: a class of N learners can then get one seed each (``workbook.py variant --distinct``).

A seed is vetted for a notebook if its solution scores full marks on it with no problem: every claim of its prose
holds (``EXERCISES.claims``, issue 22 §6) and no mistake its checks name or its tests build comes within the
tolerance of the right value or is accepted (issue 22 §3). On some seeds a simulated scenario stops showing what its
exercise teaches (a fair model that fails the gate by sampling noise), or a wrong method gives the right value
there: no check could tell them apart. A seed joins the next list of ``variants.VARIANT_SEED_LISTS`` (every
notebook) only if it is vetted for all of them. Each run executes in its own scratch folder, so the solutions'
stored outputs and output/ are not touched. A run takes from about 7 s (notebook 08) to 40 s (05), on one core;
with 2 jobs, ``--until 100 --notebook 08`` vetted 100 seeds in 332 s (92 runs, 4 seeds rejected).
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from model_health.classroom.seeding import PUBLISHED_SEED, with_seed
from model_health.paths import REPO, notebook_names
from model_health.teaching.results import RESULT_MEDIA_TYPE, Status, summary_in_outputs

RECORD = REPO / "tests" / "vetting_record.json"
PACKAGE_ROOT = REPO / "src"


def _module_file(module: str) -> Path | None:
    base = PACKAGE_ROOT.joinpath(*module.split("."))
    return next((path for path in (base.with_suffix(".py"), base / "__init__.py") if path.is_file()), None)


def imported_names(source: str) -> set[str]:
    """The modules ``source`` imports anywhere in it (a function's deferred import too), and each name a `from`
    import takes from one (it may be a submodule): callers keep those that are modules. tests/test_layout.py builds
    the package's import graph with it."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@functools.cache
def _imported_modules(source: str) -> frozenset[str]:
    """The model_health modules ``source`` imports (:func:`imported_names`), with the packages they sit in
    (importing a module runs each package's __init__ first)."""
    found = {module for module in imported_names(source)
             if module.split(".")[0] == "model_health" and _module_file(module)}
    return frozenset(found | {".".join(module.split(".")[:depth])
                              for module in found for depth in range(1, module.count(".") + 1)})


def _solution_cells(name: str) -> list[tuple[str, str]]:
    """(type, source) of each cell of solution ``name``: what a run executes and the prose its claims quote."""
    cells = json.loads((REPO / "solutions" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    return [(cell["cell_type"], "".join(cell["source"])) for cell in cells]


def vetted_files(name: str) -> list[Path]:
    """The files whose content a vetting run of notebook ``name`` depends on: the package modules its solution, its
    checks and its tests' mistakes import (transitively), the package's data files (policies, templates), its tests'
    mistakes, the shipped data and the lock of the libraries. The solution notebook is hashed by its cells' sources
    (:func:`sources_digest`): its outputs change on every run."""
    exercises = f"model_health.teaching.exercises.nb{name}"
    mistakes = REPO / "tests" / f"test_nb{name[:2]}_exercises.py"
    pending = {exercises} | _imported_modules(mistakes.read_text(encoding="utf-8")) | set().union(
        *(_imported_modules(source) for kind, source in _solution_cells(name) if kind == "code"))
    seen: set[str] = set()
    while pending:
        module = pending.pop()
        seen.add(module)
        pending |= _imported_modules(_module_file(module).read_text(encoding="utf-8")) - seen
    solutions = REPO / "src" / "model_health" / "teaching" / "exercises" / "solutions"  # each notebook's own
    shipped = [path for folder in ("data", "examples", "src/model_health") for path in (REPO / folder).rglob("*")
               if path.is_file() and path.suffix not in (".py", ".pyc") and path.parent != solutions
               and not any(part.startswith(".") for part in path.relative_to(REPO).parts)]  # editor checkpoints
    return sorted({_module_file(module) for module in seen} | {mistakes, REPO / "requirements.lock", *shipped,
                                                               solutions / f"{name}.json"})


def sources_digest(name: str) -> str:
    """One digest of what a vetting run of ``name`` depends on (see :func:`vetted_files`)."""
    digest = hashlib.sha256()
    for kind, source in _solution_cells(name):
        digest.update(f"{kind}\0{source}\0".encode())
    for path in vetted_files(name):
        digest.update(f"{path.relative_to(REPO).as_posix()}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


def read_record() -> dict:
    return json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.exists() else {}


def vetted_seeds(name: str, record: dict | None = None) -> list[int]:
    """The seeds vetted for notebook ``name`` on its current files: full marks and no problem, by the record."""
    entries = (read_record() if record is None else record).get(name, {})
    digest = sources_digest(name)
    return sorted(int(seed) for seed, entry in entries.items()
                  if entry["sources"] == digest and entry["full_marks"] and not entry["problems"])


def write_record(runs: list[dict]) -> None:
    """Merge ``runs`` into the record: one entry per notebook and seed, the latest run's."""
    record = read_record()
    for run in runs:
        record.setdefault(run["notebook"], {})[str(run["seed"])] = {
            "sources": run["sources"], "full_marks": run["full_marks"], "problems": run["problems"],
            "least_separation": min(run["separations"].values(), default=None)}
    RECORD.write_text(json.dumps({name: dict(sorted(seeds.items(), key=lambda item: int(item[0])))
                                  for name, seeds in sorted(record.items())}, indent=1, ensure_ascii=False) + "\n",
                      encoding="utf-8")


# Run after the solution: every mistake a check names must differ from the right value on this seed's data. Its
# findings leave the kernel as one JSON output (VETTING_MEDIA_TYPE): separations, and problems (see PROBLEM_KINDS).
VETTING_MEDIA_TYPE = "application/vnd.model-health.vetting+json"
SEPARATION = """import importlib
from IPython.display import display
from model_health.teaching.grading import WrittenAnswer
from model_health.teaching.grading._expect import coinciding_mistakes, mistake_separations
_module = importlib.import_module("model_health.teaching.exercises.nb{name}")
_exercises = {{_exercise.name: _exercise for _exercise in _module.EXERCISES}}
_vetting = {{"separations": {{}}, "problems": []}}
for _exercise in _exercises.values():
    if not isinstance(_exercise, WrittenAnswer):
        for _message, _gap in mistake_separations(_exercise, globals()).items():
            _vetting["separations"][f"{{_exercise.name}} {{_message[:60]}}"] = _gap
        _identical = coinciding_mistakes(_exercise, globals(), exactly=True)
        _vetting["problems"] += [f"mistake coincides: {{_line}}" for _line in _identical]
        _vetting["problems"] += [f"mistake within tolerance (refused only where computed exactly): {{_line}}"
                                 for _line in sorted(set(coinciding_mistakes(_exercise, globals())) - set(_identical))]
# The story (issue 22 §6): each claim of the prose about the data holds on this seed's data too.
for _claim in _module.EXERCISES.claims:
    try:
        _held = bool(_claim.holds(globals()))
    except Exception as _error:
        _held = f"{{type(_error).__name__}}: {{_error}}"
    if _held is not True:
        _vetting["problems"].append(f"claim fails: {{_claim.quote!r}} {{'' if _held is False else _held}}")
# The wrong answers of tests/test_nb{number}_exercises.py, custom branches included, built from this seed's data: one
# graded correct here is a problem (some are built from the published seed's specifics: look at each by hand).
import sys
sys.path.insert(0, {tests!r})
try:
    _wrong = importlib.import_module("test_nb{number}_exercises").mistakes(globals())
except Exception as _error:
    _vetting["problems"].append(f"mistakes not built: {{type(_error).__name__}}: {{_error}}")
    _wrong = []
for _q, _answers, _words in _wrong:
    try:
        _status = _exercises[_q].grade({{**globals(), **_answers}}).status.name
    except Exception as _error:  # the tests' strict mode: a check that breaks raises
        _status = f"{{type(_error).__name__}}: {{_error}}"
    if _status != "INCORRECT":
        _vetting["problems"].append(f"mistake {{'accepted' if _status == 'CORRECT' else 'not judged'}} on this seed "
                                    f"(by hand): {{_q}} {{sorted(_answers)}} {{_words!r}} {{_status[:120]}}")
display({{{media_type!r}: _vetting}}, raw=True)"""


def score(name: str, seed: int) -> dict:
    """The run of solution ``name`` on ``seed``: full marks?, its problems (a check not passed, an error, a mistake
    that coincides or passes, a claim that fails), each mistake's separation, its score, seconds, and the digest of
    the files it ran from."""
    from nbclient import NotebookClient

    sources = sources_digest(name)  # before the run: a file edited during it must not pass as vetted
    notebook = with_seed(nbformat.read(REPO / "solutions" / f"{name}.ipynb", as_version=4), seed)
    notebook.cells.append(nbformat.v4.new_code_cell(SEPARATION.format(name=name, number=name[:2], tests=str(REPO / "tests"),
                                                                      media_type=VETTING_MEDIA_TYPE)))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"vet-{seed}-") as folder:  # a run leaves tens of MB of stores
        scratch = Path(folder)
        (scratch / "notebooks").mkdir()
        (scratch / "examples").symlink_to(REPO / "examples")  # notebooks read ../examples
        os.environ["MODEL_HEALTH_PROGRESS"] = str(scratch / "progress")
        NotebookClient(notebook, timeout=900, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(scratch / "notebooks")}}).execute()
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    errors = [f"error: {output.ename}: {output.evalue[:160]}" for output in outputs if output.output_type == "error"]
    vetting = next((output.data[VETTING_MEDIA_TYPE] for output in outputs if VETTING_MEDIA_TYPE in output.get("data", {})),
                   {"separations": {}, "problems": ["the vetting cell showed nothing"]})
    checks = [output.data[RESULT_MEDIA_TYPE] for output in outputs if RESULT_MEDIA_TYPE in output.get("data", {})]
    summary = summary_in_outputs(notebook.cells)
    problems = [f"{check['exercise']} {check['status']}: {check['message']}" for check in checks
                if check["status"] in (Status.INCORRECT.value, Status.CHECK_FAILED.value)]
    problems += errors + vetting["problems"]
    return {"notebook": name, "seed": seed, "full_marks": bool(summary and summary.finished and not errors),
            "problems": problems, "separations": vetting["separations"],
            "score": f"{summary.correct}/{summary.out_of}" if summary else "no score",
            "seconds": time.perf_counter() - started, "sources": sources}


def _report(run: dict) -> None:
    verdict = "full marks" if run["full_marks"] else "NOT full marks"
    print(f"seed {run['seed']:>5} {run['notebook']}: {verdict} ({run['seconds']:.0f} s) "
          f"{' '.join([run['score'], *run['problems']])}", flush=True)


def vet_until(count: int, names: list[str], jobs: int) -> dict[str, list[int]]:
    """Vet new seeds (those the record has no verdict for on the current files, in order from 1) for each notebook
    of ``names`` until ``count`` are vetted for it, recording each run; the vetted seeds per notebook."""
    pool = {name: vetted_seeds(name) for name in names}
    tried = {name: {int(seed) for seed, entry in read_record().get(name, {}).items()
                    if entry["sources"] == sources_digest(name)} for name in names}
    candidates = (seed for seed in range(1, 10**6) if seed != PUBLISHED_SEED)
    with ProcessPoolExecutor(jobs) as executor:
        while any(len(pool[name]) < count for name in names):
            batch = []
            while len(batch) < 2 * jobs:
                seed = next(candidates)
                batch += [(name, seed) for name in names if len(pool[name]) < count and seed not in tried[name]]
            for run in executor.map(score, *zip(*batch)):
                write_record([run])
                _report(run)
                if run["full_marks"] and not run["problems"] and len(pool[run["notebook"]]) < count:
                    pool[run["notebook"]].append(run["seed"])
    return {name: sorted(seeds) for name, seeds in pool.items()}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python3 workbook.py vet", description=__doc__.split("\n")[0])
    parser.add_argument("seeds", nargs="*", type=int, help="the seeds to vet (or --until)")
    parser.add_argument("--notebook", action="append", default=[], help="a notebook's number or name (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--record", action="store_true", help=f"write the verdicts into {RECORD.relative_to(REPO)}")
    parser.add_argument("--until", type=int, metavar="N",
                        help="vet new seeds until N are vetted for each notebook named (recorded as they run)")
    args = parser.parse_args()
    names = notebook_names(args.notebook)
    if args.until is not None:
        if args.seeds or args.until < 1:
            parser.error("--until takes a count of at least 1, and no seeds")
        started = time.perf_counter()
        pool = vet_until(args.until, names, args.jobs)
        for name, seeds in pool.items():
            print(f"{name}: {len(seeds)} seeds vetted on the current files")
        print(f"took {time.perf_counter() - started:.0f} s")
        return
    if not args.seeds:
        parser.error("name the seeds to vet, or --until N")
    vetted = {seed: True for seed in args.seeds}
    least: dict[str, dict[str, float]] = {}  # notebook -> "exercise mistake" -> least gap over seeds
    runs = []
    with ProcessPoolExecutor(args.jobs) as pool:
        pairs = [(name, seed) for seed in args.seeds for name in names]
        for run in pool.map(score, *zip(*pairs)):
            runs.append(run)
            name, seed = run["notebook"], run["seed"]
            vetted[seed] &= run["full_marks"] and not run["problems"]
            for key, gap in run["separations"].items():
                least.setdefault(name, {})[key] = min(least.get(name, {}).get(key, gap), gap)
            _report(run)
    if args.record:
        write_record(runs)
    print("\nMistakes named to expect_close, and the least relative gap between a mistake's value and the right one "
          "over these seeds:")
    for name in names:
        gaps = least.get(name, {})
        if gaps:
            mistake, gap = min(gaps.items(), key=lambda item: item[1])
            print(f"  {name}: {len(gaps)} mistake(s); least gap {gap:.3g} ({mistake})")
        else:
            print(f"  {name}: no mistake named to expect_close")
    print(f"vetted on {len(names)} notebook(s): {sorted(seed for seed, ok in vetted.items() if ok)}; "
          f"rejected: {sorted(seed for seed, ok in vetted.items() if not ok)}")


if __name__ == "__main__":
    main()
