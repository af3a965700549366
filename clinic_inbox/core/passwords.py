"""Staff passwords: Argon2id hashes, the rules a new password must meet, and the
slow-down and lockout after failed sign-ins."""

from __future__ import annotations

import functools
import re
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # Argon2id with the library's current recommended costs

MIN_LENGTH = 12
MAX_LENGTH = 1024  # longer input only costs hashing time
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline attacks"
# zxcvbn's matching grows with length; the first 100 characters decide the score.
SCORED_PREFIX = 100
# Words that make a password guessable for this product whatever the clinic.
PRODUCT_WORDS = ("clinic", "password", "inbox", "clinicinbox", "passwort", "motdepasse")

LOCK_AFTER = 8  # failures in a row before sign-in for that name pauses
LOCK_FOR = timedelta(minutes=15)


class WeakPasswordError(ValueError):
    """Says what to change, in words for the person choosing the password."""


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


# -- the rules for a new password --------------------------------------------------
def context_words(username: str = "", display_name: str = "", clinic_name: str = "") -> list[str]:
    """Words anyone near the clinic would try first: the person's names, the clinic's."""
    words = {w for w in PRODUCT_WORDS}
    for text in (username, display_name, clinic_name):
        low = text.lower().strip()
        if low:
            words.add(low)
            words.add(re.sub(r"[^0-9a-z]+", "", low))
            words.update(p for p in re.split(r"[^0-9a-zà-ÿ]+", low) if p)
    return sorted((w for w in words if len(w) >= 3), key=len, reverse=True)


def _score(text: str, inputs: list[str]) -> dict:
    from zxcvbn import zxcvbn

    return zxcvbn(text[:SCORED_PREFIX], user_inputs=inputs)


def weakness(
    password: str, *, username: str = "", display_name: str = "", clinic_name: str = ""
) -> str | None:
    """What is wrong with this new password, in plain words; None if it may be used."""
    if len(password) < MIN_LENGTH:
        return (
            f"A password needs at least {MIN_LENGTH} characters; this one has {len(password)}. "
            "Three or four unrelated words make a long password that is easy to remember."
        )
    if len(password) > MAX_LENGTH:
        return f"A password can have at most {MAX_LENGTH} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    low = password.lower()
    name = username.lower().strip()
    if name and (name in low or re.sub(r"[^0-9a-z]+", "", name) in re.sub(r"[^0-9a-z]+", "", low)):
        return "The password must not contain the user name. Choose words that have nothing to do with you or the clinic."
    words = context_words(username, display_name, clinic_name)
    whole = _score(password, words)
    # What is left once the names of the person and the clinic are taken out must
    # still be hard to guess: "Riverside clinic 2024" is really just "2024".
    rest = low
    for w in words:
        rest = rest.replace(w, " ")
    rest_score = _score(rest, words) if rest != low else whole
    if min(whole["score"], rest_score["score"]) >= MIN_SCORE:
        return None
    weakest = whole if whole["score"] <= rest_score["score"] else rest_score
    warning = (weakest["feedback"].get("warning") or "").strip()
    hints = " ".join(weakest["feedback"].get("suggestions") or [])
    said = "This password is too easy to guess."
    if rest != low:  # it leans on the names of the person or the clinic
        said += (
            ' Names of people, of the clinic, and words like "clinic" or "password" do '
            "not count, and without them too little is left."
        )
    elif warning:
        said += f" {warning}"
    return f"{said} {hints or 'Add another word or two; uncommon words are better.'}".strip()


def require_strong(
    password: str, *, username: str = "", display_name: str = "", clinic_name: str = ""
) -> None:
    why = weakness(password, username=username, display_name=display_name, clinic_name=clinic_name)
    if why:
        raise WeakPasswordError(why)
