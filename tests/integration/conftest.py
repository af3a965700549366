"""Real servers on 127.0.0.1, started and stopped by the tests themselves."""

from __future__ import annotations

import os

import pytest

ALLOW_SKIP = os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1"


@pytest.fixture()
def dovecot():
    from support.dovecot import DovecotServer, DovecotUnavailable

    try:
        server = DovecotServer().start()
    except DovecotUnavailable as exc:
        if ALLOW_SKIP:
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    yield server
    server.close()


@pytest.fixture()
def smtp_server():
    from support.smtp_server import SmtpServer

    server = SmtpServer().start()
    yield server
    server.close()


@pytest.fixture()
def fhir_server():
    from support.fhir import FhirServer, FhirUnavailable

    try:
        server = FhirServer().start()
    except FhirUnavailable as exc:
        if ALLOW_SKIP:
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    yield server
    server.close()
