"""Two records of one patient made one: everything of the duplicate moves to the record
kept, then the duplicate goes. The audit trail is never rewritten."""

from __future__ import annotations

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import index_message, utcnow


def counts(store: Store, patient_id: int) -> dict[str, int]:
    """What a record holds, by kind (for the confirmation and the audit entry)."""
    one = lambda sql: int(store.execute(sql, (patient_id,)).fetchone()[0])  # noqa: E731
    return {
        "conversations": one("SELECT count(*) FROM threads WHERE patient_id = ?"),
        "addresses": one("SELECT count(*) FROM patient_emails WHERE patient_id = ?"),
        "consents": one("SELECT count(*) FROM consents WHERE patient_id = ?"),
        "proxies": one("SELECT count(*) FROM proxies WHERE patient_id = ?"),
    }


def merge_into(store: Store, keep: int, duplicate: int) -> None:
    now = utcnow()
    # identifiers the kept record lacks come from the duplicate (they are UNIQUE:
    # cleared on the duplicate first)
    row = store.execute(
        "SELECT birth_date, chart_number, portal_id, responsible_physician_id "
        "FROM patients WHERE id = ?",
        (duplicate,),
    ).fetchone()
    store.execute(
        "UPDATE patients SET chart_number = NULL, portal_id = NULL WHERE id = ?", (duplicate,)
    )
    store.execute(
        "UPDATE patients SET birth_date = coalesce(birth_date, ?), "
        "chart_number = coalesce(chart_number, ?), portal_id = coalesce(portal_id, ?), "
        "responsible_physician_id = coalesce(responsible_physician_id, ?) WHERE id = ?",
        (*row, keep),
    )
    store.execute(
        "UPDATE threads SET patient_id = ?, updated_at = ? WHERE patient_id = ?",
        (keep, now, duplicate),
    )
    store.execute(
        "UPDATE threads SET suggested_patient_id = ? WHERE suggested_patient_id = ?",
        (keep, duplicate),
    )
    moved = [
        r[0] for r in store.execute("SELECT id FROM messages WHERE patient_id = ?", (duplicate,))
    ]
    store.execute("UPDATE messages SET patient_id = ? WHERE patient_id = ?", (keep, duplicate))
    store.execute(
        "INSERT OR IGNORE INTO patient_emails (patient_id, address) "
        "SELECT ?, address FROM patient_emails WHERE patient_id = ?",
        (keep, duplicate),
    )
    store.execute("DELETE FROM patient_emails WHERE patient_id = ?", (duplicate,))
    for table in ("consents", "proxies", "time_entries"):
        store.execute(f"UPDATE {table} SET patient_id = ? WHERE patient_id = ?", (keep, duplicate))  # noqa: S608 - fixed names
    store.execute("DELETE FROM patients WHERE id = ?", (duplicate,))
    for mid in moved:
        index_message(store, mid)
