"""Enrolling a new workstation: a fingerprint compared by a person, keys sealed to it.

1. The newcomer (`server join --dsn …`) makes an X25519 key pair (the private half
   stays sealed in its store, core.workstation_secrets), asks the server to join, and shows a short fingerprint of
   its public key.
2. An administrator on an enrolled workstation lists the requests (`server pending`),
   compares the fingerprint with the one on the newcomer's screen, and approves it
   (`server approve FINGERPRINT`). That creates the newcomer's own login role (with a
   random password) and seals the clinic keys and that login to the newcomer's public
   key: X25519 with a one-time key, HKDF-SHA256, AES-256-GCM bound to its id.
3. The newcomer (`server join --finish`) opens the answer, checks the keys against
   the server's clinic check, and keeps them sealed in its store (never in the
   keyring, where any process of the desktop user could read them). Its X25519 key
   stays there too: a seal key version made when a workstation is revoked is sealed
   to it the same way (key_rotation.py).

The server only ever holds public keys and sealed answers. A changed public key
shows a different fingerprint; a changed answer fails to open.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clinic_inbox.core import access, audit, workstation_identity, workstation_secrets
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, clinic_keys, key_rotation, refusals, staff_sync
from clinic_inbox.shared.audit_sign import signing_key
from clinic_inbox.shared.clinic_keys import ServerLink
from clinic_inbox.shared.replica import staff_ref
from clinic_inbox.shared.seal import ClinicKeys
from clinic_inbox.shared.server import (
    Link,
    _version_problem,
    connect,
    read_info,
    server_label,
)

INFO = b"clinic-inbox workstation enrolment v1"


def fingerprint(public_key: bytes) -> str:
    """Short enough to read aloud, long enough (80 bits) that nobody can make a key
    with the same one."""
    raw = base64.b32encode(hashlib.sha256(b"clinic-inbox ws key\x00" + public_key).digest()[:10])
    text = raw.decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def _raw(pub: X25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _kek(shared: bytes, ws_id: str) -> bytes:
    return HKDF(SHA256(), 32, salt=None, info=INFO + ws_id.encode()).derive(shared)


@dataclass(frozen=True)
class JoinRequest:
    workstation_id: str
    fingerprint: str
    server: str


def request(
    clinic: Clinic, session: Any, dsn: str, name: str, custody: KeyCustody | None = None
) -> JoinRequest:
    """Step 1, on the newcomer. (`custody` is no longer needed: the join key is kept in
    the open store.)"""
    _require_admin(clinic, session)
    label = server_label(dsn)
    if shq.linked_clinic(clinic.store) is not None:
        raise SharedQueueError(
            f"This computer already works with a shared server ({shq.server_label(clinic.store)})."
        )
    key = X25519PrivateKey.generate()
    pub = _raw(key.public_key())
    ws_id = str(uuid.uuid4())
    fpr = fingerprint(pub)
    with connect(dsn) as conn:
        if read_info(conn) is None:
            raise SharedQueueError(f"The server {label} has not been prepared for a clinic yet.")
        conn.execute("SELECT request_join(%s, %s, %s, %s)", (ws_id, name[:100], pub, fpr))
        conn.commit()
    private = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    workstation_secrets.put(
        clinic.store,
        clinic.audit_key,
        workstation_secrets.JOIN_REQUEST,
        json.dumps({"ws": ws_id, "key": private.hex(), "dsn": dsn}),
    )
    return JoinRequest(ws_id, fpr, label)


@dataclass(frozen=True)
class Pending:
    workstation_id: str
    name: str
    fingerprint: str
    requested_at: str


def pending(link: Link) -> list[Pending]:
    with link.conn.transaction():
        rows = link.conn.execute(
            "SELECT id::text, name, fingerprint, requested_at FROM workstation "
            "WHERE state = 'pending' ORDER BY requested_at"
        ).fetchall()
    return [Pending(r[0], r[1], r[2], r[3].isoformat(timespec="seconds")) for r in rows]


def approve(clinic: Clinic, session: Any, link: Link, fpr: str) -> Pending:
    """Step 2, on an enrolled workstation, by an administrator who compared `fpr`."""
    _require_admin(clinic, session)
    key_rotation.keep_current(clinic, link)  # the newcomer gets every version there is
    # the clinic's staff as this workstation has them first: an administrator added here
    # since the last exchange is one the server knows when it checks who approves
    staff_sync.push(clinic, link)
    wanted = fpr.strip().upper()
    try:
        found = _approve_on_server(session, link, wanted)
    except psycopg.Error as exc:
        if not _decider_refused(exc):
            raise
        _audit_refused(
            clinic, session, link, "server.approve_refused", exc, {"fingerprint": wanted}
        )
        raise SharedQueueError(
            f"The clinic's server {link.label} refused: the account of "
            f"{session.staff.display_name} is not an active administrator there. Nothing "
            "was changed: the new computer received no keys. Ask an administrator whose "
            "account is on to approve it."
        ) from None
    ws_id, name, found_fpr, at, login = found
    with clinic.store.transaction():
        audit.append(
            clinic.store,
            clinic.audit_key,
            session.staff.id,
            session.staff.username,
            "server.approve_workstation",
            detail={"workstation": ws_id, "fingerprint": found_fpr, "login": login},
        )
    return Pending(ws_id, name, found_fpr, at.isoformat(timespec="seconds"))


def _approve_on_server(session: Any, link: Link, wanted: str) -> tuple[Any, ...]:
    """One server transaction: the server checks who approves (schema 13) before it
    makes the login or keeps the sealed keys; a refusal rolls it all back."""
    with link.conn.transaction():
        rows = link.conn.execute(
            "SELECT id::text, name, fingerprint, requested_at, public_key FROM workstation "
            "WHERE state = 'pending' AND fingerprint = %s",
            (wanted,),
        ).fetchall()
        if len(rows) != 1:
            raise SharedQueueError(
                f"No workstation waiting to join {link.label} shows the fingerprint {wanted}. "
                "Compare it again with the one on the new computer's screen. Nothing was changed."
            )
        ws_id, name, found_fpr, at, pub = rows[0]
        if fingerprint(bytes(pub)) != found_fpr:  # the row's key was swapped on the server
            raise SharedQueueError(
                f"The join request on {link.label} does not match its fingerprint. Nothing was "
                "changed; ask the new computer to ask again."
            )
        login = f"ci_ws_{uuid.UUID(ws_id).hex[:16]}"
        password = secrets.token_urlsafe(32)
        answer = _seal_answer(bytes(pub), ws_id, link.keys, login, password)
        # who decided, as the server knows staff: a keyed reference, not the user name
        done = link.conn.execute(
            "SELECT approve_workstation(%s, %s, %s, %s, %s, %s)",
            (ws_id, found_fpr, login, password, answer, _by(session, link)),
        ).fetchone()[0]
        if not done:
            raise SharedQueueError(
                f"The request on {link.label} was decided meanwhile. Nothing was changed."
            )
    return ws_id, name, found_fpr, at, login


def _by(session: Any, link: Link) -> str:
    return staff_ref(link.keys, session.staff.username)


def _decider_refused(exc: psycopg.Error) -> bool:
    """The server refused who decides on a workstation (turned_off_schema.DECIDERS), not
    a missing right of this computer's login (the same SQLSTATE)."""
    primary = getattr(getattr(exc, "diag", None), "message_primary", None) or ""
    return refusals.is_refusal(exc) and primary.startswith("staff account ")


