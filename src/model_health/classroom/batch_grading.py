"""Grade a class's submitted notebooks: each in its own sandboxed kernel, checks run by the grader.

    python3 workbook.py grade SUBMISSIONS… --out gradebook.csv     (or python -m model_health grade …)

SUBMISSIONS are notebooks, folders of notebooks or zip files of them. Symbolic links are not followed, and a
notebook over ``--max-notebook-mb`` is not read: their rows say so. For each submission:

1. **Splice.** The workbook's own learner notebook is the frame; the learner's answer cells are put
   in it by the exercise ids in their cell metadata (not by position). Deleted, duplicated,
   reordered or edited cells, a changed set-up cell or a removed check cell therefore change
   nothing but the answers; cells the learner added go with the answer before them. A notebook
   without ids (another version of the workbook) is matched by the variables each exercise asks for.
2. **Run** the spliced notebook in a fresh kernel, in a bubblewrap sandbox (:mod:`model_health.classroom.sandbox`): no
   network, no other process in sight, a clean environment, nothing writable but its working copy, nothing
   readable but the system, the Python installation, the workbook's package and data; of the exercises, only
   their release build (:mod:`model_health.classroom.release`: no solutions, checks or references), each exercise's
   reference handed in once its answer was read; memory and processes limited for the sandbox as a whole, and
   time per cell and per notebook.
3. **Grade** in this process, which never runs learner code: the kernel's variables come back as
   data (:mod:`model_health.teaching.grading._transfer`), functions as calls into the kernel, and each
   exercise is judged by the exercise module this process imported. Outputs the learner saved,
   or printed ("✔ Correct"), are never read.

With per-learner variants (:mod:`model_health.classroom.variants`), the workbook's notebook is first re-seeded
to the variant of the learner the submission names, and after grading, a submission whose wrong
answers are another variant's right ones is flagged (:func:`flag_copies`); in any class, so are two
learners who alone share the same wrong answers.

Each problem (a kernel that died, a loop that never ended, a file that is not a notebook) becomes a
reason in the submission's row, with whatever could still be graded. The gradebook (CSV), a
feedback file (one row per exercise) and an HTML summary (pass rate per exercise, every learner's
feedback) are rewritten atomically after each submission; a rerun skips submissions already graded.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import hashlib
import html
import importlib
import io
import json
import math
import multiprocessing
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from itertools import repeat
from pathlib import Path

import nbformat

from model_health.paths import DATA, NOTEBOOKS, notebook_names
from model_health.teaching.results import Status

PACKAGE = Path(__file__).resolve().parents[1]  # model_health
NOTEBOOK_NAME = re.compile(r"^(?P<number>\d{2})_[a-z0-9_]+$")
MARKER = re.compile(r"#\s*Your code here \((?P<exercise>q\d+)\)")
SUMMARY_COLUMNS = ["submission", "learner", "notebook", "variant", "state", "score", "out_of", "problems", "copied",
                   "sandbox", "digest"]
RERUN = "not graded, rerun"  # the machine, not the submission, stopped grading: no score, and a rerun retries it
GIVEN = "given"  # the folder of a recording's given variables
PUBLISHED = "the published solutions"  # the learner named when answers match the workbook's own solutions
SOCKETS_PREFIX = "mh-"  # a kernel's socket folder in /tmp: mh-<the grading process's pid>-<random>, a short path
# One thread per kernel and per grading process: `--jobs` already fills the cores, and OpenMP threads that spin-wait
# for a core another process holds made a 1 s model fit take 5 to 7 s of CPU on a busy machine, and past 30 s in CI.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
MAX_NOTEBOOK_MB = 50  # a notebook (a file, or a zip file's member) larger than this is refused, never read whole
LEARNER_ID_LENGTH = 100  # characters of a learner ID written to the gradebook
# Characters never written as they are: control characters (a terminal acts on them), line and paragraph separators,
# the bidirectional controls that make text read backwards, and lone surrogates (no UTF-8 file can hold them).
UNSAFE_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                               r"\ud800-\udfff]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell starting so as a formula (OWASP)
DUPLICATE_CLAIM = re.compile(r"^\d+ submissions claim learner ")


@dataclass
class Submission:
    label: str  # where it came from: a path, or "archive.zip:member", with unsafe characters escaped
    data: bytes
    refused: str = ""  # why it is not graded (a symbolic link, too large): its row says so

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data + self.refused.encode()).hexdigest()[:16]


@dataclass
class Options:
    cell_timeout: float = 120.0
    notebook_timeout: float = 600.0
    memory_mb: int = 4096
    call_timeout: float = 30.0
    variants: bool = False  # the class got per-learner variants: grade each on its learner's, metadata or not
    # The class's seed file (variant --distinct): notebook -> learner key -> seed, which decides a learner's seed.
    class_seeds: dict[str, dict[str, int]] | None = None
    # Once the notebook ran: the seconds its grading may take (loading its variables, the checks, calls into its
    # kernel); exercises left when it runs out are not graded, and a rerun grades them again.
    grading_budget: float = 300.0
    transfer_mb: int = 256  # the distinct data the grader loads from one submission's kernel, in MiB (pickled)
    variable_mb: int = 128  # the largest variable it loads, in MiB (pickled)
    grader_memory_mb: int = 4096  # address-space limit of each grading process (submissions' kernels: memory_mb)
    processes: int = 512  # processes and threads of one submission's sandbox, all together (with a cgroup)
    unsandboxed: bool = False  # run kernels without bubblewrap (only the memory limit): the gradebook says so


@dataclass
class Graded:
    """One submission's row and its feedback."""

    submission: str
    digest: str
    learner: str = ""
    notebook: str = ""
    variant: str = ""  # the seed graded against, if not the published one
    state: str = "not graded"
    score: int = 0
    out_of: int = 0
    problems: list[str] = field(default_factory=list)
    results: dict[str, tuple[Status, str]] = field(default_factory=dict)  # exercise -> (status, message)
    answer_digests: dict[str, str] = field(default_factory=dict)  # exercise -> digest of its answer's data
    copied: str = ""  # whose variant the answers match, if not this learner's own
    sandbox: str = ""  # what isolated its kernel (sandbox_mode), if one ran


# --- collecting submissions ------------------------------------------------------------------------------------

def _escape_unsafe(text: str, keep: str = "") -> str:
    """``text`` with each of :data:`UNSAFE_CHARACTERS` (but those in ``keep``) written as its escape (``\\n``,
    ``\\x1b``, ``\\u202e``): safe in a terminal, a spreadsheet or a UTF-8 file, and still readable."""
    return UNSAFE_CHARACTERS.sub(
        lambda found: found[0] if found[0] in keep else found[0].encode("unicode_escape").decode("ascii"), text)


def _path_label(path) -> str:
    """A path as a submission's label: the bytes of a name that is not UTF-8 as ``\\xNN``, unsafe characters
    escaped (a file name may hold any byte but "/")."""
    return _escape_unsafe(os.fsencode(path).decode("utf-8", "backslashreplace"))


class _Refused(Exception):
    """A file or zip member that is not read: the reason goes in its row."""


def _read_at_most(stream, limit: int) -> bytes | None:
    """All of ``stream`` if it holds at most ``limit`` bytes, else None: the bytes are counted as they come, never
    taken from a size a file or a zip header declares."""
    data = stream.read(limit + 1)
    return None if len(data) > limit else data


def _megabytes(size: int) -> str:
    return f"{size / 2 ** 20:.1f} MB"


def _link_reason(path: Path) -> str:
    kind = "folder" if path.is_dir() else "file"
    return f"a symbolic link (to {_path_label(os.readlink(path))}), not a {kind}"


def _open_regular_file(path: Path):
    """``path`` opened for reading without following a symbolic link (the grader's own opener,
    :func:`~model_health.teaching.grading._transfer.open_regular_file`); :class:`_Refused` if it is not a file."""
    from model_health.teaching.grading._transfer import TransferRefused, open_regular_file

    try:
        return open_regular_file(path)
    except OSError as error:
        raise _Refused(f"could not be read ({error.strerror})") from None
    except TransferRefused as refused:  # its message names the path, which the gradebook shows beside this reason
        reason = str(refused).removeprefix(f"{path} ").removeprefix("is ").split("; ")[0]
        raise _Refused(_link_reason(path) if path.is_symlink() else reason) from None


def _file_submission(file, label: str, limit: int) -> Submission:
    size, most = os.fstat(file.fileno()).st_size, f"the {limit / 2 ** 20:g} MB limit"
    if size > limit:
        return Submission(label, b"", f"the file is {_megabytes(size)}, over {most}")
    data = _read_at_most(file, limit)
    if data is None:
        return Submission(label, b"", f"the file grew past {most} while it was read")
    return Submission(label, data)


def _member_submission(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limit: int) -> Submission:
    member, most = _escape_unsafe(info.filename), f"the {limit / 2 ** 20:g} MB limit"
    if info.file_size > limit:
        return Submission(label, b"", f"member {member} is {_megabytes(info.file_size)}, over {most}")
    try:
        with archive.open(info) as stream:
            data = _read_at_most(stream, limit)
    except Exception as error:  # damaged or encrypted: zipfile, zlib, bz2 and lzma each raise their own errors
        return Submission(label, b"", f"member {member} could not be read ({type(error).__name__}: {error})")
    if data is None:
        return Submission(label, b"", f"member {member} is over {most} uncompressed, though its header says "
                                      f"{_megabytes(info.file_size)} (a zip bomb?)")
    return Submission(label, data)


