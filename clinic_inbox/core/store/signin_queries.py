"""Sign-in bookkeeping: failures per typed name, lockout, forced password change."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core.store.connection import Store


@dataclass(frozen=True)
class Guard:
    failures: int
    locked_until: str | None


def guard(store: Store, name: str) -> Guard:
    row = store.execute(
        "SELECT failures, locked_until FROM sign_in_guard WHERE name = ?", (name,)
    ).fetchone()
    return Guard(int(row[0]), row[1]) if row else Guard(0, None)


def charge_failure(store: Store, name: str, now: str, failures: int) -> None:
    """Count one more attempt as failed before its password is checked: an attempt
    cut short (a killed process) still counts."""
    store.execute(
        "INSERT INTO sign_in_guard (name, failures, last_failed_at, locked_until) "
        "VALUES (?, ?, ?, NULL) ON CONFLICT (name) DO UPDATE SET failures = excluded.failures, "
        "last_failed_at = excluded.last_failed_at, locked_until = NULL",
        (name, failures, now),
    )


def lock(store: Store, name: str, until: str) -> None:
    store.execute("UPDATE sign_in_guard SET locked_until = ? WHERE name = ?", (until, name))


def clear(store: Store, name: str) -> None:
    store.execute("DELETE FROM sign_in_guard WHERE name = ?", (name,))


def forget_old(store: Store, before: str) -> None:
    """Names typed once long ago and never locked: nothing to keep."""
    store.execute(
        "DELETE FROM sign_in_guard WHERE last_failed_at < ? AND "
        "(locked_until IS NULL OR locked_until < ?)",
        (before, before),
    )


@dataclass(frozen=True)
class PasswordState:
    must_change: bool
    reset_at: str | None
    reset_by: str | None  # the administrator's display name


def password_state(store: Store, staff_id: int) -> PasswordState:
    row = store.execute(
        "SELECT s.must_change_password, s.password_reset_at, a.display_name FROM staff s "
        "LEFT JOIN staff a ON a.id = s.password_reset_by WHERE s.id = ?",
        (staff_id,),
    ).fetchone()
    return PasswordState(bool(row[0]), row[1], row[2]) if row else PasswordState(False, None, None)


def set_password(
    store: Store,
    staff_id: int,
    password_hash: str,
    *,
    reset_by: int | None,
    now: str,
) -> None:
    """A new password. Set by an administrator for someone else, it must be changed
    at that person's next sign-in."""
    store.execute(
        "UPDATE staff SET password_hash = ?, failed_logins = 0, last_failed_at = NULL, "
        "must_change_password = ?, password_reset_at = ?, password_reset_by = ? WHERE id = ?",
        (
            password_hash,
            int(reset_by is not None),
            now if reset_by is not None else None,
            reset_by,
            staff_id,
        ),
    )
