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