def _audit_refused(
    clinic: Clinic,
    session: Any,
    link: Link,
    action: str,
    exc: psycopg.Error,
    detail: dict[str, str],
) -> None:
    """Only a reason code of the server's message is kept (refusals.py)."""
    with clinic.store.transaction():
        audit.append(
            clinic.store,
            clinic.audit_key,
            session.staff.id,
            session.staff.username,
            action,
            detail={
                **detail,
                "reason": refusals.reason(exc),
                "sqlstate": exc.sqlstate or "",
                "server": link.label,
            },
        )


def _seal_answer(pub: bytes, ws_id: str, keys: ClinicKeys, login: str, password: str) -> str:
    one_time = X25519PrivateKey.generate()
    kek = _kek(one_time.exchange(X25519PublicKey.from_public_bytes(pub)), ws_id)
    body = json.dumps(
        {
            "clinic_id": keys.clinic_id,
            "key_id": keys.key_id,
            "keys": keys.pack().hex(),
            "older": {str(i): k.hex() for i, k in keys.older},
            "login": login,
            "password": password,
        }
    ).encode()
    nonce = os.urandom(12)
    ct = AESGCM(kek).encrypt(nonce, body, ws_id.encode())
    return json.dumps(
        {
            "v": 1,
            "epk": _raw(one_time.public_key()).hex(),
            "nonce": nonce.hex(),
            "ct": ct.hex(),
        }
    )


