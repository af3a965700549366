"""The product stretches passwords and passphrases at its real costs.

The tests' processes lower these costs for speed (support/fast_kdf.py); this file is
where the real ones are checked: in a process started without the tests' child_site/,
and in the files a real `clinic-inbox init` writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support import fast_kdf
from support.clinic_details import INIT_DETAILS
from support.insider_cli import ADMIN, PASSPHRASE, run

from clinic_inbox.core.home import open_clinic
from clinic_inbox.core.keys import RECOVERY_FILE, WRAPPED_KEY_FILE, KeyCustody
from clinic_inbox.core.keyslots import KeySlots
from clinic_inbox.core.store import queries as q

ARGON2 = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}  # README: 64 MiB, 3 passes
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
RECOVERY = {"n": 2**14, "r": 8, "p": 1}
PROBE = """
import json
from clinic_inbox.core import keys, keyslots, passwords
h = passwords._hasher
print(json.dumps({
    "hasher": {"time_cost": h.time_cost, "memory_cost": h.memory_cost,
               "parallelism": h.parallelism, "type": h.type.name},
    "slot": keyslots.COST, "passphrase": keys.PASSPHRASE_KDF, "recovery": keys.RECOVERY_KDF,
}))
"""


def test_the_products_own_costs_are_the_documented_ones():
    env = fast_kdf.without_child_site(
        {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_INBOX")}
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["hasher"] == {**ARGON2, "type": "ID"}
    assert got["slot"] == ARGON2
    assert got["passphrase"] == SCRYPT and got["recovery"] == RECOVERY


@pytest.mark.skipif(os.environ.get(fast_kdf.REAL_ENV) == "1", reason="real costs asked for")
def test_the_tests_children_stretch_cheaply():
    """The other side: a process the tests start gets the lowered costs (else every
    command a test runs pays 0.5 s of scrypt and Argon2 again)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["hasher"]["time_cost"] == fast_kdf.PASSWORD_COST["time_cost"]
    assert got["passphrase"] == fast_kdf.SCRYPT_COST and got["slot"] == fast_kdf.SLOT_COST


def test_a_real_init_writes_full_cost_hashes_and_wrapped_keys(tmp_path, monkeypatch):
    home = tmp_path / "c"
    # the `clinic-inbox` started below must not load the tests' child_site/
    stripped = fast_kdf.without_child_site(dict(os.environ)).get("PYTHONPATH")
    if stripped is None:
        monkeypatch.delenv("PYTHONPATH", raising=False)
    else:
        monkeypatch.setenv("PYTHONPATH", stripped)
    done = run(home, "init", "--admin", ADMIN, *INIT_DETAILS)
    assert done.returncode == 0, done.stderr
    for name, cost in ((WRAPPED_KEY_FILE, SCRYPT), (RECOVERY_FILE, RECOVERY)):
        blob = json.loads((home / name).read_text())
        assert blob["kdf"] == "scrypt" and {k: blob[k] for k in cost} == cost
    clinic = open_clinic(home, lambda p, c: PASSPHRASE, KeyCustody(home, detect=False))
    with clinic:
        stored = q.staff_login_row(clinic.store, ADMIN)[1]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_real_costs_fixture_gives_a_key_slot_its_real_cost(
    tmp_path, secret_service, real_kdf_costs
):
    from clinic_inbox.core.keys import Secrets

    slots = KeySlots(tmp_path, "store-1", secret_service.backend())
    slots.put("dr.patel", "kettle orbit maple frost", Secrets(os.urandom(32), os.urandom(32)))
    slot = json.loads(slots.path.read_text())["slots"]["dr.patel"]
    assert slot["kdf"] == "argon2id" and {k: slot[k] for k in ARGON2} == ARGON2
