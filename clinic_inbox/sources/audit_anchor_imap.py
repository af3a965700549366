"""Audit anchors kept off the workstation: appended as small messages to a folder of
the clinic's own IMAP account, or sent to the clinic's shared server where one is
configured (a factory registered in SINK_FACTORIES).

An anchor message holds the store id, a folder id, the epoch, the number of audit
entries, the MAC of the last one, the time and an HMAC over all of it: no patient
data. Whoever can delete messages in that folder can remove anchors (see the
README's threat model), but cannot forge one without the audit key.
"""

from __future__ import annotations

import email
import email.policy
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from clinic_inbox.core import accounts
from clinic_inbox.core.audit_anchor import AnchorRecord, AnchorSink, make_record, place_of
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import KeyCustodyError
from clinic_inbox.sources.imap import ImapConnection

FOLDER = "Clinic Inbox Audit"
HEADER = "X-Clinic-Inbox-Audit-Anchor"
TIMEOUT = 10.0
log = logging.getLogger(__name__)

# Where a clinic shared server is configured, its branch registers a factory here that
# returns its own AnchorSink (or None when not configured); the first one answering
# replaces the IMAP folder.
SINK_FACTORIES: list[Callable[[Clinic], AnchorSink | None]] = []


class ImapAnchorSink:
    def __init__(self, account: accounts.ImapAccount, password: str, folder: str = FOLDER) -> None:
        self.account, self._password, self.folder = account, password, folder
        self.description = (
            f'the mail server {account.host} (account {account.name!r}, folder "{folder}")'
        )

    def _message(self, record: AnchorRecord) -> bytes:
        msg = EmailMessage(policy=email.policy.SMTP)
        me = self.account.sender_address or "clinic-inbox@localhost"
        msg["From"] = f"Clinic Inbox <{me}>"
        msg["To"] = me
        msg["Subject"] = f"Clinic Inbox audit anchor: entry {record.count}"
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = f"<{uuid.uuid4().hex}@clinic-inbox.invalid>"
        msg[HEADER] = record.store_id
        msg.set_content(
            "Clinic Inbox keeps this message so that its audit trail cannot be rolled back "
            "unnoticed. It contains no patient information. Please do not delete it.\n\n"
            + record.to_json()
            + "\n"
        )
        return msg.as_bytes()

    def publish(self, record: AnchorRecord) -> None:
        with ImapConnection(self.account, self._password, timeout=TIMEOUT).connect() as conn:
            conn.append(self.folder, self._message(record), seen=True)

    def records(self, store_id: str) -> list[AnchorRecord]:
        out: list[AnchorRecord] = []
        with ImapConnection(self.account, self._password, timeout=TIMEOUT).connect() as conn:
            client = conn.client
            if not conn._call(client.folder_exists, self.folder):
                return out
            conn._call(client.select_folder, self.folder, readonly=True)
            uids = conn._call(client.search, ["HEADER", HEADER, store_id])
            if not uids:
                return out
            for data in conn._call(client.fetch, uids, ["BODY.PEEK[]"]).values():
                msg = email.message_from_bytes(data.get(b"BODY[]") or b"")
                body = msg.get_payload(decode=True) or b""
                for line in reversed(body.decode("utf-8", "replace").splitlines()):
                    if line.startswith("{"):
                        try:
                            rec = AnchorRecord.from_json(line)
                        except (ValueError, KeyError, TypeError):
                            break
                        if rec.store_id == store_id:
                            out.append(rec)
                        break
        return out


def configured_sinks(clinic: Clinic) -> tuple[list[AnchorSink], str | None]:
    """Where anchors go for this clinic, or why nowhere."""
    for factory in SINK_FACTORIES:
        sink = factory(clinic)
        if sink is not None:
            return [sink], None
    found = accounts.imap_accounts(clinic.store)
    if not found:
        return [], "no mail account is set up, so no anchor is kept off this computer"
    account = found[0]
    if clinic.credentials is None:
        return [], "the mail account's password is not available"
    try:
        password = clinic.credentials.get(account.name)
    except KeyCustodyError as exc:
        return [], str(exc)
    return [ImapAnchorSink(account, password)], None


def publish_anchor(clinic: Clinic) -> list[str]:
    """Send the audit head off the workstation (sign-out, close, after each sync).
    Returns plain problems, empty when every anchor was kept."""
    sinks, why = configured_sinks(clinic)
    if not sinks:
        return []  # nothing configured is not a failure; `audit verify` says so
    record = make_record(
        clinic.store, clinic.custody.store_id, place_of(clinic.home), clinic.audit_key
    )
    problems = []
    for sink in sinks:
        sent_key = (sink.description, record.store_id, record.place)
        if _last_sent.get(sent_key) == (record.epoch, record.count, record.head):
            continue  # this process already anchored this very head there
        try:
            sink.publish(record)
            _last_sent[sent_key] = (record.epoch, record.count, record.head)
        except Exception as exc:  # noqa: BLE001 - reported, retried at the next anchor
            problems.append(f"The audit anchor could not be kept on {sink.description}: {exc}")
    return problems


_last_sent: dict[tuple[str, str, str], tuple[int, int, str | None]] = {}