def _zip_submissions(path: Path, label: str, limit: int) -> list[Submission]:
    """Each notebook in the zip file at ``path``, read with the size limit; the file itself if it is no zip."""
    with _open_regular_file(path) as file:
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError):
            file.seek(0)
            return [_file_submission(file, label, limit)]  # graded as what it is (its row: "not a notebook")
        with archive:
            return [_member_submission(archive, info, f"{label}:{_escape_unsafe(info.filename)}", limit)
                    for info in sorted(archive.infolist(), key=lambda info: info.filename)
                    if info.filename.endswith(".ipynb") and not info.filename.startswith("__MACOSX/")
                    and ".ipynb_checkpoints" not in info.filename]


def _submissions_at(path: Path, limit: int) -> list[Submission]:
    label = _path_label(path)
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):  # never followed: a link to the solutions would be graded as the learner's work
            raise _Refused(_link_reason(path))
        if stat.S_ISDIR(mode):
            found = []
            for name in sorted(os.listdir(path)):
                inside = path / name
                # A linked folder is listed (its row says it was not followed); other files only if notebooks.
                if name != ".ipynb_checkpoints" and (inside.is_dir() or name.endswith((".ipynb", ".zip"))):
                    found.extend(_submissions_at(inside, limit))
            return found
        if path.suffix == ".zip":
            return _zip_submissions(path, label, limit)
        with _open_regular_file(path) as file:
            return [_file_submission(file, label, limit)]
    except _Refused as refusal:
        return [Submission(label, b"", str(refusal))]
    except OSError as error:  # a folder this user may not list, a file gone since its folder was listed
        return [Submission(label, b"", f"could not be read ({error.strerror})")]


def collect(paths, *, max_notebook_mb: float = MAX_NOTEBOOK_MB) -> list[Submission]:
    """Every notebook in ``paths`` (files, folders searched recursively, zip files), in a stable order.

    Relative paths are from the current folder. Symbolic links are never followed, and no notebook or zip member
    over ``max_notebook_mb`` is read: such a file, a link (given or found in a folder) or a damaged zip member is
    a submission with a ``refused`` reason, which its row gives. A file found twice is collected once.
    """
    if not (isinstance(max_notebook_mb, (int, float)) and math.isfinite(max_notebook_mb) and max_notebook_mb > 0):
        raise ValueError(f"max_notebook_mb must be a number of megabytes above 0 (got {max_notebook_mb!r}).")
    limit = round(max_notebook_mb * 2 ** 20)
    found: dict[str, Submission] = {}
    for given in paths:
        path = Path(os.fsdecode(given))
        if not os.path.lexists(path):
            raise FileNotFoundError(f"No such file or folder: {_path_label(path)}")
        for submission in _submissions_at(path, limit):
            found.setdefault(submission.label, submission)  # a folder and a file in it: the file once
    return list(found.values())


# --- which notebook, and splicing the answers into the workbook's own --------------------------------------------

def _exercise_set(notebook: str):
    return importlib.import_module(f"model_health.teaching.exercises.nb{notebook}").EXERCISES


def _written_by_answers(notebook: str) -> tuple[str, ...]:
    """The paths into the working copy whose files ``notebook``'s answers write to (its exercise module's
    ``WRITTEN_BY_ANSWERS``): graded on the submission's own file; every other given file is the published run's."""
    return tuple(getattr(importlib.import_module(f"model_health.teaching.exercises.nb{notebook}"),
                         "WRITTEN_BY_ANSWERS", ()))


def identify(submitted: nbformat.NotebookNode, label: str) -> tuple[str | None, list[str]]:
    """The workbook notebook a submission is a copy of, and notes on how it was recognised."""
    meta = submitted.metadata.get("model_health", {})
    known = notebook_names()
    if meta.get("notebook") in known:
        return meta["notebook"], []
    for cell in submitted.cells:
        found = re.search(r"model_health\.(?:teaching\.)?exercises\.nb(\d{2}_[a-z0-9_]+)", cell.get("source", ""))
        if found and found[1] in known:
            return found[1], ["recognised by its import line (no workbook metadata)"]
    number = re.match(r"(\d{2})", Path(label.split(":")[-1]).name)
    matches = [name for name in known if number and name.startswith(number[1])]
    if len(matches) == 1:
        return matches[0], ["recognised by its file name only"]
    return None, []


def _assigned_names(source: str) -> set[str]:
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^\s*([A-Za-z_]\w*)\s*=", source, re.MULTILINE))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
    return names


def splice(pristine: nbformat.NotebookNode, submitted: nbformat.NotebookNode, exercises) -> tuple[
        nbformat.NotebookNode, list[str]]:
    """The workbook's notebook with the learner's answer cells in place (see the module's docstring)."""
    reads = {exercise.name: set(exercise.reads) for exercise in exercises}
    pristine_sources = {cell.source.strip() for cell in pristine.cells if cell.cell_type == "code"}
    given_by_id = {cell.metadata.get("model_health", {}).get("id"): cell.source for cell in pristine.cells
                   if cell.cell_type == "code"}
    slots: dict[tuple, list] = {}
    slot_order = [tuple(cell.metadata["model_health"]["exercises"]) for cell in pristine.cells
                  if cell.cell_type == "code" and cell.metadata.get("model_health", {}).get("role") == "answer"]
    notes, edited_given, pending = [], [], []
    for cell in submitted.cells:
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("model_health", {})
        source = cell.get("source", "")
        slot = None
        if meta.get("role") == "answer":
            slot = tuple(meta.get("exercises", ()))
        elif meta.get("role") in ("given", "check"):
            if meta.get("role") == "given" and meta.get("id") in given_by_id and \
                    source.strip() != given_by_id[meta["id"]].strip():
                edited_given.append(meta["id"])
            continue
        elif source.strip() in pristine_sources or not source.strip():
            continue
        else:  # no ids: another version's answer cell, or a cell the learner added
            marked = {found["exercise"] for found in MARKER.finditer(source)}
            assigned = _assigned_names(source)
            owners = marked | {name for name, needed in reads.items() if needed & assigned}
            slot = next((slot for slot in slot_order if owners & set(slot)), None)
        if slot is None:  # a cell the learner added: it runs just before the next answer, after the given cells
            pending.append(source)
            continue
        slots.setdefault(slot, []).extend([*pending, source])
        pending = []
    if pending and slot_order:
        slots.setdefault(slot_order[-1], []).extend(pending)
    if edited_given:
        notes.append(f"edited given cells were replaced by the workbook's ({', '.join(sorted(set(edited_given)))})")
    spliced = nbformat.v4.new_notebook(metadata=pristine.metadata)
    placed = set()
    for cell in pristine.cells:
        meta = cell.metadata.get("model_health", {})
        if cell.cell_type != "code" or meta.get("role") == "check" or cell.source.strip() == "score_summary()":
            continue
        if meta.get("role") == "answer":
            slot = tuple(meta["exercises"])
            if slot in placed:
                continue
            placed.add(slot)
            for source in slots.get(slot, [cell.source]):
                spliced.cells.append(nbformat.v4.new_code_cell(source, metadata={"model_health": dict(meta)}))
            continue
        spliced.cells.append(nbformat.v4.new_code_cell(cell.source, metadata={"model_health": dict(meta)}))
    return spliced, notes


# --- running one submission in its sandboxed kernel ------------------------------------------------------------

class KernelDied(Exception):
    """The submission's kernel is gone (killed by the memory limit, crashed, or stopped for running too long)."""


class KernelIgnoredInterrupt(KernelDied):
    """The kernel ran past its time limit and did not stop when interrupted, so the grader shut it down."""


class KernelCallTimedOut(BaseException):
    """A call into the submission's kernel (one of its functions or objects, run by a check) ran past its time
    limit. That is no verdict on the answer: a BaseException, so a check cannot turn it into "incorrect", and the
    exercise is not graded (rerun)."""


class KernelOutOfMemory(KernelDied):
    """The kernel died after the system killed a process of its sandbox for passing the sandbox's memory limit."""


