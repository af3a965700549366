"""The clinic-wide audit trail on the server: checked (`audit verify --clinic`) and read
(`audit export --patient` over every workstation).

The check, from any enrolled workstation (it holds the clinic keys):

1. every workstation's shipped chain: no gap, each entry linked to the one before,
   each entry's MAC (the server has no clinic key, so it cannot remake one), its
   sealed details opening in their place;
2. every signed head against the workstation's registered Ed25519 key: a head that
   fails was forged (the clinic's HMAC key alone cannot sign), a head beyond the
   chain shows entries removed from its end, and entries after a workstation's last
   signed head were not sent by it;
3. the clinic-wide anchor chain in arrival order: no gap, each anchor recomputed, the
   anchor head row matching the last entry, and every anchor a workstation signed or
   this workstation saw still there, unchanged (so the server operator cannot reorder
   or cut arrivals and recompute the chain unnoticed);
4. this workstation's own entries on the server against its local chain.

Each problem names the workstation and the entry (or the anchor position) where the
trail first breaks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import psycopg

from clinic_inbox.core import access, audit, signin
from clinic_inbox.core.audit_anchor import anchor_key, check_all, place_of
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import audit_queries as aq
from clinic_inbox.core.store import audit_ship_queries as asq
from clinic_inbox.core.store import queries as q
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.audit_schema import GENESIS
from clinic_inbox.shared.audit_ship import (
    ServerAnchorSink,
    ShippedRow,
    patient_refs,
    row_mac,
    sealed_place,
    ship,
    ship_key,
)
from clinic_inbox.shared.audit_sign import SignedHead
from clinic_inbox.shared.replica import server_error
from clinic_inbox.shared.seal import TamperedError, open_sealed
from clinic_inbox.shared.server import Link

ENTRY_COLUMNS = (
    "chain::text, epoch, seq, at, action, actor, patient, conv::text, message, sealed, "
    "prev_mac, mac, arrival, anchor"
)


def anchor_next(prev: str, chain: str, epoch: int, seq: int, mac: str) -> str:
    """The server's anchor step (audit_schema: audit_entry_arrive), recomputed here."""
    return hashlib.sha256(f"{prev}|{chain}|{epoch}|{seq}|{mac}".encode()).hexdigest()


@dataclass(frozen=True)
class Problem:
    kind: str  # missing | link | altered | forged-head | truncated | rewritten | unsigned |
    #            unregistered | anchor-gap | anchor | anchor-truncated | differs
    text: str
    chain: str | None = None
    seq: int | None = None
    arrival: int | None = None


@dataclass
class ClinicReport:
    problems: list[Problem] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    entries: int = 0
    chains: int = 0
    anchors: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def kinds(self) -> set[str]:
        return {p.kind for p in self.problems}

    def first_broken(self, chain: str | None = None) -> Problem | None:
        for p in self.problems:
            if chain is None or p.chain == chain:
                return p
        return None

    def problem(self, p: Problem) -> None:
        self.problems.append(p)
        self.lines.append(f"PROBLEM: {p.text}.")

    def describe(self) -> str:
        out = list(self.lines)
        if self.ok:
            out.append(
                f"Clinic audit trail intact: {self.entries} entries from {self.chains} "
                f"workstation chain(s), {self.anchors} anchors, every signed head checked."
            )
        else:
            out.append(
                "The clinic's audit trail cannot be trusted as complete: see the PROBLEM lines "
                "above, and tell your privacy officer."
            )
        return "\n".join(out)


def _row(r: tuple) -> tuple[ShippedRow, int, str]:
    row = ShippedRow(
        r[0], int(r[1]), int(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], bytes(r[9]), r[10], r[11]
    )
    return row, int(r[12]), r[13]


@dataclass
class _Snapshot:
    signers: dict[str, tuple[str, bytes]]
    rows: list[tuple[ShippedRow, int, str]]
    heads: list[SignedHead]
    anchor_head: tuple[int, str]


