"""Patients' records edited by staff, and a conversation taken back off a chart."""

from __future__ import annotations

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import index_message, utcnow


def chart_number_taken(store: Store, chart_number: str, other_than: int | None = None) -> bool:
    return (
        store.execute(
            "SELECT 1 FROM patients WHERE chart_number = ? AND id IS NOT ?",
            (chart_number, other_than),
        ).fetchone()
        is not None
    )


def update_patient(
    store: Store,
    patient_id: int,
    family_name: str,
    given_name: str,
    birth_date: str | None,
    chart_number: str | None,
    emails: tuple[str, ...],
) -> None:
    """The patient's demographics and the whole list of their email addresses."""
    store.execute(
        "UPDATE patients SET family_name = ?, given_name = ?, birth_date = ?, chart_number = ? "
        "WHERE id = ?",
        (family_name, given_name, birth_date, chart_number, patient_id),
    )
    store.execute("DELETE FROM patient_emails WHERE patient_id = ?", (patient_id,))
    for address in emails:
        store.execute(
            "INSERT OR IGNORE INTO patient_emails (patient_id, address) VALUES (?, ?)",
            (patient_id, address.strip().lower()),
        )
    # the search index carries the patient's name beside each message
    for (mid,) in store.execute("SELECT id FROM messages WHERE patient_id = ?", (patient_id,)):
        index_message(store, mid)


def email_owners(store: Store, address: str) -> list[int]:
    return [
        r[0]
        for r in store.execute(
            "SELECT patient_id FROM patient_emails WHERE address = ?", (address.strip().lower(),)
        )
    ]


def unlink_thread(store: Store, thread_id: int, patient_id: int, forget: list[str]) -> None:
    """Take a conversation (and its messages) off a patient's chart; forget the given
    sender addresses for that patient so their next mail is not filed there again."""
    store.execute(
        "UPDATE threads SET patient_id = NULL, updated_at = ? WHERE id = ? AND patient_id = ?",
        (utcnow(), thread_id, patient_id),
    )
    ids = [
        r[0]
        for r in store.execute(
            "SELECT id FROM messages WHERE thread_id = ? AND patient_id = ?",
            (thread_id, patient_id),
        )
    ]
    store.execute(
        "UPDATE messages SET patient_id = NULL WHERE thread_id = ? AND patient_id = ?",
        (thread_id, patient_id),
    )
    for address in forget:
        store.execute(
            "DELETE FROM patient_emails WHERE patient_id = ? AND address = ?",
            (patient_id, address.strip().lower()),
        )
    for mid in ids:
        index_message(store, mid)


def unportaled_by_chart(store: Store, chart_number: str) -> int | None:
    """The patient with this chart number who has no portal account linked yet."""
    found = store.one(
        "SELECT id FROM patients WHERE chart_number = ? AND portal_id IS NULL", (chart_number,)
    )
    return None if found is None else int(found)


def set_portal_id(store: Store, patient_id: int, portal_id: str) -> None:
    store.execute("UPDATE patients SET portal_id = ? WHERE id = ?", (portal_id, patient_id))
