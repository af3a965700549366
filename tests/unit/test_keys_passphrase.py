"""Key custody without a secure keyring: a passphrase-wrapped key file."""

from __future__ import annotations

import json

import pytest

from clinic_inbox.core import keys
from clinic_inbox.core.keys import (
    KeyCustody,
    KeyCustodyError,
    WeakPassphraseError,
    WrongPassphraseError,
)

PASS = "correct horse battery staple"


def test_passphrase_fallback_wraps_with_scrypt_and_aes_gcm(tmp_path, real_kdf_costs):
    custody = KeyCustody(tmp_path, detect=False)
    found, code = custody.create(lambda p, c: PASS)
    blob = json.loads((tmp_path / keys.WRAPPED_KEY_FILE).read_text())
    assert blob["kdf"] == "scrypt" and blob["n"] >= 2**17
    raw = (tmp_path / keys.WRAPPED_KEY_FILE).read_bytes()
    assert found.db_key.hex().encode() not in raw and found.db_key not in raw
    assert custody.record().method == "passphrase"
    assert KeyCustody(tmp_path, detect=False).load(lambda p, c: PASS) == found
    with pytest.raises(WrongPassphraseError):
        KeyCustody(tmp_path, detect=False).load(lambda p, c: "not the passphrase")
    # the recovery code, however it is typed
    for typed in (code, code.lower(), code.replace("-", ""), " ".join(code.split("-"))):
        assert KeyCustody(tmp_path, detect=False).recover(typed, lambda p, c: PASS) == found


def test_short_passphrase_refused_and_existing_custody_never_replaced(tmp_path):
    with pytest.raises(WeakPassphraseError):
        KeyCustody(tmp_path / "a", detect=False).create(lambda p, c: "short")
    KeyCustody(tmp_path / "b", detect=False).create(lambda p, c: PASS)
    with pytest.raises(KeyCustodyError, match="already holds"):
        KeyCustody(tmp_path / "b", detect=False).create(lambda p, c: PASS)


def test_plaintext_keyring_backends_are_refused(monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    backend, why = keys.detect_secure_backend()
    assert backend is None and why
    try:
        import keyrings.alt.file  # noqa: F401
    except ImportError:
        return
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    backend, why = keys.detect_secure_backend()
    assert backend is None and "plain text" in why


def test_secrets_never_appear_in_a_repr():
    s = keys.Secrets.generate()
    assert s.db_key.hex() not in repr(s) and repr(s) == "Secrets()"
