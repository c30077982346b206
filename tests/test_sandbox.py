"""The sandbox a submission's kernel runs in (issue 23 §3): bubblewrap, with no network, its own PIDs, a clean
environment, a read-only view of the system and only the folders named, and limits for the sandbox as a whole."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest

from model_health.classroom.sandbox import GROUP_PREFIX, ResourceGroup, stale_folders

from conftest import REPO, needs_bubblewrap


def sandboxed(tmp_path, code: str, *options: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -c code`` in the sandbox, allowed to write only ``tmp_path / "work"``, read the workbook's data."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "model_health.classroom.sandbox", "--write", str(work), "--read",
                           str(REPO / "data"), *options, "--", "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=180, env={**os.environ, **(env or {})})


def outcome(action: str) -> str:
    """Code that prints what ``action`` did: ok, or the kind of error that stopped it."""
    return f"try:\n    {action}\n    print('ok')\nexcept OSError as error:\n    print(type(error).__name__)\n"


@needs_bubblewrap
def test_a_sandboxed_program_reads_and_writes_only_where_allowed(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    code = "".join(outcome(action) for action in (
        f"open({str(secret / 'answers.txt')!r}).read()",  # a sibling folder: not there at all
        f"open({str(REPO / 'solutions' / '01_model_health_dashboard.ipynb')!r}).read()",  # the repository's others
        f"open({str(REPO / 'data' / 'new.txt')!r}, 'w')",  # the data: read-only
        f"open({str(tmp_path / 'work' / 'ok.txt')!r}, 'w').write('x')",  # its own folder
        "open('/usr/lib/evil', 'w')")) + ("import model_health.data\n"
                                           "print(model_health.data.load_german_credit().frame.shape[0])\n")
    completed = sandboxed(tmp_path, code)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["FileNotFoundError", "FileNotFoundError", "OSError", "ok", "OSError", "1000"]
    assert (tmp_path / "work" / "ok.txt").read_text() == "x" and not (REPO / "data" / "new.txt").exists()


@pytest.mark.parametrize("isolation", [pytest.param("bubblewrap", marks=needs_bubblewrap), "none"])
def test_the_memory_limit_turns_a_huge_allocation_into_a_memory_error(tmp_path, isolation):
    completed = sandboxed(tmp_path, "import numpy as np\ntry:\n    np.ones(2 * 1024**3, dtype=np.uint8)\n"
                                    "except MemoryError:\n    print('MemoryError')", "--memory-mb", "1024",
                          "--isolation", isolation)
    assert completed.stdout.strip() == "MemoryError", completed.stderr


@needs_bubblewrap
def test_a_replaced_folder_shows_the_other_folder_s_files_read_only(tmp_path):
    """The grader mounts the exercises' release build (no checks, no references, no solutions) in place of the
    package's exercises this way: the kernel finds neither the original modules nor the solutions
    (`exec(solution_code(NB, "q3"))` scored 12/12 once, when it could read them), and cannot write the build."""
    tree, release = tmp_path / "package", tmp_path / "release"
    (tree / "exercises" / "solutions").mkdir(parents=True)
    (tree / "exercises" / "solutions" / "01.json").write_text('{"q3": "answer"}')
    (tree / "exercises" / "nb01.py").write_text("checks")
    release.mkdir()
    (release / "nb01.py").write_text("released")
    exercises = tree / "exercises"
    code = (f"import pathlib\nfolder = pathlib.Path({str(exercises)!r})\n"
            "print((folder / 'nb01.py').read_text(), sorted(path.name for path in folder.iterdir()))\n"
            "try:\n    (folder / 'nb01.py').write_text('changed')\nexcept OSError as error:\n"
            "    print(type(error).__name__)")
    completed = sandboxed(tmp_path, code, "--read", str(tree), f"--replace={exercises}={release}")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["released", "['nb01.py']", "OSError"]
    assert (release / "nb01.py").read_text() == "released"


@needs_bubblewrap
def test_no_network_but_its_own_loopback(tmp_path):
    """A submission sent the environment and the solution code to a listener on 127.0.0.1: the sandbox has a
    network of its own, so the host's listener is out of reach, while a server the notebook starts still works."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0)
    port = listener.getsockname()[1]
    code = (outcome(f"__import__('socket').create_connection(('127.0.0.1', {port}), timeout=5).sendall(b'env')")
            + "import socket\nserver = socket.create_server(('127.0.0.1', 0))\n"
            + outcome("socket.create_connection(server.getsockname(), timeout=5)")
            + outcome("socket.create_connection(('1.1.1.1', 53), timeout=5)"))
    try:
        completed = sandboxed(tmp_path, code)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    finally:
        listener.close()
    assert completed.stdout.split() == ["ConnectionRefusedError", "ok", "OSError"], completed.stderr