def finish(clinic: Clinic, session: Any, custody: KeyCustody | None = None) -> str | None:
    """Step 3, on the newcomer: returns its workstation id, or None while not yet approved."""
    _require_admin(clinic, session)
    try:
        kept = workstation_secrets.get(clinic, workstation_secrets.JOIN_REQUEST)
    except workstation_secrets.WorkstationSecretDamaged as exc:
        raise SharedQueueError(str(exc)) from None
    if not kept:
        raise SharedQueueError("This computer has not asked to join a shared server.")
    mine = json.loads(kept)
    ws_id, dsn = mine["ws"], mine["dsn"]
    label = server_label(dsn)
    with connect(dsn) as conn:
        info = read_info(conn)
        row = conn.execute("SELECT state, blob FROM join_answer(%s)", (ws_id,)).fetchone()
    if info is None or row is None or row[0] is None:
        raise SharedQueueError(f"The server {label} has no join request from this computer.")
    problem = _version_problem(info, label)
    if problem:  # the keys it would receive need this app's schema (key versions)
        raise SharedQueueError(problem)
    state, blob = row
    if state == "revoked":
        raise SharedQueueError(f"The request to join {label} was refused.")
    if state != "approved" or not blob:
        return None
    try:
        sealed = json.loads(blob)
        key = X25519PrivateKey.from_private_bytes(bytes.fromhex(mine["key"]))
        kek = _kek(
            key.exchange(X25519PublicKey.from_public_bytes(bytes.fromhex(sealed["epk"]))), ws_id
        )
        body = json.loads(
            AESGCM(kek).decrypt(
                bytes.fromhex(sealed["nonce"]), bytes.fromhex(sealed["ct"]), ws_id.encode()
            )
        )
    except (InvalidTag, ValueError, KeyError, TypeError):
        raise SharedQueueError(
            f"The answer from {label} failed its integrity check (changed on the server, or "
            "not meant for this computer). Nothing was changed here."
        ) from None
    keys = ClinicKeys.unpack(body["clinic_id"], bytes.fromhex(body["keys"]))
    keys = ClinicKeys(keys.clinic_id, keys.seal_key, keys.hmac_key, int(body["key_id"]))
    for i, k in (body.get("older") or {}).items():
        keys = keys.with_version(int(i), bytes.fromhex(k))
    if keys.clinic_id != info.clinic_id or keys.check_value() != info.clinic_check:
        raise SharedQueueError(
            f"The clinic keys received from {label} do not match its clinic. Nothing was changed."
        )
    parts = psycopg.conninfo.conninfo_to_dict(dsn)
    parts.update(user=body["login"], password=body["password"])
    own_dsn = psycopg.conninfo.make_conninfo(**parts)
    # its join key stays: later seal key versions are sealed to it, as the keys were now
    private = bytes.fromhex(mine["key"])
    with connect(own_dsn) as conn:  # the new login works before anything is kept
        # receives later versions; its key signed with its own signing key
        key_rotation.register(conn, keys, ws_id, private, signing_key(clinic))
        conn.commit()
    clinic_keys.save(clinic, ServerLink(own_dsn, keys, private))
    from clinic_inbox.shared.audit_ship import register_at_enrolment

    register_at_enrolment(clinic, custody, own_dsn, ws_id)
    with clinic.store.transaction():
        shq.link(clinic.store, keys.clinic_id, ws_id, label)
        workstation_identity.remember_place(clinic)
        workstation_secrets.delete(clinic.store, workstation_secrets.JOIN_REQUEST)
        audit.append(
            clinic.store,
            clinic.audit_key,
            session.staff.id,
            session.staff.username,
            "server.join",
            detail={"server": label, "clinic_id": keys.clinic_id, "workstation": ws_id},
        )
    return ws_id


