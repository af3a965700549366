"""Process hardening: a crash must not leave patient data on disk in a core dump,
and other programs of the same user must not read this process's memory."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

PR_SET_DUMPABLE = 4
PR_SET_PDEATHSIG = 1


def no_crash_dumps() -> None:
    """No core file on a crash, and (Linux) not dumpable, so no ptrace or /proc/PID/mem
    by other processes of the same user. Best effort: never stops the app."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        except OSError:
            pass


def die_with_parent(parent_pid: int) -> None:
    """For worker processes: end when the app ends, even when it is killed, so no copy
    of a message outlives it in memory."""
    import os
    import signal

    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except OSError:
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(0)


def worker_start(parent_pid: int) -> None:
    no_crash_dumps()
    die_with_parent(parent_pid)
