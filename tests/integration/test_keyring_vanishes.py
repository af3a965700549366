"""The keyring stops mid-session (its daemon dies): the open store keeps working (the
account passwords are sealed in it, so sync goes on), and reopening explains the way
forward."""

from __future__ import annotations

import pytest
from support.secret_service import SecretService

from clinic_inbox.core.home import create_clinic, open_clinic
from clinic_inbox.core.keys import RECOVER_HINT, CustodyChangedError, KeyCustody
from clinic_inbox.core.store import queries as q


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("keyring custody must not ask for a passphrase")


def test_keyring_gone_mid_session(tmp_path):
    service = SecretService().start()  # our own, so stopping it spares the shared one
    try:
        home = tmp_path / "c"
        clinic, code = create_clinic(home, _never, KeyCustody(home, backend=service.backend()))
        clinic.credentials.set("Clinic email", "imap-password")
        assert clinic.credentials.get("Clinic email") == "imap-password"
        dead = service.backend()
    finally:
        service.stop()
    try:
        # the store is open with its key in memory: everything local still works
        with clinic.store.transaction():
            q.add_patient(clinic.store, "Roy", "Chloé", "1990-01-01", "RFH-9")
        assert q.patient_count(clinic.store) == 1
        # the account password is in the store, not the keyring: still there
        assert clinic.credentials.get("Clinic email") == "imap-password"
    finally:
        clinic.close()
    with pytest.raises(CustodyChangedError) as err:
        open_clinic(home, _never, KeyCustody(home, backend=dead))
    assert "did not answer" in str(err.value) and RECOVER_HINT in str(err.value)
    assert code  # the recovery code is the path back (tested in test_keys_secret_service)