def _read(link: Link) -> _Snapshot:
    conn = link.conn
    try:
        with conn.transaction():
            # one consistent picture while workstations keep shipping
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            signers = {
                r[0]: (r[1], bytes(r[2]))
                for r in conn.execute("SELECT ws::text, name, public_key FROM audit_signer")
            }
            rows = [
                _row(r)
                for r in conn.execute(
                    f"SELECT {ENTRY_COLUMNS} FROM audit_entry ORDER BY chain, epoch, seq"
                )
            ]
            heads = [
                SignedHead(r[0], int(r[1]), int(r[2]), r[3], int(r[4]), r[5], r[6], bytes(r[7]))
                for r in conn.execute(
                    "SELECT chain::text, epoch, seq, mac, anchor_pos, anchor_hash, signed_at, "
                    "signature FROM audit_head ORDER BY chain, epoch, seq"
                )
            ]
            pos, h = conn.execute("SELECT pos, hash FROM audit_anchor_head").fetchone()
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    return _Snapshot(signers, rows, heads, (int(pos), h))


def verify_clinic(clinic: Clinic, link: Link) -> ClinicReport:
    keys = link.keys
    snap = _read(link)
    report = ClinicReport(entries=len(snap.rows))
    key = ship_key(keys)

    def name(chain: str) -> str:
        who = snap.signers.get(chain, ("an unregistered workstation", b""))[0]
        mine = " (this computer)" if chain == link.workstation_id else ""
        return f"workstation {who}{mine}"

    chains: dict[tuple[str, int], list[ShippedRow]] = {}
    for row, _, _ in snap.rows:
        chains.setdefault((row.chain, row.epoch), []).append(row)
    report.chains = len(chains)
    macs: dict[tuple[str, int], dict[int, str]] = {}
    for (chain, epoch), rows in sorted(chains.items(), key=lambda kv: (name(kv[0][0]), kv[0])):
        who = name(chain)
        era = f", epoch {epoch}" if epoch else ""
        if chain not in snap.signers:
            report.problem(
                Problem(
                    "unregistered",
                    f"{len(rows)} entries on the server name {chain}, which registered no "
                    "signing key: they were not sent by an enrolled workstation",
                    chain,
                )
            )
        prev, expected = GENESIS, 1
        good: dict[int, str] = {}
        for r in rows:
            where = f"{who}{era}, entry {expected}"
            if r.seq != expected:
                report.problem(
                    Problem(
                        "missing",
                        f"{where} is missing from the server (the next one there is {r.seq}): "
                        "it was deleted",
                        chain,
                        expected,
                    )
                )
                break
            if r.prev_mac != prev:
                report.problem(
                    Problem(
                        "link",
                        f"{where} does not link to the entry before it: entries were "
                        "reordered or replaced",
                        chain,
                        r.seq,
                    )
                )
                break
            if row_mac(key, r) != r.mac:
                report.problem(
                    Problem(
                        "altered",
                        f"{where} was changed on the server (its check value does not match)",
                        chain,
                        r.seq,
                    )
                )
                break
            try:
                open_sealed(
                    keys,
                    "audit_entry",
                    sealed_place(chain, epoch, r.seq),
                    "details",
                    1,
                    r.sealed,
                    link.label,
                )
            except TamperedError:
                report.problem(
                    Problem(
                        "altered",
                        f"{where}: its sealed details fail their integrity check (changed or "
                        "moved on the server)",
                        chain,
                        r.seq,
                    )
                )
                break
            good[r.seq] = r.mac
            prev, expected = r.mac, expected + 1
        macs[(chain, epoch)] = {r.seq: r.mac for r in rows}
        report.lines.append(
            f"{who}{era}: {len(rows)} entries on the server, {len(good)} verified in order."
        )
    anchors = {arrival: anchor for _, arrival, anchor in snap.rows}
    _check_heads(report, snap, macs, anchors, keys.clinic_id, name)
    _check_anchor_chain(report, snap, name)
    _check_this_workstation(report, clinic, link, snap, macs, anchors)
    return report


