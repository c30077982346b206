"""Shared fixtures: the namespace of each fully solved notebook, built by running its code."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: tests draw, never show

import atexit  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
from functools import cache  # noqa: E402

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

# Property-based tests: the same examples on every run (derandomized, no example database), so CI
# never flakes; no deadline, since a shared 2-core machine makes timings noisy.
settings.register_profile("workbook", deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("workbook")
# Every folder this process makes for the tests is under one, removed when it exits: a notebook's run leaves stores
# and logs of tens of MB, and a machine that runs the suite often must not fill its disk with them.
SCRATCH = Path(tempfile.mkdtemp(prefix="model-health-test-"))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="hypothesis-", dir=SCRATCH))  # its caches, not in the tree

import nbformat  # noqa: E402
import pytest  # noqa: E402

from model_health.classroom import batch_grading  # noqa: E402
from model_health.teaching.grading._transfer import (KERNEL_HELPERS, TransferFolder, TransferLimits,  # noqa: E402
                                            request_bytes, safe_loads)

REPO = Path(__file__).resolve().parents[1]


# Batch grading refuses to run a submission's kernel outside bubblewrap unless told to; CI installs it (.ci/run).
from model_health.classroom.sandbox import bubblewrap_problem  # noqa: E402

needs_bubblewrap = pytest.mark.skipif(bubblewrap_problem() is not None,
                                      reason=f"submissions are graded in bubblewrap, and {bubblewrap_problem()}")
# Checks record progress; tests must never mark a learner's own exercises done.
os.environ["MODEL_HEALTH_PROGRESS"] = tempfile.mkdtemp(prefix="progress-", dir=SCRATCH)
# The notebooks' files (MLflow stores, prediction logs, reports) go to a temporary output/ folder, never the
# repository's; each run of a notebook in the tests sets its own (run_code_cells, the learner runs).
os.environ["MODEL_HEALTH_OUTPUT"] = str(Path(tempfile.mkdtemp(prefix="run-", dir=SCRATCH)) / "output")
# The references batch grading records (batch_grading.published_references): this run's, not the user's cache.
os.environ.setdefault("MODEL_HEALTH_REFERENCES", tempfile.mkdtemp(prefix="references-", dir=SCRATCH))
# A check that breaks fails the test (CheckFailed) instead of telling a learner "check failed: please report".
os.environ["MODEL_HEALTH_STRICT_CHECKS"] = "1"


ANSWERS_AS_WRITTEN = "__answers_as_written__"


def run_code_cells(notebook_path: Path) -> dict:
    """Execute a notebook's code cells in one namespace, as a kernel would, and return it with each exercise's
    answers as its answer cells left them (``ANSWERS_AS_WRITTEN`` holds them too): later given cells replace an
    answer with its reference form (``carry_forward``), and the tests grade what the solution wrote."""
    import matplotlib.pyplot as plt

    exercises = {exercise.name: exercise for exercise in importlib.import_module(
        f"model_health.teaching.exercises.nb{notebook_path.stem}").EXERCISES}
    written: dict = {}
    namespace: dict = {"__name__": "__notebook__"}
    environment = dict(os.environ)  # a kernel's variables (e.g. MLflow's tracking URI) die with it; so must these
    # Its files (stores, logs) in a folder of its own: no other run, in this process or another, empties it.
    os.environ["MODEL_HEALTH_OUTPUT"] = str(Path(tempfile.mkdtemp(prefix="run-", dir=SCRATCH)) / "output")
    folder = os.getcwd()
    os.chdir(notebook_path.parent)  # a kernel runs in the notebook's folder
    try:
        for cell in nbformat.read(notebook_path, as_version=4).cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, str(notebook_path), "exec"), namespace)
                for name in re.findall(r"### BEGIN SOLUTION (q\d+)", cell.source):
                    written.update({read: namespace[read] for read in exercises[name].reads if read in namespace})
    finally:
        os.chdir(folder)
        os.environ.clear()
        os.environ.update(environment)
        plt.close("all")
    return {**namespace, **written, ANSWERS_AS_WRITTEN: written}


def run_command(capsys, *argv) -> subprocess.CompletedProcess:
    """``python -m model_health *argv``, run in this process: its exit code and output. A new interpreter costs
    seconds a call, so a test runs each command once from a shell and its other cases here."""
    from model_health.__main__ import main

    capsys.readouterr()
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exit_:  # argparse ends a usage error this way
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["model_health", *map(str, argv)], code, out, err)


def significant(value, digits: int = 3) -> float:
    """``value`` as a learner who rounds to 3 significant digits writes it."""
    return float(f"{float(value):.{digits}g}")


def feedback_failures(exercise_set, namespace: dict, mistakes) -> list[str]:
    """Mistakes (exercise name, replaced answers, words the message must contain) that were not
    graded incorrect with those words; empty when every mistake got its specific feedback."""
    from model_health.teaching.grading import Status

    exercises = {exercise.name: exercise for exercise in exercise_set}
    failures = []
    for name, answers, words in mistakes:
        result = exercises[name].grade({**namespace, **answers})
        if result.status is not Status.INCORRECT or words not in result.message:
            failures.append(f"{name} {sorted(answers)}: expected '{words}', got {result.status.value}: {result.message}")
    return failures


# --- a kernel's side of the batch grader's exchange, in this process ------------------------------------------------

class LocalKernel:
    """The kernel's side of the exchange run in this process: its snapshots, and calls answered as it answers
    them (through files in ``folder``)."""

    def __init__(self, folder: Path):
        self.helpers: dict = {}
        exec(KERNEL_HELPERS, self.helpers)
        self.folder, self.calls = folder, 0

    def snapshot(self, namespace: dict, name: str = "variables") -> Path:
        self.helpers["__mh_snapshot"](str(self.folder / name), namespace)
        return self.folder / name

    def confine(self, path: str) -> str:
        """The path as the grader opens it: the batch grader keeps it inside the submission's copy; here the
        notebook ran in this process, so its files are wherever it wrote them."""
        return os.path.realpath(path)

    def request(self, operation, key, argument):
        self.calls += 1
        request, reply = self.folder / f"call-{self.calls}.in", self.folder / f"call-{self.calls}.out"
        request.write_bytes(request_bytes(operation, key, argument))
        self.helpers["__mh_call"](str(request), str(reply))
        error = reply.with_name(reply.name + ".error")
        if error.exists():  # raised as the batch grader raises it (an AttributeError stays one, for hasattr)
            details = json.loads(error.read_text())
            raise batch_grading._remote_error(details["type"], details["message"])
        return safe_loads(reply.read_bytes(), self)


def load_snapshot(folder: Path, session=None, limits: TransferLimits = TransferLimits()) -> tuple[dict, dict]:
    """The variables of the snapshot in ``folder``, as the grader reads them."""
    with TransferFolder(folder, limits) as transfer:
        return transfer.load_snapshot(folder, session)


def crossed(tmp_path: Path, namespace: dict, limits: TransferLimits = TransferLimits()) -> tuple[dict, dict]:
    """``namespace`` as the grader gets it from a kernel that held it."""
    kernel = LocalKernel(tmp_path)
    return load_snapshot(kernel.snapshot(namespace), kernel, limits)


@cache
def solved_namespace(notebook: str) -> dict:
    """Variables of solutions/<notebook>.ipynb after running it top to bottom (once per session)."""
    return run_code_cells(REPO / "solutions" / f"{notebook}.ipynb")


@pytest.fixture
def solved_nb01() -> dict:
    return solved_namespace("01_model_health_dashboard")


@pytest.fixture
def solved_nb02() -> dict:
    return solved_namespace("02_lifecycle_data_bias")


@pytest.fixture
def solved_nb03() -> dict:
    return solved_namespace("03_fairness_audit_lending")


@pytest.fixture
def solved_nb04() -> dict:
    return solved_namespace("04_monitor_rest_api")


@pytest.fixture
def solved_nb05() -> dict:
    return solved_namespace("05_diagnose_post_launch_drift")


@pytest.fixture
def solved_nb06() -> dict:
    return solved_namespace("06_bias_mitigation_explanations")


@pytest.fixture
def solved_nb07() -> dict:
    return solved_namespace("07_bias_drift_alerting")


@pytest.fixture
def solved_nb10() -> dict:
    return solved_namespace("10_responsible_ai_governance")


@pytest.fixture
def solved_nb11() -> dict:
    return solved_namespace("11_observability_platform")


@pytest.fixture
def solved_nb12() -> dict:
    return solved_namespace("12_failure_mode_response")


@pytest.fixture
def solved_nb08() -> dict:
    return solved_namespace("08_resume_screening_audit")


@pytest.fixture
def solved_nb09() -> dict:
    return solved_namespace("09_model_risk_review")


def chromium() -> str | None:
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def rendered_text(html: Path, profile: Path) -> str:
    """The page's text after its scripts ran (scripts left out), in headless Chromium with no name resolvable."""
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--host-resolver-rules=MAP * ~NOTFOUND",  # a script from a CDN would fail to load
               "--virtual-time-budget=10000", "--dump-dom", html.as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    return re.sub(r"<script.*?</script>", "", dom, flags=re.S)  # the report's data sits in a script


