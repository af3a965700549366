"""Where the GUI tests save their screenshots.

By default into build/screenshots (ignored by git), so that running the tests never
changes the checkout; look at them there. The README's screenshots in docs/screenshots
are written only when asked: `make screenshots` sets CLINIC_INBOX_SCREENSHOTS=docs
(any other value is a folder to write them in).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "screenshots"
BUILD = REPO / "build" / "screenshots"
ENV = "CLINIC_INBOX_SCREENSHOTS"


def shots_dir() -> Path:
    asked = os.environ.get(ENV, "").strip()
    path = DOCS if asked == "docs" else Path(asked) if asked else BUILD
    path.mkdir(parents=True, exist_ok=True)
    return path
