"""A new seal key version when a workstation is revoked (server schema step 10).

A revoked workstation loses its login, but it still holds the clinic's seal key: with
a copy of the server's data (a backup, a dump) it could read what is written later.
So revoking one also makes a new seal key version on the administrator's workstation
and, in the revoking server transaction, seals it to every other holder's X25519
public key (as approval seals the keys to a newcomer: a one-time X25519 key, HKDF-SHA256,
AES-256-GCM bound to the clinic, the holder and the version). Its keyed check value
goes beside it, so a holder refuses a key that is not the clinic's.

Holders are the workstations (each registers its own public key, with a MAC under the
clinic's HMAC key: the server cannot add one of its own) and the clinic code (its
private key is kept on the server sealed under the code, so the code restores every
version without any workstation knowing the code).

At every pull a workstation (`keep_current`) registers itself if it has not, takes the
versions sealed to it (its own too: a kill between the revocation and the local copy
loses nothing), keeps them beside the old ones in its store, seals new values under the
newest, and seals the versions it holds to any holder that registered later. The HMAC
key is not rotated (see the README); workflow values' MACs follow the seal key versions
(`seal.field_mac`, schema 12), and when each version was retired is kept on the link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import (
    RECOVERY_KDF,
    WrongPassphraseError,
    normalise_recovery_code,
    unwrap,
    wrap,
)
from clinic_inbox.core.services_common import _audit
from clinic_inbox.core.store import audit_queries as aq
from clinic_inbox.shared import SharedQueueError, clinic_keys, refusals
from clinic_inbox.shared.audit_sign import signing_key
from clinic_inbox.shared.clinic_keys import ServerLink
from clinic_inbox.shared.seal import (
    MAX_KEY_ID,
    ClinicKeys,
    TamperedError,
    retired_versions,
    version_check,
)

WRAP_INFO = b"clinic-inbox seal key wrap v1"
HOLDER_LABEL = b"clinic-inbox seal key holder v1"
SIGNED_LABEL = b"clinic-inbox seal key holder signed v1"
RECOVERY = "recovery"  # the clinic code's holder name
ROTATED = "server.seal_key_rotated"  # the audit entry of a renewal
REFUSED = "server.sealed_write_refused"  # the server refused what this computer sealed
RETIRED = "CI003"  # SQLSTATE: a value sealed under a retired version (schema step 11)
KEY_KEPT = "CI004"  # SQLSTATE: a registered receiving key is never replaced
# SQLSTATE: a renewal would leave out the workstation making it (schema 17: its own
# receiving key may not receive keys now)
OWN_KEY_LEFT_OUT = "CI006"

log = logging.getLogger(__name__)


def new_private() -> bytes:
    return X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def public_of(private: bytes) -> bytes:
    return (
        X25519PrivateKey.from_private_bytes(private)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def holder_mac(keys: ClinicKeys, holder: str, public_key: bytes) -> str:
    msg = HOLDER_LABEL + f"|{keys.clinic_id}|{holder}|".encode() + public_key
    return hmac.new(keys.hmac_key, msg, hashlib.sha256).hexdigest()


def _kek(shared: bytes, holder: str) -> bytes:
    return HKDF(SHA256(), 32, salt=None, info=WRAP_INFO + holder.encode()).derive(shared)


def _ad(clinic_id: str, holder: str, key_id: int) -> bytes:
    return f"{clinic_id}|{holder}|{key_id}".encode()


def wrap_version(public_key: bytes, holder: str, keys: ClinicKeys, key_id: int) -> str:
    """Seal key version `key_id` sealed to one holder's public key."""
    seal_key = keys.seal_key_for(key_id)
    if seal_key is None:
        raise ValueError("no such seal key version")
    one_time = X25519PrivateKey.generate()
    kek = _kek(one_time.exchange(X25519PublicKey.from_public_bytes(public_key)), holder)
    nonce = os.urandom(12)
    ct = AESGCM(kek).encrypt(nonce, seal_key, _ad(keys.clinic_id, holder, key_id))
    epk = one_time.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return json.dumps({"v": 1, "epk": epk.hex(), "nonce": nonce.hex(), "ct": ct.hex()})


