#!/usr/bin/env python3
"""Set up, open, check and test the Model Health Workbook. Needs only Python 3.11+ and pip.

    python workbook.py lab      # create .venv if missing, install pinned packages, open JupyterLab
    python workbook.py selfcheck  # run every notebook headless and print each one's score
    python workbook.py grade SUBMISSIONS… --out gradebook.csv   # grade a class's notebooks (see README)
    python workbook.py variant --learner ID …   # a learner's own copy of the notebooks, on their own data
    python workbook.py vet --until 30 --notebook 08   # vet seeds, so 30 learners can each have their own
    python workbook.py test     # unit tests, learner notebooks as delivered, nbval over solutions (twice)
    python workbook.py test --quick  # the unit tests and the checks of the notebooks your change touches
    python workbook.py build    # regenerate learner notebooks from solutions/ (--execute re-runs them)
    python workbook.py bench    # time each notebook, peak memory, import time, the drift table
    python workbook.py quiz     # practise the concepts in the terminal (--topic, --level, --count, --seconds)
    python workbook.py wheelhouse  # download every pinned package into wheelhouse/ for a room without internet
    python workbook.py progress # your checks so far, per notebook, and where to continue

Add --here to use the current Python environment (e.g. conda) instead of .venv, and --scale
to install the `scale` extra (pyspark, which needs a Java runtime) with any command; `test`
always installs it. Add --offline to install from wheelhouse/ only, never the network. The
lock is installed with uv (fetched by pip, about four times faster) where it can be had, else
with pip; --pip always uses pip.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("MODEL_HEALTH_VENV") or ROOT / ".venv")  # another folder: a second, separate install
WHEELHOUSE = Path(os.environ.get("MODEL_HEALTH_WHEELHOUSE") or ROOT / "wheelhouse")
LOCK = ROOT / "requirements.lock"
SCALE_MARKER = "# [scale]"  # the lock's lines after this one are the `scale` extra's packages
UV = "uv==0.13.9"  # pip's interface with parallel downloads and byte-compilation
# Builds the wheelhouse: pip 23 (Python 3.11's own) spends most of a minute matching every file on the index pages
# against the platform's tags; this pip does it in a quarter of the time.
WHEEL_BUILDER = "pip==26.3"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*command: object, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    completed = subprocess.run([str(part) for part in command], cwd=cwd, env=env)
    if completed.returncode:
        sys.exit(completed.returncode)


def install(python: Path, *args: object, use_uv: bool, offline: bool = False) -> None:
    """``pip install *args`` into ``python``'s environment, through uv when pip can fetch it (from the wheelhouse
    when ``offline``: ``workbook.py wheelhouse`` puts uv there too); ``offline``: never the network."""
    quiet = ["--quiet", "--disable-pip-version-check"]
    sources = []
    if offline:
        if not any(WHEELHOUSE.glob("*.whl")):
            sys.exit(f"No wheelhouse at {WHEELHOUSE}: run `python3 workbook.py wheelhouse` where there is internet, "
                     "then copy the folder here (or set MODEL_HEALTH_WHEELHOUSE).")
        sources = ["--no-index", "--find-links", WHEELHOUSE]
    if use_uv and subprocess.run([str(part) for part in (python, "-m", "pip", "install", *quiet, *sources, UV)],
                                 cwd=ROOT).returncode == 0:
        uv = [python, "-m", "uv", "pip", "install", "--quiet", "--python", python,
              *(["--offline", *sources] if offline else []), *args]
        print("+", " ".join(str(part) for part in uv), flush=True)
        # Byte-compiled, so imports stay fast even where PYTHONDONTWRITEBYTECODE is set; UV_COMPILE_BYTECODE=0 skips
        # it (about 45 CPU-seconds for the whole lock).
        environment = {"UV_COMPILE_BYTECODE": "1", **os.environ}
        if subprocess.run([str(part) for part in uv], cwd=ROOT, env=environment).returncode == 0:
            return
        print("uv could not install this (a private package index?); trying pip.", flush=True)
    run(python, "-m", "pip", "install", *quiet, *sources, *args)


def base_lock(folder: Path) -> Path:
    """The lock without the `scale` extra (pyspark is large and needs Java), written into ``folder``."""
    lock = folder / "requirements-base.lock"
    lock.write_text(LOCK.read_text().split(SCALE_MARKER)[0])
    return lock


def wheelhouse(scale: bool) -> None:
    """Every pinned package as a wheel (sdists built here), and the build backend, for a room without internet."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    lock = LOCK if scale else base_lock(WHEELHOUSE)
    backend = re.search(r'requires = \[(.*?)\]', (ROOT / "pyproject.toml").read_text())[1]
    requirements = [part.strip().strip('"') for part in backend.split(",") if part.strip()]
    quiet = ["--quiet", "--disable-pip-version-check"]
    with tempfile.TemporaryDirectory(prefix="wheel-builder-") as builder:
        run(sys.executable, "-m", "pip", "install", *quiet, "--target", builder, WHEEL_BUILDER)
        with_builder = {**os.environ,
                        "PYTHONPATH": os.pathsep.join(filter(None, [builder, os.environ.get("PYTHONPATH")]))}
        # --no-deps: the lock pins every package already (pip freeze), so there is nothing to resolve; a package
        # missing from it would fail `setup --offline`, which tests/test_offline_install.py runs.
        run(sys.executable, "-m", "pip", "wheel", *quiet, "--no-deps", "--wheel-dir", WHEELHOUSE, "-r", lock,
            *requirements, UV, env=with_builder)  # uv installs the room's lock several times faster than pip
    wheels = sorted(WHEELHOUSE.glob("*.whl"))
    size = sum(wheel.stat().st_size for wheel in wheels) / 1024 ** 2
    print(f"{len(wheels)} wheels ({size:.0f} MiB) in {WHEELHOUSE}. In the room: copy the repository with this folder, "
          "then `python3 workbook.py setup --offline`.")


