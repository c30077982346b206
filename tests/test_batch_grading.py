"""Batch grading (issue "Instructor mode"): what learners really hand in, graded in sandboxed kernels
by checks the submissions cannot reach. The fixtures are notebook 01 handed in 17 ways
(tests/fixtures/make_submissions.py); expected_gradebook.csv is what grading them must give."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from model_health import batch_grading
from model_health.authoring import solved_learner_notebook
from model_health.batch_grading import Options, collect, grade_all, read_gradebook, splice
from model_health.exercises import nb01_model_health_dashboard as nb01
from model_health.sandbox import landlock_available

from conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
SUBMISSIONS = FIXTURES / "submissions"
OPTIONS = Options(cell_timeout=10, notebook_timeout=120, memory_mb=3072)
needs_landlock = pytest.mark.skipif(not landlock_available(), reason="this kernel has no Landlock: submissions "
                                    "cannot be kept from reading and writing other files (CI's kernel has it)")


def rows_of(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8", newline="") as file:
        return {Path(row["submission"]).name: row for row in csv.DictReader(file)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("gradebook") / "gradebook.csv"
    grade_all(collect([SUBMISSIONS]), out, options=OPTIONS, jobs=2, progress=False)
    return out


@needs_landlock
@pytest.mark.slow
def test_the_fixtures_grade_to_the_expected_gradebook(graded):
    found, expected = rows_of(graded), rows_of(FIXTURES / "expected_gradebook.csv")
    assert sorted(found) == sorted(expected)
    differences = [f"{name}: {column} is {found[name][column]!r}, expected {value!r}"
                   for name, row in expected.items() for column, value in row.items()
                   if column != "submission" and found[name].get(column) != value]
    assert differences == []


@needs_landlock
@pytest.mark.slow
def test_the_sandbox_held_and_tampering_changed_nothing(graded):
    malicious = rows_of(graded)["malicious.ipynb"]
    assert malicious["q4"] == "correct"  # its answer is right only if it could read and write nothing outside
    assert (malicious["q3"], malicious["q5"]) == ("incorrect", "incorrect")  # though it made every check say correct
    assert not (FIXTURES / "pwned.txt").exists()
    assert "pwned" not in (REPO / "src" / "model_health" / "grading" / "_core.py").read_text(encoding="utf-8")


@pytest.mark.slow
def test_feedback_and_summary_files(graded):
    with graded.with_suffix(".feedback.csv").open(encoding="utf-8", newline="") as file:
        feedback = list(csv.DictReader(file))
    partly = {row["exercise"]: row for row in feedback if row["submission"].endswith("partly_correct.ipynb")}
    assert partly["q10"]["status"] == "incorrect" and partly["q10"]["feedback"]
    page = graded.with_suffix(".html").read_text(encoding="utf-8")
    assert "pass rate per exercise (hardest first)" in page and "partly_correct" in page
    rates = batch_grading.pass_rates(read_gradebook(graded), "01_model_health_dashboard")
    assert set(rates) == {exercise.name for exercise in nb01.EXERCISES if not hasattr(exercise, "rubric")}
    assert all(0 <= rate <= 1 for rate in rates.values())


@pytest.mark.slow
def test_a_rerun_resumes_and_a_changed_file_is_graded_again(graded, tmp_path):
    out = tmp_path / "gradebook.csv"
    out.write_bytes(graded.read_bytes())
    out.with_suffix(".feedback.csv").write_bytes(graded.with_suffix(".feedback.csv").read_bytes())
    changed = tmp_path / "class"
    changed.mkdir()
    for name in ("correct.ipynb", "empty.ipynb"):
        (changed / name).write_bytes((SUBMISSIONS / name).read_bytes())
    notebook = nbformat.read(changed / "empty.ipynb", as_version=4)
    notebook.metadata["model_health"]["learner"] = "empty, handed in again"
    nbformat.write(notebook, changed / "empty.ipynb")
    submissions = collect([changed])
    rows = grade_all(submissions, out, options=OPTIONS, jobs=1, progress=False)
    learners = {Path(row.submission).name: row.learner for row in rows}
    assert learners == {"correct.ipynb": "correct", "empty.ipynb": "empty, handed in again"}


def test_zip_and_folders_are_collected_and_bad_paths_named(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(SUBMISSIONS / "correct.ipynb", "week1/ada.ipynb")
        zipped.write(SUBMISSIONS / "empty.ipynb", "__MACOSX/week1/._ada.ipynb")
        zipped.writestr("notes.txt", "not a notebook")
    found = collect([archive, SUBMISSIONS / "empty.ipynb"])
    assert [submission.label.split("/")[-1] for submission in found] == ["ada.ipynb", "empty.ipynb"]
    with pytest.raises(FileNotFoundError, match="No such file"):
        collect([tmp_path / "missing"])


def test_splicing_finds_answers_by_id_and_keeps_added_cells_with_their_answer():
    pristine = nbformat.read(REPO / "notebooks" / "01_model_health_dashboard.ipynb", as_version=4)
    submitted = nbformat.read(SUBMISSIONS / "helper_cell_added.ipynb", as_version=4)
    spliced, notes = splice(pristine, submitted, nb01.EXERCISES)
    sources = [cell.source for cell in spliced.cells]
    helper = next(i for i, source in enumerate(sources) if source.startswith("def all_metrics"))
    assert sources[helper + 1] == "test_metrics = all_metrics(y_test, y_pred, y_score)"  # it runs just before
    assert not any(cell.metadata["model_health"]["role"] == "check" for cell in spliced.cells)
    _, notes = splice(pristine, nbformat.read(SUBMISSIONS / "setup_changed.ipynb", as_version=4), nb01.EXERCISES)
    assert notes and "given-" in notes[0]


def cell(source: str, role: str, exercises=()) -> nbformat.NotebookNode:
    made = nbformat.v4.new_code_cell(source)
    made.metadata["model_health"] = {"role": role, "exercises": list(exercises)}
    return made


@pytest.mark.slow
def test_only_learner_code_has_the_cell_limit_and_a_slow_workbook_cell_means_rerun_never_a_score(tmp_path):
    """A learner's endless loop is interrupted at the cell limit and graded; the workbook's own cells are not held
    to that limit (a busy machine must not cost marks), and one still running when the notebook's time runs out
    leaves the row "not graded, rerun", which the next run grades again."""
    work = tmp_path / "copy"
    (work / "notebooks").mkdir(parents=True)
    notebook = nbformat.v4.new_notebook(cells=[
        cell("import time\ntime.sleep(3)", "given"),  # longer than the cell limit: a given cell may take it
        cell("while True:\n    pass", "answer", ["q1"]),
        cell("time.sleep(600)", "given")])
    graded = batch_grading.Graded("x.ipynb", "digest")
    options = Options(cell_timeout=2, notebook_timeout=40, memory_mb=3072)
    batch_grading._run_and_grade(notebook, "01_model_health_dashboard", work, options, graded)
    assert not any("cell 1 " in problem for problem in graded.problems), graded.problems
    assert "cell 2 ran longer than 2 s and was interrupted (an endless loop?)" in graded.problems
    assert any(problem.startswith(batch_grading.RERUN) and "cell 3" in problem for problem in graded.problems)
    assert {status for status, _ in graded.results.values()} == {"not graded"}
    assert batch_grading._unfinished(graded)


@pytest.mark.slow
def test_the_command_line(tmp_path):
    out = tmp_path / "book.csv"
    completed = subprocess.run([sys.executable, "-m", "model_health", "grade", str(SUBMISSIONS / "not_json.ipynb"),
                                "--out", str(out)], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                               env={**os.environ})
    assert completed.returncode == 0, completed.stderr
    assert "1 submission(s), 0 graded" in completed.stdout
    assert rows_of(out)["not_json.ipynb"]["state"] == "not graded"
    missing = subprocess.run([sys.executable, "-m", "model_health", "grade", str(tmp_path / "nothing-here")],
                             capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert missing.returncode == 2 and "No such file" in missing.stderr


@pytest.mark.slow
def test_grading_works_after_openmp_ran_in_the_grading_process(tmp_path):
    """A forked child of a process whose OpenMP threads ran deadlocks at its first OpenMP call (notebook 09's
    checks predict with scikit-learn's HistGradientBoosting): the grading workers are spawned, not forked."""
    nbformat.write(solved_learner_notebook("09_model_risk_review"), tmp_path / "09_model_risk_review.ipynb")
    script = (
        "import numpy as np\n"
        "from pathlib import Path\n"
        "from sklearn.ensemble import HistGradientBoostingClassifier\n"
        "X = np.random.default_rng(0).normal(size=(2000, 5))\n"
        "HistGradientBoostingClassifier(max_iter=5).fit(X, X[:, 0] > 0).predict(X)  # OpenMP threads now exist\n"
        "from model_health.batch_grading import Options, collect, grade_all\n"
        f"rows = grade_all(collect([Path({str(tmp_path)!r})]), Path({str(tmp_path / 'out.csv')!r}), "
        "options=Options(), jobs=1, progress=False)\n"
        "print(rows[0].state, rows[0].score, rows[0].out_of)\n")
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    state, score, out_of = completed.stdout.split()[-3:]
    assert (state, score) == ("graded", out_of)