class KernelSession:
    """The submission's kernel: runs code with a time limit, and is asked for its variables and to run the
    learner's functions.

    They are exchanged as files in a folder of ``work`` this session creates (``folder``), each opened through
    :class:`~model_health.teaching.grading._transfer.TransferFolder`. While ``budget`` is set, each call into the kernel
    spends it, and once it is spent a call fails at once. Time limits count charged seconds
    (:class:`~model_health.teaching.grading._transfer.ChargedClock`): the time the kernel's processes waited for a
    CPU that other work held is not the submission's.
    """

    def __init__(self, manager, work: Path, call_timeout: float, limits=None) -> None:
        from model_health.teaching.grading._transfer import TransferFolder, TransferLimits

        self.manager, self.call_timeout = manager, call_timeout
        self.budget = None  # a GradingBudget while the checks run
        self.waited = 0.0  # the seconds the last run under a budget waited for a CPU, not charged to it
        self._processes: list[int] = []
        self.client = manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        self.calls = 0
        self.transfer = TransferFolder.create(work, limits or TransferLimits())
        self.folder = self.transfer.path
        self.workspace = Path(os.path.realpath(work))

    def confine(self, path: str) -> str:
        """``path`` (the kernel's: relative to the notebook's folder, where the checks run) resolved, if it is inside
        the submission's working copy; a PermissionError otherwise (a link or a path out of it)."""
        resolved = os.path.realpath(path)
        if os.path.commonpath([resolved, self.workspace]) != str(self.workspace):
            raise PermissionError(f"{path} is outside the submission's folder; the grader opens no file of its "
                                  "choice elsewhere")
        return resolved

    def processes(self) -> list[int]:
        """The kernel's process (the sandbox's, with a sandbox) and its descendants, found once (a scan of every
        process, on each of hundreds of runs, cost a second per submission): those the kernel starts later are not
        watched, so their wait for a CPU is charged, as it was before charged time."""
        import psutil

        if not self._processes:
            process = getattr(getattr(self.manager, "provisioner", None), "process", None)
            try:
                root = psutil.Process(process.pid) if process is not None else None
                self._processes = [root.pid, *(child.pid for child in root.children(recursive=True))] if root else []
            except psutil.Error:  # it ended
                return []
        return self._processes

    def clock(self):
        """A :class:`~model_health.teaching.grading._transfer.ChargedClock` of the kernel's processes, started now."""
        from model_health.teaching.grading._transfer import ChargedClock

        return ChargedClock(self.processes)

    def close(self) -> None:
        self.client.stop_channels()  # its sockets, closed now rather than whenever they are collected
        self.transfer.close()

    def run(self, code: str, timeout: float) -> dict:
        """Run ``code``; the reply's content (its "status", and "ename" on an error).

        Past ``timeout`` charged seconds the kernel is interrupted (:class:`TimeoutError`), and shut down if it
        does not stop within 10 more; a kernel that dies raises :class:`KernelDied`.
        """
        import queue

        # One request at a time, each awaited: the kernel must not abort the next one after an error (it does, for
        # a moment, when the request follows an error quickly, as on a busy machine).
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        clock, limit, interrupted = self.clock(), timeout, False
        try:
            while True:
                while True:  # drain the output: the grader never reads what a submission prints
                    try:
                        self.client.get_iopub_msg(timeout=0)
                    except queue.Empty:
                        break
                try:
                    reply = self.client.get_shell_msg(timeout=0.5)
                except queue.Empty:
                    if not self.manager.is_alive():
                        raise KernelDied("the kernel died") from None
                    # The waits are read (a file per thread) only once the time passed says the limit may be up.
                    if clock.passed() > limit and clock.elapsed() > limit:
                        if interrupted:
                            self.manager.shutdown_kernel(now=True)
                            raise KernelIgnoredInterrupt("the kernel did not stop when interrupted") from None
                        self.manager.interrupt_kernel()
                        limit, interrupted = clock.elapsed() + 10, True
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    if interrupted:
                        raise TimeoutError(f"ran longer than {timeout:.0f} s and was interrupted")
                    return reply["content"]
        finally:  # only a call under the grading budget is excused its wait: the waits are read for it alone
            self.waited = clock.waited() if self.budget is not None else 0.0

    def request(self, operation: str, key: str, argument):
        """Ask the kernel to call (or read from) one of its objects; the answer comes back as data."""
        from model_health.teaching.grading._transfer import TransferRefused, request_bytes, safe_loads

        timeout = self.call_timeout
        if self.budget is not None:
            self.budget.check()
            timeout = min(timeout, self.budget.left())
        self.calls += 1
        request, reply = self.folder / f"call-{self.calls}.in", self.folder / f"call-{self.calls}.out"
        self.transfer.write_new(request, request_bytes(operation, key, argument))
        try:
            self.run(f"__mh_call({str(request)!r}, {str(reply)!r})", timeout)
        except TimeoutError:
            if self.budget is not None:
                self.budget.excuse(self.waited)
                self.budget.check()
            raise KernelCallTimedOut(f"a call into its kernel did not return within {self.call_timeout:.0f} s, "
                                     "its waits for a CPU not counted (an endless loop, or a machine too busy: "
                                     "rerun, or raise --call-timeout)") from None
        if self.budget is not None:
            self.budget.excuse(self.waited)
        limits = self.transfer.limits
        try:
            details = json.loads(self.transfer.read(reply.with_name(reply.name + ".error"), limits.small_bytes))
        except FileNotFoundError:
            pass
        else:
            if not (isinstance(details, dict) and isinstance(details.get("type"), str)
                    and isinstance(details.get("message"), str)):
                raise TransferRefused(f"{reply.name}.error is not an error the kernel writes")
            raise _remote_error(details["type"], details["message"])
        try:
            data = self.transfer.read(reply, limits.variable_bytes)
        except FileNotFoundError:
            raise RuntimeError("the submission's kernel sent no answer") from None
        return safe_loads(data, self)


def _remote_error(name: str, message: str) -> Exception:
    """The kernel's exception as the grader raises it: a built-in type where the name is one (so hasattr and
    `except KeyError` behave as they would locally), else a new type of that name."""
    import builtins

    found = getattr(builtins, name, None)
    if isinstance(found, type) and issubclass(found, Exception) and found.__module__ == "builtins":
        return found(message)
    return type(name, (Exception,), {})(message)


def _kernel_spec(folder: Path, work: Path, options: Options, group=None, sockets: Path | None = None,
                 graded: bool = True) -> str:
    """The kernel spec of a submission's kernel: in the sandbox (:mod:`model_health.classroom.sandbox`), which sees the
    workbook's package with the release build of its exercises (:mod:`model_health.classroom.release`, written to
    ``folder``/release), the references handed in (``folder``/handed-in), its data, ``work`` and the folder of its
    ``sockets``; in ``group``'s limits where there is one. Not ``graded``: the kernel of a run of the published
    solutions, which records their references, with the memory limit only."""
    from model_health.teaching.grading._core import GRADING_KERNEL
    from model_health.classroom.release import EXERCISES, HANDED_IN, write_release

    spec = folder / "kernels" / "model-health-sandbox"
    spec.mkdir(parents=True, exist_ok=True)
    environment = {"HOME": str(work), "TMPDIR": str(work / "tmp"), "MPLCONFIGDIR": str(work / ".matplotlib"),
                   "IPYTHONDIR": str(work / ".ipython"), "JUPYTER_RUNTIME_DIR": str(work / ".runtime"),
                   "MODEL_HEALTH_PROGRESS": str(work / ".progress"), "MODEL_HEALTH_OUTPUT": str(work / "output"),
                   "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8", **ONE_THREAD}
    for name in ("tmp", ".matplotlib", ".ipython", ".runtime", ".progress"):
        (work / name).mkdir(exist_ok=True)
    isolation = []
    if graded:
        environment |= {GRADING_KERNEL: "1", HANDED_IN: str(folder / "handed-in")}
        (folder / "handed-in").mkdir(exist_ok=True)
        isolation = ["--read", str(folder / "handed-in"),
                     f"--replace={EXERCISES}={write_release(folder / 'release')}"]
    argv = [sys.executable, "-m", "model_health.classroom.sandbox",
            "--isolation", "none" if options.unsandboxed or not graded else "bubblewrap",
            "--write", str(work),
            *([f"--write={sockets}"] if sockets else []),
            "--read", str(DATA), *isolation, "--chdir", str(work / "notebooks"),
            "--memory-mb", str(options.memory_mb),
            *[f"--setenv={name}={value}" for name, value in environment.items()],
            *[f"--join={file}" for file in (group.join_files if group else [])],
            "--", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    # An interrupt is a message the kernel acts on: a signal would reach bubblewrap, outside the kernel's namespace.
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "sandbox", "language": "python",
                                                  "interrupt_mode": "message"}), encoding="utf-8")
    return str(folder / "kernels")


def sandbox_mode(options: Options, group) -> str:
    """What isolated a submission's kernel, as its gradebook row records it."""
    if options.unsandboxed:
        return f"none (--unsandboxed): memory {options.memory_mb} MiB per process"
    limits = (f"memory {options.memory_mb} MiB and {options.processes} processes for the whole sandbox" if group
              else f"memory {options.memory_mb} MiB per process (no cgroup could be made here)")
    return f"bubblewrap: no network, own PIDs, read-only system; {limits}"


def _slot(cell) -> tuple:
    return tuple(cell.metadata.get("model_health", {}).get("exercises", ()))


def _pins(cells: list, names: set[str]) -> dict[int, list[str]]:
    """Of the given variables ``names`` (:class:`~model_health.classroom.release.PinnedInKernel`): after which cell
    each is taken from the kernel, the last given cell that sets it."""
    last = {}
    for index, cell in enumerate(cells):
        if cell.metadata.get("model_health", {}).get("role") == "given":
            last.update(dict.fromkeys(_assigned_names(cell.source) & names, index))
    pins: dict[int, list[str]] = {}
    for name, index in sorted(last.items()):
        pins.setdefault(index, []).append(name)
    return pins


