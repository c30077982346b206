"""Notebooks as a learner gets them: they run top to bottom, every check says "not attempted",
and learner and solution versions come from one source."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat
import pytest

from model_health.teaching.authoring import build_all
from model_health.teaching import runner
from model_health.teaching.results import RESULT_MEDIA_TYPE, Result, ScoreSummary, Status, summary_in_outputs
from model_health.teaching.runner import execute_notebook

REPO = Path(__file__).resolve().parents[1]
LEARNER_NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SOLUTION_NOTEBOOKS = sorted((REPO / "solutions").glob("*.ipynb"))


def exercise_module(notebook: Path):
    return importlib.import_module(f"model_health.teaching.exercises.nb{notebook.stem}")


def test_learner_and_solution_notebooks_pair_up():
    """Every solution notebook has its learner version and its exercise module."""
    assert [p.name for p in LEARNER_NOTEBOOKS] == [p.name for p in SOLUTION_NOTEBOOKS]
    assert SOLUTION_NOTEBOOKS, "no notebooks found"
    for notebook in SOLUTION_NOTEBOOKS:
        assert exercise_module(notebook).EXERCISES.notebook == notebook.stem


def test_generated_files_are_up_to_date():
    """The committed learner notebooks and solution files are exactly what the build makes."""
    assert build_all(check=True) == [], "run `python workbook.py build`"


@pytest.mark.parametrize("notebook", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_front_matter(notebook):
    """The first cell states the level, the estimated time and the prerequisites."""
    first = nbformat.read(notebook, as_version=4).cells[0].source
    for field in ("Level", "Estimated time", "Prerequisites"):
        assert field in first


# What a person should not have to read past: numpy's scalar repr (np.float64(0.07)), an object's memory address.
MACHINE_TEXT = re.compile(r"\bnp\.(?:float|int|uint|bool|str)\w*\(|\bat 0x[0-9a-f]{6,}")


@pytest.mark.parametrize("notebook", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_read_as_numbers_not_reprs(notebook):
    """A shown value reads as a number (0.0687), never as numpy's repr (np.float64(0.0687)) or with an address."""
    cells = nbformat.read(notebook, as_version=4).cells
    found = [(index + 1, match.group(0)) for index, cell in enumerate(cells) for output in cell.get("outputs", [])
             for text in (output.get("text", ""), output.get("data", {}).get("text/plain", ""))
             for match in MACHINE_TEXT.finditer(text if isinstance(text, str) else "".join(text))]
    assert found == [], "print the values (str) rather than ending the cell on a repr: (cell, text) " + str(found)


@pytest.mark.parametrize("notebook", LEARNER_NOTEBOOKS, ids=lambda p: p.stem)
@pytest.mark.slow
def test_learner_notebook_runs_as_delivered(notebook, tmp_path, monkeypatch):
    """Untouched, the learner notebook runs without error and reports every exercise not attempted."""
    monkeypatch.setenv("MODEL_HEALTH_OUTPUT", str(tmp_path / "output"))  # its kernel's stores are its own
    executed = execute_notebook(notebook)
    errors = [output for cell in executed.cells for output in cell.get("outputs", [])
              if output.output_type == "error"]
    assert not errors, f"{errors[0].ename}: {errors[0].evalue}"
    checked = {output.data[RESULT_MEDIA_TYPE]["exercise"]: output.data[RESULT_MEDIA_TYPE]["status"]
               for cell in executed.cells for output in cell.get("outputs", [])
               if RESULT_MEDIA_TYPE in output.get("data", {})}
    names = [exercise.name for exercise in exercise_module(notebook).EXERCISES.exercises]
    assert checked == dict.fromkeys(names, Status.NOT_ATTEMPTED.value), "each check cell reports not attempted"
    summary = summary_in_outputs(executed.cells)
    assert summary is not None and summary.open == tuple(names) and summary.correct == 0


def test_the_self_check_reads_each_score_from_the_summary_it_carries(monkeypatch, capsys):
    """`selfcheck` reads the score summary's JSON from a notebook's outputs; printed text that looks like one is not
    read (there was a regex over the printed "Score:" line)."""
    summary = ScoreSummary("demo", (Result("q1", "One", Status.CORRECT, "Yes."),
                                    Result("q2", "Two", Status.NOT_ATTEMPTED, "Fill it in.")), frozenset({"q1", "q2"}))
    executed = {
        "solutions/carried.ipynb": [nbformat.v4.new_output("execute_result", data=summary._repr_mimebundle_(),
                                                           execution_count=1)],
        "solutions/printed.ipynb": [nbformat.v4.new_output("stream", name="stdout", text=str(summary))],
    }
    monkeypatch.setattr(runner, "notebooks", lambda: [REPO / name for name in executed])
    monkeypatch.setattr(runner, "execute_notebook", lambda path: nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(outputs=executed[path.relative_to(REPO).as_posix()])]))
    runner.selfcheck()
    assert capsys.readouterr().out.splitlines() == [
        "solutions/carried.ipynb: Score: 1/2 auto-graded exercises correct. Open: q2.",
        "solutions/printed.ipynb: no score summary found"]


def test_workshop_kit_states_each_notebooks_own_time_estimate():
    """docs/workshop.md's table carries each notebook's stated learner time, so the agendas follow the notebooks."""
    kit = (REPO / "docs" / "workshop.md").read_text(encoding="utf-8")
    for notebook in SOLUTION_NOTEBOOKS:
        header = nbformat.read(notebook, as_version=4).cells[0].source
        low_high = re.search(r"Estimated time \| (\d+–\d+) min", header)[1]
        row = next(line for line in kit.splitlines() if line.startswith(f"| {notebook.stem[:2]} |"))
        assert f"{low_high} min" in row, (notebook.stem, row)
