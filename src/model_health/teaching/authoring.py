"""Build learner notebooks from solution notebooks: one source, two versions.

The solution notebooks in ``solutions/`` are the source. In their code cells, each
answer sits between markers, as in nbgrader::

    ### BEGIN SOLUTION q3
    test_metrics = {...}
    ### END SOLUTION

The build writes, for every ``solutions/NN_name.ipynb``:

- ``notebooks/NN_name.ipynb``: the same cells with each marked region replaced by a
  stub that keeps the region's indentation (``test_metrics = ____``; ``return ____``
  inside a function), and no outputs;
- ``src/model_health/teaching/exercises/solutions/NN_name.json``: each exercise's solution
  code, which ``qN.solution()`` shows.

A nested, unclosed or stray marker, or a region that assigns nothing, is an error.

Run ``python -m model_health.teaching.authoring`` (``--execute`` also re-runs the solution
notebooks to refresh their stored outputs; ``--check`` only reports drift).
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from model_health.paths import NOTEBOOKS, REPO, SOLUTIONS
from model_health.teaching.runner import execute_notebook

__all__ = ["MarkerError", "build_all", "learner_version", "solution_regions", "solved_learner_notebook", "stub_for"]

BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION (?P<exercise>q\d+)\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
CHECK_CELL = re.compile(r"^\s*(?P<exercise>q\d+)\.check\(\)\s*$")


class MarkerError(ValueError):
    """A solution marker is nested, unclosed, stray, or its region cannot be stubbed."""


@dataclass(frozen=True)
class Region:
    exercise: str
    indent: str
    start: int  # index of the BEGIN line
    end: int  # index of the END line
    code: str  # the region's lines, dedented


def solution_regions(source: str, *, where: str = "cell") -> list[Region]:
    """Find the marked regions in one cell's source.

    Examples
    --------
    >>> [r.exercise for r in solution_regions("### BEGIN SOLUTION q1\\nx = 1\\n### END SOLUTION")]
    ['q1']
    """
    lines = source.split("\n")
    regions, opened = [], None
    for number, line in enumerate(lines):
        begin, end = BEGIN.match(line), END.match(line)
        if begin and opened is not None:
            raise MarkerError(f"{where}, line {number + 1}: BEGIN SOLUTION inside the region opened at "
                              f"line {opened[0] + 1}; close it with ### END SOLUTION first.")
        if begin:
            opened = (number, begin)
        elif end:
            if opened is None:
                raise MarkerError(f"{where}, line {number + 1}: END SOLUTION without a BEGIN SOLUTION.")
            start, match = opened
            code = textwrap.dedent("\n".join(lines[start + 1:number]))
            regions.append(Region(match["exercise"], match["indent"], start, number, code))
            opened = None
        elif "### BEGIN SOLUTION" in line:
            raise MarkerError(f"{where}, line {number + 1}: write the marker as `### BEGIN SOLUTION qN`.")
    if opened is not None:
        raise MarkerError(f"{where}, line {opened[0] + 1}: BEGIN SOLUTION is never closed.")
    return regions


def stub_for(code: str, *, where: str = "region") -> list[str]:
    """The placeholder lines that replace a solution region.

    Examples
    --------
    >>> stub_for("a, b = split(x)\\nc = a + b")
    ['a, b = ____, ____', 'c = ____']
    >>> stub_for("total = sum(x)\\nreturn total / len(x)")
    ['total = ____', 'return ____']
    """
    try:
        # A region inside a function may `return`; parse it as a function body.
        body = ast.parse("def _():\n" + textwrap.indent(code, "    ")).body[0].body
    except SyntaxError as error:
        raise MarkerError(f"{where}: the solution does not parse ({error.msg}).") from None
    stubs: list[str] = []
    for statement in body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        elif isinstance(statement, ast.Return):
            stubs.append("return ____")
            continue
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                stubs.append(f"{target.id} = ____")
            elif isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
                names = ", ".join(e.id for e in target.elts)
                stubs.append(f"{names} = {', '.join(['____'] * len(target.elts))}")
    if not stubs:
        raise MarkerError(f"{where}: the region assigns no variable and returns nothing, so the learner "
                          "copy would have nothing to fill in.")
    return list(dict.fromkeys(stubs))


def _learner_source(source: str, *, where: str) -> tuple[str, dict[str, list[str]]]:
    regions = solution_regions(source, where=where)
    if not regions:
        return source, {}
    lines = source.split("\n")
    output: list[str] = []
    solutions: dict[str, list[str]] = {}
    cursor = 0
    for region in regions:
        output.extend(lines[cursor:region.start])
        stub = stub_for(region.code, where=f"{where}, {region.exercise}")
        output.append(f"{region.indent}# Your code here ({region.exercise})")
        output.extend(region.indent + line for line in stub)
        solutions.setdefault(region.exercise, []).append(region.code)
        cursor = region.end + 1
    output.extend(lines[cursor:])
    return "\n".join(output), solutions


def learner_version(solution: nbformat.NotebookNode, *, name: str = "notebook"):
    """Return (learner notebook, {exercise: solution code}) for a solution notebook.

    Every code cell of the learner notebook carries its role in ``metadata["model_health"]``, so a
    grader finds exercises by id, not by position, whatever a learner moved, copied or deleted: an
    answer cell ``{"role": "answer", "exercises": ["q3"]}``, a check cell ``{"role": "check",
    "exercise": "q3"}``, any other ``{"role": "given", "id": "given-7"}``. The notebook's metadata
    names it and its version (a digest of its cells), so a copy from another version is recognised.
    """
    learner = copy.deepcopy(solution)
    solutions: dict[str, list[str]] = {}
    given = 0
    for index, cell in enumerate(learner.cells):
        cell.metadata.pop("execution", None)
        cell.metadata.pop("model_health", None)
        if cell.cell_type != "code":
            continue
        cell.source, found = _learner_source(cell.source, where=f"{name}, cell {index + 1}")
        for exercise, codes in found.items():
            solutions.setdefault(exercise, []).extend(codes)
        check = CHECK_CELL.match(cell.source)
        if found:
            cell.metadata["model_health"] = {"role": "answer", "exercises": sorted(found, key=lambda q: int(q[1:]))}
        elif check:
            cell.metadata["model_health"] = {"role": "check", "exercise": check["exercise"]}
        else:
            given += 1
            cell.metadata["model_health"] = {"role": "given", "id": f"given-{given}"}
        cell.outputs = []
        cell.execution_count = None
    learner.metadata.pop("widgets", None)  # the state of the solution run's progress bars: outputs a learner lacks
    cells = json.dumps([[cell.cell_type, cell.source] for cell in learner.cells], ensure_ascii=False)
    learner.metadata["model_health"] = {"notebook": name.removesuffix(".ipynb"),
                                        "version": hashlib.sha256(cells.encode("utf-8")).hexdigest()[:12]}
    ordered = dict(sorted(solutions.items(), key=lambda item: int(item[0][1:])))
    return learner, {exercise: "\n\n".join(codes) for exercise, codes in ordered.items()}


def solved_learner_notebook(name: str) -> nbformat.NotebookNode:
    """The learner notebook ``name`` with each answer cell holding the solution's code: a learner who solved it all."""
    learner = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    solution = nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)
    solved = copy.deepcopy(learner)
    for cell, source in zip(solved.cells, solution.cells):
        if cell.get("metadata", {}).get("model_health", {}).get("role") == "answer":
            cell.source = source.source
    return solved


