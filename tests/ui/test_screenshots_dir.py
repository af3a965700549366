"""A test run leaves the checkout as it was: the GUI tests' screenshots go to
build/screenshots (ignored by git); the README's, in docs/screenshots, are written
again only by `make screenshots` (support.screenshots)."""

from __future__ import annotations

import os
import re

import pytest
from support.screenshots import BUILD, DOCS, ENV, REPO


def test_screenshots_go_outside_the_tracked_files_by_default(shots):
    if os.environ.get(ENV):
        pytest.skip(f"{ENV} is set: screenshots were asked for")
    assert shots == BUILD
    assert not shots.resolve().is_relative_to(DOCS.resolve())


def test_screenshots_go_to_the_readme_only_when_asked(monkeypatch, request):
    monkeypatch.setenv(ENV, "docs")
    assert request.getfixturevalue("shots") == DOCS


def test_no_test_names_the_readmes_screenshot_folder_itself():
    """Every screenshot goes through the one place that decides where (a test that
    named docs/screenshots itself dirtied the checkout on every run)."""
    named = re.compile(r"""["']docs["']\s*/\s*["']screenshots["']|docs/screenshots/\w""")
    found = [
        str(path.relative_to(REPO))
        for path in (REPO / "tests").rglob("*.py")
        if path.name != "screenshots.py"
        and path != REPO / "tests" / "ui" / "test_screenshots_dir.py"
        and named.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
