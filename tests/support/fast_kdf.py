"""Cheap key stretching in the tests' processes, and only there.

The product stretches every staff password (Argon2id, 64 MiB, 3 passes), every key
slot (the same) and a passphrase-wrapped key (scrypt, 128 MiB): 0.3-0.5 s of CPU each
on the CI machine, paid again at every clinic a test makes, every sign-in and every
`clinic-inbox` command a test runs (a third of such a command's CPU went to scrypt).
The tests check what is done with the stretched keys, not how hard the stretching is,
so the tests lower these costs:

- in the pytest process: the root conftest calls install() before any test runs;
- in every Python process the tests start: the root conftest puts child_site/ on
  PYTHONPATH, whose sitecustomize.py lowers the same costs when clinic_inbox's modules
  are imported (a child started with an environment of its own keeps the real costs;
  one that needs a PYTHONPATH of its own takes child_pythonpath()).

The product's code and defaults are not touched. tests/security/test_kdf_costs.py checks
the real parameters (in a process started without child_site/, and in the files a real
`clinic-inbox init` writes); the fixture `real_kdf_costs` gives one test the real costs
back; CLINIC_INBOX_TEST_REAL_KDF=1 runs the whole suite at the real costs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

REAL_ENV = "CLINIC_INBOX_TEST_REAL_KDF"
CHILD_SITE = Path(__file__).resolve().parent / "child_site"
MODULES = ("clinic_inbox.core.keys", "clinic_inbox.core.keyslots", "clinic_inbox.core.passwords")
# Argon2id's and scrypt's smallest sensible settings: still the same algorithms, formats
# and code paths, about a millisecond each.
PASSWORD_COST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
SLOT_COST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
SCRYPT_COST = {"n": 2**10, "r": 8, "p": 1}


# what each module holds, by attribute: its real value is kept on the module as
# `_ci_real` before it is lowered (a pytest-xdist worker is itself a child of the
# controlling process: its modules were lowered by child_site/ before conftest ran)
_ATTRS = {
    "clinic_inbox.core.keys": ("PASSPHRASE_KDF", "RECOVERY_KDF"),
    "clinic_inbox.core.keyslots": ("COST",),
    "clinic_inbox.core.passwords": ("_hasher",),
}


def lower(module: ModuleType) -> None:
    """Lower the costs one of MODULES holds (called right after it is imported)."""
    name = module.__name__
    if not hasattr(module, "_ci_real"):
        module._ci_real = {a: getattr(module, a) for a in _ATTRS[name]}
    if name == "clinic_inbox.core.keys":
        module.PASSPHRASE_KDF = dict(SCRYPT_COST)
        module.RECOVERY_KDF = dict(SCRYPT_COST)
    elif name == "clinic_inbox.core.keyslots":
        module.COST = dict(SLOT_COST)
    elif name == "clinic_inbox.core.passwords":
        from argon2 import PasswordHasher

        module._hasher = PasswordHasher(**PASSWORD_COST)
        module.dummy_hash.cache_clear()  # made under the hasher in force


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
    passwords.dummy_hash.cache_clear()


def install() -> dict[str, Any] | None:
    """Lower the costs in this process and in the Python processes it starts; returns
    the real ones (None when the suite was asked to run at the real costs)."""
    if os.environ.get(REAL_ENV) == "1":
        return None
    for module in _modules():
        lower(module)
    keys, keyslots, passwords = _modules()
    real = {
        "passphrase": dict(keys._ci_real["PASSPHRASE_KDF"]),
        "recovery": dict(keys._ci_real["RECOVERY_KDF"]),
        "slot": dict(keyslots._ci_real["COST"]),
        "hasher": passwords._ci_real["_hasher"],
    }
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(CHILD_SITE) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(CHILD_SITE), *paths])
    return real


def child_pythonpath(*first: str | os.PathLike[str]) -> str:
    """PYTHONPATH for a child that must import from `first` (the checkout, say): those,
    then this process's own, which holds child_site/ when the costs are lowered here
    (a child given PYTHONPATH=<checkout> alone stretched every password at the real
    costs). A harness run on its own, outside pytest, passes on the real costs."""
    paths = [str(p) for p in first]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths]
    return os.pathsep.join(paths)


def without_child_site(env: dict[str, str]) -> dict[str, str]:
    """An environment for a child that must see the product's real costs."""
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(CHILD_SITE)]
    out = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    if paths:
        out["PYTHONPATH"] = os.pathsep.join(paths)
    return out


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