def _expected_files(solution_path: Path) -> dict[Path, str]:
    notebook = nbformat.read(solution_path, as_version=4)
    learner, solutions = learner_version(notebook, name=solution_path.name)
    return {
        NOTEBOOKS / solution_path.name: nbformat.writes(learner) + "\n",
        REPO / "src" / "model_health" / "teaching" / "exercises" / "solutions" / f"{solution_path.stem}.json":
            json.dumps(solutions, indent=1, ensure_ascii=False) + "\n",
    }


def build_all(*, execute: bool = False, check: bool = False, only: str | None = None) -> list[Path]:
    """Build (or, with ``check``, compare) every generated file; return the paths that differ.

    ``only`` limits the build to the solution notebooks whose name starts with it (e.g. "05").
    """
    differing = []
    for solution_path in sorted(SOLUTIONS.glob(f"{only or ''}*.ipynb")):
        if execute and not check:
            print(f"executing {solution_path.relative_to(REPO)}", flush=True)
            nbformat.write(execute_notebook(solution_path), solution_path)
        for path, text in _expected_files(solution_path).items():
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                differing.append(path)
                if not check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8")
    return differing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--execute", action="store_true", help="re-run solution notebooks first")
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    parser.add_argument("--only", metavar="NN", help="only the notebooks whose name starts with NN (e.g. 05)")
    args = parser.parse_args(argv)
    differing = build_all(execute=args.execute, check=args.check, only=args.only)
    for path in differing:
        print(("out of date: " if args.check else "wrote: ") + str(path.relative_to(REPO)))
    return 1 if args.check and differing else 0


if __name__ == "__main__":
    sys.exit(main())
