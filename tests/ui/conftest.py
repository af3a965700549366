"""A small real clinic for GUI tests, and where screenshots go."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.screenshots import shots_dir

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ANCHOR = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def demo_clinic(tmp_path_factory):
    from clinic_inbox import demo
    from clinic_inbox.core.keys import KeyCustody

    home = tmp_path_factory.mktemp("gui-demo")
    clinic, _, _ = demo.create_demo_clinic(home, KeyCustody(home, detect=False))
    yield clinic
    clinic.close()


@pytest.fixture()
def shots() -> Path:
    """build/screenshots; docs/screenshots (the README's) only under `make screenshots`."""
    return shots_dir()


@pytest.fixture()
def dovecot():
    """A real Dovecot on 127.0.0.1 for the GUI's sync tests."""
    from support.dovecot import DovecotServer, DovecotUnavailable

    try:
        server = DovecotServer().start()
    except DovecotUnavailable as exc:
        if os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1":
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    yield server
    server.close()
