"""Cheap key stretching for the test process, and only there.

The product stretches every staff password (Argon2id, 64 MiB, 3 passes), every key
slot (the same) and a passphrase-wrapped key (scrypt, 128 MiB): 0.3-0.5 s each on the
CI machine, paid again at every clinic a test makes, every sign-in and every open.
The tests check what is done with the stretched keys, not how hard the stretching is,
so the root conftest lowers these costs in the pytest process before any test runs.

- The product's defaults are not touched: a `clinic-inbox` process the tests start uses
  the real costs whenever it stretches (it still opens the tests' clinics quickly, since
  each hash and wrapped key carries its own parameters).
- tests/security/test_kdf_costs.py checks the real parameters, in a process of their
  own and in what a real `clinic-inbox` writes; the fixture `real_kdf_costs` gives a
  test the real costs back.
- CLINIC_INBOX_TEST_REAL_KDF=1 runs the whole suite at the real costs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

REAL_ENV = "CLINIC_INBOX_TEST_REAL_KDF"
# Argon2id's and scrypt's smallest sensible settings: still the same algorithms, formats
# and code paths, about a millisecond each.
PASSWORD_COST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
SLOT_COST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
SCRYPT_COST = {"n": 2**10, "r": 8, "p": 1}


def _modules() -> tuple[Any, Any, Any]:
    from clinic_inbox.core import keys, keyslots, passwords

    return keys, keyslots, passwords


def current() -> dict[str, Any]:
    keys, keyslots, passwords = _modules()
    return {
        "passphrase": dict(keys.PASSPHRASE_KDF),
        "recovery": dict(keys.RECOVERY_KDF),
        "slot": dict(keyslots.COST),
        "hasher": passwords._hasher,
    }


def _apply(state: dict[str, Any]) -> None:
    keys, keyslots, passwords = _modules()
    keys.PASSPHRASE_KDF = state["passphrase"]
    keys.RECOVERY_KDF = state["recovery"]
    keyslots.COST = state["slot"]
    passwords._hasher = state["hasher"]
    passwords.dummy_hash.cache_clear()  # made under the hasher in force


def install() -> dict[str, Any] | None:
    """Lower the costs in this process; returns the real ones (None when the suite was
    asked to run at the real costs)."""
    if os.environ.get(REAL_ENV) == "1":
        return None
    from argon2 import PasswordHasher

    real = current()
    _apply(
        {
            "passphrase": dict(SCRYPT_COST),
            "recovery": dict(SCRYPT_COST),
            "slot": dict(SLOT_COST),
            "hasher": PasswordHasher(**PASSWORD_COST),
        }
    )
    return real


@contextmanager
def costs(state: dict[str, Any] | None) -> Iterator[None]:
    """Run a block under the given costs (the real ones saved by install())."""
    if state is None:
        yield
        return
    saved = current()
    _apply(state)
    try:
        yield
    finally:
        _apply(saved)