def unwrap_version(
    private: bytes, holder: str, keys: ClinicKeys, key_id: int, blob: str, check: str, label: str
) -> bytes:
    """The version's key, or TamperedError when the wrap or the key is not genuine."""
    try:
        d = json.loads(blob)
        mine = X25519PrivateKey.from_private_bytes(private)
        kek = _kek(
            mine.exchange(X25519PublicKey.from_public_bytes(bytes.fromhex(d["epk"]))), holder
        )
        key = AESGCM(kek).decrypt(
            bytes.fromhex(d["nonce"]), bytes.fromhex(d["ct"]), _ad(keys.clinic_id, holder, key_id)
        )
    except (InvalidTag, ValueError, KeyError, TypeError):
        key = b""
    if len(key) != 32 or not hmac.compare_digest(version_check(keys.hmac_key, key_id, key), check):
        raise TamperedError(
            f"The clinic's new key {key_id} on {label} failed its integrity check (changed on "
            "the server, or not this clinic's). It was not taken and nothing on this computer "
            "changed. Tell your IT support."
        )
    return key


def register(
    conn: psycopg.Connection,
    keys: ClinicKeys,
    holder: str,
    private: bytes,
    signer: Ed25519PrivateKey | None = None,
) -> None:
    """This workstation (or the clinic code) as a receiver of new versions, its key
    signed with the workstation's own signing key (`signer`; none for the clinic
    code). Joins the caller's transaction."""
    pub = public_of(private)
    conn.execute(
        "SELECT register_seal_holder(%s, %s, %s)", (holder, pub, holder_mac(keys, holder, pub))
    )
    if signer is not None:
        sign(conn, keys, holder, pub, signer)


def holder_message(keys: ClinicKeys, holder: str, public_key: bytes) -> bytes:
    return SIGNED_LABEL + f"|{keys.clinic_id}|{holder}|".encode() + public_key


def sign(
    conn: psycopg.Connection, keys: ClinicKeys, holder: str, pub: bytes, signer: Ed25519PrivateKey
) -> None:
    """The registered key, signed with the workstation's Ed25519 key (the one registered
    for its audit trail at enrolment): a key someone else registered in its name, with a
    login of its that they stole, carries no such signature and is sealed nothing."""
    conn.execute(
        "SELECT sign_seal_holder(%s, %s)", (holder, signer.sign(holder_message(keys, holder, pub)))
    )


# Holders that may receive keys: the server's view `seal_key_eligible` (schema step 11)
# keeps the clinic code's; an approved workstation's, registered by its own login; or
# one not enrolled by approval (it joined with the clinic code) registered by a login no
# enrolled workstation has. So a revoked workstation's, and any its login registered,
# are left out, and one workstation's login cannot add holders in other names. Of
# those, `_holders` keeps the keys vouched for by the clinic's MAC and, for a
# workstation with a signing key on the server, signed with it.


def _holders(conn: psycopg.Connection, keys: ClinicKeys) -> list[tuple[str, bytes]]:
    rows = conn.execute(
        "SELECT h.holder, h.public_key, h.mac, h.signature FROM seal_key_eligible h "
        "ORDER BY h.holder"
    ).fetchall()
    signers = _signers(conn)
    return [
        (h, bytes(pub))
        for h, pub, mac, sig in rows
        if _genuine(keys, h, bytes(pub), mac) and _bound(keys, h, bytes(pub), sig, signers)
    ]


def _signers(conn: psycopg.Connection) -> dict[str, bytes]:
    """Each workstation's Ed25519 key from the clinic-wide audit (none on a server
    without it)."""
    if not conn.execute("SELECT to_regclass('audit_signer') IS NOT NULL").fetchone()[0]:
        return {}
    rows = conn.execute("SELECT ws::text, public_key FROM audit_signer").fetchall()
    return {ws: bytes(k) for ws, k in rows}


def _genuine(keys: ClinicKeys, holder: str, pub: bytes, mac: str) -> bool:
    return hmac.compare_digest(holder_mac(keys, holder, pub), mac or "")