def _check_heads(report, snap, macs, anchors, clinic_id, name) -> None:  # noqa: ANN001
    covered: dict[tuple[str, int], int] = {}
    for h in snap.heads:
        who = name(h.chain)
        signer = snap.signers.get(h.chain)
        if signer is None or not h.authentic(signer[1], clinic_id):
            report.problem(
                Problem(
                    "forged-head",
                    f"a head in the name of {who} (entry {h.seq}, signed {h.signed_at}) fails "
                    f"its signature: it was forged, not signed by {who}",
                    h.chain,
                    h.seq,
                )
            )
            continue
        chain = macs.get((h.chain, h.epoch), {})
        if h.seq > max(chain, default=0):
            report.problem(
                Problem(
                    "truncated",
                    f"{who} signed entry {h.seq} at {h.signed_at}, but the server holds "
                    f"{max(chain, default=0)} of its entries: entries were removed from the end",
                    h.chain,
                    max(chain, default=0) + 1,
                )
            )
        elif chain.get(h.seq) != h.mac:
            report.problem(
                Problem(
                    "rewritten",
                    f"{who}, entry {h.seq}, is not the entry it signed at {h.signed_at}: its "
                    "history was rewritten",
                    h.chain,
                    h.seq,
                )
            )
        if anchors.get(h.anchor_pos) != h.anchor_hash:
            report.problem(
                Problem(
                    "anchor",
                    f"the clinic anchor at position {h.anchor_pos}, which {who} signed at "
                    f"{h.signed_at}, is missing or different on the server: the arrival order "
                    "was rewritten or entries were removed",
                    arrival=h.anchor_pos,
                )
            )
        k = (h.chain, h.epoch)
        covered[k] = max(covered.get(k, 0), h.seq)
    for (chain, epoch), seqs in macs.items():
        last = max(seqs, default=0)
        if last > covered.get((chain, epoch), 0):
            first = covered.get((chain, epoch), 0) + 1
            report.problem(
                Problem(
                    "unsigned",
                    f"{name(chain)}, entries {first} to {last}, carry no signature of that "
                    "workstation: they were added by someone else",
                    chain,
                    first,
                )
            )


def _check_anchor_chain(report, snap, name) -> None:  # noqa: ANN001
    prev, expected = GENESIS, 1
    arrivals = sorted(snap.rows, key=lambda t: t[1])
    for row, arrival, anchor in arrivals:
        if arrival != expected:
            report.problem(
                Problem(
                    "anchor-gap",
                    f"the clinic anchor chain has no entry at position {expected} (the next is "
                    f"{arrival}): an entry was deleted from the server",
                    arrival=expected,
                )
            )
            return
        if anchor_next(prev, row.chain, row.epoch, row.seq, row.mac) != anchor:
            report.problem(
                Problem(
                    "anchor",
                    f"the clinic anchor chain breaks at position {arrival} ({name(row.chain)}, "
                    f"entry {row.seq}): entries were reordered or changed on the server",
                    row.chain,
                    row.seq,
                    arrival,
                )
            )
            return
        prev, expected = anchor, expected + 1
    report.anchors = expected - 1
    pos, h = snap.anchor_head
    if (pos, h) != (expected - 1, prev):
        report.problem(
            Problem(
                "anchor-truncated",
                f"the server counted {pos} arrivals, but holds {expected - 1}: entries were "
                "removed from the end of the clinic's trail",
                arrival=expected,
            )
        )
    else:
        report.lines.append(f"Clinic anchor chain: {expected - 1} arrivals, in order.")


