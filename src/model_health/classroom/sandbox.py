"""Start a program in a bubblewrap sandbox: how batch grading runs a submission's kernel, without Docker or root.

    python -m model_health.classroom.sandbox --read DIR… --write DIR… --replace DIR=BY… --setenv NAME=VALUE…
                                   --chdir DIR --memory-mb N --join FILE… -- ARGS…

runs ``python ARGS…`` (e.g. ``-m ipykernel_launcher -f conn.json``) inside bubblewrap (``bwrap``, the Debian and
Ubuntu package ``bubblewrap``; the sandbox Flatpak uses), which gives it:

- no network: its own network namespace, with only its own loopback (a server it starts still works);
- its own PID namespace: it sees and can signal only its own processes, and all of them end when it does
  (nothing it starts, even in a new session, outlives it);
- a clean environment: only the variables ``--setenv`` names, and the thread counts set for the grader;
- a read-only view of the system's programs and libraries, this Python and its packages, and the ``--read``
  folders, where a ``--replace`` folder shows another folder's files (the grader's release build of the
  exercises in place of the package's own, so the solutions and checks are not there); it writes only to the
  ``--write`` folders and a private /tmp;
- no capabilities, and a new terminal session (it cannot type into the grader's terminal).

``--memory-mb`` limits each process's address space (an allocation past it is a MemoryError the program sees);
``--join`` puts the sandbox in a :class:`ResourceGroup` (a cgroup the caller made) before it starts, whose memory
and process limits hold for the sandbox as a whole. ``--isolation none`` runs the program with the memory limit
only: what the grader does when the instructor passes ``--unsandboxed``.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

__all__ = ["ResourceGroup", "bubblewrap_command", "bubblewrap_problem", "main"]

# Read-only, from the host: what a Python kernel, its libraries and the tools the notebooks call (Java for Spark,
# Alertmanager, Chromium) need from /etc; never the whole of it (keys, shadow passwords, the instructor's config).
SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/sys"]
ETC = ["alternatives", "ca-certificates", "ca-certificates.conf", "fonts", "group", "host.conf", "hosts",
       "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "mime.types", "nsswitch.conf", "passwd", "protocols",
       "services", "ssl", "timezone"]
# Passed on from the grader when set: one thread per process where the grader asked for it (OpenMP threads that
# spin-wait for a core another kernel holds make a busy machine slower), the locale, Java's home for Spark.
PASSED_ON = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "LANG", "LC_ALL", "TZ", "JAVA_HOME"]


@functools.cache
def bubblewrap_problem() -> str | None:
    """Why programs cannot be sandboxed with bubblewrap here, or None when they can (tried once per process)."""
    if not sys.platform.startswith("linux"):
        return (f"bubblewrap runs on Linux only (this is {sys.platform}); grade in the container image the README "
                "describes")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed (Debian/Ubuntu: sudo apt-get install bubblewrap)"
    tried = subprocess.run([bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
                            "--dev", "/dev", "true"], capture_output=True, text=True, timeout=60)
    if tried.returncode != 0:
        return (f"bubblewrap cannot create namespaces here ({tried.stderr.strip()[:200]}); allow unprivileged user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1, or AppArmor's "
                "kernel.apparmor_restrict_unprivileged_userns=0) or grade in the container image")
    return None


def _etc_paths() -> list[str]:
    return [f"/etc/{name}" for name in ETC] + [str(path) for path in sorted(Path("/etc").glob("java-*"))]


def _python_paths() -> list[str]:
    """This Python and its packages: the environment, the installation it was made from, and any package folder
    on the import path outside both (a user site); not the current folder, which the path may hold."""
    own = [sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).resolve().parent)]
    packages = [entry for entry in sys.path if entry and os.path.isdir(entry) and "-packages" in entry]
    package = str(Path(__file__).resolve().parents[1])  # this package, where it is not installed into the environment
    return sorted({os.path.realpath(path) for path in own + packages + [package]})


def _mount(option: str, path: str) -> list[str]:
    """Mount ``path`` at the same place, as a link where the host has a link there (/bin on a merged /usr)."""
    if os.path.islink(path) and os.path.dirname(path) == "/":
        return ["--symlink", os.readlink(path), path]
    return [option, path, path]


def bubblewrap_command(command: list[str], *, read=(), write=(), replace=None, environment=None,
                       chdir: str | None = None) -> list[str]:
    """The bwrap command that runs ``command`` as the module docstring says."""
    argv = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop",
            "ALL", "--clearenv", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]
    for path in SYSTEM + _etc_paths():
        if os.path.lexists(path):
            argv += _mount("--ro-bind", path)
    readable = sorted(set(_python_paths() + [os.path.realpath(path) for path in read]))
    for path in readable:  # each folder once: not one beneath the system's or another folder of the list
        if os.path.exists(path) and not any(path.startswith(top + "/") for top in SYSTEM + readable) \
                and path not in SYSTEM:
            argv += ["--ro-bind", path, path]
    for path in write:  # after /tmp's own: a folder under /tmp is the host's, bound over the private one
        argv += ["--bind", os.path.realpath(path), os.path.realpath(path)]
    for path, by in (replace or {}).items():
        argv += ["--ro-bind", os.path.realpath(by), os.path.realpath(path)]
    variables = {name: os.environ[name] for name in PASSED_ON if name in os.environ}
    variables |= {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", **(environment or {})}
    for name, value in sorted(variables.items()):
        argv += ["--setenv", name, value]
    if chdir:
        argv += ["--chdir", os.path.realpath(chdir)]
    return [*argv, "--remount-ro", "/", "--", *command]


class ResourceGroup:
    """Memory and process limits for a sandbox as a whole, where the kernel's per-process limit is not enough (three
    children of 800 MB each pass a 2,048 MB limit per process): a control group made beneath this process's own,
    which the sandbox joins before it starts (``--join``), and :meth:`close` empties and removes.

    cgroup v2 (memory.max, pids.max) where this process's group delegates the memory and pids controllers, else
    cgroup v1's memory and pids hierarchies where this process may write them (as root); :meth:`create` returns
    None where neither is possible (an unprivileged instructor without a delegated group).
    """

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders

    @property
    def join_files(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.folders]

    @classmethod
    def create(cls, memory_mb: int, processes: int) -> ResourceGroup | None:
        name = f"{GROUP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        limits = {"memory": [("memory.max", memory_mb * 1024 ** 2), ("memory.swap.max", 0),
                             ("memory.limit_in_bytes", memory_mb * 1024 ** 2),
                             ("memory.memsw.limit_in_bytes", memory_mb * 1024 ** 2)],
                  "pids": [("pids.max", processes)]}
        made, groups = [], _own_groups()
        for parent, _ in groups:  # a grading process killed before it could remove its groups left them
            for stale in stale_folders(parent, GROUP_PREFIX):
                cls([stale]).close()
        try:
            for parent, controllers in groups:
                folder = parent / name
                folder.mkdir()
                made.append(folder)
                for controller in controllers:
                    for file, value in limits[controller]:
                        if (folder / file).exists():
                            (folder / file).write_text(str(value))
        except OSError:
            cls(made).close()
            return None
        return cls(made) if made else None

    def reached_memory_limit(self) -> bool:
        """Whether the system killed a process of the group for taking it past its memory limit."""
        for folder in self.folders:
            for name in ("memory.events", "memory.oom_control"):  # v2, v1: each has an "oom_kill N" line
                counts = [line.split() for line in _read(folder / name).splitlines()]
                if any(len(count) == 2 and count[0] == "oom_kill" and int(count[1]) > 0 for count in counts):
                    return True
        return False

    def close(self) -> None:
        """Kill what is left in the group (nothing, once its sandbox ended) and remove it."""
        for _ in range(50):
            left = [int(pid) for file in self.join_files for pid in _read(Path(file)).split()]
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for folder in self.folders:
            try:
                folder.rmdir()
            except OSError:
                pass


GROUP_PREFIX = "model-health-"  # a ResourceGroup's folder: model-health-<the grading process's pid>-<random>


def stale_folders(parent: Path, prefix: str) -> list[Path]:
    """The folders ``<prefix><pid>-<suffix>`` in ``parent`` whose process (the grader that made them) has ended."""
    stale = []
    for folder in sorted(parent.glob(f"{prefix}*")):
        owner = re.fullmatch(rf"{re.escape(prefix)}(\d+)-\w+", folder.name)
        if owner is None or not folder.is_dir():
            continue
        try:
            os.kill(int(owner[1]), 0)
        except ProcessLookupError:
            stale.append(folder)
        except PermissionError:  # alive, another user's
            pass
    return stale


def _read(file: Path) -> str:
    try:
        return file.read_text()
    except OSError:  # a controller's file this group does not have, or a group already removed
        return ""


def _own_groups() -> list[tuple[Path, list[str]]]:
    """(folder, controllers to limit there) for this process's control groups that can limit memory and processes:
    the v2 group where both controllers are delegated to its children, else v1's memory and pids groups."""
    mounts = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split(" - ")
        point, (kind, _, options) = fields[0].split()[4], fields[1].split()[:3]
        if kind == "cgroup2":
            mounts["v2"] = point
        elif kind == "cgroup":
            for controller in ("memory", "pids"):
                if controller in options.split(","):
                    mounts[controller] = point
    groups = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        for controller in (controllers.split(",") if controllers else ["v2"]):
            if controller in mounts:
                groups[controller] = Path(mounts[controller] + path.rstrip("/"))
    if "v2" in groups:
        delegated = (groups["v2"] / "cgroup.subtree_control")
        if delegated.exists() and {"memory", "pids"} <= set(delegated.read_text().split()):
            return [(groups["v2"], ["memory", "pids"])]
    if "memory" in groups and "pids" in groups:
        return [(groups["memory"], ["memory"]), (groups["pids"], ["pids"])]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_health.classroom.sandbox",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--read", action="append", default=[], help="a folder the program may read (repeatable)")
    parser.add_argument("--write", action="append", default=[], help="a folder it may read and write (repeatable)")
    parser.add_argument("--replace", action="append", default=[], metavar="DIR=BY",
                        help="a folder it sees with the files of the folder BY instead, read-only (repeatable)")
    parser.add_argument("--setenv", action="append", default=[], metavar="NAME=VALUE",
                        help="a variable of its environment (repeatable); no other is passed on")
    parser.add_argument("--chdir", help="the folder it starts in")
    parser.add_argument("--memory-mb", type=int, help="address-space limit of each of its processes, in MiB")
    parser.add_argument("--join", action="append", default=[], metavar="FILE",
                        help="the cgroup.procs file of a ResourceGroup to join first (repeatable)")
    parser.add_argument("--isolation", choices=["bubblewrap", "none"], default="bubblewrap",
                        help="none: only the memory limit (the grader's --unsandboxed)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the arguments for python")
    args = parser.parse_args(argv)
    command = [sys.executable, *(args.command[1:] if args.command[:1] == ["--"] else args.command)]
    for file in args.join:
        Path(file).write_text(str(os.getpid()))
    if args.memory_mb:
        limit = args.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    environment = dict(variable.split("=", 1) for variable in args.setenv)
    if args.isolation == "none":
        os.environ.update(environment)
        if args.chdir:
            os.chdir(args.chdir)
        os.execv(command[0], command)
    argv = bubblewrap_command(command, read=args.read, write=args.write,
                              replace=dict(pair.split("=", 1) for pair in args.replace), environment=environment,
                              chdir=args.chdir)
    os.execv(argv[0], argv)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