def _run_and_grade(notebook: nbformat.NotebookNode, name: str, work: Path, options: Options, graded: Graded,
                   references: Path, stop_before: int | None = None) -> tuple[int, KernelDied] | None:
    """Run the cells (all, or those before ``stop_before``) and grade; the index of a cell the kernel died in, and
    how it died.

    Right after an exercise's answer cells run, the variables it reads are captured, and only then is its reference
    (from ``references``, :func:`published_references`) handed in: later cells may replace a wrong answer with it
    (``carry_forward``), and the grade is the learner's.
    """
    from model_health.teaching.grading._transfer import (KERNEL_HELPERS, MIB, GradingBudget, GradingBudgetSpent,
                                                         TransferLimits, TransferRefused)
    from model_health.classroom.sandbox import ResourceGroup, stale_folders

    exercises = {exercise.name: exercise for exercise in _exercise_set(name)}
    cells = notebook.cells[:stop_before] if stop_before is not None else notebook.cells
    restore = f"from model_health.teaching.grading import bind as _mh_bind\n_mh_bind(globals())\n" \
              f"from model_health.teaching.exercises.nb{name} import *"
    captured: dict[str, Path] = {}
    index = 0
    group = None if options.unsandboxed else ResourceGroup.create(options.memory_mb, options.processes)
    graded.sandbox = sandbox_mode(options, group)
    # In the sandbox the kernel has a network of its own: the grader talks to it through Unix sockets, in a folder
    # with a short path (a socket's path has at most 107 bytes; the working copy's may be longer).
    sockets = None
    if not options.unsandboxed:
        for stale in stale_folders(Path("/tmp"), SOCKETS_PREFIX):  # a killed grading process's
            shutil.rmtree(stale, ignore_errors=True)
        sockets = Path(tempfile.mkdtemp(prefix=f"{SOCKETS_PREFIX}{os.getpid()}-", dir="/tmp"))
    handed_in = work.parent / "handed-in"
    shutil.rmtree(handed_in, ignore_errors=True)  # a rerun after a crash hands each reference in again
    shutil.rmtree(work.parent / "pinned", ignore_errors=True)
    pins = _pins(cells, _pinned_names(references))
    session = None
    try:  # from here on, whatever fails, the kernel, its group and its sockets are gone at the end
        session = _started_kernel(work, _kernel_spec(work.parent, work, options, group, sockets), options, sockets,
                                  TransferLimits(options.variable_mb * MIB, options.transfer_mb * MIB))
        try:
            session.run(KERNEL_HELPERS, 60)
            notebook_clock = session.clock()
            for index, cell in enumerate(cells):
                left = options.notebook_timeout - notebook_clock.elapsed()
                if left <= 0:
                    graded.problems.append(f"stopped at cell {index + 1}: the notebook ran longer than "
                                           f"{options.notebook_timeout:.0f} s")
                    break
                # The per-cell limit bounds the learner's code; the workbook's own cells (set-up, checks) take as
                # long as the machine needs within the notebook's limit, so a busy machine never costs marks.
                workbook_cell = cell.metadata.get("model_health", {}).get("role") in ("given", "check")
                try:
                    if cell.metadata.get("model_health", {}).get("role") == "given":
                        session.run(restore, 60)  # a learner cell may have overwritten `bind` or q1, q2, …
                    reply = session.run(cell.source, left if workbook_cell else min(options.cell_timeout, left))
                    if reply.get("status") == "error" and _slot(cell):
                        graded.problems.append(f"the answer cell of {', '.join(_slot(cell))} (cell {index + 1}) raised "
                                               f"{reply.get('ename')}: {str(reply.get('evalue'))[:120]}")
                except TimeoutError:
                    if workbook_cell:
                        graded.problems.append(f"{RERUN}: the workbook's own cell {index + 1} was still running when "
                                               f"the notebook's {options.notebook_timeout:.0f} s ran out (a busy "
                                               "machine?)")
                        for q in exercises:
                            graded.results[q] = (Status.NOT_GRADED, f"{RERUN}: the machine was too busy to finish the "
                                                 "workbook's own cells")
                        return None
                    graded.problems.append(f"cell {index + 1} ran longer than {options.cell_timeout:.0f} s and was "
                                           "interrupted (an endless loop?)")
                if index in pins:  # what later cells bind to these names is not what the checks are given
                    session.run(f"__mh_snapshot({str(session.folder / 'pinned' / str(index))!r}, globals(), "
                                f"{pins[index]!r})", 120)
                slot = _slot(cell)
                if slot and (index + 1 == len(cells) or _slot(cells[index + 1]) != slot):
                    for q in slot:
                        folder = session.folder / "answers" / q
                        names = sorted(exercises[q].reads) if q in exercises else []
                        reply = session.run(f"__mh_snapshot({str(folder)!r}, globals(), {names!r})", 120)
                        if reply.get("status") == "ok":
                            captured[q] = folder
                        else:
                            graded.problems.append(f"the answer of {q} could not be read ({reply.get('ename')}: "
                                                   f"{str(reply.get('evalue'))[:120]})")
                    for q in slot:  # once every answer of the cells is read: one may not be made from another's
                        if (references / f"{q}.pickle").is_file():
                            shutil.copyfile(references / f"{q}.pickle", handed_in / f"{q}.pickle")
            session.run(f"__mh_snapshot({str(session.folder / 'variables')!r}, globals())", 300)
        except KernelDied as died:
            if group is not None and group.reached_memory_limit():
                died = KernelOutOfMemory(str(died))
            return (index, died) if stop_before is None else None
        except TimeoutError as error:  # the snapshot itself hung
            graded.problems.append(f"the notebook's variables could not be read ({error})")
            return None
        here = os.getcwd()
        os.chdir(work / "notebooks")  # checks that open the notebook's files (an MLflow store) find them
        try:
            with GradingBudget(options.grading_budget) as budget:
                session.budget = budget
                # The answers first: when a submission's variables pass the transfer limit, they are what is graded.
                answers = {}
                for q, folder in captured.items():
                    try:
                        answers[q] = session.transfer.load_snapshot(folder, session)[0]
                    except TransferRefused as error:
                        graded.results[q] = (Status.NOT_GRADED, f"its answer could not be read: {error}")
                namespace, _ = session.transfer.load_snapshot(session.folder / "variables", session)
                given, refused = _given_values(references, name, work.parent, work.parent / "pinned",
                                               session.transfer.limits.variable_bytes)
                for pinned in sorted(pins):
                    if (session.folder / "pinned" / str(pinned)).is_dir():
                        given.update(session.transfer.load_snapshot(session.folder / "pinned" / str(pinned),
                                                                    session)[0])
                graded.problems.extend(refused)
                _grade_exercises(name, namespace, answers, graded, budget, given, refused)
        except GradingBudgetSpent as spent:
            left = [q for q in captured if q not in graded.results]
            for q in left:
                graded.results[q] = (Status.NOT_GRADED, str(spent))
            if left:
                graded.problems.append(f"{RERUN}: {spent}; {', '.join(left)} not graded")
        finally:
            os.chdir(here)
    finally:
        _stop_kernel(session)
        if group is not None:
            group.close()
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
    return None


def _started_kernel(work: Path, kernels: str, options: Options, sockets: Path | None = None,
                    limits=None) -> KernelSession:
    """The session of a new kernel of the spec in the folder ``kernels`` (:func:`_kernel_spec`), run in
    ``work``/notebooks, over Unix sockets in ``sockets`` where given; a kernel that never became ready is shut down."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name="model-health-sandbox",
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernels]),
                            connection_file=str(work / ".runtime" / "connection.json"),
                            **({"transport": "ipc", "ip": str(sockets / "kernel")} if sockets else {}))
    try:
        # What the kernel prints about itself is not the grader's business; what the learner prints is drained.
        manager.start_kernel(cwd=str(work / "notebooks"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return KernelSession(manager, work, options.call_timeout, limits)
    except BaseException:
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
        raise


def _stop_kernel(session: KernelSession | None) -> None:
    """Close ``session`` (if one started) and shut its kernel down."""
    if session is not None:
        session.close()
        if session.manager.has_kernel:
            session.manager.shutdown_kernel(now=True)


def _working_copy(prefix: str, scratch: Path) -> Path:
    """A new folder in ``scratch`` for a notebook to run in (``copy/notebooks``), with the workbook's ``examples``
    beside it, as in the repository (notebook 10 prints ``../examples/ci/deploy-with-gate.yml``)."""
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=scratch)) / "copy"
    (work / "notebooks").mkdir(parents=True)
    shutil.copytree(NOTEBOOKS.parent / "examples", work / "examples")
    return work


def _given_names(solved: nbformat.NotebookNode, learner: nbformat.NotebookNode) -> list[str]:
    """The variables whose last value in ``solved`` the workbook's code sets (the data, constants, answers carried
    forward): what a check reads of them is the workbook's, not the learner's. That code is a given cell's, or a line
    of an answer cell that the ``learner`` notebook holds as it is, with no blank: an answer cell may set up a
    constant before "Your code here" (`CHECK_WEEK = 40`), and a submission's cell could change it."""
    last_role = {}
    for cell, pristine in zip(solved.cells, learner.cells):
        if cell.cell_type != "code":
            continue
        role = cell.metadata.get("model_health", {}).get("role")
        workbook = _workbook_names(pristine.source) if role == "answer" else set()
        for name in _assigned_names(cell.source):
            last_role[name] = "given" if name in workbook else role
    return sorted(name for name, role in last_role.items() if role == "given")


def _workbook_names(source: str) -> set[str]:
    """The names the workbook's own statements of a learner notebook's answer cell ``source`` set: its top-level
    statements with no blank (``____``), if no other statement of the cell, the learner's, sets them too."""
    import ast

    try:
        statements = ast.parse(source).body
    except SyntaxError:
        return set()
    workbook, learners = set(), set()
    for statement in statements:
        text = ast.unparse(statement)
        (learners if "____" in text else workbook).update(_assigned_names(text))
    return workbook - learners


