"""Shared test setup: helpers importable as `support.*`, Qt offscreen, quiet keyring."""

from __future__ import annotations

import os
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
