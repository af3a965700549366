"""Break-glass openings marked reviewed, through the clinic's server: the marks made here
are sent (with every push), the others' are pulled into this store. The server's part
is glass_review_schema.py; the action is core/services_glass_review.py.

On the server a mark names the opening by a keyed HMAC of the workstation it was made
on and its number there, and the reviewer by their keyed reference; everything a person
reads (who by name, which opening, when, where) travels sealed, bound to the mark, and
is checked against the plain columns when pulled: a mark changed on the server is
refused (TamperedError) and nothing of that pull is applied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import break_glass_mark_queries as bq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import refusals
from clinic_inbox.shared.glass_review_schema import KIND
from clinic_inbox.shared.replica import server_error, staff_ref
from clinic_inbox.shared.seal import ClinicKeys, TamperedError, identity, open_sealed, seal
from clinic_inbox.shared.server import Link

TABLE = "break_glass_review"

__all__ = ["KIND", "SendResult", "apply", "fetch", "opening_ref", "publish", "unseal"]


def opening_ref(keys: ClinicKeys, workstation: str, opening: int) -> str:
    """An opening as the server sees it: the same on every workstation, and no number a
    reader of the server could tie to a workstation's own."""
    return identity(keys, "break-glass-opening", f"{workstation}|{int(opening)}")


def _sealed(m: bq.Mark) -> dict[str, Any]:
    return {
        "reviewer": m.reviewer,
        "reviewer_name": m.reviewer_name,
        "opening_ws": m.opening_ws,
        "opening": m.opening_id,
        "reviewed_at": m.reviewed_at,
        "ws": m.ws,
    }


@dataclass
class SendResult:
    sent: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (mark, reason code)


def publish(clinic: Clinic, link: Link) -> SendResult:
    """Send the marks made here that the server does not have yet (a replay is a no-op
    there). One the server refuses (its reviewer turned off or no longer a physician or
    an administrator there) is taken back here: the opening shows as not reviewed, and
    the refusal is in the audit trail. A login that is not this workstation's is not the
    mark's fault (refusals.is_not_this_workstation): the exchange stops, says so, and
    the mark waits here."""
    store, keys = clinic.store, link.keys
    result = SendResult()
    for m in bq.waiting(store):
        sealed = seal(keys, TABLE, m.id, "sealed", 1, json.dumps(_sealed(m)).encode())
        try:
            with link.conn.transaction():
                link.conn.execute(
                    "SELECT mark_break_glass_reviewed(%s, %s, %s, %s, %s, %s)",
                    (
                        m.id,
                        link.workstation_id,
                        opening_ref(keys, m.opening_ws, m.opening_id),
                        staff_ref(keys, m.reviewer),
                        datetime.fromisoformat(m.reviewed_at),
                        sealed,
                    ),
                )
        except psycopg.OperationalError as exc:
            raise server_error(link, exc) from None
        except psycopg.errors.NoDataFound:  # its reviewer is not on the server yet: waits
            continue
        except psycopg.Error as exc:
            if not refusals.is_refusal(exc):
                raise
            result.refused.append((m.id, _take_back(clinic, link, m, exc)))
            continue
        with store.transaction():
            bq.on_server(store, m.id)
        result.sent += 1
    return result


def _take_back(clinic: Clinic, link: Link, m: bq.Mark, exc: psycopg.Error) -> str:
    store = clinic.store
    code = refusals.reason(exc)
    with store.transaction():
        bq.remove(store, m.id)
        where: dict[str, int] = {}
        if m.opening_ws == shq.workstation_id(store):
            aq.unmark_break_glass_reviewed(store, m.opening_id, m.reviewed_at)
            found = aq.break_glass_opening(store, m.opening_id)
            if found is not None:
                where["thread_id"] = found[0]
        refusals.audit_refused(
            clinic,
            link.label,
            exc,
            code,
            "break_glass.reviewed",
            _staff_id(store, m.reviewer),
            **where,
        )
    return code


def _staff_id(store: Any, username: str) -> int | None:
    for sid, name in shq.staff_usernames(store):
        if name.casefold() == username.casefold():
            return sid
    return None


def _names(link: Link, ws_ids: set[str]) -> dict[str, str]:
    """The workstations' names, as the review tab names them (the name each registered
    for its audit trail; else the one it asked to join with)."""
    conn = link.conn
    ids = sorted(ws_ids)
    names = dict(
        conn.execute(
            "SELECT id::text, name FROM workstation WHERE id = ANY(%s::uuid[])", (ids,)
        ).fetchall()
    )
    if conn.execute("SELECT to_regclass('audit_signer') IS NOT NULL").fetchone()[0]:
        names.update(
            conn.execute(
                "SELECT ws::text, name FROM audit_signer WHERE ws = ANY(%s::uuid[])", (ids,)
            ).fetchall()
        )
    return names


def fetch(link: Link, ids: list[str]) -> dict[str, tuple]:
    """The marks named by these change-log rows (inside the pull's read transaction)."""
    if not ids:
        return {}
    rows = link.conn.execute(
        "SELECT id::text, opening, reviewer, ws::text, reviewed_at, sealed "
        "FROM break_glass_review WHERE id = ANY(%s::uuid[])",
        (ids,),
    ).fetchall()
    names = _names(link, {r[3] for r in rows})
    return {r[0]: (*r[1:5], bytes(r[5]), names.get(r[3])) for r in rows}


def unseal(link: Link, rows: dict[str, tuple]) -> dict[str, bq.Mark]:
    """Open every mark and check it against its plain columns, before anything is applied."""
    keys, label = link.keys, link.label
    out = {}
    for mid, (opening, reviewer, ws, at, blob, ws_name) in rows.items():
        d = json.loads(open_sealed(keys, TABLE, mid, "sealed", 1, blob, label))
        ok = (
            opening == opening_ref(keys, d["opening_ws"], d["opening"])
            and reviewer == staff_ref(keys, d["reviewer"])
            and ws == d["ws"]
            and at == datetime.fromisoformat(d["reviewed_at"])
        )
        if not ok:
            raise TamperedError(
                f"A break-glass review on {label} ({mid}) does not match what was sealed in "
                "it (changed on the server). It was not applied and nothing on this computer "
                "changed. Tell your IT support."
            )
        out[mid] = bq.Mark(
            mid,
            d["opening_ws"],
            int(d["opening"]),
            d["reviewer"],
            d["reviewer_name"],
            d["reviewed_at"],
            ws,
            ws_name,
            True,
        )
    return out


def apply(clinic: Clinic, mark: bq.Mark | None) -> bool:
    """A mark pulled from the server, inside the pull's transaction: kept here (this
    workstation's own comes back: now on the server), and an opening made here is
    recorded as reviewed. True if this copy changed."""
    if mark is None:
        return False
    store = clinic.store
    new = bq.add(store, mark)
    if not new:
        bq.on_server(store, mark.id, mark.ws_name)
    if mark.opening_ws == shq.workstation_id(store):
        sid = _staff_id(store, mark.reviewer)
        if sid is not None:
            aq.mark_break_glass_reviewed(store, mark.opening_id, sid, mark.reviewed_at)
    return new
