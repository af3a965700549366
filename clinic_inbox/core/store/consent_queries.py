"""SQL for agreements to electronic communication and for proxies (schema 12)."""

from __future__ import annotations

from datetime import date
from typing import Any

from clinic_inbox.core.consent import Agreement
from clinic_inbox.core.proxies import Proxy
from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow

_AGREEMENT = (
    "SELECT c.id, c.patient_id, c.channels, c.terms_version, c.agreed_on, c.how, "
    "coalesce(s.username, 'import'), c.ended_on, c.ended_how, c.end_reason "
    "FROM consents c LEFT JOIN staff s ON s.id = c.recorded_by"
)


def _agreement(r: Any) -> Agreement:
    return Agreement(r[0], r[1], frozenset(c for c in r[2].split(",") if c), *r[3:10])


def current_agreement(store: Store, patient_id: int) -> Agreement | None:
    """The patient's newest agreement (ended or not), None if they never gave one."""
    r = store.execute(
        _AGREEMENT + " WHERE c.patient_id = ? ORDER BY c.agreed_on DESC, c.id DESC LIMIT 1",
        (patient_id,),
    ).fetchone()
    return _agreement(r) if r else None


def agreement_history(store: Store, patient_id: int) -> list[Agreement]:
    return [
        _agreement(r)
        for r in store.execute(
            _AGREEMENT + " WHERE c.patient_id = ? ORDER BY c.agreed_on, c.id", (patient_id,)
        )
    ]


def add_agreement(
    store: Store,
    patient_id: int,
    channels: frozenset[str],
    terms_version: str,
    agreed_on: str,
    how: str,
    recorded_by: int | None,
    ended: tuple[str, str, str | None, int | None] | None = None,
) -> int:
    ended_on, ended_how, reason, ended_by = ended or (None, None, None, None)
    cur = store.execute(
        "INSERT INTO consents (patient_id, channels, terms_version, agreed_on, how, "
        "recorded_by, recorded_at, ended_on, ended_how, end_reason, ended_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            patient_id,
            ",".join(sorted(channels)),
            terms_version,
            agreed_on,
            how,
            recorded_by,
            utcnow(),
            ended_on,
            ended_how,
            reason,
            ended_by,
        ),
    )
    return int(cur.lastrowid)


def end_agreement(
    store: Store, agreement_id: int, ended_on: str, ended_how: str, reason: str | None, by: int
) -> None:
    store.execute(
        "UPDATE consents SET ended_on = ?, ended_how = ?, end_reason = ?, ended_by = ? "
        "WHERE id = ? AND ended_on IS NULL",
        (ended_on, ended_how, reason, by, agreement_id),
    )


def patient_by_chart(store: Store, chart_number: str) -> int | None:
    r = store.execute("SELECT id FROM patients WHERE chart_number = ?", (chart_number,)).fetchone()
    return int(r[0]) if r else None


# -- proxies -------------------------------------------------------------------------
_PROXY = (
    "SELECT id, patient_id, name, relationship, address, scope, starts_on, ends_on, "
    "evidence, revoked_at, portal_id FROM proxies"
)


def _proxy(r: Any) -> Proxy:
    return Proxy(r[0], r[1], r[2], r[3], r[4], frozenset(r[5].split(",")), *r[6:11])


def add_proxy(
    store: Store,
    patient_id: int,
    name: str,
    relationship: str,
    address: str,
    scope: frozenset[str],
    starts_on: str,
    ends_on: str | None,
    evidence: str,
    recorded_by: int,
    portal_id: str | None = None,
) -> int:
    cur = store.execute(
        "INSERT INTO proxies (patient_id, name, relationship, address, scope, starts_on, "
        "ends_on, evidence, recorded_by, recorded_at, portal_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            patient_id,
            name,
            relationship,
            address.strip().lower(),
            ",".join(sorted(scope)),
            starts_on,
            ends_on,
            evidence,
            recorded_by,
            utcnow(),
            portal_id,
        ),
    )
    return int(cur.lastrowid)