def _check_this_workstation(report, clinic, link, snap, macs, anchors) -> None:  # noqa: ANN001
    store = clinic.store
    seen = asq.anchor_seen(store)
    if seen is not None and anchors.get(seen[0]) != seen[1]:
        report.problem(
            Problem(
                "anchor",
                f"the clinic anchor at position {seen[0]}, which this computer saw on the "
                "server, is missing or different now: the server's trail was cut or rewritten",
                arrival=seen[0],
            )
        )
    epoch = aq.epoch(store)
    mine = macs.get((link.workstation_id, epoch), {})
    shipped = asq.shipped(store)
    if shipped is not None and shipped[0] == epoch:
        _, seq, mac = shipped
        held = max(mine, default=0)
        if seq > held:
            report.problem(
                Problem(
                    "truncated",
                    f"this computer sent {seq} audit entries, but the server holds {held} of "
                    "them: entries were removed from the end",
                    link.workstation_id,
                    held + 1,
                )
            )
        elif mine.get(seq) != mac:
            report.problem(
                Problem(
                    "rewritten",
                    f"entry {seq} of this computer on the server is not the one it sent",
                    link.workstation_id,
                    seq,
                )
            )
    # each of this computer's entries on the server carries its local MAC, sealed
    local = asq.macs_upto(store, max(mine, default=0))
    for row, _, _ in snap.rows:
        if row.chain != link.workstation_id or row.epoch != epoch:
            continue
        try:
            d = json.loads(
                open_sealed(
                    link.keys,
                    "audit_entry",
                    sealed_place(row.chain, row.epoch, row.seq),
                    "details",
                    1,
                    row.sealed,
                    link.label,
                )
            )
        except (TamperedError, ValueError):
            continue  # reported above
        if local.get(row.seq) != d.get("local_mac"):
            report.problem(
                Problem(
                    "differs",
                    f"entry {row.seq} of this computer differs between its own trail and the "
                    "server's copy",
                    row.chain,
                    row.seq,
                )
            )
            break


# -- reading the clinic's trail ------------------------------------------------------
@dataclass(frozen=True)
class ClinicEntry:
    workstation: str
    seq: int
    at: str
    actor: str
    action: str
    patient_id: int | None  # this store's number for the patient, when it knows them
    conversation: str | None  # clinic-wide id
    thread_id: int | None  # this store's number for the conversation, when it has it
    reason: str | None
    detail: dict[str, Any]
    chain: str = ""  # the workstation's id (its chain): the one to trust over a name