@pytest.fixture
def solved_nb13() -> dict:
    return solved_namespace("13_interview_practice")


# --- how the suite is split and narrowed ---------------------------------------------------------------------------
# On xdist workers (`workbook.py test`: -n 2 --dist loadgroup --no-loadscope-reorder) a test's group is its
# module if it uses a module-scoped fixture (built once), else a slow test's own, else its notebook where it has
# one (a solved notebook is built by the one worker that runs its tests), else its module.
# Groups are handed out in collection order (--no-loadscope-reorder), costliest first.
# `workbook.py test --quick` leaves out the tests marked slow and the checks of notebooks the change leaves alone.

NOTEBOOK_NUMBER = re.compile(r"(?<!\d)(\d\d)_[a-z]")


def pytest_addoption(parser):
    parser.addoption("--notebooks", default=None,
                     help="comma-separated notebook numbers (e.g. 01,04): run only these notebooks' tests, and no "
                          "test marked slow (workbook.py test --quick picks them from what the change touches)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs whole notebooks or batches of them (left out by --quick)")


def item_notebook(item) -> str | None:
    """The number of the notebook a test is about, if it is about one: from its module (test_nb04_…), a solved
    notebook it uses (solved_nb04), or its parameters (a notebook path, name or (name, exercise) case)."""
    module = re.match(r"test_nb(\d\d)_", item.path.name)
    if module:
        return module[1]
    for fixture in getattr(item, "fixturenames", ()):
        solved = re.fullmatch(r"solved_nb(\d\d)", fixture)
        if solved:
            return solved[1]
    for value in getattr(getattr(item, "callspec", None), "params", {}).values():
        value = value[0] if isinstance(value, tuple) and value else value
        found = NOTEBOOK_NUMBER.search(value.name if isinstance(value, Path) else str(value))
        if found:
            return found[1]
    return None


