"""Where fetching new mail stopped, kept on the server.

The ingest lease holder writes, under its holding (fenced: a holder that lost the
lease writes nothing), how far what it has *published* reaches in each mailbox and
portal account. A workstation that takes the lease over first raises its own
checkpoints to those, so it continues where the last holder stopped instead of
reading the whole mailbox again (what it would read again is on the server already;
it would only be matched and dropped). Which account and mailbox a row is for is
sealed with the values (the plain copies are for a person reading the server; a
workstation takes only the sealed ones); the server compares a keyed HMAC of it.
"""

from __future__ import annotations

import json

import psycopg

from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.shared import ingest_lease
from clinic_inbox.shared.ingest_lease import Fence
from clinic_inbox.shared.seal import identity, open_sealed, seal
from clinic_inbox.shared.server import Link

Point = tuple[str | None, int | None, int | None, str | None]


def save(clinic: Clinic, link: Link, fence: Fence, last: dict[str, Point]) -> int:
    """Write the checkpoints that moved since `last` (updated in place); returns how
    many. Raises LeaseLost when the holding is over."""
    saved = 0
    for p in spq.published_points(clinic.store):
        source = identity(link.keys, "checkpoint", f"{p.account}\x00{p.scope}")
        value: Point = (p.account, p.uidvalidity, p.last_uid, p.cursor)
        if last.get(source) == value:
            continue
        place = seal(
            link.keys,
            "source_checkpoint",
            source,
            "place",
            1,
            json.dumps(
                {
                    "account": p.account,
                    "scope": p.scope,
                    "uidvalidity": p.uidvalidity,
                    "last_uid": p.last_uid,
                    "cursor": p.cursor,
                }
            ).encode(),
        )
        try:
            with link.conn.transaction():
                link.conn.execute(
                    "SELECT save_checkpoint(%s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        fence.account,
                        link.workstation_id,
                        fence.epoch,
                        source,
                        place,
                        p.uidvalidity,
                        p.last_uid,
                        p.cursor,
                    ),
                )
        except psycopg.Error as exc:
            if exc.sqlstate == "CI001":
                raise ingest_lease.LeaseLost(
                    f"Another workstation took over fetching new mail from {link.label}."
                ) from exc
            raise
        last[source] = value
        saved += 1
    return saved


def adopt(clinic: Clinic, link: Link) -> int:
    """Take the server's checkpoints where they are further than this store's; returns
    how many moved. A row that fails its seal is refused (TamperedError) before any
    is taken."""
    with link.conn.transaction():
        rows = link.conn.execute(
            "SELECT source, place, uidvalidity, last_uid, cursor FROM source_checkpoint"
        ).fetchall()
    points = []
    for source, place, _uidvalidity, _last_uid, _cursor in rows:
        where = json.loads(
            open_sealed(
                link.keys, "source_checkpoint", source, "place", 1, bytes(place), link.label
            )
        )
        # only the sealed values are taken: a checkpoint changed on the server could
        # otherwise make this workstation skip mail
        points.append(
            spq.SourcePoint(
                where["account"],
                where["scope"],
                where["uidvalidity"],
                where["last_uid"],
                where["cursor"],
            )
        )
    moved = 0
    with clinic.store.transaction():
        for p in points:
            moved += spq.raise_point(clinic.store, p)
    return moved