def _bound(
    keys: ClinicKeys, holder: str, pub: bytes, sig: bytes | None, signers: dict[str, bytes]
) -> bool:
    """The clinic code's key, one of a workstation with no signing key on the server
    (an older server, or one joined before it had one: the MAC alone), or one signed
    with its workstation's signing key."""
    if holder == RECOVERY or holder not in signers:
        return True
    try:
        Ed25519PublicKey.from_public_bytes(signers[holder]).verify(
            bytes(sig or b""), holder_message(keys, holder, pub)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _own_private(clinic: Clinic) -> bytes:
    """This workstation's key for receiving versions; one joined before versions existed
    gets one now, kept in its store before the server hears of it."""
    found = clinic_keys.load(clinic)
    if found is None:
        raise SharedQueueError("This computer does not work with a shared server.")
    if found.wrap_key is not None:
        return found.wrap_key
    private = new_private()
    clinic_keys.save(clinic, ServerLink(found.dsn, found.keys, private))
    return private


def keep_current(clinic: Clinic, link: Any, *, complete: bool = True) -> list[int]:
    """Run at each pull (and push): register, receive new versions (returned), and with
    `complete` wrap for latecomers. `link` is an open server.Link; its keys are replaced
    by the newer ones."""
    conn, ws = link.conn, link.workstation_id
    with conn.transaction():
        mine = conn.execute(
            "SELECT public_key, signature FROM seal_key_holder WHERE holder = %s", (ws,)
        ).fetchone()
        versions = conn.execute(
            "SELECT v.key_id, v.key_check, w.blob, v.created_ws::text, v.created_by, "
            "v.revoked_ws::text, v.enforced_at FROM seal_key_version v "
            "LEFT JOIN seal_key_wrap w ON w.key_id = v.key_id AND w.holder = %s "
            "ORDER BY v.key_id",
            (ws,),
        ).fetchall()
    # which versions the server stopped accepting, and since when (schema 11, 12)
    link.retired = retired_versions([(v[0], v[6]) for v in versions])
    held = link.keys.versions()
    waiting = [v for v in versions if v[0] not in held and v[2] is not None]
    # made here and not kept (killed after the server's commit): said in the audit trail
    made_here = [{"key_id": v[0], "by": v[4], "revoked": v[5]} for v in waiting if v[3] == ws]
    if made_here:
        kept = {d.get("key_id") for d in aq.details_of(clinic.store, ROTATED)}
        made_here = [m for m in made_here if m["key_id"] not in kept]
    received: list[int] = []
    if mine is None or waiting or not _signed_by_me(clinic, link, mine):
        found = clinic_keys.load(clinic)
        if found is None:
            return []
        private = _own_private(clinic)
        if mine is not None and bytes(mine[0]) != public_of(private):
            # the server keeps the first key registered for this workstation (schema
            # step 11): what is sealed to it is not for this computer's key
            raise SharedQueueError(
                f"The key this computer receives the clinic's renewed keys with is not the "
                f"one registered for it on {link.label}, and a registered key is never "
                "replaced. Nothing on this computer changed. An administrator must revoke "
                "this workstation and enrol it again."
            )
        if mine is None:
            try:
                with conn.transaction():
                    register(conn, link.keys, ws, private, signing_key(clinic))
            except psycopg.errors.InsufficientPrivilege as exc:
                if refusals.is_not_this_workstation(exc):  # schema 16: another's login
                    raise refusals.NotThisWorkstation(
                        refusals.not_this_workstation(link.label)
                    ) from None
                raise SharedQueueError(
                    f"This workstation was revoked on {link.label}: it receives no new clinic "
                    "keys. Nothing on this computer changed."
                ) from None
        elif not _signed_by_me(clinic, link, mine):
            # registered before keys were signed (schema 10), or its signature changed on
            # the server: signed (again) with this computer's key, so it is sealed what
            # comes (only its own key: one registered in its name by another is refused above)
            with conn.transaction():
                sign(conn, link.keys, ws, bytes(mine[0]), signing_key(clinic))
        keys = link.keys
        for key_id, check, blob, *_ in waiting:
            key = unwrap_version(private, ws, keys, key_id, blob, check, link.label)
            keys = keys.with_version(key_id, key)
            received.append(key_id)
        if received:
            with clinic.store.transaction():
                clinic_keys.save(clinic, ServerLink(found.dsn, keys, private))
                _audit(
                    clinic,
                    None,
                    "server.seal_key_received",
                    detail={"key_ids": received, "sealing_with": keys.key_id},
                )
                if made_here:  # (imported here: replica imports the server link)
                    from clinic_inbox.shared.replica import StaffMap

                    staff = StaffMap(clinic, keys)
                for made in made_here:  # its revocation's own entries were lost
                    # the server holds who renewed it keyed; a version renewed before that
                    # holds the user name itself
                    made["by"] = staff.name(made["by"]) or made["by"]
                    # (enrol.revoke writes both in one local transaction, after the server's)
                    _audit(
                        clinic,
                        None,
                        "server.revoke_workstation",
                        detail={
                            "workstation": made["revoked"],
                            "by": made["by"],
                            "recorded_late": True,
                        },
                    )
                    _audit(clinic, None, ROTATED, detail={**made, "recorded_late": True})
            link.keys = keys
    if versions and complete:
        complete_wraps(clinic, link)
    return received


def _signed_by_me(clinic: Clinic, link: Any, mine: Any) -> bool:
    """Whether the server's row for this workstation (key, signature) is signed with its
    own signing key. Ed25519 signatures are deterministic: compared, not verified."""
    if mine is None or mine[1] is None:
        return False
    expected = signing_key(clinic).sign(
        holder_message(link.keys, link.workstation_id, bytes(mine[0]))
    )
    return hmac.compare_digest(bytes(mine[1]), expected)


@contextmanager
def refusal_said(clinic: Clinic, link: Any) -> Iterator[None]:
    """Around sending sealed values: the server's refusal of a retired seal key
    (a renewal this computer has not received yet) becomes a plain message and an
    audit entry; what was refused stays queued here, to be sealed again when sent."""
    try:
        yield
    except psycopg.Error as exc:
        if exc.sqlstate != RETIRED:
            raise
        if not link.conn.closed:
            link.conn.rollback()  # a savepoint's refusal leaves its outer transaction
        _note_refusal(clinic, link)
        raise SharedQueueError(
            f"The shared server {link.label} refused this computer's changes: they were "
            "sealed with a clinic key that was retired when a workstation was revoked, and "
            "this computer has not received the new key yet. Nothing was lost and nothing "
            "on this computer changed: the changes wait here and go out, sealed with the "
            "new key, once it arrives. If this message stays, tell your IT support."
        ) from None


def _note_refusal(clinic: Clinic, link: Any) -> None:
    """One audit entry per key version refused (a retrying sync does not repeat it)."""
    said = aq.details_of(clinic.store, REFUSED)
    if any(d.get("key_id") == link.keys.key_id and d.get("server") == link.label for d in said):
        return
    with clinic.store.transaction():
        _audit(clinic, None, REFUSED, detail={"server": link.label, "key_id": link.keys.key_id})


def complete_wraps(clinic: Clinic, link: Any) -> int:
    """Seal the versions this workstation holds to every holder still without them (one
    that registered after the rotation, or the clinic code on a server that had none).
    Idempotent: what is there already stays. Returns how many were added.

    A server that does not let this login pass keys on (schema 17: it receives none
    itself) stops it here without failing the pull that called it: the count so far is
    returned and `link.notice` says so in words (another workstation passes them on)."""
    conn, keys = link.conn, link.keys
    with conn.transaction():
        holders = _holders(conn, keys)
        versions = [r[0] for r in conn.execute("SELECT key_id FROM seal_key_version")]
        wrapped = set(conn.execute("SELECT key_id, holder FROM seal_key_wrap").fetchall())
    todo: dict[int, list[tuple[str, bytes]]] = {}
    for key_id in sorted(versions):
        if keys.seal_key_for(key_id) is None:
            continue
        for h, pub in holders:
            if (key_id, h) not in wrapped:
                todo.setdefault(key_id, []).append((h, pub))
    added = 0
    for key_id, holders in todo.items():
        try:
            with conn.transaction():
                n = conn.execute(
                    "SELECT add_seal_key_wraps(%s, %s, %s)",
                    (
                        key_id,
                        [h for h, _ in holders],
                        [wrap_version(pub, h, keys, key_id) for h, pub in holders],
                    ),
                ).fetchone()[0]
        except psycopg.errors.InsufficientPrivilege:
            # schema 17: only a login that receives the clinic's keys itself seals them
            # to others (its own key is not registered there, or its login is another's).
            # Not raised: pull() runs this at every exchange, and the pull must go on.
            if link.notice is None:
                log.warning("key renewal: this login may not pass the clinic's keys on")
            link.notice = (
                f"The shared server {link.label} refused to let this computer pass the "
                "clinic's renewed keys on to the computers that joined later: the login it "
                "connects with receives no clinic keys there. Nothing was changed; another "
                "workstation passes them on. Tell your administrator (the workstation may "
                "need to be connected again)."
            )
            break
        if n:
            added += n
            with clinic.store.transaction():
                _audit(
                    clinic, None, "server.seal_key_wrapped", detail={"key_id": key_id, "holders": n}
                )
    return added


def rotate(clinic: Clinic, link: Any, revoked: str, by: str) -> tuple[int, int]:
    """Inside the revoking server transaction, after `revoke_workstation`: a new version
    sealed to every remaining holder. Returns (its id, how many holders got it). The
    caller's store picks it up from the server (`keep_current`), as every other does."""
    conn = link.conn
    newest = conn.execute("SELECT coalesce(max(key_id), 1) FROM seal_key_version").fetchone()[0]
    if link.keys.seal_key_for(newest) is None:
        raise SharedQueueError(
            f"This computer has not yet received the clinic's newest key from {link.label}; "
            "let it synchronise, then revoke again. Nothing was changed."
        )
    key_id = newest + 1
    if key_id > MAX_KEY_ID:
        raise SharedQueueError(
            "The clinic's key has been renewed as often as this version allows. Nothing was "
            "changed; tell your IT support."
        )
    keys = link.keys.with_version(key_id, secrets.token_bytes(32))
    # the revoked workstation, and any holder its login registered, are left out here
    # (revoke_workstation ran first in this transaction) and deleted by rotate_seal_key
    holders = _holders(conn, keys)
    mine = link.workstation_id
    if mine not in {h for h, _ in holders}:  # registered in this transaction: never locked out
        private = _own_private(clinic)
        register(conn, keys, mine, private, signing_key(clinic))
        holders.append((mine, public_of(private)))
    try:
        n = conn.execute(
            "SELECT rotate_seal_key(%s, %s, %s, %s, %s, %s, %s)",
            (
                revoked,
                mine,
                by,
                key_id,
                keys.version_check(key_id),
                [h for h, _ in holders],
                [wrap_version(pub, h, keys, key_id) for h, pub in holders],
            ),
        ).fetchone()[0]
    except psycopg.Error as exc:
        if exc.sqlstate != OWN_KEY_LEFT_OUT:
            raise
        # schema 17: this computer's own receiving key may not receive keys now, so the
        # renewal would have locked it out of the new key: refused, undone as a whole
        raise SharedQueueError(
            f"The shared server {link.label} did not renew the clinic's key: this "
            "computer's own key for receiving renewed keys is not accepted there now, so "
            "it would have lost the new key. Nothing was changed: the workstation was not "
            "revoked. Revoke it from another workstation, and tell your IT support."
        ) from None
    return key_id, n


def recovery_blob(private: bytes, code: str, clinic_id: str) -> str:
    """The clinic code's private key, sealed under the code (as the clinic keys are)."""
    return json.dumps(
        wrap(private, normalise_recovery_code(code), _recovery_ad(clinic_id), RECOVERY_KDF)
    )


def _recovery_ad(clinic_id: str) -> bytes:
    return f"{clinic_id}|recovery-key".encode()


def restore_versions(
    conn: psycopg.Connection, keys: ClinicKeys, code: str, label: str
) -> ClinicKeys:
    """With the clinic code: every version sealed to the code, beside the first."""
    row = conn.execute(
        "SELECT blob FROM key_wrap WHERE kind = 'recovery-key' AND target = 'clinic'"
    ).fetchone()
    if row is None:
        return keys  # a server prepared before versions, whose code was never added
    try:
        private = unwrap(
            json.loads(row[0]), normalise_recovery_code(code), _recovery_ad(keys.clinic_id)
        )
    except (WrongPassphraseError, ValueError, KeyError, TypeError):
        raise SharedQueueError(
            f"The clinic code's key on {label} is damaged or was changed. Nothing was changed here."
        ) from None
    rows = conn.execute(
        "SELECT v.key_id, v.key_check, w.blob FROM seal_key_version v "
        "JOIN seal_key_wrap w ON w.key_id = v.key_id AND w.holder = %s ORDER BY v.key_id",
        (RECOVERY,),
    ).fetchall()
    for key_id, check, blob in rows:
        keys = keys.with_version(
            key_id, unwrap_version(private, RECOVERY, keys, key_id, blob, check, label)
        )
    return keys


def enable_recovery(clinic: Clinic, session: Any, link: Any, code: str) -> bool:
    """For a server prepared before versions: seal a key for the clinic code, so that
    the code restores every later version too (the versions made before are sealed to
    it at the next pull). Needs the code (checked first). Returns False when the code
    already had one."""
    from clinic_inbox.shared.enrol import _require_admin

    _require_admin(clinic, session)
    row = link.conn.execute(
        "SELECT blob FROM key_wrap WHERE kind = 'clinic-code' AND target = 'clinic'"
    ).fetchone()
    link.conn.rollback()
    try:
        packed = unwrap(
            json.loads(row[0]), normalise_recovery_code(code), link.keys.clinic_id.encode()
        )
    except (WrongPassphraseError, ValueError, KeyError, TypeError):
        raise SharedQueueError(
            f"That clinic code does not unlock the shared server {link.label}. Nothing was changed."
        ) from None
    if packed[32:] != link.keys.hmac_key:
        raise SharedQueueError(
            f"That clinic code belongs to another clinic than {link.label}. Nothing was changed."
        )
    private = new_private()
    pub = public_of(private)
    from clinic_inbox.shared import staff_sync
    from clinic_inbox.shared.enrol import _audit_refused, _by, _decider_refused

    # its own receiving key registered first (one joined before schema 10 has none, and
    # its login speaks for no workstation until it does), and the clinic's staff as this
    # workstation has them (as an approval does): an administrator added here since the
    # last exchange is one the server knows
    keep_current(clinic, link)
    staff_sync.push(clinic, link)

    try:
        with link.conn.transaction():
            # in this workstation's name, by this administrator: the server checks both
            # (schema 17), as it does for an approval (whoever sets this key is sealed
            # every later renewal)
            done = link.conn.execute(
                "SELECT set_recovery_key(%s, %s, %s, %s, %s)",
                (
                    recovery_blob(private, code, link.keys.clinic_id),
                    pub,
                    holder_mac(link.keys, RECOVERY, pub),
                    link.workstation_id,
                    _by(session, link),
                ),
            ).fetchone()[0]
    except psycopg.errors.InsufficientPrivilege as exc:
        if refusals.is_not_this_workstation(exc):
            raise refusals.NotThisWorkstation(
                refusals.not_this_workstation(link.label) + " The clinic code's key was not added."
            ) from None
        if not _decider_refused(exc):
            raise
        _audit_refused(clinic, session, link, "server.clinic_code_key_refused", exc, {})
        raise SharedQueueError(
            f"The clinic's server {link.label} refused: the account of "
            f"{session.staff.display_name} is not an active administrator there. Nothing "
            "was changed: the clinic code does not restore renewed keys yet. Ask an "
            "administrator whose account is on to add it."
        ) from None
    if done:
        with clinic.store.transaction():
            _audit(clinic, session, "server.clinic_code_key_added", detail={"server": link.label})
    return bool(done)