def setup(here: bool, scale: bool = False, use_uv: bool = True, offline: bool = False) -> Path:
    """Return the Python to use, creating and filling .venv when needed (with pyspark if ``scale``)."""
    if here:
        return Path(sys.executable)
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV.name}/", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp, scale_stamp = VENV / f".installed-{digest}", VENV / f".installed-{digest}-scale"
    if not (scale_stamp.exists() or (stamp.exists() and not scale)):
        lock = LOCK if scale else base_lock(VENV)  # pyspark is large and needs Java: only when asked
        install(python, "-r", lock, use_uv=use_uv, offline=offline)
        install(python, "--no-deps", "-e", ROOT, use_uv=use_uv, offline=offline)
        for old in VENV.glob(".installed-*"):
            old.unlink()
        (scale_stamp if scale else stamp).touch()
    return python


def changed_files() -> list[str]:
    """Files the working tree changes against the last commit, untracked ones included."""
    listed = []
    for command in (["git", "diff", "--name-only", "HEAD"], ["git", "ls-files", "--others", "--exclude-standard"]):
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        listed += completed.stdout.split() if completed.returncode == 0 else []
    return sorted(set(listed))


def touched_notebooks(paths: list[str]) -> list[str]:
    """Numbers of the notebooks whose checks a change to ``paths`` can alter: a notebook's own files (its
    notebooks, exercise module, solution source, tests), and every notebook whose exercise module or solution
    source names a package module the change edits (a change to `grading` touches them all)."""
    numbers = set()
    package = ROOT / "src" / "model_health"
    sources = {path: path.read_text(encoding="utf-8") for path in
               [*(package / "teaching" / "exercises").glob("nb*.py"),
                *(package / "teaching" / "exercises" / "solutions").glob("*.json")]}
    for changed in paths:
        own = re.search(r"(?:^notebooks/|^solutions/|^src/model_health/teaching/exercises/(?:solutions/|nb)"
                        r"|^tests/test_nb)(\d\d)_", changed)
        if own:
            numbers.add(own[1])
        elif changed.startswith("src/model_health/") and changed.endswith(".py"):
            parts = Path(changed).relative_to("src/model_health").with_suffix("").parts
            parts = parts[1:] if parts[0] in ("services", "teaching", "classroom") and len(parts) > 1 else parts
            module = parts[0] if parts[0] not in ("__init__", "__main__") else None
            for path, text in sources.items():
                if module is None or re.search(rf"\b{module}\b", text):
                    numbers.add(re.search(r"(\d\d)_", path.name)[1])
    return sorted(numbers)


def temporary_folder(prefix: str) -> Path:
    """A new folder, removed when this process exits (after the runs it started have ended)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def prepare_test_environment() -> None:
    """What the test command's processes inherit (`test` and benchmarks/test_command.py)."""
    # Checks run by the tests never mark a learner's own exercises done.
    if "MODEL_HEALTH_PROGRESS" not in os.environ:
        os.environ["MODEL_HEALTH_PROGRESS"] = str(temporary_folder("model-health-progress-"))
    # The notebooks' files (stores, logs, reports) go to a temporary folder: a learner's own output/ is left alone.
    os.environ["MODEL_HEALTH_OUTPUT"] = str(temporary_folder("model-health-test-") / "output")
    # References the grader records from the published solutions: the tests' own, not the instructor's cache.
    os.environ.setdefault("MODEL_HEALTH_REFERENCES", str(temporary_folder("model-health-references-")))
    # One thread per process: the workers already fill the cores, and OpenMP threads that spin-wait for a core
    # another worker holds made nbval on two workers slower than on one (184 s against 91 s).
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")


