"""Shipping this workstation's audit chain to the clinic's server.

The local chain stays as it is (an HMAC under this store's own audit key, written in
the same transaction as the action). Shipping happens later, in order, and turns each
entry into a server row that:

- names clinic-wide ids: the conversation's UUID, the message's and the patient's
  keyed identities, the staff member's keyed reference (never a local number, never
  a name);
- seals everything else (who by name, reason, details, local ids, the local MAC)
  with the clinic's seal key, bound to the row's place in the chain;
- carries a second chain, the shipped chain, MAC'd under a key derived from the
  clinic's HMAC key, so any workstation of the clinic can check every row, and the
  server (which has no clinic key) cannot change one unnoticed.

Each batch ends with a head signed by this workstation's Ed25519 key (audit_sign),
covering its last entry and the clinic-wide anchor it reached. One chain per
(workstation, epoch): after a restore from backup the store's history starts a new
epoch, shipped from its first entry again, beside the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from dataclasses import dataclass
from typing import Any

import psycopg

from clinic_inbox.core.audit_anchor import AnchorRecord, make_record, place_of
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import audit_queries as aq
from clinic_inbox.core.store import audit_ship_queries as asq
from clinic_inbox.core.store.queries import utcnow
from clinic_inbox.shared import SharedQueueError, key_rotation, refusals
from clinic_inbox.shared.audit_schema import GENESIS, installed
from clinic_inbox.shared.audit_sign import SignedHead, public_bytes, signing_key
from clinic_inbox.shared.replica import message_identity, server_error, staff_ref
from clinic_inbox.shared.seal import ClinicKeys, identity, open_sealed, seal
from clinic_inbox.shared.server import Link

SHIP_BATCH = 500
SHIP_EVERY = 3.0  # seconds: how often the live sync ships (each pull adds an entry)
ANCHOR_EVERY = 60.0  # seconds: how often the store's own anchor is kept on the server
SHIP_LABEL = b"clinic-inbox audit ship v1"
# the server's "this store's anchors are kept by another workstation" (schema 17,
# own_keys_schema.AUDIT): its own SQLSTATE, apart from other refusals
STORE_KEPT_ELSEWHERE = "CI005"


class AuditNotOnServer(SharedQueueError):
    """The server was prepared before the clinic-wide audit existed."""


def ship_key(keys: ClinicKeys) -> bytes:
    """The shipped chain's key: derived, so it never reveals or reuses the HMAC key."""
    return hmac.new(keys.hmac_key, SHIP_LABEL, hashlib.sha256).digest()


def patient_ref(keys: ClinicKeys, parts: dict[str, Any]) -> str:
    """A patient as every workstation names them on the server, keyed: their shared
    patient id once the patient is on the server; before that (and in entries shipped
    before patients were shared) what identifies them in each store: the chart number,
    else the portal id, else name and birth date."""
    if parts.get("uuid"):
        return identity(keys, "patient-shared", str(parts["uuid"]))
    return local_patient_ref(keys, parts)


def local_patient_ref(keys: ClinicKeys, parts: dict[str, Any]) -> str:
    if parts.get("chart_number"):
        return identity(keys, "patient-chart", str(parts["chart_number"]).strip())
    if parts.get("portal_id"):
        return identity(keys, "patient-portal", str(parts["portal_id"]).strip())
    who = "|".join(
        str(parts.get(k) or "").strip().casefold()
        for k in ("family_name", "given_name", "birth_date")
    )
    return identity(keys, "patient-name", who)


def patient_refs(keys: ClinicKeys, parts: dict[str, Any]) -> list[str]:
    """Every name this patient may have in the shipped trail (see patient_ref)."""
    refs = [patient_ref(keys, parts), local_patient_ref(keys, parts)]
    return list(dict.fromkeys(refs))


def sealed_place(chain: str, epoch: int, seq: int) -> str:
    return f"{chain}:{epoch}:{seq}"