def _require_admin(clinic: Clinic, session: Any) -> None:
    staff = q.get_staff(clinic.store, session.staff.id)
    access.require(
        staff is not None and access.can_manage_settings(staff),
        "Only an administrator can enrol workstations.",
    )


def revoke(clinic: Clinic, session: Any, link: Link, ws_id: str) -> int | None:
    """The workstation's login stops working at once (its open connections are closed)
    and, in the same server transaction, the clinic gets a new seal key version sealed
    to every other workstation and the clinic code (key_rotation.py): what is written
    from now on is closed to the revoked one. What it already holds stays with it.
    A workstation revoked before versions existed is rotated for by revoking it again;
    a request refused before approval renews nothing (it never had the keys).
    Returns the new version's id, or None when nothing was renewed.
    The server refuses it (schema 13) when it holds this account turned off or not an
    administrator: nothing is revoked or renewed then."""
    _require_admin(clinic, session)
    key_rotation.keep_current(clinic, link)  # seal the newest version this clinic has
    try:
        done, key_id, holders = _revoke_on_server(clinic, session, link, ws_id)
    except psycopg.Error as exc:
        if not _decider_refused(exc):
            raise
        _audit_refused(clinic, session, link, "server.revoke_refused", exc, {"workstation": ws_id})
        raise SharedQueueError(
            f"The clinic's server {link.label} refused: the account of "
            f"{session.staff.display_name} is not an active administrator there. Nothing "
            "was changed: the workstation was not revoked and the clinic's key was not "
            "renewed. Ask an administrator whose account is on to revoke it."
        ) from None
    with clinic.store.transaction():
        if done:
            audit.append(
                clinic.store,
                clinic.audit_key,
                session.staff.id,
                session.staff.username,
                "server.revoke_workstation",
                detail={"workstation": ws_id},
            )
        if key_id is not None:
            audit.append(
                clinic.store,
                clinic.audit_key,
                session.staff.id,
                session.staff.username,
                "server.seal_key_rotated",
                detail={"key_id": key_id, "revoked": ws_id, "sealed_for": holders},
            )
    if key_id is not None:  # this computer takes it as the others do (again after a kill)
        key_rotation.keep_current(clinic, link)
    return key_id


def _revoke_on_server(
    clinic: Clinic, session: Any, link: Link, ws_id: str
) -> tuple[bool, int | None, Any]:
    """One server transaction: the revocation (checked first), then the key's renewal."""
    key_id = holders = None
    with link.conn.transaction():
        done = link.conn.execute(
            "SELECT revoke_workstation(%s, %s)", (ws_id, _by(session, link))
        ).fetchone()[0]
        state = link.conn.execute(
            "SELECT state, login IS NOT NULL, "
            "(SELECT count(*) FROM seal_key_version WHERE revoked_ws = w.id) "
            "FROM workstation w WHERE id = %s",
            (ws_id,),
        ).fetchone()
        if not done and (state is None or state[0] != "revoked"):
            raise SharedQueueError(f"There is no enrolled workstation {ws_id} on {link.label}.")
        # a request refused before approval never had the keys: nothing to renew
        if state[1] and state[2] == 0:
            try:
                # who renewed it, as the server holds every author: keyed, not the user name
                key_id, holders = key_rotation.rotate(clinic, link, ws_id, _by(session, link))
            except psycopg.Error as exc:
                if exc.sqlstate != "CI002":
                    raise
                raise SharedQueueError(
                    f"Another administrator renewed the clinic's key on {link.label} at the "
                    "same moment. Nothing was changed; revoke again."
                ) from None
    return done, key_id, holders