def _given_values(references: Path, name: str, submission: Path, pinned: Path, limit: int) -> tuple[dict, list[str]]:
    """The given variables a run of the published solutions recorded (:func:`published_references`), and why any of
    them could not be given.

    A path into the working copy names a file the grader copies into ``pinned`` first (a folder no kernel can
    write): the published run's file, or, where ``name``'s answers write to it (:func:`_written_by_answers`), the
    file at the same place in the working copy ``submission`` (:func:`_copy_confined`). So a check reads neither a
    file the submission named nor one it changed, unless answers write it. :class:`PinnedInKernel` marks are left
    out: the grader takes those from the submission's kernel (:func:`_pins`)."""
    import pickle

    from model_health.classroom.release import GIVEN_FILES, InWorkspace, PinnedInKernel
    from model_health.teaching.grading._transfer import TransferRefused

    given, refused = {}, []
    for path in sorted((references / GIVEN).glob("*.pickle")):
        value = pickle.loads(path.read_bytes())
        if isinstance(value, InWorkspace):
            own = path.stem in _written_by_answers(name)
            try:
                _copy_confined(submission if own else references / GIVEN_FILES, value.relative, pinned, limit)
            except TransferRefused as error:
                refused.append(f"`{path.stem}` could not be read from the submission's folder: {error}")
            value = value.at(pinned)
        if not isinstance(value, PinnedInKernel):
            given[path.stem] = value
    return given, refused


def _copy_confined(root: Path, relative: str, target: Path, limit: int) -> None:
    """Copy the file ``relative`` of the folder ``root``, with its SQLite sidecars (``-wal``, ``-journal``), to the
    same place in ``target``: through no symbolic link, from no FIFO or device, at most ``limit`` bytes each
    (a :class:`~model_health.teaching.grading._transfer.TransferRefused` says which), though the kernel that owns
    ``root`` runs on. A folder is made, empty; a missing file stays missing."""
    import errno

    from model_health.classroom.release import SIDECARS
    from model_health.teaching.grading._transfer import _is_link, _refusal, read_regular_file

    *folders, leaf = Path(relative).parts
    descriptor = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for folder in folders:
            try:
                inner = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=descriptor)
            except FileNotFoundError:
                return
            except OSError as error:  # a link to a folder fails as "not a folder": named for what it is
                link = error.errno == errno.ENOTDIR and _is_link(folder, descriptor)
                raise _refusal(folder, OSError(errno.ELOOP, "") if link else error) from None
            os.close(descriptor)
            descriptor = inner
        destination = target.joinpath(relative)
        try:
            if stat.S_ISDIR(os.stat(leaf, dir_fd=descriptor, follow_symlinks=False).st_mode):
                destination.mkdir(parents=True, exist_ok=True)
                return
        except FileNotFoundError:
            return
        for suffix in SIDECARS:
            try:
                data = read_regular_file(leaf + suffix, limit, dir_fd=descriptor)
            except FileNotFoundError:
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.with_name(leaf + suffix).write_bytes(data)
    finally:
        os.close(descriptor)


def _pinned_names(references: Path) -> set[str]:
    """The given variables the published run could not record (:class:`PinnedInKernel`): the files that hold the
    marker's bytes, found without loading the data the others hold (:func:`_given_values` loads it once)."""
    import pickle

    from model_health.classroom.release import PinnedInKernel

    marker = pickle.dumps(PinnedInKernel())
    return {path.stem for path in (references / GIVEN).glob("*.pickle")
            if path.stat().st_size == len(marker) and path.read_bytes() == marker}


