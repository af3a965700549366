"""Key custody against a real Secret Service (gnome-keyring on a private D-Bus)."""

from __future__ import annotations

import hashlib
import json

import pytest
from support.clinic_details import INIT_DETAILS

from clinic_inbox.core.home import create_clinic, open_clinic
from clinic_inbox.core.keys import (
    SERVICE,
    CustodyChangedError,
    KeyCustody,
    KeyMissingError,
    WrongKeyError,
    WrongPassphraseError,
)


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("a secure keyring needs no passphrase")


def _store_digest(home) -> str:
    return hashlib.sha256((home / "clinic.db").read_bytes()).hexdigest()


def _no_key_bytes_on_disk(home, secrets) -> None:
    for f in home.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            for k in (secrets.db_key, secrets.audit_key):
                assert k not in data and k.hex().encode() not in data, f.name


def test_keys_live_in_the_keyring_and_round_trip(tmp_path, secret_service):
    home = tmp_path / "c"
    backend = secret_service.backend()
    clinic, code = create_clinic(home, _never, KeyCustody(home, backend=backend))
    rec = clinic.custody
    assert rec.method == "keyring" and rec.backend == "keyring.backends.SecretService.Keyring"
    assert backend.get_password(SERVICE, f"{rec.store_id}:db") == clinic.secrets.db_key.hex()
    assert not (home / "key.wrapped").exists()
    _no_key_bytes_on_disk(home, clinic.secrets)
    clinic.close()
    with open_clinic(home, _never, KeyCustody(home, backend=secret_service.backend())) as again:
        assert again.secrets == clinic.secrets
    assert code


def test_missing_key_then_recovery(tmp_path, secret_service):
    home = tmp_path / "c"
    backend = secret_service.backend()
    clinic, code = create_clinic(home, _never, KeyCustody(home, backend=backend))
    store_id = clinic.custody.store_id
    clinic.close()
    backend.delete_password(SERVICE, f"{store_id}:db")
    before = _store_digest(home)
    with pytest.raises(KeyMissingError, match="recover"):
        open_clinic(home, _never, KeyCustody(home, backend=backend))
    assert _store_digest(home) == before
    with pytest.raises(WrongPassphraseError):
        KeyCustody(home, backend=backend).recover("AAAA-BBBB-CCCC", _never)
    KeyCustody(home, backend=backend).recover(code.lower(), _never)
    with open_clinic(home, _never, KeyCustody(home, backend=backend)) as c:
        assert c.store.schema_version() > 0


def test_changed_or_vanished_keyring_stops_with_a_way_forward(tmp_path, secret_service):
    home = tmp_path / "c"
    clinic, _ = create_clinic(home, _never, KeyCustody(home, backend=secret_service.backend()))
    clinic.close()
    before = _store_digest(home)
    with pytest.raises(CustodyChangedError, match="recover"):
        open_clinic(home, _never, KeyCustody(home, backend=None, detect=False))
    record = json.loads((home / "custody.json").read_text())
    record["backend"] = "keyring.backends.kwallet.DBusKeyring"
    (home / "custody.json").write_text(json.dumps(record))
    with pytest.raises(CustodyChangedError, match="KDE Wallet"):
        open_clinic(home, _never, KeyCustody(home, backend=secret_service.backend()))
    assert _store_digest(home) == before


def test_a_key_from_another_installation_is_called_wrong(tmp_path, secret_service):
    home = tmp_path / "c"
    backend = secret_service.backend()
    clinic, _ = create_clinic(home, _never, KeyCustody(home, backend=backend))
    clinic.close()
    backend.set_password(SERVICE, f"{clinic.custody.store_id}:db", "00" * 32)
    before = _store_digest(home)
    with pytest.raises(WrongKeyError):
        open_clinic(home, _never, KeyCustody(home, backend=backend))
    assert _store_digest(home) == before


def test_cli_in_a_desktop_session_uses_the_keyring(tmp_path, secret_service):
    import os
    import subprocess
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLINIC_INBOX")},
        **secret_service.env,
        "CLINIC_INBOX_HOME": str(tmp_path / "c"),
        "CLINIC_INBOX_PASSWORD": "granite willow echo lantern",
    }
    env.pop("PYTHON_KEYRING_BACKEND", None)
    done = subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "init", "--admin", "boss", *INIT_DETAILS],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Secret Service" in done.stdout
    doctor = subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", "boss", "doctor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert doctor.returncode == 0 and "OS keyring" in doctor.stdout
    # the same clinic without the keyring session: a clear stop, the store untouched
    bare = {k: v for k, v in env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    bare["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    before = _store_digest(tmp_path / "c")
    refused = subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", "boss", "doctor"],
        env=bare,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        refused.returncode == 1
        and "key recover" in refused.stderr
        and "Traceback" not in refused.stderr
    )
    assert _store_digest(tmp_path / "c") == before
