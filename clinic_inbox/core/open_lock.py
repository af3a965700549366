"""Who has a clinic open on this computer: a lock file every open clinic holds shared,
and that putting a backup back takes exclusively.

Replacing the store under a running app would leave the app writing to the old file
and its audit counter moving along a history the folder no longer holds: a false
rollback alarm at the next `audit verify`, and lost work. So a restore refuses while
any process (the app, a command still running) has the clinic open, and a clinic
does not open while a restore runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from clinic_inbox.core.store import StoreError

try:  # POSIX; elsewhere there is no lock (see the README)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "open.lock"
IN_USE = (
    "Clinic Inbox has this clinic open (the app, or a command still running, on this "
    "computer). Close it everywhere, then put the backup back again. Nothing was changed."
)
RESTORING = (
    "A backup is being put back in this clinic's folder right now. Try again in a "
    "minute; nothing was opened."
)


class ClinicInUseError(StoreError):
    pass


def _open(home: Path) -> int | None:
    if fcntl is None:  # pragma: no cover
        return None
    folder = Path(home) / "locks"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return os.open(folder / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o600)


def hold_shared(home: Path) -> int | None:
    """Held by an open clinic until it closes (`release`)."""
    fd = _open(home)
    if fd is None:  # pragma: no cover
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ClinicInUseError(RESTORING) from None
    return fd


def release(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the descriptor lifts its lock


@contextmanager
def exclusive(home: Path) -> Iterator[None]:
    """Nobody else has the clinic open while the block runs, or ClinicInUseError."""
    fd = _open(home)
    if fd is None:  # pragma: no cover
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ClinicInUseError(IN_USE) from None
        yield
    finally:
        os.close(fd)