def _references_cache() -> Path:
    """Where recorded references are kept: ``$MODEL_HEALTH_REFERENCES``, else the user's cache folder (which no
    sandboxed kernel can see)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "model-health" / "references"
    return Path(os.environ.get("MODEL_HEALTH_REFERENCES") or cache)


def published_references(name: str, seed: int | None, options: Options, scratch: Path) -> Path:
    """The folder of the references (``q3.pickle``, …) the published solutions of ``name`` hand on when they run on
    ``seed`` (None: the published seed), which graded kernels are handed in
    (:mod:`model_health.classroom.release`), and of their given variables at the end (``given/``), which the checks
    judge by.

    A run of the solutions records them, in a kernel of their own outside the sandbox (the workbook's code, not a
    learner's); it is kept, and run again only when the package, the solutions, the seed or the data change."""
    from model_health.teaching.authoring import solved_learner_notebook
    from model_health.classroom.seeding import with_seed

    solved = solved_learner_notebook(name)
    if seed is not None:
        solved = with_seed(solved, seed)
    key = hashlib.sha256(package_digest().encode() + nbformat.writes(solved).encode())
    for path in sorted(DATA.rglob("*")):
        if path.is_file():
            key.update(str(path.relative_to(DATA)).encode() + path.read_bytes())
    run = f"{name}-{'published' if seed is None else seed}"
    kept = _references_cache() / f"{run}-{key.hexdigest()[:24]}"
    if kept.is_dir():
        return kept
    kept.parent.mkdir(parents=True, exist_ok=True)
    with open(kept.parent / f"{run}.lock", "a") as lock:  # one grading process records, the others wait for it
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not kept.is_dir():
            _record_references(solved, name, kept, options, scratch)
            for stale in kept.parent.glob(f"{run}-*"):  # recorded from an older package, solutions or data
                if stale != kept:
                    shutil.rmtree(stale, ignore_errors=True)
    return kept


def _record_references(solved: nbformat.NotebookNode, name: str, kept: Path, options: Options, scratch: Path) -> None:
    """Run the published solutions ``solved`` of ``name``, and keep what they record in ``kept``: made whole, since
    other grading processes use it as soon as it is there."""
    work = _working_copy("references-", scratch)
    learner = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    recorded = kept.with_name(f".{kept.name}.{os.getpid()}")  # beside it: renamed into place in one step
    shutil.rmtree(recorded, ignore_errors=True)
    recorded.mkdir()
    session = None
    try:
        session = _started_kernel(work, _kernel_spec(work.parent, work, options, graded=False), options)
        code = [f"from model_health.classroom.release import record_carried\nrecord_carried({str(recorded)!r})",
                *(cell.source for cell in solved.cells if cell.cell_type == "code"),
                f"from model_health.classroom.release import record_given\n"
                f"record_given(globals(), {_given_names(solved, learner)!r}, {str(recorded / GIVEN)!r}, "
                f"{str(work.parent)!r}, {_written_by_answers(name)!r})"]
        for index, source in enumerate(code):
            reply = session.run(source, options.notebook_timeout)
            if reply.get("status") == "error":
                raise RuntimeError(f"the published solutions of {name} failed in cell {index} while recording their "
                                   f"references ({reply.get('ename')}: {str(reply.get('evalue'))[:200]})")
        recorded.rename(kept)
    finally:
        _stop_kernel(session)
        shutil.rmtree(work.parent, ignore_errors=True)
        shutil.rmtree(recorded, ignore_errors=True)  # a recording that failed


def _grade_exercises(name: str, namespace: dict, answers: dict[str, dict], graded: Graded, budget=None,
                     given=None, refused=()) -> None:
    """Judge every exercise whose answer cells ran, on its captured answer and the notebook's variables, where the
    ``given`` ones (recorded from the published solutions) stand for the submission's, whatever its cells did to
    them (:class:`~model_health.teaching.grading._transfer.GradingBudgetSpent` once ``budget`` is spent). Where a
    given file was ``refused`` (:func:`_given_values`), a check that failed is "not graded", with that reason."""
    from model_health.teaching.grading import ____
    from model_health.teaching.grading._transfer import Opaque

    for exercise in _exercise_set(name):
        if exercise.name not in answers:
            continue
        if budget is not None:
            budget.check()
        # The answer is what its cells left; a name they did not set is unanswered, even if a later cell
        # filled it with the reference.
        own = {**namespace, **(given or {}),
               **{read: answers[exercise.name].get(read, ____) for read in exercise.reads}}
        opaque = [own[read] for read in exercise.reads if isinstance(own.get(read), Opaque)]
        if opaque:
            graded.results[exercise.name] = (Status.NOT_GRADED, opaque[0].reason)
            continue
        try:
            result = exercise.grade(own)
        except KernelCallTimedOut as timed_out:
            graded.results[exercise.name] = (Status.NOT_GRADED, f"{RERUN}: {timed_out}")
            graded.problems.append(f"{RERUN}: {exercise.name}: {timed_out}")
            continue
        graded.answer_digests[exercise.name] = answer_digest([own[read] for read in exercise.reads])
        if result.status is Status.CHECK_FAILED and refused:
            graded.results[exercise.name] = (Status.NOT_GRADED, refused[0])
            continue
        if result.status is Status.CHECK_FAILED:  # the workbook's fault: no verdict, and the row says so
            graded.problems.append(f"{exercise.name}: check failed (a fault in the workbook's check, not in the "
                                   "answer; its feedback says what to report)")
        graded.results[exercise.name] = (result.status, result.message)


def _answer_parts(value, found: list[str]) -> None:
    """The data an answer holds, in order, as text: numbers to 4 significant digits, labels as they are."""
    import numpy as np
    import pandas as pd

    if isinstance(value, (bool, np.bool_, str, int, np.integer)):
        found.append(str(value))
    elif isinstance(value, (float, np.floating)):
        found.append(f"{float(value):.4g}")
    elif isinstance(value, (pd.DataFrame, pd.Series, pd.Index, np.ndarray)):
        array = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
        for item in array.ravel()[:10_000]:
            _answer_parts(item, found)
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            found.append(str(key))
            _answer_parts(value[key], found)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in (sorted(value, key=str) if isinstance(value, (set, frozenset)) else value):
            _answer_parts(item, found)
    # anything else (a model, a figure, a function run in the kernel) holds no comparable data


def answer_digest(values: list) -> str:
    """A digest of the data an answer holds, or "" if it holds none (only a model, a figure, a function).

    Two answers with the same digest hold the same labels and the same numbers to 4 significant digits.
    """
    found: list[str] = []
    for value in values:
        _answer_parts(value, found)
    return hashlib.sha256("\x1f".join(found).encode()).hexdigest()[:16] if found else ""


def _learner_of(submitted: nbformat.NotebookNode, label: str) -> tuple[str, list[str]]:
    """The learner ID in the notebook's metadata, else its file's name, else (a notebook's name) its folder's; and
    notes on what was done to an ID that could not be written as it was (the label is escaped already)."""
    named = str(submitted.metadata.get("model_health", {}).get("learner") or "").strip()
    if not named:
        path = Path(label.split(":")[-1])
        if NOTEBOOK_NAME.match(path.stem) and path.parent.name:
            return path.parent.name, []  # variants/<learner>/01_….ipynb, handed back as it was handed out
        return path.stem, []
    learner, notes = _escape_unsafe(named), []
    if learner != named:
        notes.append(f"its learner ID holds control characters, written escaped: {learner}")
    if len(learner) > LEARNER_ID_LENGTH:
        learner = learner[:LEARNER_ID_LENGTH]
        notes.append(f"its learner ID is longer than {LEARNER_ID_LENGTH} characters, cut to {learner}")
    return learner, notes


def grade_submission(submission: Submission, options: Options, scratch: Path) -> Graded:
    """One submission's row; never raises for anything the submission contains."""
    from model_health.teaching.grading import WrittenAnswer

    graded = Graded(submission.label, submission.digest)
    if submission.refused:
        graded.problems.append(f"not graded: {submission.refused}")
        return graded
    try:
        submitted = nbformat.reads(submission.data.decode("utf-8"), as_version=4)
    except UnicodeDecodeError:
        graded.problems.append("not a notebook: the file is not text")
        return graded
    except Exception as error:
        graded.problems.append(f"not a notebook: {str(error).splitlines()[0][:200]}")
        return graded
    name, notes = identify(submitted, submission.label)
    graded.problems.extend(notes)
    graded.learner, notes = _learner_of(submitted, submission.label)
    graded.problems.extend(notes)
    if name is None:
        graded.problems.append("not a notebook of this workbook (no workbook metadata, import line or file name)")
        return graded
    graded.notebook = name
    pristine = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    version = submitted.metadata.get("model_health", {}).get("version")
    with_ids = any("model_health" in cell.get("metadata", {}) for cell in submitted.cells)
    how = "by exercise ids" if with_ids else "by the variables each exercise asks for (its cells carry no ids)"
    if version and version != pristine.metadata["model_health"]["version"]:
        graded.problems.append(f"made with another version of the workbook ({version}); graded against this one {how}")
    elif not with_ids:
        graded.problems.append(f"its cells carry no exercise ids; graded {how}")
    metadata = submitted.metadata.get("model_health", {})
    if options.variants or options.class_seeds is not None or metadata.get("variant") is not None:
        from model_health.classroom.seeding import with_seed, written_seed
        from model_health.classroom.variants import graded_seed

        try:
            seed, notes = graded_seed(metadata, graded.learner, name, written_seed(submitted), options.class_seeds)
        except ValueError as error:
            graded.problems.append(f"no variant to grade against: {error}")
            return graded
        graded.problems.extend(notes)
        pristine = with_seed(pristine, seed)  # the set-up cell is given: the learner's own edits are not run
        graded.variant = str(seed)
    exercises = _exercise_set(name)
    spliced, notes = splice(pristine, submitted, exercises)
    graded.problems.extend(notes)
    work = _working_copy("submission-", scratch)
    try:
        references = published_references(name, int(graded.variant) if graded.variant else None, options, scratch)
        stopped = _run_and_grade(spliced, name, work, options, graded, references)
        if stopped is not None:
            died_at, died = stopped
            what = {KernelIgnoredInterrupt: f"cell {died_at + 1} ran past its time limit and ignored the interrupt, so "
                                            "its kernel was stopped",
                    KernelOutOfMemory: f"the kernel died in cell {died_at + 1} after its sandbox reached the memory "
                                       f"limit ({options.memory_mb} MiB, --memory-mb)",
                    }.get(type(died), f"the kernel died in cell {died_at + 1} (out of memory, or a crash)")
            graded.problems.append(f"{what}; the answers before it were graded, the rest were not")
            if died_at > 0:
                _run_and_grade(spliced, name, work, options, graded, references, stop_before=died_at)
    except Exception as error:
        graded.problems.append(f"grading stopped: {type(error).__name__}: {str(error)[:200]}")
    finally:
        shutil.rmtree(work.parent, ignore_errors=True)
    for exercise in exercises:
        graded.results.setdefault(exercise.name, (Status.NOT_GRADED, "the notebook stopped before this exercise"))
    graded.problems = list(dict.fromkeys(graded.problems))  # a rerun after a crash repeats some
    graded.score = sum(status is Status.CORRECT for status, _ in graded.results.values())
    graded.out_of = sum(not isinstance(exercise, WrittenAnswer) for exercise in exercises)
    graded.state = ("graded" if not any(s is Status.NOT_GRADED for s, _ in graded.results.values()) else
                    "partly graded" if any(s is not Status.NOT_GRADED for s, _ in graded.results.values())
                    else "not graded")
    return graded

# --- the gradebook ----------------------------------------------------------------------------------------------

def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)  # a reader (or a kill) never sees half a file
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _exercise_columns(rows: list[Graded]) -> list[str]:
    names = {q for row in rows for q in row.results}
    return sorted(names, key=lambda q: int(q[1:]))


def flag_duplicate_claims(rows: list[Graded]) -> None:
    """Note in the problems of each row whose learner and notebook another row claims too, which submissions do.

    Learner IDs are compared as variants are made from them ("Ada" and " ada" are one learner); a note from an
    earlier call (or run) is replaced, so a claim withdrawn since is no longer flagged.
    """
    claims: dict[tuple[str, str], list[Graded]] = {}
    for row in rows:
        row.problems = [problem for problem in row.problems if not DUPLICATE_CLAIM.match(problem)]
        if row.learner and row.notebook:
            claims.setdefault((row.learner.strip().casefold(), row.notebook), []).append(row)
    for (_, notebook), claiming in claims.items():
        if len(claiming) > 1:
            labels = ", ".join(sorted(row.submission for row in claiming))
            for row in claiming:
                row.problems.append(f"{len(claiming)} submissions claim learner {row.learner} for notebook "
                                    f"{notebook}: {labels}")


def _csv_cell(value, keep: str = ""):
    """A value as the gradebook writes it: unsafe characters escaped, and text a spreadsheet would run as a formula
    (OWASP's CSV injection) or that starts with a quote given a leading quote, which :func:`read_gradebook` drops."""
    if not isinstance(value, str):
        return value
    text = _escape_unsafe(value, keep)
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def _problems_cell(problems: list[str]):
    """A row's problems, one per line (a problem's own line breaks escaped): a problem may hold "; "."""
    return _csv_cell("\n".join(_escape_unsafe(problem) for problem in problems), keep="\n")


def _from_csv_cell(text):
    return text[1:] if isinstance(text, str) and text.startswith("'") else text


def write_gradebook(rows: list[Graded], out: Path) -> None:
    """The gradebook CSV, ``<out>.feedback.csv`` (one row per exercise) and ``<out>.html``, each atomically.

    Rows that claim one learner for one notebook are flagged first (:func:`flag_duplicate_claims`). Every text
    cell is written with :func:`_csv_cell`.
    """
    flag_duplicate_claims(rows)
    rows = sorted(rows, key=lambda row: row.submission)
    notebooks = sorted({row.notebook for row in rows if row.notebook})
    columns = _exercise_columns(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS + columns)
    for row in rows:
        writer.writerow([*map(_csv_cell, [row.submission, row.learner, row.notebook, row.variant, row.state,
                                          row.score, row.out_of]),
                         _problems_cell(row.problems),
                         *map(_csv_cell, [row.copied, row.sandbox, row.digest,
                                          *(row.results[q][0].value if q in row.results else "" for q in columns)])])
    _write_atomically(out, buffer.getvalue())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "learner", "notebook", "exercise", "status", "feedback", "answer_digest"])
    for row in rows:
        for q in sorted(row.results, key=lambda q: int(q[1:])):
            status, feedback = row.results[q]
            writer.writerow([*map(_csv_cell, [row.submission, row.learner, row.notebook, q, status.value]),
                             _csv_cell(feedback, keep="\n"), _csv_cell(row.answer_digests.get(q, ""))])
    _write_atomically(out.with_suffix(".feedback.csv"), buffer.getvalue())
    _write_atomically(out.with_suffix(".html"), _summary_html(rows, notebooks))


