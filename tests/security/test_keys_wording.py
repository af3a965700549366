"""Issue 16: what the key and account code says matches what it does now.

Account passwords are sealed in the store and need no keyring, so nothing may tell an
administrator that a keyring is missing; a real clinic (passphrase custody, real
SQLCipher) is used."""

from __future__ import annotations

import pytest

from clinic_inbox.core import services
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody

ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"


def test_adding_an_account_never_blames_a_missing_keyring(tmp_path):
    home = tmp_path / "c"
    custody = KeyCustody(home, backend=None, detect=False)
    clinic, _code = create_clinic(home, lambda _p, _c: "a long clinic passphrase", custody)
    with clinic:
        services.create_first_admin(clinic, ADMIN, "The Boss", ADMIN_PW)
        admin = services.login(clinic, ADMIN, ADMIN_PW, sleep=lambda _s: None)
        account = ImapAccount(name="Clinic email", host="127.0.0.1", port=1, username="x")
        assert services.add_imap_account(clinic, admin, account, "imap secret 1") > 0
        assert clinic.credentials.get("Clinic email") == "imap secret 1"
        # a clinic object that lost its credentials (never the case once opened)
        clinic.credentials = None
        other = ImapAccount(name="Second", host="127.0.0.1", port=1, username="y")
        with pytest.raises(AccessDenied) as said:
            services.add_imap_account(clinic, admin, other, "imap secret 2")
        assert "keyring" not in str(said.value)
        assert "Nothing was saved" in str(said.value)
        assert clinic.store.one("SELECT count(*) FROM accounts WHERE name = 'Second'") == 0
