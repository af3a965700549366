"""Staff passwords: Argon2id hashes, and the slow-down after failed logins."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # Argon2id with the library's current recommended costs

MIN_LENGTH = 4


@functools.cache
def dummy_hash() -> str:
    """Checked against when the user name is unknown, so that a wrong name costs as
    much time as a wrong password and names cannot be probed by timing. Made on first
    use, not at import (it took an eighth of the app's start-up)."""
    return _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, a fresh hash if the stored one uses outdated costs)."""
    try:
        _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None)


def failure_delay(failed_logins: int) -> float:
    """Seconds to wait before answering a login: grows with each failure, capped."""
    if failed_logins <= 2:
        return 0.0
    return min(0.5 * 2 ** (failed_logins - 3), 30.0)
