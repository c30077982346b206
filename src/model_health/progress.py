"""A learner's progress, kept offline: every ``qN.check()`` records its result in a small JSON file.

    python3 workbook.py progress        # done / open / not attempted per notebook, and where to continue

One file per notebook (``<folder>/<notebook>.json``), so two notebooks open at once never write the
same file; each write is atomic. The folder is ``~/.model-health-workbook/progress`` unless
``MODEL_HEALTH_PROGRESS`` names another (the tests point it at a temporary folder, so running the
solutions never marks a learner's exercises done). Nothing is sent anywhere. A folder that cannot be
written (a read-only home) costs the record, never the check.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["progress_dir", "progress_table", "record", "main"]

REPO = Path(__file__).resolve().parents[2]
STATES = ("done", "open", "not attempted")


def progress_dir() -> Path:
    return Path(os.environ.get("MODEL_HEALTH_PROGRESS") or Path.home() / ".model-health-workbook" / "progress")


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: start afresh rather than stop the learner's check
    return data if isinstance(data, dict) else {}


def record(notebook: str, exercise: str, status: str, *, now: datetime | None = None) -> bool:
    """Record one check's status ("correct", "incorrect", …); False when the file could not be written."""
    folder = progress_dir()
    path = folder / f"{notebook}.json"
    entries = _read(path)
    entries[exercise] = {"status": status, "at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entries, indent=1, sort_keys=True), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        return False
    return True


def _state(status: str | None) -> str:
    if status in ("correct", "self-assessed"):
        return "done"
    return "open" if status == "incorrect" else "not attempted"


def progress_table():
    """One row per notebook: exercises done, open (last check incorrect), not attempted, last activity,
    and the first exercise to continue with."""
    import pandas as pd

    rows = []
    for notebook in sorted(path.stem for path in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        exercises = importlib.import_module(f"model_health.exercises.nb{notebook}").EXERCISES
        entries = _read(progress_dir() / f"{notebook}.json")
        states = {exercise.name: _state(entries.get(exercise.name, {}).get("status")) for exercise in exercises}
        moments = [entry.get("at") for entry in entries.values() if isinstance(entry, dict) and entry.get("at")]
        pending = [name for name, state in states.items() if state != "done"]
        rows.append({"notebook": notebook, **{state: sum(s == state for s in states.values()) for state in STATES},
                     "last activity": max(moments) if moments else "",
                     "continue at": f"notebooks/{notebook}.ipynb, {pending[0]}" if pending else "finished"})
    return pd.DataFrame(rows).set_index("notebook")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 workbook.py progress", description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    table = progress_table()
    print(f"Progress kept in {progress_dir()} (yours; nothing is sent anywhere).\n")
    print(table.to_string())
    started = table[table["last activity"] != ""]
    if len(started):
        latest = started.sort_values("last activity").index[-1]
        print(f"\nMost recent: {latest}. Continue at {table.loc[latest, 'continue at']}.")
    else:
        print("\nNo check run yet: start with notebooks/01_model_health_dashboard.ipynb.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