def pass_rates(rows: list[Graded], notebook: str) -> dict[str, float]:
    """Per exercise of ``notebook``: the share of the submissions judged on it that got it right. One not graded
    (the machine or the grader cut it short) or whose check failed has no verdict, so it is not counted;
    an exercise with no verdict at all has no rate."""
    from model_health.teaching.grading import WrittenAnswer

    graded = [row for row in rows if row.notebook == notebook and row.results]
    rates = {}
    for exercise in _exercise_set(notebook):
        statuses = [row.results[exercise.name][0] for row in graded if exercise.name in row.results
                    and row.results[exercise.name][0] not in (Status.NOT_GRADED, Status.CHECK_FAILED)]
        if isinstance(exercise, WrittenAnswer) or not statuses:
            continue  # a written answer is self-assessed: no pass rate
        rates[exercise.name] = sum(status is Status.CORRECT for status in statuses) / len(statuses)
    return rates


def _summary_html(rows: list[Graded], notebooks: list[str]) -> str:
    def escape(text: str) -> str:
        return html.escape(_escape_unsafe(text, keep="\n"))

    parts = ["<!doctype html><meta charset='utf-8'><title>Gradebook</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.bar{background:#0969da;height:10px}</style>",
             f"<h1>Gradebook: {len(rows)} submission(s)</h1>"]
    for notebook in notebooks:
        rates = pass_rates(rows, notebook)
        titles = {exercise.name: exercise.title for exercise in _exercise_set(notebook)}
        parts.append(f"<h2>{escape(notebook)}: pass rate per exercise (hardest first)</h2><table>"
                     "<tr><th>exercise</th><th>title</th><th>pass rate</th><th></th></tr>")
        for q, rate in sorted(rates.items(), key=lambda item: (item[1], int(item[0][1:]))):
            parts.append(f"<tr><td>{q}</td><td>{escape(titles.get(q, ''))}</td><td>{rate:.0%}</td>"
                         f"<td><div class='bar' style='width:{100 * rate:.0f}px'></div></td></tr>")
        parts.append("</table>")
    parts.append("<h2>Each submission</h2>")
    for row in rows:
        variant = f", variant {escape(row.variant)}" if row.variant else ""
        parts.append(f"<h3>{escape(row.learner or row.submission)}: {row.score}/{row.out_of} ({escape(row.state)}"
                     f"{variant})</h3><p>{escape(row.submission)}</p>")
        if row.copied:
            parts.append(f"<p><strong>Copied?</strong> {escape(row.copied)}</p>")
        if row.problems:
            parts.append("<ul>" + "".join(f"<li>{escape(problem)}</li>" for problem in row.problems) + "</ul>")
        if row.results:
            parts.append("<table><tr><th>exercise</th><th>status</th><th>feedback</th></tr>" + "".join(
                f"<tr><td>{q}</td><td>{escape(status.value)}</td><td>{escape(message)}</td></tr>"
                for q, (status, message) in sorted(row.results.items(), key=lambda item: int(item[0][1:])))
                + "</table>")
    return "\n".join(parts) + "\n"


def _csv_entry(entry: dict) -> dict:
    return {column: _from_csv_cell(value) for column, value in entry.items()}


def read_gradebook(out: Path) -> list[Graded]:
    """The rows of an earlier run (for resuming), with their feedback, as they were before writing (a cell's
    leading quote, added against formulas, is dropped)."""
    if not out.exists():
        return []
    feedback: dict[str, dict[str, tuple[Status, str]]] = {}
    digests: dict[str, dict[str, str]] = {}
    feedback_path = out.with_suffix(".feedback.csv")
    if feedback_path.exists():
        with feedback_path.open(encoding="utf-8", newline="") as file:
            for entry in map(_csv_entry, csv.DictReader(file)):
                try:
                    status = Status(entry["status"])
                except ValueError:  # a gradebook of an older workbook ("self-assessed"): grade everything again
                    return []
                feedback.setdefault(entry["submission"], {})[entry["exercise"]] = (status, entry["feedback"])
                digests.setdefault(entry["submission"], {})[entry["exercise"]] = entry.get("answer_digest") or ""
    rows = []
    with out.open(encoding="utf-8", newline="") as file:
        for entry in map(_csv_entry, csv.DictReader(file)):
            if "sandbox" not in entry:  # a gradebook of an older workbook: grade everything again
                return []
            rows.append(Graded(entry["submission"], entry["digest"], entry["learner"], entry["notebook"],
                               entry["variant"], entry["state"], int(entry["score"]), int(entry["out_of"]),
                               [problem for problem in entry["problems"].split("\n") if problem],
                               feedback.get(entry["submission"], {}), digests.get(entry["submission"], {}),
                               entry["copied"], entry["sandbox"]))
    return rows


def flag_copies(rows: list[Graded], references: list[Graded] = ()) -> None:
    """Set ``copied`` on each row whose wrong answers look copied; the flag is for the instructor to look at, not
    a grade. Two exercises of evidence from one source flag a row (one could be a chance).

    Across variants, evidence is an exercise this learner got wrong whose answer holds the same data (see
    :func:`answer_digest`) as an answer graded correct on another variant: another learner's, or the published
    solutions' (``references``). That answer is right there and wrong here, so the right answers differ between
    the variants and this one was not worked out on its own data.

    On one variant (every learner of a class without variants), right answers are the same for all, so only
    wrong ones tell: a wrong answer that exactly one other learner of the notebook gave too, and nobody else. A
    wrong answer three learners share is a common mistake, not evidence.
    """
    from model_health.classroom.seeding import PUBLISHED_SEED

    def wrong(row: Graded, q: str) -> bool:
        return bool(row.answer_digests.get(q)) and row.results.get(q, (None, ""))[0] is Status.INCORRECT

    sharing: dict[tuple[str, str, str, str], list[Graded]] = {}  # (notebook, variant, q, digest) -> rows
    for row in rows:
        for q, digest in row.answer_digests.items():
            if wrong(row, q):
                sharing.setdefault((row.notebook, row.variant, q, digest), []).append(row)
    for row in rows:
        row.copied = ""
        matches: dict[tuple[str, str], set[str]] = {}
        for q, digest in row.answer_digests.items():
            if not wrong(row, q):
                continue
            for other in [*rows, *references]:
                if other is not row and other.notebook == row.notebook and other.variant != row.variant \
                        and other.answer_digests.get(q) == digest \
                        and other.results.get(q, (None, ""))[0] is Status.CORRECT:
                    matches.setdefault((other.learner, other.variant or str(PUBLISHED_SEED)), set()).add(q)
        if matches:
            (learner, seed), exercises = max(matches.items(), key=lambda item: (len(item[1]), item[0]))
            if len(exercises) >= 2:
                whose = (f"{PUBLISHED} (seed {seed})" if learner == PUBLISHED
                         else f"learner {learner}'s variant ({seed})")
                row.copied = (f"{', '.join(sorted(exercises, key=lambda q: int(q[1:])))} are the answers of {whose}, "
                              "wrong on this learner's own")
                continue
        shared: dict[str, set[str]] = {}
        for q, digest in row.answer_digests.items():
            together = sharing.get((row.notebook, row.variant, q, digest), []) if wrong(row, q) else []
            if len(together) == 2:
                other = together[1] if together[0] is row else together[0]
                shared.setdefault(other.learner or other.submission, set()).add(q)
        if shared:
            learner, exercises = max(shared.items(), key=lambda item: (len(item[1]), item[0]))
            if len(exercises) >= 2:
                row.copied = (f"{', '.join(sorted(exercises, key=lambda q: int(q[1:])))} hold the same wrong answers "
                              f"as {learner}'s, which no other learner gave: look at both")


def _published_solutions(name: str) -> bytes:
    from model_health.teaching.authoring import solved_learner_notebook

    return nbformat.writes(solved_learner_notebook(name)).encode()


def _published_reference(name: str, options: Options, scratch: Path) -> Graded:
    """The published solutions of notebook ``name`` graded as a submission: what copying them would carry."""
    reference = grade_submission(Submission(f"{PUBLISHED}: {name}", _published_solutions(name)),
                                 replace(options, variants=False), scratch)
    reference.learner = PUBLISHED
    return reference


def _published_rows(rows: list[Graded], submissions: list[Submission], names: list[str]) -> dict[str, Graded]:
    """Per notebook of ``names``, a row of this batch that graded its published solutions, file for file, on the
    published seed (an instructor's check run hands them in): as a reference, it needs no grading again."""
    published = {hashlib.sha256(_published_solutions(name).rstrip(b"\n")).hexdigest(): name for name in names}
    found = {}
    for submission in submissions:
        name = published.get(hashlib.sha256(submission.data.rstrip(b"\n")).hexdigest())
        if name is None or submission.refused:
            continue
        row = next((row for row in rows if (row.submission, row.digest) == (submission.label, submission.digest)
                    and row.notebook == name and not row.variant and not _unfinished(row)), None)
        if row is not None:
            found[name] = replace(row, learner=PUBLISHED, problems=list(row.problems))
    return found