@needs_bubblewrap
def test_a_clean_environment_holds_only_what_the_grader_sets(tmp_path):
    code = "import os\nprint(sorted(name for name in os.environ if name.startswith('MH_')), os.environ['HOME'])"
    completed = sandboxed(tmp_path, code, "--setenv", f"HOME={tmp_path / 'work'}", "--setenv", "MH_GIVEN=1",
                          env={"MH_INSTRUCTOR_TOKEN": "s3cret"})
    assert completed.stdout.split() == ["['MH_GIVEN']", str(tmp_path / "work")], completed.stderr


@needs_bubblewrap
def test_it_sees_only_its_own_processes_and_none_outlives_it(tmp_path):
    """A process started in a new session survived the kernel and the batch, and killed other learners' kernels:
    in its own PID namespace a sandbox can signal nothing outside, and everything in it ends with it."""
    marker = f"left-running-{uuid.uuid4().hex}"
    code = (outcome(f"__import__('os').kill({os.getpid()}, 0)")  # this test's process: not in its namespace
            + "import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}], "
            "start_new_session=True)\nprint('started')")
    completed = sandboxed(tmp_path, code)
    assert completed.stdout.split() == ["ProcessLookupError", "started"], completed.stderr
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert left.stdout == "", "a process the sandbox started is still running"


@pytest.fixture
def group():
    made = ResourceGroup.create(memory_mb=600, processes=60)
    if made is None:
        pytest.skip("no cgroup can be made here (CI runs as root, where it can): limits are per process only")
    yield made
    made.close()


@needs_bubblewrap
def test_memory_is_limited_for_the_sandbox_as_a_whole(tmp_path, group):
    """Three children of 300 MB each stay under a 1,024 MB limit per process, not under 600 MB for the whole (without
    the group, all three exit 0)."""
    # Each child holds its 300 MB until all three have allocated (or been killed): the three overlap whatever the
    # machine's speed. An unbound np.ones(...) was freed at once, so on a busy machine the three could miss each other.
    child = "import numpy as np, sys\nheld = np.ones(300 * 1024**2, dtype=np.uint8)\nprint(flush=True)\nsys.stdin.read()"
    code = ("import subprocess, sys\n"
            f"children = [subprocess.Popen([sys.executable, '-c', {child!r}], stdin=subprocess.PIPE, "
            "stdout=subprocess.PIPE) for _ in range(3)]\n"
            "for child in children:\n    child.stdout.readline()  # allocated, or killed (end of file)\n"
            "for child in children:\n    child.stdin.close()\n"
            "print(sorted(child.wait() for child in children))")
    completed = sandboxed(tmp_path, code, "--memory-mb", "1024", *[f"--join={file}" for file in group.join_files])
    assert "-9" in completed.stdout, (completed.stdout, completed.stderr)  # a child killed: the group ran out
    assert group.reached_memory_limit()


@needs_bubblewrap
def test_processes_are_limited_for_the_sandbox_as_a_whole(tmp_path, group):
    assert not group.reached_memory_limit()
    code = ("import subprocess, sys\nstarted = []\ntry:\n    for _ in range(100):\n"
            "        started.append(subprocess.Popen(['sleep', '30']))\nexcept OSError as error:\n"
            "    print('refused after', len(started), type(error).__name__)\n"
            "for process in started:\n    process.kill()")
    completed = sandboxed(tmp_path, code, *[f"--join={file}" for file in group.join_files])
    assert completed.stdout.startswith("refused after"), (completed.stdout, completed.stderr)
    assert int(completed.stdout.split()[2]) < 60


def ended_process_id() -> int:
    """The id of a process that has ended (a grading process killed before it could clean up)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_grader_s_groups_are_removed_by_the_next_and_a_live_one_s_kept():
    """A grading process killed mid-grade leaves its control groups (nothing else removes them); the next grading
    process removes those whose maker has ended, never one whose maker is alive."""
    made = ResourceGroup.create(memory_mb=600, processes=60)
    if made is None:
        pytest.skip("no cgroup can be made here (CI runs as root, where it can)")
    parents = [folder.parent for folder in made.folders]
    stale = [parent / f"{GROUP_PREFIX}{ended_process_id()}-{uuid.uuid4().hex[:8]}" for parent in parents]
    for folder in stale:
        folder.mkdir()
    try:
        second = ResourceGroup.create(memory_mb=600, processes=60)
        second.close()
        assert not any(folder.exists() for folder in stale)
        assert all(folder.exists() for folder in made.folders)  # this process's, still in use
    finally:
        made.close()
        for folder in stale:
            if folder.exists():
                folder.rmdir()


def test_stale_folders_are_those_whose_maker_has_ended(tmp_path):
    ended, alive = tmp_path / f"mh-{ended_process_id()}-abc123", tmp_path / f"mh-{os.getpid()}-def456"
    for folder in (ended, alive, tmp_path / "mh-notapid", tmp_path / "other-1-x"):
        folder.mkdir()
    (tmp_path / f"mh-{ended_process_id()}-file").write_text("not a folder")
    assert stale_folders(tmp_path, "mh-") == [ended]
