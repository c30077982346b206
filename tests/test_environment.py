"""The pip lock file and conda's environment.yml pin the same direct dependencies."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def direct_dependencies() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    return {normalise(re.split(r"[<>=!~\[ ;]", name)[0]) for name in names}


def lock_pins() -> dict[str, str]:
    lines = (REPO / "requirements.lock").read_text().splitlines()
    return {normalise(name): version for name, version in
            (line.split("==") for line in lines if line and not line.startswith("#"))}


def conda_pins() -> dict[str, str]:
    """Conda's pins (name=version) and those of its pip section (name==version)."""
    pins = {}
    for line in (REPO / "environment.yml").read_text().splitlines():
        match = re.fullmatch(r"\s+- ([A-Za-z0-9_.-]+)==?([^=\s]+)", line)
        if match:
            pins[normalise(match[1])] = match[2]
    return pins


def test_every_lock_line_is_pinned():
    """Each line of requirements.lock is name==version."""
    for line in (REPO / "requirements.lock").read_text().splitlines():
        assert line.startswith("#") or re.fullmatch(r"[A-Za-z0-9_.-]+==[^=\s]+", line), line


def test_lock_holds_every_direct_dependency():
    """pip installs every dependency pyproject.toml names, at a pinned version."""
    assert direct_dependencies() <= set(lock_pins())


def test_conda_pins_the_same_versions_as_the_lock():
    """environment.yml lists exactly the direct dependencies, at the lock's versions."""
    conda = conda_pins()
    python = conda.pop("python")
    assert python == "3.11"
    assert set(conda) == direct_dependencies()
    lock = lock_pins()
    assert {name: lock[name] for name in conda} == conda


def test_scale_extra_sits_after_the_marker():
    """The lock's `scale` section (installed by `workbook.py test` or --scale) holds the scale extra."""
    workbook = load_workbook()
    base, scale = (REPO / "requirements.lock").read_text().split(workbook.SCALE_MARKER)
    scale_names = {normalise(line.split("==")[0]) for line in scale.splitlines() if "==" in line}
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["scale"]
    assert {normalise(name) for name in extra} <= scale_names
    assert not scale_names & {normalise(line.split("==")[0]) for line in base.splitlines() if "==" in line}


def load_workbook():
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("workbook", REPO / "workbook.py")
    workbook = module_from_spec(spec)
    spec.loader.exec_module(workbook)
    return workbook


class FakeRun:
    """Stands in for subprocess.run: records each command, fails those whose words are in ``failing``."""

    def __init__(self, *failing: str):
        self.failing, self.commands, self.environments = failing, [], []

    def __call__(self, command, cwd=None, env=None):
        from subprocess import CompletedProcess

        words = [str(part) for part in command]
        self.commands.append(words)
        self.environments.append(env)
        return CompletedProcess(words, 1 if any(word in words for word in self.failing) else 0)

    def tools(self):
        """For each command: uv (the install through uv), pip-uv (pip fetching uv) or pip."""
        return ["uv" if "uv" in words[:3] else "pip-uv" if words[-1].startswith("uv==") else "pip"
                for words in self.commands]


def test_install_goes_through_uv_when_pip_can_fetch_it(monkeypatch):
    workbook, run = load_workbook(), FakeRun()
    monkeypatch.setattr(workbook.subprocess, "run", run)
    workbook.install(Path("python"), "-r", "lock.txt", use_uv=True)
    assert run.tools() == ["pip-uv", "uv"]
    assert run.commands[1][-2:] == ["-r", "lock.txt"]
    assert run.environments[1]["UV_COMPILE_BYTECODE"] == "1"  # byte-compiled unless the caller says otherwise
    monkeypatch.setenv("UV_COMPILE_BYTECODE", "0")
    workbook.install(Path("python"), "-r", "lock.txt", use_uv=True)
    assert run.environments[-1]["UV_COMPILE_BYTECODE"] == "0"