def get_proxy(store: Store, proxy_id: int) -> Proxy | None:
    r = store.execute(_PROXY + " WHERE id = ?", (proxy_id,)).fetchone()
    return _proxy(r) if r else None


def patient_proxies(store: Store, patient_id: int) -> list[Proxy]:
    return [
        _proxy(r)
        for r in store.execute(_PROXY + " WHERE patient_id = ? ORDER BY id", (patient_id,))
    ]


def proxies_with_address(store: Store, patient_id: int, address: str) -> list[Proxy]:
    return [
        _proxy(r)
        for r in store.execute(
            _PROXY + " WHERE patient_id = ? AND address = ? ORDER BY id",
            (patient_id, address.strip().lower()),
        )
    ]


def proxies_with_portal_id(store: Store, patient_id: int, portal_id: str) -> list[Proxy]:
    """The patient's proxies whose own portal account (RelatedPerson) this is."""
    return [
        _proxy(r)
        for r in store.execute(
            _PROXY + " WHERE patient_id = ? AND portal_id = ? ORDER BY id", (patient_id, portal_id)
        )
    ]


def revoke_proxy(store: Store, proxy_id: int, by: int) -> None:
    store.execute(
        "UPDATE proxies SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
        (utcnow(), by, proxy_id),
    )


def patients_with_active_proxy(store: Store, address: str, day: date) -> list[int]:
    """The patients for whom `address` holds an authorisation in force on `day`."""
    stamp = day.isoformat()
    return [
        int(r[0])
        for r in store.execute(
            "SELECT DISTINCT patient_id FROM proxies WHERE address = ? AND revoked_at IS NULL "
            "AND starts_on <= ? AND (ends_on IS NULL OR ends_on >= ?)",
            (address.strip().lower(), stamp, stamp),
        )
    ]


def proxy_messages(store: Store, thread_id: int, patient_id: int) -> dict[int, int]:
    """Message id -> proxy id, for the messages of this conversation that a proxy of its
    patient wrote from their recorded address or their own portal account (senders not
    proven are left out)."""
    return {
        int(r[0]): int(r[1])
        for r in store.execute(
            "SELECT m.id, min(p.id) FROM messages m JOIN proxies p ON p.patient_id = ? "
            "AND (p.address = lower(m.sender) OR 'portal:RelatedPerson/' || p.portal_id = m.sender) "
            "WHERE m.thread_id = ? AND m.direction = 'in' "
            "AND coalesce(m.sender_check, '') != 'unverified' GROUP BY m.id",
            (patient_id, thread_id),
        )
    }


def inbound_writers(store: Store, thread_id: int) -> list[tuple[str, str, str | None]]:
    """(channel, sender, sender check) of the conversation's email and portal messages,
    newest first: who wrote, for telling the patient from a proxy."""
    return store.execute(
        "SELECT source, sender, sender_check FROM messages WHERE thread_id = ? "
        "AND direction = 'in' AND source IN ('email', 'portal') AND sender != '' "
        "ORDER BY received_at DESC, id DESC",
        (thread_id,),
    ).fetchall()


def agreements_per_terms(store: Store, today: str) -> dict[str, int]:
    """How many patients' newest agreement is in force today, per version of the terms
    (counts only: for the administrator's terms screen)."""
    rows = store.execute(
        "SELECT c.terms_version, count(*) FROM consents c WHERE c.id = ("
        " SELECT c2.id FROM consents c2 WHERE c2.patient_id = c.patient_id"
        " ORDER BY c2.agreed_on DESC, c2.id DESC LIMIT 1)"
        " AND c.agreed_on <= ? AND (c.ended_on IS NULL OR c.ended_on > ?)"
        " GROUP BY c.terms_version",
        (today, today),
    ).fetchall()
    return {v: n for v, n in rows}
