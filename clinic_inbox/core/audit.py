"""The audit trail: append-only, HMAC-chained, verified end to end.

Each entry's MAC covers the previous entry's MAC and the entry's own canonical
content (its id included, so reordering is caught). The audit key is separate
from the database key: someone who can open the store but lacks the audit key
cannot forge or silently re-chain entries. A signed head record in `meta`
(count and last MAC) catches truncation of the tail.

Entries name ids and actions, never message contents.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from clinic_inbox.core.store import audit_queries as aq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store.connection import Store

GENESIS = "0" * 64
HEAD_KEY = "audit_head"


def _canonical(row: tuple[Any, ...]) -> bytes:
    return json.dumps(list(row), separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _mac(key: bytes, prev: str, row: tuple[Any, ...]) -> str:
    return hmac.new(key, prev.encode("ascii") + b"|" + _canonical(row), hashlib.sha256).hexdigest()


def _head_mac(key: bytes, count: int, last: str) -> str:
    return hmac.new(key, f"head|{count}|{last}".encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor_id: int | None
    actor: str
    action: str
    patient_id: int | None
    thread_id: int | None
    message_id: int | None
    reason: str | None
    detail: dict[str, Any]


def append(
    store: Store,
    audit_key: bytes,
    actor_id: int | None,
    actor: str,
    action: str,
    *,
    patient_id: int | None = None,
    thread_id: int | None = None,
    message_id: int | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry. Must run inside the caller's transaction."""
    if not store.in_transaction:
        raise RuntimeError("audit entries are written in the same transaction as the action")
    last_id, last_mac = aq.head(store)
    prev = last_mac or GENESIS
    new_id = last_id + 1
    at = q.utcnow()
    detail_json = json.dumps(detail or {}, sort_keys=True, separators=(",", ":"))
    content = (
        new_id,
        at,
        actor_id,
        actor,
        action,
        patient_id,
        thread_id,
        message_id,
        reason,
        detail_json,
    )
    mac = _mac(audit_key, prev, content)
    aq.insert_entry(store, content, prev, mac)
    count = aq.count(store)
    q.set_meta(store, HEAD_KEY, json.dumps([count, mac, _head_mac(audit_key, count, mac)]))
    store.note_audit_append()  # the counter outside the store follows after the commit
    return new_id


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"Audit trail intact: {self.checked} entries verified."
        where = f"at entry {self.first_bad_id}" if self.first_bad_id is not None else "at the end"
        return f"Audit trail BROKEN {where}: {self.problem} ({self.checked} entries checked before it)."


def verify(store: Store, audit_key: bytes) -> VerifyResult:
    prev = GENESIS
    expected_id = 1
    checked = 0
    for row in aq.chain(store):
        content, prev_mac, mac = tuple(row[:10]), row[10], row[11]
        if row[0] != expected_id:
            return VerifyResult(False, checked, row[0], f"entry {expected_id} is missing")
        if prev_mac != prev:
            return VerifyResult(False, checked, row[0], "the link to the previous entry is broken")
        if not hmac.compare_digest(_mac(audit_key, prev, content), mac):
            return VerifyResult(False, checked, row[0], "the entry was altered")
        prev, expected_id, checked = mac, expected_id + 1, checked + 1
    head = q.get_meta(store, HEAD_KEY)
    if head is None:
        if checked:
            return VerifyResult(False, checked, None, "the signed head record is missing")
        return VerifyResult(True, 0)
    count, last, head_mac = json.loads(head)
    if not hmac.compare_digest(_head_mac(audit_key, count, last), head_mac):
        return VerifyResult(False, checked, None, "the signed head record was altered")
    if count != checked or last != prev:
        return VerifyResult(
            False, checked, None, f"entries were removed from the end ({count} were written)"
        )
    return VerifyResult(True, checked)


def entries(
    store: Store, patient_id: int | None = None, since: str | None = None, until: str | None = None
) -> list[AuditEntry]:
    return [
        AuditEntry(*r[:9], detail=json.loads(r[9] or "{}"))
        for r in aq.entry_rows(store, patient_id, since, until)
    ]