@dataclass(frozen=True)
class ShippedRow:
    chain: str
    epoch: int
    seq: int
    at: str
    action: str
    actor: str
    patient: str | None
    conv: str | None
    message: str | None
    sealed: bytes
    prev_mac: str
    mac: str = ""

    def content(self) -> bytes:
        body = [
            self.chain,
            self.epoch,
            self.seq,
            self.at,
            self.action,
            self.actor,
            self.patient,
            self.conv,
            self.message,
            hashlib.sha256(bytes(self.sealed)).hexdigest(),
        ]
        return json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def row_mac(key: bytes, row: ShippedRow) -> str:
    return hmac.new(
        key, row.prev_mac.encode("ascii") + b"|" + row.content(), hashlib.sha256
    ).hexdigest()


def _refs(clinic: Clinic, keys: ClinicKeys, ws: str, entries: list[asq.LocalEntry]) -> tuple:
    store = clinic.store
    convs = asq.thread_uuids(store, {e.thread_id for e in entries if e.thread_id})
    msgs = asq.message_identity_rows(store, {e.message_id for e in entries if e.message_id})
    mrefs = {mid: m["shared_identity"] or message_identity(keys, ws, m) for mid, m in msgs.items()}
    prefs: dict[int, str] = {}
    for pid in {e.patient_id for e in entries if e.patient_id}:
        parts = asq.patient_identity_parts(store, pid)
        if parts is not None:
            prefs[pid] = patient_ref(keys, parts)
    return convs, mrefs, prefs


def build_rows(
    clinic: Clinic, keys: ClinicKeys, ws: str, epoch: int, prev: str, entries: list[asq.LocalEntry]
) -> list[ShippedRow]:
    """The server rows of these local entries, chained after `prev`."""
    convs, mrefs, prefs = _refs(clinic, keys, ws, entries)
    key = ship_key(keys)
    rows = []
    for e in entries:
        details = {
            "actor": e.actor,
            "actor_id": e.actor_id,
            "patient_id": e.patient_id,
            "thread_id": e.thread_id,
            "message_id": e.message_id,
            "reason": e.reason,
            "detail": json.loads(e.detail or "{}"),
            "local_prev": e.prev_mac,
            "local_mac": e.mac,
        }
        sealed = seal(
            keys,
            "audit_entry",
            sealed_place(ws, epoch, e.id),
            "details",
            1,
            json.dumps(details, sort_keys=True).encode("utf-8"),
        )
        # keyed even for "system" and failed sign-ins: a typed user name may be anything
        actor = staff_ref(keys, e.actor)
        row = ShippedRow(
            ws,
            epoch,
            e.id,
            e.at,
            e.action,
            actor,
            prefs.get(e.patient_id) if e.patient_id else None,
            convs.get(e.thread_id) if e.thread_id else None,
            mrefs.get(e.message_id) if e.message_id else None,
            sealed,
            prev,
        )
        row = ShippedRow(**{**row.__dict__, "mac": row_mac(key, row)})
        rows.append(row)
        prev = row.mac
    return rows


def workstation_name(clinic: Clinic) -> str:
    return f"{socket.gethostname()[:60]} ({clinic.home.name[:30]})"


def register_signer(link: Link, clinic: Clinic, name: str) -> None:
    """Register this workstation's public signing key (once; the same key again is a
    no-op). A different key already registered is refused in plain words."""
    key = signing_key(clinic)
    with link.conn.transaction():
        same = link.conn.execute(
            "SELECT audit_register_signer(%s, %s, %s)",
            (link.workstation_id, name[:100], public_bytes(key)),
        ).fetchone()[0]
    if not same:
        raise SharedQueueError(
            f"The shared server {link.label} holds another audit signing key for this "
            "computer. Its audit trail was not sent. Tell your IT support: someone may be "
            "trying to write history in this computer's name."
        )


def register_at_enrolment(clinic: Clinic, custody: KeyCustody | None, dsn: str, ws_id: str) -> None:
    """Called when this computer joins a server: its signing key is registered at once.
    If that fails (an older server, a keyring hiccup), the first shipment registers it."""
    from clinic_inbox.shared.server import connect

    try:
        key = signing_key(clinic)
        with connect(dsn) as conn:
            if installed(conn):
                conn.execute(
                    "SELECT audit_register_signer(%s, %s, %s)",
                    (ws_id, workstation_name(clinic)[:100], public_bytes(key)),
                )
                conn.commit()
    except (SharedQueueError, psycopg.Error):
        pass