def clinic_entries(
    clinic: Clinic,
    link: Link,
    *,
    patient_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    action: str | None = None,
) -> list[ClinicEntry]:
    """The clinic's trail (or a patient's part, a time span, one action: the action's
    name is plain on the server, so only those entries are read and opened)."""
    keys = link.keys
    where, params = [], []
    if action is not None:
        where.append("e.action = %s")
        params.append(action)
    if patient_id is not None:
        parts = asq.patient_identity_parts(clinic.store, patient_id)
        if parts is None:
            raise SharedQueueError(f"There is no patient number {patient_id} on this computer.")
        where.append("e.patient = ANY(%s)")
        params.append(patient_refs(keys, parts))
    if since:
        where.append("e.at >= %s")
        params.append(since)
    if until:
        where.append("e.at < %s")
        params.append(until)
    sql = (
        "SELECT e.chain::text, e.epoch, e.seq, e.at, e.action, e.patient, e.conv::text, "
        "e.sealed, coalesce(s.name, e.chain::text) FROM audit_entry e "
        "LEFT JOIN audit_signer s ON s.ws = e.chain"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    try:
        with link.conn.transaction():
            rows = link.conn.execute(sql + " ORDER BY e.at, e.arrival", params).fetchall()
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    local_patient = {}
    for pid in asq.all_patient_ids(clinic.store) if rows else []:
        parts = asq.patient_identity_parts(clinic.store, pid)
        if parts is not None:
            for ref in patient_refs(keys, parts):
                local_patient.setdefault(ref, pid)
    threads = asq.threads_by_uuid(clinic.store)
    out = []
    for chain, epoch, seq, at, action, pref, conv, sealed, ws_name in rows:
        d = json.loads(
            open_sealed(
                keys,
                "audit_entry",
                sealed_place(chain, int(epoch), int(seq)),
                "details",
                1,
                bytes(sealed),
                link.label,
            )
        )
        mine = chain == link.workstation_id
        out.append(
            ClinicEntry(
                ws_name,
                int(seq),
                at,
                d.get("actor", ""),
                action,
                local_patient.get(pref) if pref else None,
                conv,
                threads.get(conv) if conv else (d.get("thread_id") if mine else None),
                d.get("reason"),
                d.get("detail") or {},
                chain,
            )
        )
    return out


# -- the user actions -----------------------------------------------------------------
def _staff(clinic: Clinic, session: Any):  # noqa: ANN202
    return q.get_staff(clinic.store, session.staff.id)


def _record(clinic: Clinic, session: Any, action: str, **kw: Any) -> None:
    with clinic.store.transaction():
        audit.append(
            clinic.store, clinic.audit_key, session.staff.id, session.staff.username, action, **kw
        )


def _check_store_anchors(report: ClinicReport, clinic: Clinic, link: Link) -> None:
    """This store against the anchors of it kept on the server (core.audit_anchor)."""
    sink = ServerAnchorSink(link)
    here = place_of(clinic.home)
    found = [r for r in sink.records(clinic.custody.store_id) if r.place == here]
    for f in check_all(clinic.store, found, anchor_key(clinic.audit_key)):
        if f.ok:
            report.lines.append(f"This store, by its anchors on {sink.description}: {f.text}.")
        else:
            report.problem(
                Problem(
                    f"store-{f.kind}", f"this store, by its anchors on {sink.description}: {f.text}"
                )
            )


def verify_clinic_audit(
    clinic: Clinic, session: Any, link: Link, custody: KeyCustody | None = None
) -> ClinicReport:
    """`audit verify --clinic` (physicians and administrators). This computer's own
    entries are sent first, so the check covers them; the check itself is recorded."""
    staff = _staff(clinic, session)
    access.require(
        staff is not None and access.can_read_audit(staff),
        "Checking the audit trail is for physicians and administrators.",
    )
    ship(clinic, link, custody)
    report = verify_clinic(clinic, link)
    _check_store_anchors(report, clinic, link)
    _record(
        clinic,
        session,
        "audit.verify_clinic",
        detail={"ok": report.ok, "entries": report.entries, "problems": len(report.problems)},
    )
    return report


def export_clinic_audit(
    clinic: Clinic,
    session: Any,
    link: Link,
    *,
    patient_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    custody: KeyCustody | None = None,
    action: str = "audit.export",
) -> list[ClinicEntry]:
    """`audit export` over every workstation (administrators), or the app's audit
    screen (`action="audit.view"`). The reading is recorded in this computer's trail
    and sent to the server with it."""
    staff = _staff(clinic, session)
    access.require(
        staff is not None and access.can_export_audit(staff),
        "Only an administrator (privacy officer) can export the audit trail.",
    )
    ship(clinic, link, custody)
    rows = clinic_entries(clinic, link, patient_id=patient_id, since=since, until=until)
    _record(
        clinic,
        session,
        action,
        patient_id=patient_id,
        detail={"rows": len(rows), "since": since, "until": until, "clinic": True},
    )
    try:
        ship(clinic, link, custody)
    except SharedQueueError:
        pass  # the record of the export waits here and goes with the next shipment
    return rows


def may_review_break_glass(clinic: Clinic, session: Any) -> tuple[Any, bool]:
    """(the person as the store holds them now, whether an administrator); refused for
    anyone but physicians and administrators, as the local review (an account turned
    off or a password reset since the sign-in ends the session first)."""
    staff = signin.still_valid(clinic.store, _staff(clinic, session), session.started_at)
    admin = staff.role is Role.ADMIN
    access.require(
        admin or staff.role is Role.PHYSICIAN,
        "The break-glass review is for physicians and administrators.",
    )
    return staff, admin


def break_glass_review_clinic(
    clinic: Clinic, session: Any, link: Link, custody: KeyCustody | None = None
) -> list[ClinicEntry]:
    """Every break-glass opening on any workstation, from the clinic's trail: all of
    them for an administrator, those of their own patients for a physician (as the
    local review). The review itself is recorded."""
    staff, admin = may_review_break_glass(clinic, session)
    ship(clinic, link, custody)
    rows = clinic_entries(clinic, link, action="break_glass")
    if not admin:
        mine = set(asq.patients_of_physician(clinic.store, staff.id))
        rows = [e for e in rows if e.patient_id in mine]
    _record(clinic, session, "break_glass.review", detail={"rows": len(rows), "clinic": True})
    return rows
