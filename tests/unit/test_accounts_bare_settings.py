"""An IMAP account row without settings does not break the listing of mail accounts.

Such a row exists where messages were filed under an account name whose settings were
never typed (or not received) on this workstation; the background sync, the compose
window's senders and the audit anchor all list the IMAP accounts, and one bare row made
each of them fail with a TypeError.
"""

from __future__ import annotations

from support.clinics import new_clinic

from clinic_inbox.core import accounts
from clinic_inbox.core.store import queries as q

FROM = "clinic@example.org"


def test_an_account_without_settings_is_left_out_and_the_others_listed(tmp_path):
    clinic, _, _ = new_clinic(tmp_path / "c")
    with clinic:
        with clinic.store.transaction():
            bare = q.ensure_account(clinic.store, "Inbox", "imap", {})
            half = q.ensure_account(clinic.store, "Half", "imap", {"name": "Half", "host": ""})
            real = accounts.add_imap_account(
                clinic.store,
                accounts.ImapAccount(
                    name="Mail",
                    host="127.0.0.1",
                    port=1143,
                    username=FROM,
                    security="none",
                    smtp_host="127.0.0.1",
                    smtp_security="none",
                ),
            )
        found = accounts.imap_accounts(clinic.store)
        assert [a.id for a in found] == [real]
        assert bare not in [a.id for a in found] and half not in [a.id for a in found]
        assert found[0].username == FROM and found[0].port == 1143
        assert found[0].sender_address == FROM  # the compose window's sender
