"""Start a program with a memory limit and, where Linux Landlock is available, file access limited
to the folders named: how batch grading runs a submission's kernel without Docker or root.

    python -m model_health.sandbox --read DIR… --write DIR… --hide DIR… --memory-mb N -- ARGS…

runs ``python ARGS…`` (e.g. ``-m ipykernel_launcher -f conn.json``). The limits hold for that process
and everything it starts; nothing can lift them. ``--hide`` keeps the files beneath a folder unreadable even
where a ``--read`` folder (or the Python installation) holds it: the grader hides the solutions this way.
Without Landlock (an old kernel, macOS) only the memory limit applies, and :func:`landlock_available` says
so, so the grader can report it.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import sys
from pathlib import Path

__all__ = ["landlock_available", "restrict_files", "main"]

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on x86-64 and arm64
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FILE_ONLY = _EXECUTE | _WRITE_FILE | _READ_FILE | (1 << 14) | (1 << 15)  # rights that apply to a file itself
_READ = _EXECUTE | _READ_FILE | _READ_DIR


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock ABI version of the running kernel, 0 where there is none."""
    if not sys.platform.startswith("linux"):
        return 0
    version = _libc().syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def landlock_available() -> bool:
    return landlock_abi() > 0


def _handled(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: execute … make_sym
    if abi >= 2:
        rights |= 1 << 13  # refer
    if abi >= 3:
        rights |= 1 << 14  # truncate
    if abi >= 5:
        rights |= 1 << 15  # ioctl on devices
    return rights


def _read_rules(path: str, hidden: list[str]) -> list[tuple[str, int]]:
    """(path, rights) rules to read beneath ``path`` except the files beneath ``hidden`` folders: a folder holding
    a hidden one may only be listed, and each of its entries gets its own rule, down to the hidden folder."""
    inside = [folder for folder in hidden if folder == path or folder.startswith(path.rstrip(os.sep) + os.sep)]
    if not inside:
        return [(path, _READ)]
    if path in inside:
        return []  # listed through its parent's rule, never read
    rules = [(path, _READ_DIR)]
    with os.scandir(path) as entries:
        for entry in entries:
            rules += _read_rules(entry.path, inside)
    return rules


def restrict_files(read: list[str], write: list[str], hide: list[str] = ()) -> None:
    """Allow this process (and its children) to read only beneath ``read`` and write only beneath ``write``; the
    files beneath ``hide`` are not readable even inside a ``read`` folder."""
    abi = landlock_abi()
    if abi == 0:
        raise OSError("Landlock is not available on this system.")
    libc, handled = _libc(), _handled(abi)
    attr = ctypes.c_uint64(handled)
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    hidden = [os.path.realpath(folder) for folder in hide]
    rules = [rule for path in read if os.path.exists(path) for rule in _read_rules(os.path.realpath(path), hidden)]
    rules += [(path, handled) for path in write]
    try:
        for path, rights in rules:
            if not os.path.exists(path):
                continue
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                allowed = rights & handled & (_FILE_ONLY if not os.path.isdir(path) else ~0)
                rule = _PathBeneath(allowed, fd)
                if libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) < 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0:
            raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
        if libc.syscall(_RESTRICT_SELF, ruleset, 0) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)


def runtime_read_paths() -> list[str]:
    """What a Python kernel needs to read: the system, this Python and its packages (not the repo's other folders)."""
    system = ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/opt", "/proc", "/sys", "/dev", "/run"]
    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).resolve().parent)]
    # Installed packages and this package's own folder; not the current folder, which sys.path may hold.
    packages = [entry for entry in sys.path if entry and os.path.isdir(entry)
                and ("-packages" in entry or entry.startswith((sys.prefix, sys.base_prefix)))]
    return sorted(set(system + python + packages + [str(Path(__file__).resolve().parents[1])]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_health.sandbox", description=__doc__.split("\n")[0])
    parser.add_argument("--read", action="append", default=[], help="a folder the program may read (repeatable)")
    parser.add_argument("--write", action="append", default=[], help="a folder it may read and write (repeatable)")
    parser.add_argument("--hide", action="append", default=[], help="a folder whose files it may not read, even "
                        "inside a --read folder (repeatable)")
    parser.add_argument("--memory-mb", type=int, help="address-space limit in MiB")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the arguments for python")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.memory_mb:
        limit = args.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if landlock_available():
        restrict_files(runtime_read_paths() + args.read, args.write, args.hide)
    os.execv(sys.executable, [sys.executable, *command])
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
