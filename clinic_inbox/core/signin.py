"""Signing in: password check, slow-down, lockout, forced change after a reset.

Guesses are serialised per typed name by a file lock held from reading the
failure count to recording the answer, so two sign-ins in parallel (two app
windows, two CLI processes) cannot double the guessing rate. Each attempt is
counted as failed before its password is checked, so a process killed during
the check still pays for its guess. Unknown names are counted like known ones:
a locked account and an unknown name answer the same.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from clinic_inbox.core import audit, offline_signin, passwords, signin_gate
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.model import Staff
from clinic_inbox.core.shared_staff_ops import record_staff
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import signin_queries as sq

try:  # POSIX; elsewhere a lock inside this process only (see README, threat model)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCKS_FOLDER = "locks"
WRONG = "The user name or password is not right."
LOCKED = (
    "Sign-in for this name is paused after too many wrong passwords. Try again after "
    "{until}, or ask an administrator to unlock the account."
)
DISABLED = "This account is disabled. Ask an administrator."


class AuthError(Exception):
    pass


class SessionEnded(AccessDenied):
    """An administrator disabled the account or reset its password while this session
    was open: its next action is refused and the app returns to the sign-in."""


SESSION_ENDED_DISABLED = (
    "Your session ended. Your account was turned off by an administrator: it stays "
    "disabled until an administrator turns it on again."
)
SESSION_ENDED_RESET = (
    "Your session ended: sign in again. An administrator reset your password; sign in "
    "with the temporary password they give you and choose your own."
)


def _ended_key(staff_id: int) -> str:
    return f"sessions_ended_at:{staff_id}"


def end_sessions(store, staff_id: int) -> None:  # noqa: ANN001 - Store
    """Sessions of this person begun before now end at their next action (an
    administrator's reset or disabling). Kept in the store, so every process sees it."""
    q.set_meta(store, _ended_key(staff_id), _now_precise())


def _now_precise() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def still_valid(store, staff: Staff | None, started_at: str) -> Staff:  # noqa: ANN001 - Store
    """The session's person as the store knows them now, or SessionEnded."""
    if staff is None or not staff.active:
        raise SessionEnded(SESSION_ENDED_DISABLED)
    ended = q.get_meta(store, _ended_key(staff.id))
    if ended is not None and started_at < ended:
        raise SessionEnded(SESSION_ENDED_RESET)
    return staff


class AccountLocked(AuthError):
    pass


class PasswordChangeRequired(AuthError):
    """The password was right, but a new one must be chosen before work starts."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # "reset" (by an administrator) or "weak" (older rules)


@dataclass(frozen=True)
class Session:
    staff: Staff
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # to the microsecond: compared with the moment an administrator ended sessions
    started_at: str = field(default_factory=lambda: _now_precise())
    # Said to the person once signed in (e.g. "your password was reset by ...").
    notices: tuple[str, ...] = ()


def name_key(username: str) -> str:
    return username.strip().lower()[:200]


_local_locks: dict[str, threading.Lock] = {}


@contextmanager
def serialised(home: Path, store_id: str, name: str) -> Iterator[None]:
    """One sign-in at a time per name, across threads and processes."""
    digest = hashlib.sha256(f"{store_id}\0{name}".encode()).hexdigest()[:32]
    if fcntl is None:  # pragma: no cover
        with _local_locks.setdefault(digest, threading.Lock()):
            yield
        return
    folder = Path(home) / LOCKS_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(folder / f"signin-{digest}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _audit(clinic, actor: Staff | None, action: str, **kw: object) -> None:  # noqa: ANN001
    audit.append(
        clinic.store,
        clinic.audit_key,
        actor.id if actor else None,
        actor.username if actor else "system",
        action,
        **kw,  # type: ignore[arg-type]
    )


def _locked_message(clinic, until: str) -> str:  # noqa: ANN001
    local = datetime.fromisoformat(until).astimezone(clinic.config.tz)
    return LOCKED.format(until=local.strftime("%H:%M"))


def locked_message(home: Path, until: str) -> str:
    """The same words before the store is open (core.staff_keys): the clinic's time zone
    comes from its policy file."""
    from clinic_inbox.core.config import load_config

    local = datetime.fromisoformat(until).astimezone(load_config(home).tz)
    return LOCKED.format(until=local.strftime("%H:%M"))


def _is_demo(clinic) -> bool:  # noqa: ANN001
    # The demo's invented staff keep the published password `demo`; a real clinic's
    # store never carries this mark (only `clinic-inbox demo` writes it).
    return q.get_meta(clinic.store, "demo") == "1" and bool(getattr(clinic.custody, "demo", False))


def _weak_now(clinic, staff: Staff, password: str) -> str | None:  # noqa: ANN001
    if _is_demo(clinic):
        return None
    return passwords.weakness(
        password,
        username=staff.username,
        display_name=staff.display_name,
        clinic_name=clinic.config.name,
    )


def _when(clinic, iso: str | None) -> str:  # noqa: ANN001
    if not iso:
        return "recently"
    local = datetime.fromisoformat(iso).astimezone(clinic.config.tz)
    return local.strftime("on %d %B %Y at %H:%M")


def _charge(clinic, name: str, now: datetime, who: Staff | None, purpose: str) -> int:  # noqa: ANN001
    """Count this attempt as failed up front; the failures before it, or raise when locked."""
    store = clinic.store
    locked_until = None
    with store.transaction():
        g = sq.guard(store, name)
        if g.locked_until is not None and g.locked_until > _iso(now):
            locked_until = g.locked_until
            _audit(
                clinic,
                who,
                "login.refused",
                detail={"reason": "locked", "purpose": purpose}
                | ({"staff_id": who.id} if who else {}),
            )
        else:
            before = 0 if g.locked_until is not None else g.failures  # a lock that ran out
            sq.charge_failure(store, name, _iso(now), before + 1)
    if locked_until is not None:
        raise AccountLocked(_locked_message(clinic, locked_until))
    return before


def _fail(clinic, name: str, failures: int, now: datetime, who: Staff | None) -> str | None:  # noqa: ANN001
    """After a wrong password (already counted): lock once too many. The lock's end, if any."""
    if failures < passwords.LOCK_AFTER:
        return None
    until = _iso(now + passwords.LOCK_FOR)
    sq.lock(clinic.store, name, until)
    _audit(
        clinic,
        None,
        "login.locked",
        detail={"failures": failures, "until": until} | ({"staff_id": who.id} if who else {}),
    )
    return until


def sign_in(
    clinic,  # noqa: ANN001 - core.home.Clinic
    username: str,
    password: str,
    *,
    new_password: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Session:
    """Check a password and open a session. Failures are counted, slowed down, locked
    after `LOCK_AFTER` in a row and audited. A password reset by an administrator (or
    one that no longer meets the rules) must be replaced: without `new_password` this
    raises PasswordChangeRequired, saying why."""
    store = clinic.store
    name = name_key(username)
    with serialised(clinic.home, clinic.custody.store_id, name):
        now = datetime.now(UTC)
        row = q.staff_login_row(store, username.strip())
        staff = row[0] if row else None
        before = _charge(clinic, name, now, staff, "sign-in")
        sleep(passwords.failure_delay(before))
        ok, rehash = passwords.check_password(row[1] if row else passwords.dummy_hash(), password)
        ok = ok and row is not None
        offline = None  # out of touch with the clinic's server too long (core.offline_signin)
        if ok and staff is not None and staff.active:
            offline, pulled = offline_signin.check(clinic, staff)
            if pulled:  # the server's changes are in: the account as it is now
                row = q.staff_login_row(store, username.strip())
                staff = row[0] if row else None
                ok, rehash = passwords.check_password(
                    row[1] if row else passwords.dummy_hash(), password
                )
                ok = ok and row is not None
        problem: Exception | None = None
        session: Session | None = None
        changed = False
        with store.transaction():
            if not ok or staff is None or not staff.active:
                until = _fail(clinic, name, before + 1, now, staff) if not ok else None
                _audit(
                    clinic,
                    None,
                    "login.failed",
                    detail={"reason": "disabled" if ok else "bad password"}
                    | ({"staff_id": staff.id} if staff else {"unknown_user": True}),
                )
                if until:
                    problem = AccountLocked(_locked_message(clinic, until))
                else:
                    problem = AuthError(DISABLED if ok else WRONG)
            elif offline is not None:
                sq.clear(store, name)  # the password was right: not a failed attempt
                _audit(
                    clinic,
                    staff,
                    "login.refused",
                    detail={"reason": "offline too long", "staff_id": staff.id},
                )
                problem = AuthError(offline)
            else:
                sq.clear(store, name)
                q.record_login_success(store, staff.id, rehash)
                state = sq.password_state(store, staff.id)
                weak = None if state.must_change else _weak_now(clinic, staff, password)
                notices: tuple[str, ...] = ()
                if state.must_change or weak:
                    reason = "reset" if state.must_change else "weak"
                    if new_password is None:
                        _audit(
                            clinic,
                            staff,
                            "login.password_change_required",
                            detail={"reason": reason, "reset_at": state.reset_at},
                        )
                        problem = PasswordChangeRequired(
                            _change_message(clinic, state, weak), reason
                        )
                    else:
                        why = _new_password_problem(clinic, staff, password, new_password)
                        if why:
                            problem = passwords.WeakPasswordError(why)
                        else:
                            sq.set_password(
                                store,
                                staff.id,
                                passwords.hash_password(new_password),
                                reset_by=None,
                                now=_iso(now),
                            )
                            _audit(
                                clinic,
                                staff,
                                "staff.password_change",
                                detail={"staff_id": staff.id, "at_sign_in": reason},
                            )
                            record_staff(
                                store, "staff.password", staff.id, staff.id, password=new_password
                            )
                            changed = True
                            if state.must_change:
                                notices = (
                                    f"Your password was reset by an administrator "
                                    f"({state.reset_by or 'unknown'}) {_when(clinic, state.reset_at)}."
                                    " You have chosen a new one. If you did not ask for that "
                                    "reset, tell your privacy officer.",
                                )
                if problem is None:
                    session = Session(staff, notices=notices)
                    _audit(
                        clinic,
                        staff,
                        "login",
                        detail={"session": session.id}
                        | ({"after_admin_reset": state.reset_at} if state.must_change else {}),
                    )
            if session is not None:
                # the key slot follows the password (core.staff_keys); in the same
                # transaction, so a slot that cannot be written undoes the change
                from clinic_inbox.core import staff_keys

                staff_keys.after_sign_in(
                    clinic,
                    staff.username,
                    new_password if changed and new_password else password,
                    changed=changed,
                )
        if problem is not None:
            raise problem
        assert session is not None
        return session


def _change_message(clinic, state: sq.PasswordState, weak: str | None) -> str:  # noqa: ANN001
    if state.must_change:
        return (
            f"Your password was reset by an administrator ({state.reset_by or 'unknown'}) "
            f"{_when(clinic, state.reset_at)}. Choose a new password of your own now "
            f"(at least {passwords.MIN_LENGTH} characters). If you did not ask for this "
            "reset, tell your privacy officer."
        )
    return f"Your password no longer meets the clinic's rules ({weak}) Choose a new one now."


def _new_password_problem(clinic, staff: Staff, old: str, new: str) -> str | None:  # noqa: ANN001
    if new == old:
        return "The new password must differ from the one you signed in with."
    return passwords.weakness(
        new,
        username=staff.username,
        display_name=staff.display_name,
        clinic_name=clinic.config.name,
    )


def reauthenticate(
    clinic,  # noqa: ANN001
    staff: Staff,
    password: str,
    *,
    purpose: str,
    session_id: str,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """The same person's password again (unlock, export, break-glass): counted and
    locked with their sign-ins."""
    store = clinic.store
    name = name_key(staff.username)
    with serialised(clinic.home, clinic.custody.store_id, name):
        now = datetime.now(UTC)
        row = q.staff_login_row(store, staff.username)
        if row is None or not row[0].active:
            raise AuthError(DISABLED)
        before = _charge(clinic, name, now, staff, purpose)
        sleep(passwords.failure_delay(before))
        ok, _ = passwords.check_password(row[1], password)
        until = None
        with store.transaction():
            if ok:
                sq.clear(store, name)
                q.record_login_success(store, staff.id)
                _audit(clinic, staff, "reauth", detail={"purpose": purpose})
            else:
                until = _fail(clinic, name, before + 1, now, staff)
                _audit(clinic, staff, "reauth.failed", detail={"purpose": purpose})
        if until:
            raise AccountLocked(_locked_message(clinic, until))
        if not ok:
            raise AuthError("That password is not right.")


def unlock(clinic, admin: Staff, username: str) -> bool:  # noqa: ANN001
    """An administrator lifts a lockout. True if the name was locked or counting failures."""
    name = name_key(username)
    with clinic.store.transaction():
        g = sq.guard(clinic.store, name)
        sq.clear(clinic.store, name)
        # attempts made while the store was closed go into the trail before they are lifted
        from clinic_inbox.core.staff_keys import audit_closed_attempts

        keyring = clinic.credentials.backend if clinic.credentials is not None else None
        gate = signin_gate.read(clinic.home, clinic.custody.store_id, name, keyring)
        audit_closed_attempts(clinic, username, gate.events)
        signin_gate.clear(clinic.home, clinic.custody.store_id, name, keyring)
        row = q.staff_login_row(clinic.store, username.strip())
        _audit(
            clinic,
            admin,
            "staff.unlock",
            detail={
                "failures": g.failures + gate.failures,
                "was_locked": g.locked_until is not None or gate.locked_until is not None,
            }
            | ({"staff_id": row[0].id} if row else {}),
        )
    return bool(g.failures or g.locked_until or gate.failures or gate.locked_until)
