"""The store key released to staff, not to the desktop account (issue 16 item 7).

A clinic whose key custody is the OS keyring keeps, per staff member, a key slot
(core.keyslots): the store's keys wrapped under that person's password combined with
a secret in the keyring. `open_signed_in` is the one way such a clinic opens for a
person: the password unwraps the keys, then the store opens, then the usual sign-in
(core.signin) runs on it. A wrong password opens nothing and is counted by
core.signin_gate.

An older clinic (raw keys in the keyring) migrates person by person: each sign-in
writes that person's slot; once every active staff member has one, the raw keys
leave the keyring ("sealed"). New clinics whose first administrator is created with
a password are sealed at once.

Upkeep: a password set, reset or changed rewrites that person's slot in the same
transaction as the store's change; a disabled account's slot is removed.

Background work (sync in the app's worker thread, CLI `sync`) reuses the keys the
signed-in session holds (`Clinic.clone`); nothing reads them from the keyring again.
A clinic without a secure keyring keeps its passphrase-wrapped key (core.keys) until
an administrator turns on staff key slots (`key seal`, `enable_staff_slots`): then each
sign-in writes that person's slot as above (keyed by the password alone: there is no
keyring half), and once every active staff member has one the key file goes and the
shared passphrase opens nothing. The demo keeps its published passphrase.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from clinic_inbox.core import (
    audit,
    keyslots,
    passwords,
    signin,
    signin_gate,
    workstation_identity,
)
from clinic_inbox.core.home import Clinic, open_clinic
from clinic_inbox.core.keys import (
    CustodyChangedError,
    CustodyRecord,
    KeyCustody,
    PassphraseProvider,
    Secrets,
    describe_backend,
)
from clinic_inbox.core.keyslots import KeySlots, SlotSecretMissing, WrongSlotPassword, cost_for
from clinic_inbox.core.store import queries as q


def _slots(clinic: Clinic) -> KeySlots | None:
    """The clinic's slots, or None where it keeps a passphrase-wrapped key instead."""
    rec = clinic.custody
    if rec.method == "passphrase" and (rec.staff_slots or rec.sealed) and not rec.demo:
        return KeySlots(clinic.home, rec.store_id, None)
    backend = clinic.credentials.backend if clinic.credentials is not None else None
    if rec.method != "keyring" or backend is None:
        return None
    return KeySlots(clinic.home, rec.store_id, backend)


def _slot_cost(clinic: Clinic, password: str, context: list[str]) -> dict[str, int]:
    if clinic.custody.method == "passphrase":
        # no keyring half: whoever copies the slots file may guess at it offline
        return keyslots.HARD_COST
    return cost_for(password, context, demo=clinic.custody.demo)


def _audit(
    clinic: Clinic, action: str, detail: dict, actor: tuple[int | None, str] = (None, "system")
) -> None:
    with clinic.store.transaction():
        audit.append(clinic.store, clinic.audit_key, actor[0], actor[1], action, detail=detail)