def uses_module_fixture(item) -> bool:
    """Whether the test shares a fixture built once per module (its module's tests must share a worker)."""
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    return any(chain[-1].scope in ("module", "class") for chain in definitions.values() if chain)


# Measured seconds of the costlier tests (benchmarks/test_command.py --save-durations writes it): only the order
# in which groups are handed out depends on it, never what runs or passes.
DURATIONS_FILE = REPO / "tests" / "durations.json"
DURATIONS = json.loads(DURATIONS_FILE.read_text(encoding="utf-8")) if DURATIONS_FILE.exists() else {}


def item_weight(item) -> float:
    """Expected seconds, for handing out the costliest groups first (a new slow test: a guess of 30 s)."""
    return DURATIONS.get(item.nodeid, 30.0 if item.get_closest_marker("slow") else 0.1)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (it adds them to the node ids)
def pytest_collection_modifyitems(config, items):
    chosen = config.getoption("--notebooks")
    if chosen is not None:
        wanted = {number.strip().zfill(2) for number in chosen.split(",") if number.strip()}
        keep = [item for item in items if not item.get_closest_marker("slow")
                and (item_notebook(item) is None or item_notebook(item) in wanted)]
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep
    groups: dict[str, list] = {}
    for item in items:
        notebook = item_notebook(item)
        if item.path.suffix == ".ipynb":
            group = f"nbval-{item.path.stem}"  # nbval: a notebook's cells in order, in one kernel
        elif uses_module_fixture(item):
            group = item.path.stem
        elif item.get_closest_marker("slow"):
            group = item.nodeid  # a slow test on its own (its notebook runs in its own output folder)
        elif notebook:
            group = f"notebook-{notebook}"  # one worker per notebook: its solved namespace is built once
        else:
            group = item.path.stem
        item.add_marker(pytest.mark.xdist_group(group))
        groups.setdefault(group, []).append(item)
    weight = {group: sum(map(item_weight, members)) for group, members in groups.items()}
    items[:] = [item for group in sorted(groups, key=lambda group: -weight[group]) for item in groups[group]]
