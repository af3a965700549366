"""Issue 16: a keyring that does not answer while older entries are being moved into the
store is asked again at the next open; it is never taken for "nothing left there".

Before, a keyring that failed to answer at the open (its daemon restarting, a locked
collection) was recorded as checked, and the account password an older version had
left in it was never moved in (nor deleted from the keyring). Real gnome-keyring; the
"not answering" is the real backend with its look-ups of those entries failing."""

from __future__ import annotations

from pathlib import Path

from clinic_inbox.core import account_secrets, services, workstation_secrets
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import SERVICE, KeyCustody
from clinic_inbox.core.staff_keys import open_signed_in
from clinic_inbox.core.store import account_secret_queries as asq
from clinic_inbox.core.store import queries as q

ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"
MAIL_PW = "imap account secret 7781"
SIGNING_KEY = "5a" * 32


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("keyring custody: no passphrase expected")


def _older_clinic(home: Path, backend) -> str:  # noqa: ANN001
    """A clinic whose mail password and audit signing key an older version left in the
    keyring, not yet moved in."""
    clinic, _code = create_clinic(home, _never, KeyCustody(home, backend))
    with clinic:
        services.create_first_admin(clinic, ADMIN, "The Boss", ADMIN_PW)
        admin = services.login(clinic, ADMIN, ADMIN_PW, sleep=lambda _s: None)
        account = ImapAccount(name="Clinic email", host="127.0.0.1", port=1, username="x")
        services.add_imap_account(clinic, admin, account, MAIL_PW)
        with clinic.store.transaction():
            asq.delete(clinic.store, "Clinic email")
            for meta in (account_secrets.CHECKED_META, workstation_secrets.CHECKED_META):
                clinic.store.execute("DELETE FROM meta WHERE key = ?", (meta,))
        store_id = clinic.custody.store_id
    backend.set_password(SERVICE, f"{store_id}:account:Clinic email", MAIL_PW)
    backend.set_password(SERVICE, f"{store_id}:audit-sign", SIGNING_KEY)
    return store_id


def _silent(backend):  # noqa: ANN001, ANN202
    """The same keyring (its class name is what the key record checks), whose look-ups
    of the entries being moved fail as a keyring that does not answer."""

    def get(service: str, name: str) -> str | None:
        if name.endswith((":account:Clinic email", ":audit-sign")):
            raise RuntimeError("org.freedesktop.DBus.Error.NoReply")
        return backend.get_password(service, name)

    silent = type("Keyring", (), {"__module__": "keyring.backends.SecretService"})()
    silent.get_password, silent.set_password = get, backend.set_password
    silent.delete_password = backend.delete_password
    return silent


def _moved(clinic) -> list[str]:  # noqa: ANN001
    return [
        r[0]
        for r in clinic.store.execute(
            "SELECT action FROM audit WHERE action LIKE '%secret_moved' ORDER BY id"
        )
    ]


def test_a_silent_keyring_is_asked_again_at_the_next_open(tmp_path, secret_service):
    home = tmp_path / "c"
    backend = secret_service.backend()
    store_id = _older_clinic(home, backend)

    clinic, _s = open_signed_in(home, ADMIN, ADMIN_PW, custody=KeyCustody(home, _silent(backend)))
    with clinic:
        assert _moved(clinic) == []
        assert q.get_meta(clinic.store, account_secrets.CHECKED_META) is None
        assert q.get_meta(clinic.store, workstation_secrets.CHECKED_META) is None
    assert backend.get_password(SERVICE, f"{store_id}:account:Clinic email") == MAIL_PW

    clinic, _s = open_signed_in(home, ADMIN, ADMIN_PW, custody=KeyCustody(home, backend))
    with clinic:
        assert sorted(_moved(clinic)) == ["account.secret_moved", "workstation.secret_moved"]
        assert clinic.credentials.get("Clinic email") == MAIL_PW
        assert workstation_secrets.get(clinic, "audit-sign") == SIGNING_KEY
        assert q.get_meta(clinic.store, account_secrets.CHECKED_META) == "1"
        assert q.get_meta(clinic.store, workstation_secrets.CHECKED_META) == "1"
    assert backend.get_password(SERVICE, f"{store_id}:account:Clinic email") is None
    assert backend.get_password(SERVICE, f"{store_id}:audit-sign") is None
