"""A learner's progress, kept offline: every ``qN.check()`` records its result in a small JSON file.

    python3 workbook.py progress        # done / open / check failed / not attempted per notebook, and where to continue

One file per notebook (``<folder>/<notebook>.json``). Each write re-reads the file under a lock (a
sibling ``.lock`` file), adds its entry and replaces the file atomically, so checks from two kernels
at once lose nothing. A file that cannot be read as a record (truncated, empty, edited) is renamed
``<name>.damaged-<n>``, never overwritten, and the learner is told where it went. The folder is
``~/.model-health-workbook/progress`` unless ``MODEL_HEALTH_PROGRESS`` names another (the tests point
it at a temporary folder, so running the solutions never marks a learner's exercises done). Nothing
is sent anywhere. A folder that cannot be written (a read-only home) costs the record, never the check.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from model_health.paths import notebook_names
from model_health.teaching.results import Status

try:
    import fcntl
except ImportError:  # Windows: writes stay atomic and merged, but are not locked against each other
    fcntl = None

__all__ = ["progress_dir", "progress_table", "read_record", "record", "update_record", "main"]

STATES = ("done", "open", "check failed", "not attempted")


def progress_dir() -> Path:
    return Path(os.environ.get("MODEL_HEALTH_PROGRESS") or Path.home() / ".model-health-workbook" / "progress")


def read_record(path: Path, problem: Callable[[object], str | None]) -> tuple[dict, str | None]:
    """The JSON object in ``path`` ({} when there is no file yet) and None; or {} and why it cannot be used.

    ``problem`` names what is wrong with a parsed value that is not a record of the caller's kind.
    """
    try:
        content = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return {}, None
    except OSError as error:
        return {}, f"{type(error).__name__}: {error.strerror}"
    if not content.strip():
        return {}, "the file is empty"
    try:
        data = json.loads(content)
    except ValueError as error:  # not JSON, or bytes that are no text at all
        return {}, f"not valid JSON: {error}"
    wrong = problem(data)
    return ({}, wrong) if wrong else (data, None)


def _aside(path: Path) -> Path:
    """The first free ``<name>.damaged-<n>``: an earlier damaged file is never overwritten."""
    number = 1
    while path.with_name(f"{path.name}.damaged-{number}").exists():
        number += 1
    return path.with_name(f"{path.name}.damaged-{number}")


@contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on ``<path>.lock`` (the record itself is replaced, so it can't carry the lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f"{path.name}.lock"), "a") as lock:
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        yield


def _write_atomically(path: Path, data: dict) -> None:
    """Write to a temporary file of this process's own, then rename it over ``path``: never half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=1, sort_keys=True)
            file.flush()
            os.fsync(file.fileno())  # the data reaches the disk before the rename does
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def update_record(path: Path, change: Callable[[dict], None] | None, problem: Callable[[object], str | None],
                  say: Callable[[str], None]) -> dict:
    """Under the lock, read the record in ``path``, apply ``change`` to it and write it back; return it.

    The record is re-read under the lock, so what other processes wrote since is kept. A file that
    ``read_record`` cannot use is renamed aside first and ``say`` is told where it went. With ``change``
    None nothing is written (only a damaged file is set aside). Raises OSError when the folder cannot
    be written.
    """
    with _locked(path):
        data, reason = read_record(path, problem)
        if reason:
            aside = _aside(path)
            path.rename(aside)
            say(f"{path} could not be read ({reason}); it is kept as {aside} and a fresh record is started.")
        if change is not None:
            change(data)
            _write_atomically(path, data)
    return data


def _record_problem(data: object) -> str | None:
    """What makes ``data`` no notebook record ({exercise: {"status": str, "at": str}}), or None.

    Checked by hand: jsonschema takes a second to import, which a learner's first check would pay.
    """
    if not isinstance(data, dict):
        return f"a JSON object of exercises is expected, not {type(data).__name__}"
    for exercise, entry in data.items():
        if not isinstance(entry, dict):
            return f"{exercise}: {entry!r} is not an object"
        for field in ("status", "at"):
            if not isinstance(entry.get(field), str):
                return f"{exercise}: {field} {entry.get(field)!r} is not a string"
    return None


def _tell(message: str) -> None:
    print(message, file=sys.stderr)


def record(notebook: str, exercise: str, status: str, *, now: datetime | None = None) -> bool:
    """Record one check's status ("correct", "incorrect", …); False when the file could not be written."""
    entry = {"status": status, "at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")}
    try:
        update_record(progress_dir() / f"{notebook}.json", lambda entries: entries.update({exercise: entry}),
                      _record_problem, _tell)
    except OSError:
        return False
    return True


def _state(status: str | None) -> str:
    """Where an exercise stands after its last check (its :class:`~model_health.teaching.results.Status`, as the
    file holds it): an answer whose check broke was attempted (the workbook's fault, to report), never "not attempted"."""
    if status == "self-assessed":  # what earlier versions called a written answer
        return "done"
    try:
        known = Status(status)
    except ValueError:
        return "not attempted"
    return {Status.CORRECT: "done", Status.WRITTEN: "done", Status.INCORRECT: "open",
            Status.CHECK_FAILED: "check failed"}.get(known, "not attempted")


def _notebook_records() -> dict[str, tuple[dict, str | None]]:
    """Each notebook's record and, when its file cannot be used, why."""
    notebooks = notebook_names()
    return {notebook: read_record(progress_dir() / f"{notebook}.json", _record_problem) for notebook in notebooks}


def _table(records: dict[str, tuple[dict, str | None]]):
    import pandas as pd

    rows = []
    for notebook, (entries, damaged) in records.items():
        if damaged:
            rows.append({"notebook": notebook, **dict.fromkeys(STATES, pd.NA), "last activity": "",
                         "continue at": "unknown: its progress file is damaged"})
            continue
        exercises = importlib.import_module(f"model_health.teaching.exercises.nb{notebook}").EXERCISES
        states = {exercise.name: _state(entries.get(exercise.name, {}).get("status")) for exercise in exercises}
        moments = [entry["at"] for entry in entries.values()]
        pending = [name for name, state in states.items() if state != "done"]
        rows.append({"notebook": notebook, **{state: sum(s == state for s in states.values()) for state in STATES},
                     "last activity": max(moments, default=""),
                     "continue at": f"notebooks/{notebook}.ipynb, {pending[0]}" if pending else "finished"})
    return pd.DataFrame(rows).astype(dict.fromkeys(STATES, "Int64")).set_index("notebook")


def progress_table():
    """One row per notebook: exercises done, open (last check incorrect), check failed, not attempted, last activity,
    and the first exercise to continue with. A notebook whose file cannot be read has unknown (<NA>) counts."""
    return _table(_notebook_records())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 workbook.py progress", description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    records = _notebook_records()
    table = _table(records)
    print(f"Progress kept in {progress_dir()} (yours; nothing is sent anywhere).\n")
    print(table.to_string())
    for notebook, (_, damaged) in records.items():
        if damaged:
            path = progress_dir() / f"{notebook}.json"
            print(f"\n{path} could not be read ({damaged}), so {notebook}'s progress is unknown. Your next check "
                  f"in that notebook keeps the file as {_aside(path)} and starts a fresh record.")
    started = table[table["last activity"] != ""]
    if len(started):
        latest = started.sort_values("last activity").index[-1]
        print(f"\nMost recent: {latest}. Continue at {table.loc[latest, 'continue at']}.")
    else:
        print("\nNo check run yet: start with notebooks/01_model_health_dashboard.ipynb.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