def package_digest() -> str:
    """A digest of the grading code and solutions, checked after each submission: nothing may change them."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".yml") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE)).encode() + path.read_bytes())
    return digest.hexdigest()


def _warm_up() -> None:
    """Import every exercise module before any submission runs (a worker never imports after learner code ran)."""
    for notebook in notebook_names():
        _exercise_set(notebook)


def _limit_memory(megabytes: int) -> None:
    """Limit this process's address space (its soft limit: the kernels it starts set their own) to ``megabytes``,
    so data a submission sends cannot grow the grader without bound: a MemoryError refuses that variable."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 2 ** 20
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _start_worker(memory_mb: int) -> None:
    """A grading process: one thread, its memory limited, then every exercise module imported."""
    os.environ.update(ONE_THREAD)  # before numpy and scikit-learn load, which read it once
    _limit_memory(memory_mb)
    _warm_up()


def _grading_pool(jobs: int, options: Options) -> ProcessPoolExecutor:
    # Spawned, not forked: a fork of a process whose OpenMP threads ran (scikit-learn's HistGradientBoosting
    # in a notebook or a test) deadlocks the child's first OpenMP call.
    return ProcessPoolExecutor(max_workers=max(1, jobs), initializer=_start_worker,
                               initargs=(options.grader_memory_mb,), mp_context=multiprocessing.get_context("spawn"))


class SandboxUnavailable(RuntimeError):
    """Submissions cannot be sandboxed here, and the instructor did not choose to grade without a sandbox."""


def _unfinished(row: Graded) -> bool:
    return any(problem.startswith((RERUN, "grading crashed", "grading stopped")) for problem in row.problems)


def grade_all(submissions: list[Submission], out: Path, *, options: Options, jobs: int = 2,
              progress: bool = True) -> list[Graded]:
    """Grade every submission not already in ``out``, two at a time, rewriting the gradebook after each."""
    from tqdm.auto import tqdm

    from model_health.classroom.sandbox import bubblewrap_problem

    if not options.unsandboxed and (problem := bubblewrap_problem()):
        raise SandboxUnavailable(
            f"Submissions' kernels run in a bubblewrap sandbox, and {problem}. To grade without one, pass "
            "--unsandboxed: a learner's code then runs with your rights (your files, your network, your processes), "
            "and each row of the gradebook says it was graded so.")
    done = {(row.submission, row.digest): row for row in read_gradebook(out) if not _unfinished(row)}
    # Kept: this run's submissions graded before, unchanged; a changed file, or one whose grading the machine
    # or the grader cut short, is graded again.
    rows = [done[(s.label, s.digest)] for s in submissions if (s.label, s.digest) in done]
    todo = [s for s in submissions if (s.label, s.digest) not in done]
    if options.unsandboxed and todo:
        print("warning: --unsandboxed: submissions' kernels run with your rights, limited only in memory and time; "
              "the gradebook's sandbox column says so.", file=sys.stderr)
    before = package_digest()
    scratch = Path(tempfile.mkdtemp(prefix="model-health-grading-"))
    bar = tqdm(total=len(todo), desc="grading", unit="notebook", disable=not progress or not todo)
    try:
        def grade_in_pool(batch: list[Submission], workers: int) -> list[Submission]:
            """Grade ``batch``, each row written as it comes; the submissions whose grading process was killed."""
            killed = []
            with _grading_pool(workers, options) as pool:
                futures = {pool.submit(grade_submission, submission, options, scratch): submission
                           for submission in batch}
                for future in as_completed(futures):
                    submission = futures[future]
                    try:
                        row = future.result()
                    except BrokenProcessPool:
                        killed.append(submission)
                        continue
                    except Exception as error:  # the grading raised: the row says so, the batch goes on
                        row = Graded(submission.label, submission.digest,
                                     problems=[f"grading crashed: {type(error).__name__}: {error}"])
                    rows.append(row)
                    write_gradebook(rows, out)
                    if package_digest() != before:
                        raise RuntimeError("The workbook's grading code or solutions changed on disk during grading; "
                                           "grades after this point cannot be trusted. Restore the package and "
                                           "rerun.")
                    bar.update()
            return killed

        # A grading process killed while it graded (by a submission's code, or the system) breaks its whole pool:
        # every submission then in flight is graded again, each in a pool of its own, so only the one whose
        # grading kills its process is reported, and the others are graded.
        for submission in sorted(grade_in_pool(todo, jobs), key=lambda submission: submission.label):
            if grade_in_pool([submission], 1):
                rows.append(Graded(submission.label, submission.digest, problems=[
                    "grading crashed: the grading process was killed while this notebook ran (its code may have "
                    "signalled it); not graded"]))
                write_gradebook(rows, out)
                bar.update()
        bar.close()
        variant_notebooks = sorted({row.notebook for row in rows if row.variant})
        references = []
        if todo and variant_notebooks:  # with variants, copying the published solutions is checked too
            found = _published_rows(rows, submissions, variant_notebooks)
            references = list(found.values())
            if missing := [name for name in variant_notebooks if name not in found]:
                with _grading_pool(jobs, options) as pool:
                    references += pool.map(_published_reference, missing, repeat(options), repeat(scratch))
        if todo:
            flag_copies(rows, references)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    write_gradebook(rows, out)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 workbook.py grade", description=__doc__.split("\n")[0])
    parser.add_argument("submissions", nargs="+", help="notebooks, folders of notebooks, or zip files")
    parser.add_argument("--out", type=Path, default=Path("gradebook.csv"), help="the gradebook CSV to write")
    defaults = Options()
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    parser.add_argument("--timeout", type=float, default=defaults.notebook_timeout,
                        help=f"seconds per notebook (default {defaults.notebook_timeout:g})")
    parser.add_argument("--cell-timeout", type=float, default=defaults.cell_timeout,
                        help=f"seconds per cell (default {defaults.cell_timeout:g})")
    parser.add_argument("--memory-mb", type=int, default=defaults.memory_mb,
                        help=f"memory of one submission's sandbox in MiB (default {defaults.memory_mb})")
    parser.add_argument("--variants", action="store_true",
                        help="the class got per-learner variants (workbook.py variant): grade each submission on "
                             "its learner's variant even if its metadata was removed")
    parser.add_argument("--class-seeds", type=Path, metavar="FILE",
                        help="the class's seed file that workbook.py variant --distinct wrote (class-seeds.json): "
                             "each learner is graded on the seed it gives them (implies --variants)")
    parser.add_argument("--max-notebook-mb", type=float, default=MAX_NOTEBOOK_MB,
                        help=f"a larger notebook or zip member is not graded (default {MAX_NOTEBOOK_MB})")
    parser.add_argument("--call-timeout", type=float, default=defaults.call_timeout,
                        help=f"seconds a check's call into a submission's kernel may take (default "
                             f"{defaults.call_timeout:g})")
    parser.add_argument("--grading-budget", type=float, default=defaults.grading_budget,
                        help="seconds to grade one notebook once it ran: loading its variables, the checks, calls "
                             f"into its kernel; exercises left are 'not graded, rerun' (default {defaults.grading_budget:g})")
    parser.add_argument("--transfer-mb", type=int, default=defaults.transfer_mb,
                        help=f"MiB of a submission's data the grader loads, in all (default {defaults.transfer_mb})")
    parser.add_argument("--variable-mb", type=int, default=defaults.variable_mb,
                        help=f"MiB of the largest single variable it loads (default {defaults.variable_mb})")
    parser.add_argument("--grader-memory-mb", type=int, default=defaults.grader_memory_mb,
                        help=f"memory of each grading process in MiB (default {defaults.grader_memory_mb})")
    parser.add_argument("--processes", type=int, default=defaults.processes,
                        help="processes and threads of one submission's sandbox, all together, where a cgroup can "
                             f"be made (default {defaults.processes})")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="grade without bubblewrap (learners' code runs with your rights, limited only in memory "
                             "and time); each gradebook row records it")
    args = parser.parse_args(argv)
    from model_health.classroom.variants import read_class_seeds

    try:
        class_seeds = read_class_seeds(args.class_seeds) if args.class_seeds else None
        submissions = collect(args.submissions, max_notebook_mb=args.max_notebook_mb)
    except (FileNotFoundError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    if not submissions:
        print("No notebook found in " + ", ".join(args.submissions), file=sys.stderr)
        return 2
    options = Options(cell_timeout=args.cell_timeout, notebook_timeout=args.timeout, memory_mb=args.memory_mb,
                      variants=args.variants or class_seeds is not None, class_seeds=class_seeds,
                      call_timeout=args.call_timeout, grading_budget=args.grading_budget,
                      transfer_mb=args.transfer_mb, variable_mb=args.variable_mb,
                      grader_memory_mb=args.grader_memory_mb, processes=args.processes,
                      unsandboxed=args.unsandboxed)
    started = time.perf_counter()
    try:
        rows = grade_all(submissions, args.out, options=options, jobs=args.jobs)
    except SandboxUnavailable as error:
        print(error, file=sys.stderr)
        return 2
    graded = [row for row in rows if row.state != "not graded"]
    print(f"{len(rows)} submission(s), {len(graded)} graded, in {time.perf_counter() - started:.0f} s. Gradebook: "
          f"{args.out}; feedback: {args.out.with_suffix('.feedback.csv')}; summary: {args.out.with_suffix('.html')}")
    flagged = [row.learner for row in rows if row.copied]
    if flagged:
        print(f"{len(flagged)} submission(s) hold another variant's answers (column 'copied'): {', '.join(flagged)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