# Per process: the signing key and the servers it is known to be registered on (the
# store need not be asked on every shipment).
_keys: dict[str, Any] = {}
_registered: set[tuple[str, str]] = set()
_anchored_at: dict[str, float] = {}


def _registered_key(link: Link, custody: KeyCustody, clinic: Clinic):  # noqa: ANN202
    # per workstation identity too: a restored copy of this store joins again as another
    # workstation with a signing key of its own (core.workstation_identity)
    held = f"{custody.record().store_id}:{link.workstation_id}"
    key = _keys.get(held)
    if key is None:
        key = _keys[held] = signing_key(clinic)
    if (link.label, link.workstation_id) not in _registered:
        register_signer(link, clinic, workstation_name(clinic))
        _registered.add((link.label, link.workstation_id))
    return key


@dataclass
class ShipResult:
    sent: int = 0
    on_server: int = 0  # entries of this chain and epoch on the server
    anchor_pos: int = 0


def ship(clinic: Clinic, link: Link, custody: KeyCustody | None = None) -> ShipResult:
    """Send every local audit entry the server does not have yet, in order, each batch
    with a signed head. Safe to repeat and to run after a crash: the server's last
    entry of this chain says where to go on."""
    with key_rotation.refusal_said(clinic, link):  # sealed under a retired key: said
        return _ship(clinic, link, custody)


def _ship(clinic: Clinic, link: Link, custody: KeyCustody | None) -> ShipResult:
    custody = custody or KeyCustody(clinic.home)
    store, keys, ws = clinic.store, link.keys, link.workstation_id
    epoch = aq.epoch(store)
    count, mac = aq.head(store)
    done = asq.shipped(store)
    if done is not None and done == (epoch, count, mac):
        return ShipResult(0, count)  # nothing new since the last shipment: no round trip
    try:
        with link.conn.transaction():
            ready = installed(link.conn)
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    if not ready:
        raise AuditNotOnServer(
            f"The shared server {link.label} has no clinic-wide audit yet (it was prepared by "
            "an older Clinic Inbox). This computer keeps its audit trail and sends it once an "
            "administrator has run `clinic-inbox audit enable-server --dsn …` with the login "
            "that prepared the server."
        )
    key = _registered_key(link, custody, clinic)
    result = ShipResult()
    while True:
        try:
            with link.conn.transaction():
                # one shipper per chain at a time (the app's sync thread and a command)
                link.conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 14))", (f"audit:{ws}",)
                )
                last = link.conn.execute(
                    "SELECT seq, mac, sealed FROM audit_entry WHERE chain = %s AND epoch = %s "
                    "ORDER BY seq DESC LIMIT 1",
                    (ws, epoch),
                ).fetchone()
                server_seq, server_mac = (int(last[0]), last[1]) if last else (0, GENESIS)
                if last is not None:
                    _check_own(clinic, link, epoch, server_seq, bytes(last[2]))
                result.on_server = server_seq
                entries = asq.entries_after(store, server_seq, SHIP_BATCH)
                if not entries:
                    break
                rows = build_rows(clinic, keys, ws, epoch, server_mac, entries)
                params = [
                    (
                        r.chain,
                        r.epoch,
                        r.seq,
                        r.at,
                        r.action,
                        r.actor,
                        r.patient,
                        r.conv,
                        r.message,
                        r.sealed,
                        r.prev_mac,
                        r.mac,
                    )
                    for r in rows
                ]
                call = "audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                if len(params) > 1:  # pipelined: one round trip for the batch, not one a row
                    link.conn.cursor().executemany(f"SELECT 1 FROM {call}", params[:-1])
                arrival, anchor = link.conn.execute(
                    f"SELECT arrival, anchor FROM {call}", params[-1]
                ).fetchone()
                head = SignedHead(
                    ws, epoch, rows[-1].seq, rows[-1].mac, int(arrival), anchor, utcnow()
                ).signed(key, keys.clinic_id)
                link.conn.execute(
                    "SELECT audit_sign_head(%s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        head.chain,
                        head.epoch,
                        head.seq,
                        head.mac,
                        head.anchor_pos,
                        head.anchor_hash,
                        head.signed_at,
                        head.signature,
                    ),
                )
        except psycopg.OperationalError as exc:
            raise server_error(link, exc) from None
        except psycopg.Error as exc:  # refused (a link check, an unknown signer): said, kept here
            _registered.discard((link.label, ws))
            if refusals.is_not_this_workstation(exc):  # another's chain (schema 16)
                raise refusals.NotThisWorkstation(
                    refusals.not_this_workstation(link.label)
                    + " This computer's audit entries stay here and are sent then."
                ) from None
            raise SharedQueueError(
                f"The shared server {link.label} refused this computer's audit entries "
                f"({type(exc).__name__}). They stay here and are sent again later; "
                "`clinic-inbox audit verify --clinic` shows what is wrong on the server."
            ) from None
        with store.transaction():
            asq.set_shipped(store, epoch, head.seq, head.mac)
            asq.set_anchor_seen(store, head.anchor_pos, head.anchor_hash)
        result.sent += len(rows)
        result.on_server = head.seq
        result.anchor_pos = head.anchor_pos
        if len(entries) < SHIP_BATCH:
            break
    now = time.monotonic()
    if now - _anchored_at.get(clinic.custody.store_id, -ANCHOR_EVERY) >= ANCHOR_EVERY:
        _keep_store_anchor(clinic, link)
        _anchored_at[clinic.custody.store_id] = now
    return result


