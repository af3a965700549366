"""Fixtures of the insider attempts (helpers in support/insider.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.insider import make_demo


@pytest.fixture()
def demo_home(tmp_path) -> Path:
    """A fresh demo clinic for one test (about 2 s): each attack changes the store."""
    return make_demo(tmp_path / "clinic")


@pytest.fixture(scope="module")
def shared_demo(tmp_path_factory) -> Path:
    """One demo clinic for a file's read-only attempts."""
    return make_demo(tmp_path_factory.mktemp("demo") / "clinic")