def test_commands(python: Path, quick: bool, rest: list[str]) -> list[list[object]]:
    """The pytest runs `test` makes: the suite with nbval's first run over the solutions, then, unless ``quick``,
    nbval again, since stored outputs must not depend on the run. Each runs on up to four pytest-xdist workers
    (one per core): tests about one notebook share a worker (tests/conftest.py), as do a notebook's nbval cells.
    nbval's first run shares the suite's workers, so it fills the time a worker would wait for the other."""
    cores = max(1, min(4, os.cpu_count() or 1))
    workers = ["-n", str(cores)]
    # The suite has one worker more than cores: its slow tests that wait (a download, a time limit running out)
    # leave their core to the others.
    suite = [python, "-m", "pytest", "tests", "src", "-p", "no:cacheprovider", "-n", str(cores + 1),
             "--dist", "loadgroup", "--no-loadscope-reorder"]
    if quick:
        notebooks = touched_notebooks(changed_files())
        print(f"Quick: unit tests, and the checks of notebook(s) {', '.join(notebooks) or 'none'} "
              "(from what the working tree changes); no test marked slow, no nbval.", flush=True)
        return [[*suite, f"--notebooks={','.join(notebooks)}", *rest]]
    nbval = ["--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]
    with_nbval = [*suite, "solutions", *nbval, "--ignore-glob=tests/fixtures/*"]  # fixtures: submissions, not tests
    again = [python, "-m", "pytest", "solutions", *nbval, "-p", "no:cacheprovider", *workers, "--dist", "loadscope"]
    return [[*with_nbval, *rest], [*again, *rest]]


COMMANDS = ("lab", "setup", "selfcheck", "grade", "variant", "vet", "test", "build", "bench", "quiz", "wheelhouse",
            "progress", "help")


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The command and the workbook's own flags, wherever they stand; the other words go, in order, to the tool the
    command runs (pytest, the grader, …), so ``grade -h`` is the grader's help."""
    parser = argparse.ArgumentParser(prog="python3 workbook.py", description=__doc__, add_help=False,
                                     allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="lab", choices=COMMANDS)
    parser.add_argument("--here", action="store_true", help="use this Python environment (e.g. conda), not .venv")
    parser.add_argument("--scale", action="store_true", help="install the `scale` extra too (pyspark; needs Java)")
    parser.add_argument("--pip", action="store_true", help="install with pip, never uv")
    parser.add_argument("--offline", action="store_true", help="install from wheelhouse/ only, never the network")
    parser.add_argument("--quick", action="store_true", help="test: the unit tests and the touched notebooks' checks")
    if argv[:1] in (["-h"], ["--help"]):
        argv = ["help"]
    options, rest = parser.parse_known_args(argv)
    if options.command == "help":
        parser.print_help()
    return options, rest


def main(argv: list[str]) -> None:
    options, rest = parse(argv)
    command = options.command
    if command == "help":
        return
    if command == "wheelhouse":
        wheelhouse(scale=options.scale)
        return
    if command == "grade" and not rest:  # a usage error, as the grader's own are (exit status 2)
        print("grade grades a class's notebooks: python3 workbook.py grade SUBMISSIONS… --out gradebook.csv "
              "(files, folders or zip files). The workbook's own self-check, every notebook run headless with "
              "its score, is: python3 workbook.py selfcheck", file=sys.stderr)
        sys.exit(2)
    python = setup(options.here, scale=options.scale or command == "test", use_uv=not options.pip,
                   offline=options.offline)
    if command in ("test", "selfcheck", "grade", "bench", "vet"):
        # These run the solutions, checking every exercise: keep that out of the learner's own progress file.
        os.environ["MODEL_HEALTH_PROGRESS"] = str(temporary_folder("model-health-progress-"))
    if command == "test":
        prepare_test_environment()
    if command == "setup":
        print(f"Ready: {python}")
    elif command == "lab":
        # Containers and workshop VMs often run as root, which Jupyter refuses without this flag.
        as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        run(python, "-m", "jupyterlab", "--notebook-dir", ROOT, *as_root,
            "notebooks", *rest)
    elif command == "grade":
        # In the caller's folder, which its paths (submissions, --out) are relative to; -P keeps that folder off
        # the import path (a submitted nbformat.py must not be imported).
        run(python, "-P", "-m", "model_health.classroom.batch_grading", *rest, cwd=Path.cwd())
    elif command == "selfcheck":
        run(python, "-m", "model_health.teaching.runner", "selfcheck")
    elif command == "build":
        run(python, "-m", "model_health.teaching.authoring", *rest)
    elif command == "quiz":
        run(python, "-m", "model_health.teaching.quiz", *rest)
    elif command == "progress":
        run(python, "-m", "model_health.teaching.progress", *rest)
    elif command == "variant":
        run(python, "-P", "-m", "model_health.classroom.variants", *rest,
            cwd=Path.cwd())  # --roster, --out: the caller's
    elif command == "vet":
        run(python, "-m", "model_health.classroom.vetting", *rest)
    elif command == "bench":
        run(python, "-m", "model_health.teaching.runner", "bench", *rest)
        run(python, "benchmarks/drift_table.py")
        run(python, "benchmarks/monitor_job.py")
        run(python, "benchmarks/serve_load.py")
    elif command == "test":
        for step in test_commands(python, options.quick, rest):
            run(*step)


if __name__ == "__main__":
    main(sys.argv[1:])