def _check_own(clinic: Clinic, link: Link, epoch: int, seq: int, sealed: bytes) -> None:
    """The server's last entry in this computer's name must be this computer's own:
    never chain on (and sign) an entry someone else put there."""
    local = asq.macs_upto(clinic.store, seq).get(seq)
    try:
        details = json.loads(
            open_sealed(
                link.keys,
                "audit_entry",
                sealed_place(link.workstation_id, epoch, seq),
                "details",
                1,
                sealed,
                link.label,
            )
        )
    except (SharedQueueError, ValueError):
        details = {}
    if local is None or details.get("local_mac") != local:
        raise SharedQueueError(
            f"The shared server {link.label} holds an audit entry in this computer's name "
            f"(entry {seq}) that this computer did not write. Nothing more was sent. Tell "
            "your privacy officer and IT support: `clinic-inbox audit verify --clinic` "
            "shows the details."
        )


def _keep_store_anchor(clinic: Clinic, link: Link) -> None:
    """The store's own anchor (core.audit_anchor) kept on the server too."""
    rec = make_record(
        clinic.store, clinic.custody.store_id, place_of(clinic.home), clinic.audit_key
    )
    ServerAnchorSink(link).publish(rec)


class ServerAnchorSink:
    """An `AnchorSink` on the clinic's server: `audit verify` compares the store with
    the anchors kept there, as it does with the IMAP folder."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.description = f"the shared server {link.label}"

    def publish(self, record: AnchorRecord) -> None:
        link = self.link
        try:
            with link.conn.transaction():
                # in this workstation's name (schema 17): the server keeps a store's
                # anchors under the one workstation that keeps them
                link.conn.execute(
                    "SELECT audit_keep_store_anchor(%s, %s, %s, %s, %s, %s)",
                    (
                        record.store_id,
                        record.place,
                        record.epoch,
                        record.count,
                        record.to_json(),
                        link.workstation_id,
                    ),
                )
        except psycopg.OperationalError as exc:
            raise server_error(link, exc) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            if refusals.is_not_this_workstation(exc):
                raise refusals.NotThisWorkstation(
                    refusals.not_this_workstation(link.label)
                    + " This computer's audit anchor was not kept there."
                ) from None
            raise  # another refusal (a grant missing, say): not said as the one below
        except psycopg.Error as exc:
            if exc.sqlstate != STORE_KEPT_ELSEWHERE:
                raise
            raise SharedQueueError(
                f"The shared server {link.label} refused this computer's audit anchor: "
                "it keeps the anchors of this computer's store under another workstation. "
                "Nothing was changed there or here; this computer's own audit trail and "
                "its other anchors are unaffected. Tell your privacy officer and IT "
                "support: `clinic-inbox audit verify --clinic` shows the details."
            ) from None

    def records(self, store_id: str) -> list[AnchorRecord]:
        with self.link.conn.transaction():
            rows = self.link.conn.execute(
                "SELECT record FROM audit_store_anchor WHERE store_id = %s", (store_id,)
            ).fetchall()
        return [AnchorRecord.from_json(r[0]) for r in rows]
