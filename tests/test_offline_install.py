"""A workshop room without internet: `workbook.py wheelhouse` where there is a network, then
`workbook.py setup --offline` installs everything from that folder with pip's network blocked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO

BLOCKED = {
    "PIP_CONFIG_FILE": os.devnull,  # no machine-wide index or find-links settings
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",  # nothing listens there: any download fails
    "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "NO_PROXY": "", "no_proxy": "",
    "UV_OFFLINE": "1",
}


# Every pinned distribution is installed at its version, and compiled wheels load (importing every library would
# cost 14 CPU-seconds here: with PYTHONDONTWRITEBYTECODE set, an unbyte-compiled environment compiles each import).
INSTALLED = """import sys
from importlib.metadata import PackageNotFoundError, version
import model_health.classroom.batch_grading, sklearn, duckdb, pyarrow
pins = [line.split("==") for line in open(sys.argv[1]).read().splitlines() if "==" in line and line[0] != "#"]
def installed(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"
wrong = [(name, pin, installed(name)) for name, pin in pins if installed(name) != pin]
print(wrong or f"{len(pins)} ok")
"""


@pytest.mark.slow
def test_setup_offline_installs_from_the_wheelhouse_with_the_network_blocked(tmp_path):
    environment = {**os.environ, "MODEL_HEALTH_WHEELHOUSE": str(tmp_path / "wheelhouse"),
                   "MODEL_HEALTH_VENV": str(tmp_path / "venv"),
                   "UV_COMPILE_BYTECODE": "0"}  # byte-compiling the lock is not what this tests: 45 CPU-seconds
    made = subprocess.run([sys.executable, "workbook.py", "wheelhouse"], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=1800)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    assert "wheels" in made.stdout and any((tmp_path / "wheelhouse").glob("lime-*.whl"))  # an sdist, built here

    offline = {**environment, **BLOCKED}
    installed = subprocess.run([sys.executable, "workbook.py", "setup", "--offline"], cwd=REPO, env=offline,
                               capture_output=True, text=True, timeout=1800)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    python = tmp_path / "venv" / "bin" / "python"
    checked = subprocess.run([str(python), "-c", INSTALLED, tmp_path / "venv" / "requirements-base.lock"],
                             capture_output=True, text=True, env=offline, timeout=600)
    assert checked.stdout.strip().endswith("ok"), checked.stdout[-2000:] + checked.stderr[-2000:]


def test_setup_offline_without_a_wheelhouse_says_what_to_do(tmp_path):
    environment = {**os.environ, **BLOCKED, "MODEL_HEALTH_WHEELHOUSE": str(tmp_path / "none"),
                   "MODEL_HEALTH_VENV": str(tmp_path / "venv")}
    completed = subprocess.run([sys.executable, "workbook.py", "setup", "--offline"], cwd=REPO, env=environment,
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode != 0 and "python3 workbook.py wheelhouse" in completed.stderr
