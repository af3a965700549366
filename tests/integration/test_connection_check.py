"""'Test connection' against a real Dovecot with TLS: a certificate the computer does
not trust is refused in plain words; with the clinic's CA it connects."""

from __future__ import annotations

import pytest
from support.dovecot import DovecotServer

from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.sources.connection_check import check_imap
from clinic_inbox.sources.errors import CertificateError


@pytest.fixture()
def tls_dovecot():
    server = DovecotServer(tls=True).start()
    yield server
    server.close()


def test_a_bad_certificate_is_said_plainly_and_the_clinics_ca_connects(tls_dovecot):
    tls_dovecot.add_user("inbox@elm.example", "mailbox secret 42")
    account = ImapAccount(
        "Clinic email", tls_dovecot.host, tls_dovecot.tls_port, "inbox@elm.example", security="tls"
    )
    with pytest.raises(CertificateError) as err:
        check_imap(account, "mailbox secret 42")
    assert "certificate that could not be verified" in str(err.value)
    trusted = ImapAccount(
        "Clinic email",
        tls_dovecot.host,
        tls_dovecot.tls_port,
        "inbox@elm.example",
        security="tls",
        ca_file=tls_dovecot.ca_file,
    )
    assert "Connected to" in check_imap(trusted, "mailbox secret 42")