def test_install_falls_back_to_pip(monkeypatch):
    """uv unavailable, uv failing (e.g. a private index it can't read), or --pip: pip installs."""
    workbook = load_workbook()
    for run, use_uv, tools in [(FakeRun(workbook.UV), True, ["pip-uv", "pip"]),
                               (FakeRun("--python"), True, ["pip-uv", "uv", "pip"]),  # only uv's has --python
                               (FakeRun(), False, ["pip"])]:
        monkeypatch.setattr(workbook.subprocess, "run", run)
        workbook.install(Path("python"), "-r", "lock.txt", use_uv=use_uv)
        assert run.tools() == tools
        assert run.commands[-1][1:4] == ["-m", "pip", "install"] and run.commands[-1][-2:] == ["-r", "lock.txt"]


@pytest.mark.parametrize("argv, command, flags, rest", [
    ([], "lab", set(), []),
    (["--scale"], "lab", {"scale"}, []),
    (["grade", "--here", "class", "--out", "book.csv"], "grade", {"here"}, ["class", "--out", "book.csv"]),
    (["variant", "--learner", "ada", "--here", "--out", "copies"], "variant", {"here"},
     ["--learner", "ada", "--out", "copies"]),
    (["test", "-k", "drift", "--quick", "-x"], "test", {"quick"}, ["-k", "drift", "-x"]),
    (["setup", "--offline", "--pip"], "setup", {"offline", "pip"}, []),
    (["grade", "-h"], "grade", set(), ["-h"]),  # the grader's own help
    (["selfcheck", "--here"], "selfcheck", {"here"}, []),
    (["--help"], "help", set(), []),
])
def test_the_command_line_takes_the_workbook_s_flags_anywhere_and_passes_the_rest_on(argv, command, flags, rest,
                                                                                    capsys):
    options, passed = load_workbook().parse(argv)
    assert options.command == command and passed == rest
    assert {flag for flag in ("here", "scale", "pip", "offline", "quick") if getattr(options, flag)} == flags
    assert ("usage: python3 workbook.py" in capsys.readouterr().out) == (command == "help")


def test_grade_without_submissions_points_to_the_self_check_before_setting_anything_up(monkeypatch, capsys):
    """`grade` means one thing, grading a class; with nothing to grade it names `selfcheck` (it used to run it), and
    exits as the grader does on a usage error (2)."""
    workbook = load_workbook()
    monkeypatch.setattr(workbook, "setup", lambda *args, **kwargs: pytest.fail("set up before refusing"))
    with pytest.raises(SystemExit) as exit_:
        workbook.main(["grade"])
    assert exit_.value.code == 2
    assert "python3 workbook.py selfcheck" in capsys.readouterr().err


def test_an_unknown_command_is_refused_with_the_known_ones(capsys):
    with pytest.raises(SystemExit) as exit_:
        load_workbook().parse(["serve"])
    assert exit_.value.code == 2 and "invalid choice: 'serve'" in capsys.readouterr().err


GROUPED_TESTS = """
import pytest

@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("case", range(6))
def test_grouped(case):
    pass

@pytest.mark.parametrize("case", range(6))
def test_free(case):
    pass
"""


def test_xdist_keeps_a_group_of_tests_on_one_worker(tmp_path):
    """The test command relies on --dist loadgroup (a notebook's tests share the worker that built its solved
    namespace). pytest 9.2 broke it silently (pytest-xdist issue 1386: the group suffix of node ids is lost), so
    the lock holds pytest 9.1; this fails if an upgrade breaks it again."""
    (tmp_path / "test_grouped.py").write_text(GROUPED_TESTS)
    # Only pytest and xdist: the other installed plugins (nbval, hypothesis, …) cost each of the three processes
    # seconds of imports (19 s against 1 s) and have no part in how xdist hands out groups.
    completed = subprocess.run([sys.executable, "-m", "pytest", "-p", "xdist", "-n", "2", "--dist", "loadgroup", "-v",
                                "-p", "no:cacheprovider", "test_grouped.py"], cwd=tmp_path, capture_output=True,
                               text=True, timeout=300, env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert completed.returncode == 0, completed.stdout[-2000:]
    workers = set(re.findall(r"\[(gw\d)\] .*PASSED test_grouped\.py::test_grouped", completed.stdout))
    assert len(workers) == 1, completed.stdout[-2000:]
