"""Real servers on 127.0.0.1, started and stopped by the tests themselves."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

ALLOW_SKIP = os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1"


def _serve(start: Callable[[], Any], unavailable: type[Exception]) -> Iterator[Any]:
    """Start a server; a missing tool fails the test with what to install (or skips,
    when CLINIC_INBOX_ALLOW_SKIP=1), and the server is always closed afterwards."""
    try:
        server = start()
    except unavailable as exc:
        if ALLOW_SKIP:
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    yield server
    server.close()


@pytest.fixture()
def dovecot():
    from support.dovecot import DovecotServer, DovecotUnavailable

    yield from _serve(lambda: DovecotServer().start(), DovecotUnavailable)


@pytest.fixture()
def smtp_server():
    from support.smtp_server import SmtpServer

    yield from _serve(lambda: SmtpServer().start(), RuntimeError)


@pytest.fixture(scope="module")
def _fhir_process():
    from support.fhir import FhirServer, FhirUnavailable

    yield from _serve(lambda: FhirServer().start(), FhirUnavailable)


@pytest.fixture()
def fhir_server(_fhir_process):
    """The FHIR server, empty at the start of each test (one process per file, reset
    in between; a test that stopped it for an outage finds it started again)."""
    _fhir_process.reset()
    return _fhir_process