# -- upkeep (called by services and core.signin, with the store open) ---------------
def keep_slot(clinic: Clinic, username: str, password: str, *, why: str) -> None:
    """Wrap the store's keys under this person's (new) password."""
    slots = _slots(clinic)
    if slots is None:
        return
    row = q.staff_login_row(clinic.store, username.strip())
    context = [username, row[0].display_name if row else "", clinic.config.name or ""]
    cost = _slot_cost(clinic, password, context)
    slots.put(username, password, clinic.secrets, cost)
    detail = {"staff_id": row[0].id if row else None, "why": why}
    _audit(clinic, "key.slot", detail | {"argon2id_mib": cost["memory_cost"] // 1024})
    seal_if_complete(clinic, slots)


def slot_from_travelling(clinic: Clinic, username: str, wire: dict, *, why: str) -> bool:
    """A person added or given a new password on another workstation: their slot here,
    made from the key that workstation derived from the password (core.keyslots), so
    they can sign in at this computer's start. The key is not kept. False where this
    clinic has no slots."""
    slots = _slots(clinic)
    if slots is None:
        return False
    slots.put_travelled(username, keyslots.TravellingKey.from_wire(wire), clinic.secrets)
    row = q.staff_login_row(clinic.store, username.strip())
    detail = {"staff_id": row[0].id if row else None, "why": why, "from_another_computer": True}
    _audit(clinic, "key.slot", detail | {"argon2id_mib": int(wire["cost"]["memory_cost"]) // 1024})
    seal_if_complete(clinic, slots)
    return True


def mark_shared(clinic: Clinic) -> None:
    """Staff come from the clinic's server here (see `NOT_RECEIVED`)."""
    slots = _slots(clinic)
    if slots is not None:
        slots.mark_shared()


def drop_slot(clinic: Clinic, username: str) -> None:
    """A disabled account's password opens nothing any more."""
    slots = _slots(clinic)
    if slots is not None and slots.remove(username):
        row = q.staff_login_row(clinic.store, username.strip())
        _audit(clinic, "key.slot_removed", {"staff_id": row[0].id if row else None})


def after_sign_in(clinic: Clinic, username: str, password: str, *, changed: bool) -> None:
    """A person signed in on an open store: their slot is made on the first sign-in of an
    older clinic, and rewrapped when they chose a new password at sign-in."""
    slots = _slots(clinic)
    if slots is None:
        return
    if changed:
        keep_slot(clinic, username, password, why="password changed at sign-in")
    elif not slots.has(username):
        keep_slot(clinic, username, password, why="first sign-in since key slots")
    elif not slots.is_current(username):
        # a version 1 slot: rewritten so that a key change can reach it (core.keyslots)
        keep_slot(clinic, username, password, why="key slot upgraded")
    elif slots.is_travelled(username):
        # made from a key another workstation sent: now their own, with a fresh salt
        keep_slot(clinic, username, password, why="first sign-in here")
    if clinic.custody.pending_key_check is None:
        slots.tidy()  # what a finished or abandoned key change may have left


def without_slot(clinic: Clinic) -> list[str]:
    """Active staff who cannot open the store by password yet."""
    slots = _slots(clinic)
    if slots is None:
        return []
    return [s.username for s in q.list_staff(clinic.store, False) if not slots.has(s.username)]


def seal_if_complete(clinic: Clinic, slots: KeySlots | None = None) -> bool:
    """Once every active staff member has a slot, the raw keys leave the keyring."""
    slots = slots or _slots(clinic)
    if slots is None or clinic.custody.sealed:
        return False
    active = q.list_staff(clinic.store, False)
    if not active or any(not slots.has(s.username) for s in active):
        return False
    custody = KeyCustody(clinic.home, _backend(clinic), detect=False)
    custody.seal()
    clinic.custody = custody.record()
    _audit(clinic, "key.sealed", {"slots": len(active)})
    return True


def _backend(clinic: Clinic) -> object | None:
    return clinic.credentials.backend if clinic.credentials is not None else None


def enable_staff_slots(
    clinic: Clinic,
    username: str,
    password: str,
    *,
    actor: tuple[int | None, str] = (None, "system"),
) -> list[str]:
    """A clinic without a keyring moves to staff key slots: the administrator's slot now,
    everyone else's at their next sign-in (with the passphrase, one last time); sealed
    as soon as every active staff member has one. Returns who has none yet. `actor` is
    the administrator who asked (the app's action names them; the CLI's `key seal`)."""
    custody = KeyCustody(clinic.home, None, detect=False)
    custody.enable_staff_slots()
    clinic.custody = custody.record()
    _audit(clinic, "key.staff_slots_enabled", {}, actor)
    keep_slot(clinic, username, password, why="staff key slots turned on")
    return without_slot(clinic)


def seal_now(clinic: Clinic) -> list[str]:
    """An administrator finishes a migration early: staff still without a slot will need
    a password reset (which writes their slot). Returns their names."""
    slots = _slots(clinic)
    if slots is None:
        raise CustodyChangedError(
            "This clinic keeps its key with a passphrase (no secure keyring) and has not "
            "turned on staff key slots yet: `key seal` by an administrator does that."
        )
    missing = without_slot(clinic)
    if not clinic.custody.sealed:
        custody = KeyCustody(clinic.home, _backend(clinic), detect=False)
        custody.seal()
        clinic.custody = custody.record()
        _audit(clinic, "key.sealed", {"slots": len(slots.names()), "without_slot": len(missing)})
    return missing


def seal_restored(
    home: Path, custody: KeyCustody, found: Secrets, username: str, password: str
) -> list[str]:
    """A passphrase backup restored under a fresh key (core.backup): the restoring
    administrator gets a slot and the clinic is sealed at once, so the new key is never
    left raw in the keyring or behind one shared passphrase. Colleagues have no slot for
    the new key: they need a password reset (which writes it). Returns their names."""
    rec = custody.record()
    if rec.demo:
        return []
    if rec.method == "passphrase":
        custody.enable_staff_slots()
    clinic = open_clinic(home, _never, custody, found=found)
    with clinic:
        slots = _slots(clinic)
        if slots is None:  # the keyring went away meanwhile: it stays as restored
            return []
        keep_slot(clinic, username, password, why="restored from a passphrase backup")
        return seal_now(clinic)


# -- opening -------------------------------------------------------------------------
def _never(prompt: str, confirm: bool) -> str:
    raise CustodyChangedError("A passphrase was asked for a clinic whose key is in the keyring.")


def audit_closed_attempts(clinic: Clinic, username: str, events: list[list[str]]) -> None:
    """What the gate counted while the store was closed, now written where it belongs."""
    if not events:
        return
    row = q.staff_login_row(clinic.store, username.strip())
    who = {"staff_id": row[0].id} if row else {"unknown_user": True}
    with clinic.store.transaction():
        for what, at in events:
            action = {"failed": "login.failed", "locked": "login.locked"}.get(what, "login.refused")
            reason = {"failed": "bad password", "refused": "locked"}.get(what, "too many failures")
            audit.append(
                clinic.store,
                clinic.audit_key,
                None,
                "system",
                action,
                detail={"reason": reason, "while_store_closed": True, "at": at} | who,
            )


GATE_SEEN_META = "gate_seq_seen"

ROLLED_BACK_WORDS = (
    "The count of failed sign-ins kept on this computer went back, or was deleted, since "
    "the store last saw it (both its copies: the file beside the store and the keyring's). "
    "Someone may have done this to try more passwords than the lockout allows; look at "
    "the failed sign-ins around this time."
)
ELSEWHERE_WORDS = (
    "The store is now used in another place (another computer, another folder, or a "
    "restored backup), so the count of failed sign-ins starts again here. This is expected "
    "after a restore or a move; if nobody restored or moved the clinic's data, tell the "
    "privacy officer."
)


def _place(clinic: Clinic) -> str:
    """Which computer, folder and key record the store is used with, as a short digest:
    a counter that starts again in a new place is a restore or a move, not a rollback."""
    import hashlib
    import socket

    where = f"{socket.gethostname()}\0{clinic.home.resolve()}\0{clinic.custody.store_id}"
    return hashlib.sha256(where.encode("utf-8")).hexdigest()[:16]


def note_gate_counter(clinic: Clinic, backend: object) -> None:
    """The sign-in gate's counter only moves forward; if it went back since the store last
    saw it, both copies of the lockout count were deleted or rolled back: audited, so
    guesses bought that way do not go unseen. A store now used in another place (restored
    on another computer, or into another folder) starts a new count there: audited in
    gentler words, as the expected consequence of a restore or a move."""
    epoch, found = signin_gate.high_water(clinic.home, clinic.custody.store_id, backend)
    place = _place(clinic)
    with clinic.store.transaction():
        seen_epoch, _, rest = (q.get_meta(clinic.store, GATE_SEEN_META) or "").partition(":")
        seen, _, seen_place = rest.partition(":")
        if seen and (seen_epoch != epoch or found < int(seen)):
            moved = bool(seen_place) and seen_place != place
            audit.append(
                clinic.store,
                clinic.audit_key,
                None,
                "system",
                "login.gate_started_elsewhere" if moved else "login.gate_rolled_back",
                detail={
                    "what": ELSEWHERE_WORDS if moved else ROLLED_BACK_WORDS,
                    "counter_seen": int(seen),
                    "counter_found": found,
                    "started_again": seen_epoch != epoch,
                },
            )
        q.set_meta(clinic.store, GATE_SEEN_META, f"{epoch}:{found}:{place}")


PUT_BACK_WORDS = (
    "The count of failed sign-ins kept in the files beside the store was lower than the "
    "copy inside the store for: {who}. The files were deleted or replaced by older ones. "
    "The higher count was put back, so the lockout still holds. Someone may have done "
    "this to try more passwords than the lockout allows; look at the failed sign-ins "
    "around this time."
)


def keep_gate_copy(clinic: Clinic, backend: object | None, username: str) -> None:
    """The store's copy of the gate's counts (core.signin_gate): counts the files lost
    since the last open are put back (audited, in plain words), then the copy is renewed.
    The person signing in has just proved their password: their count stays cleared."""
    from clinic_inbox.core.store import gate_copy_queries as gcq

    home, store_id = clinic.home, clinic.custody.store_id
    copy = gcq.get(clinic.store)
    skip = signin_gate.name_digest(store_id, signin.name_key(username))
    restored = signin_gate.put_back(home, store_id, copy, backend, skip=skip) if copy else []
    with clinic.store.transaction():
        if restored:
            known = {
                signin_gate.name_digest(store_id, signin.name_key(s.username)): s
                for s in q.list_staff(clinic.store, True)
            }
            named = [known[d] for d in restored if d in known]
            who = [s.username for s in named] + (
                [f"{len(restored) - len(named)} name(s) that are not staff"]
                if len(named) < len(restored)
                else []
            )
            audit.append(
                clinic.store,
                clinic.audit_key,
                None,
                "system",
                "login.gate_put_back",
                detail={
                    "what": PUT_BACK_WORDS.format(who=", ".join(who)),
                    "staff_ids": [s.id for s in named],
                    "names_put_back": len(restored),
                },
            )
        gcq.put(clinic.store, signin_gate.snapshot(home, store_id, backend))


# A clinic with a shared server: a name without a slot here is most likely a colleague
# added (or given a new password) while this computer stayed locked, so it never pulled
# the key for their slot. The names in the slots file are readable by the desktop
# account anyway: saying so tells an onlooker nothing new.
NOT_RECEIVED = (
    "This computer has not yet received your account. Ask a colleague to sign in here "
    "once, then try again. (If you have signed in on this computer before, check the "
    "spelling of your user name.)"
)


def _unwrap(
    home: Path, custody: KeyCustody, username: str, password: str, sleep: Callable[[float], None]
) -> tuple[Secrets, list[list[str]]]:
    """The password against its slot, counted and slowed down like any sign-in."""
    rec = custody.record()
    if rec.method == "keyring" and custody.backend is None:
        raise CustodyChangedError(
            f"This clinic's key is released through {describe_backend(rec.backend)}, but "
            f"{custody.why_no_keyring or 'no secure keyring is available'} now. Log in to the "
            "desktop session that unlocks the keyring and try again, or use the recovery "
            "code (`clinic-inbox key recover`)."
        )
    backend = custody.backend if rec.method == "keyring" else None
    slots = KeySlots(home, rec.store_id, backend)
    name = signin.name_key(username)
    gate = backend  # the gate keeps its second copy in the keyring, where there is one
    with signin.serialised(home, rec.store_id, name):
        now = datetime.now(UTC)
        before, locked = signin_gate.charge(home, rec.store_id, name, now, gate)
        if locked is not None:
            raise signin.AccountLocked(signin.locked_message(home, locked))
        sleep(passwords.failure_delay(before))
        try:
            held = slots.open_all(username, password)
        except WrongSlotPassword:
            until = signin_gate.failed(home, rec.store_id, name, now, gate)
            if until is not None:
                raise signin.AccountLocked(signin.locked_message(home, until)) from None
            if not slots.has(username) and slots.is_shared():
                raise signin.AuthError(NOT_RECEIVED) from None
            raise signin.AuthError(signin.WRONG) from None
        except SlotSecretMissing:
            signin_gate.succeeded(home, rec.store_id, name, gate)  # not a guess: no charge
            raise
        return _pick(custody, rec, held), signin_gate.succeeded(home, rec.store_id, name, gate)


def _pick(custody: KeyCustody, rec: CustodyRecord, held: list[Secrets]) -> Secrets:
    """Of the keys a slot holds (more than one only around a key change, core.rekey), the
    one the key record names; a staged one is offered for finishing the change."""
    if rec.pending_key_check is not None:
        staged = [s for s in held if hmac.compare_digest(s.key_check(), rec.pending_key_check)]
        if staged:
            custody.offer_next(staged[0])
    named = [s for s in held if hmac.compare_digest(s.key_check(), rec.key_check)]
    return named[0] if named else held[0]


def release(
    home: Path,
    custody: KeyCustody,
    username: str,
    password: str,
    sleep: Callable[[float], None] = time.sleep,
) -> Secrets:
    """The keys from this person's slot, without opening the store (a restore puts the
    store in place first; its own sign-in then runs on it)."""
    found, _events = _unwrap(Path(home), custody, username, password, sleep)
    return found


def open_signed_in(
    home: Path,
    username: str,
    password: str,
    *,
    new_password: str | None = None,
    ask_passphrase: PassphraseProvider = _never,
    custody: KeyCustody | None = None,
    check: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Clinic, signin.Session]:
    """Sign in and open the clinic: the one entry point of the app and the CLI.

    Raises what core.signin raises (AuthError, AccountLocked, PasswordChangeRequired,
    WeakPasswordError) with nothing left open."""
    home = Path(home)
    custody = custody or KeyCustody(home)
    rec = custody.record() if custody.exists() else None
    found: Secrets | None = None
    events: list[list[str]] = []
    slot_user = False
    if rec is not None and rec.method == "keyring" and custody.backend is not None:
        slots = KeySlots(home, rec.store_id, custody.backend)
        slot_user = rec.sealed or slots.has(username)
    elif rec is not None and rec.method == "keyring" and rec.sealed:
        slot_user = True  # raises the plain "keyring unavailable" below
    elif rec is not None and rec.method == "passphrase" and (rec.staff_slots or rec.sealed):
        slot_user = rec.sealed or KeySlots(home, rec.store_id, None).has(username)
    if slot_user:
        found, events = _unwrap(home, custody, username, password, sleep)
    clinic = open_clinic(home, ask_passphrase, custody, check=check, found=found)
    try:
        audit_closed_attempts(clinic, username, events)
        if slot_user:
            gate = custody.backend if rec.method == "keyring" else None
            note_gate_counter(clinic, gate)
            keep_gate_copy(clinic, gate, username)
        # a copy opened in a new place stops speaking for the shared server's workstation
        workstation_identity.check_place(clinic)
        # the store's own check: disabled accounts, forced changes, the session's audit
        session = signin.sign_in(
            clinic,
            username,
            password,
            new_password=new_password,
            sleep=(lambda _s: None) if slot_user else sleep,
        )
        rejoin = workstation_identity.retired_notice(clinic.store)
        if rejoin is not None:
            session = replace(session, notices=(*session.notices, rejoin))
    except BaseException:
        clinic.close()
        raise
    return clinic, session


def recover(
    home: Path,
    code: str,
    username: str,
    password: str,
    *,
    custody: KeyCustody | None = None,
) -> tuple[Clinic, signin.Session, bool]:
    """The recovery code opens the store; an administrator signs in on it and gets a slot
    again. When the keyring lost the slots' secret every slot is dropped (they open
    nothing): True then, and colleagues need a password reset."""
    home = Path(home)
    custody = custody or KeyCustody(home)
    found = custody.recover(code, _never)
    clinic = open_clinic(home, _never, custody, found=found)
    try:
        session = signin.sign_in(clinic, username, password)
        from clinic_inbox.core import access

        access.require(
            access.can_manage_staff(session.staff),
            "Only an administrator may use the recovery code.",
        )
        slots = _slots(clinic)
        lost = False
        if slots is not None:
            if slots.path.exists() and not slots.secret_matches():
                slots.clear()
                lost = True
            keep_slot(clinic, username, password, why="recovery code")
        _audit(clinic, "key.recovered", {"staff_id": session.staff.id, "slots_lost": lost})
    except BaseException:
        clinic.close()
        raise
    return clinic, session, lost
