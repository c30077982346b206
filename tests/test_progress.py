"""Offline progress: a check records its result in the learner's own file; the progress command
summarises every notebook and says where to continue."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from model_health.teaching import progress
from model_health.teaching.exercises import nb01_model_health_dashboard as nb01
from model_health.teaching.grading import ____, Status, bind

from conftest import REPO


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_HEALTH_PROGRESS", str(tmp_path / "progress"))
    return tmp_path / "progress"


def test_a_check_records_its_status_and_the_latest_wins(folder, solved_nb01):
    bind({**solved_nb01, "test_metrics": ____})
    try:
        nb01.q3.check()
        first = json.loads((folder / "01_model_health_dashboard.json").read_text())["q3"]
        bind(solved_nb01)
        result = nb01.q3.check()
    finally:
        bind({})
    entries = json.loads((folder / "01_model_health_dashboard.json").read_text())
    assert first["status"] == "not attempted" and entries["q3"]["status"] == result.status.value == "correct"


def test_grading_without_check_records_nothing(folder, solved_nb01):
    nb01.q3.grade(solved_nb01)
    assert not folder.exists()


def test_an_unwritable_folder_costs_the_record_not_the_check(tmp_path, monkeypatch, solved_nb01):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MODEL_HEALTH_PROGRESS", str(blocker / "progress"))
    assert progress.record("01_model_health_dashboard", "q1", "correct") is False
    bind(solved_nb01)
    try:
        assert nb01.q3.check().status is Status.CORRECT
    finally:
        bind({})


def test_the_table_counts_states_and_points_to_the_next_exercise(folder):
    moment = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    progress.record("01_model_health_dashboard", "q1", "correct", now=moment)
    progress.record("01_model_health_dashboard", "q2", "incorrect", now=moment)
    progress.record("13_interview_practice", "q3", "written", now=moment)
    progress.record("13_interview_practice", "q5", "self-assessed", now=moment)  # as earlier versions recorded it
    (folder / "02_lifecycle_data_bias.json").write_text("{not json")  # damaged: unknown, not "not attempted"
    table = progress.progress_table()
    assert table.loc["01_model_health_dashboard", ["done", "open"]].tolist() == [1, 1]
    total = len(nb01.EXERCISES.exercises)
    assert table.loc["01_model_health_dashboard", "not attempted"] == total - 2
    assert table.loc["01_model_health_dashboard", "continue at"] == "notebooks/01_model_health_dashboard.ipynb, q2"
    assert table.loc["02_lifecycle_data_bias", list(progress.STATES)].isna().all()
    assert table.loc["02_lifecycle_data_bias", "continue at"] == "unknown: its progress file is damaged"
    assert table.loc["13_interview_practice", "done"] == 2
    assert table.loc["13_interview_practice", "last activity"] == "2026-12-01T09:30:00+00:00"
    assert len(table) == len(list((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")))


def test_the_command_prints_where_to_continue(folder):
    progress.record("05_diagnose_post_launch_drift", "q1", "correct")
    completed = subprocess.run([sys.executable, str(REPO / "workbook.py"), "progress", "--here"], cwd=REPO,
                               capture_output=True, text=True, env={**os.environ}, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "Most recent: 05_diagnose_post_launch_drift. Continue at notebooks/05_diagnose_post_launch_drift.ipynb, q2" \
        in completed.stdout
    assert str(folder) in completed.stdout


def test_checks_in_several_processes_keep_every_entry(folder):
    """Three processes recording into one notebook's file at once lose no entry (issue 24: 174 of 300 were kept)."""
    names = [f"q{number}" for number in range(150)]
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        saved = pool.starmap(progress.record, [("01_model_health_dashboard", name, "correct") for name in names],
                             chunksize=1)
    assert all(saved)
    assert sorted(json.loads((folder / "01_model_health_dashboard.json").read_text())) == sorted(names)


@pytest.mark.parametrize("damaged", ['{"q1": {"status": "corr', "", '["q1"]', '{"q1": "correct"}',
                                     '{"q1": {"status": "correct", "at": 20261201}}'],
                         ids=["truncated", "empty", "a list", "an entry not an object", "a time not a string"])
def test_a_damaged_file_is_kept_aside_and_a_fresh_record_started(folder, capsys, damaged):
    """A file that is not a progress record is renamed aside (never overwritten), and the learner told where."""
    folder.mkdir(parents=True)
    path = folder / "01_model_health_dashboard.json"
    path.write_text(damaged)
    (folder / "01_model_health_dashboard.json.damaged-1").write_text("set aside before")
    assert progress.record("01_model_health_dashboard", "q2", "correct") is True
    aside = folder / "01_model_health_dashboard.json.damaged-2"
    assert aside.read_text() == damaged
    assert (folder / "01_model_health_dashboard.json.damaged-1").read_text() == "set aside before"
    assert list(json.loads(path.read_text())) == ["q2"]
    assert f"it is kept as {aside} and a fresh record is started" in capsys.readouterr().err


def test_the_command_shows_the_other_notebooks_and_names_a_damaged_file(folder, capsys):
    """One notebook's file that is JSON but not a record (it crashed the command) is named; the rest is shown."""
    progress.record("05_diagnose_post_launch_drift", "q1", "correct")
    damaged = folder / "02_lifecycle_data_bias.json"
    damaged.write_text('{"q1": "correct"}')
    assert progress.main([]) == 0
    out = capsys.readouterr().out
    assert "Most recent: 05_diagnose_post_launch_drift. Continue at notebooks/05_diagnose_post_launch_drift.ipynb, q2" \
        in out
    assert "01_model_health_dashboard" in out and "13_interview_practice" in out
    assert f"{damaged} could not be read (q1: 'correct' is not an object)" in out
    assert f"{damaged}.damaged-1" in out


def test_only_an_unanswered_exercise_counts_as_not_attempted():
    """Every status a check can give has its state; a check that broke on an answer is not "not attempted"."""
    from model_health.teaching.grading import Status

    # "not graded" is the batch grader's alone: a learner's own check always reaches a verdict or fails.
    states = {status: progress._state(status.value) for status in Status if status is not Status.NOT_GRADED}
    assert {status for status, state in states.items() if state == "not attempted"} == {Status.NOT_ATTEMPTED}
    assert states[Status.CHECK_FAILED] == "check failed" and set(states.values()) <= set(progress.STATES)
