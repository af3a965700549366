"""Files the app writes outside the store: owner-only from their first byte.

Exports, audit CSVs, screenshots and backups carry patient data (or the names of
patients). Whatever the desktop's umask, they are created 0600 in folders made 0700,
and CSV cells are escaped so a spreadsheet never runs one as a formula.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab
# and CR, as the start of one after it trims them).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def private_dir(path: Path) -> Path:
    """Create the folder (and missing parents) owner-only; an existing folder we
    created keeps its mode, one we just made is 0700 whatever the umask."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=0o700)
        os.chmod(d, 0o700)
    return path


def open_private(path: Path, mode: str = "w", **kw: Any) -> IO[Any]:
    """Open for writing, created (or truncated) as 0600."""
    path = Path(path)
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
    return os.fdopen(fd, mode, **kw)


def csv_cell(value: object) -> str:
    """A cell as text, with a leading quote when a spreadsheet would evaluate it
    (OWASP's advice for CSV injection); the quote is visible, nothing is lost."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
