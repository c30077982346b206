"""The sandbox a submission's kernel runs in: a memory limit everywhere, and file access limited
by Linux Landlock where the kernel has it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from model_health.sandbox import landlock_available

from conftest import REPO

CHECK = r"""
import pathlib, sys
secret, allowed = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
results = []
for action in (lambda: secret.read_text(), lambda: (secret.parent / "new.txt").write_text("x"),
               lambda: (allowed / "ok.txt").write_text("x"), lambda: (REPO_DATA / "DATASHEET.md").exists()):
    try:
        action()
        results.append("ok")
    except PermissionError:
        results.append("denied")
import model_health.data
print(",".join(results), model_health.data.load_german_credit().frame.shape[0])
"""


def run_sandboxed(tmp_path, *extra):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    allowed = tmp_path / "work"
    allowed.mkdir()
    code = CHECK.replace("REPO_DATA", repr(str(REPO / "data")).join(("pathlib.Path(", ")")))
    return subprocess.run([sys.executable, "-m", "model_health.sandbox", "--write", str(allowed), "--read",
                           str(REPO / "data"), *extra, "--", "-c", code, str(secret / "answers.txt"), str(allowed)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)


@pytest.mark.skipif(not landlock_available(), reason="this kernel has no Landlock (CI's has)")
def test_a_sandboxed_program_reads_and_writes_only_where_allowed(tmp_path):
    completed = run_sandboxed(tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["denied,denied,ok,ok", "1000"]  # and the workbook's data still loads
    assert not (tmp_path / "secret" / "new.txt").exists()


def test_the_memory_limit_turns_a_huge_allocation_into_a_memory_error(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "model_health.sandbox", "--write", str(tmp_path),
                                "--memory-mb", "1024", "--", "-c",
                                "import numpy as np\ntry:\n    np.ones(2 * 1024**3, dtype=np.uint8)\n"
                                "except MemoryError:\n    print('MemoryError')"],
                               capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert completed.stdout.strip() == "MemoryError", completed.stderr


@pytest.mark.skipif(not landlock_available(), reason="this kernel has no Landlock (CI's has)")
def test_hidden_folders_stay_unreadable_inside_a_readable_one(tmp_path):
    """Issue 23: the kernel could read the package's solutions (`exec(solution_code(NB, "q3"))` scored). With
    --hide, the files beneath a folder are unreadable though its parent is readable; its siblings, and the
    listing, are not affected."""
    tree = tmp_path / "package"
    (tree / "exercises" / "solutions").mkdir(parents=True)
    (tree / "exercises" / "solutions" / "01.json").write_text('{"q3": "answer"}')
    (tree / "exercises" / "nb01.py").write_text("checks")
    (tree / "grading.py").write_text("grading")
    code = ("import pathlib, sys\nroot = pathlib.Path(sys.argv[1])\n"
            "for path in ('grading.py', 'exercises/nb01.py', 'exercises/solutions/01.json'):\n"
            "    try:\n        print(path, (root / path).read_text())\n"
            "    except PermissionError:\n        print(path, 'denied')\n"
            "print(sorted(p.name for p in (root / 'exercises' / 'solutions').iterdir()))")
    completed = subprocess.run([sys.executable, "-m", "model_health.sandbox", "--read", str(tree), "--hide",
                                str(tree / "exercises" / "solutions"), "--", "-c", code, str(tree)],
                               capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == ["grading.py grading", "exercises/nb01.py checks",
                                             "exercises/solutions/01.json denied", "['01.json']"]
