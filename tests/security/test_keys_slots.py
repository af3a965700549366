"""Key slots (the building block of issue 16 item 7, not yet wired into opening a
clinic): each staff password opens its own slot, and only together with the secret
in the real Secret Service (gnome-keyring)."""

from __future__ import annotations

import json

import pytest

from clinic_inbox.core.keys import SERVICE, Secrets
from clinic_inbox.core.keyslots import KeySlots, SlotError

STORE_ID = "7f7c6a52-0000-4000-8000-000000000001"


@pytest.fixture()
def slots(tmp_path, secret_service):
    return KeySlots(tmp_path, STORE_ID, secret_service.backend())


def test_each_password_opens_its_own_slot_and_nothing_else(slots):
    found = Secrets.generate()
    slots.put("dr.patel", "kettle orbit maple frost", found)
    slots.put("Nurse.Chen", "plum harbor socket tundra", found)
    assert slots.names() == ["dr.patel", "nurse.chen"]
    assert slots.open("dr.patel", "kettle orbit maple frost") == found
    assert slots.open("nurse.chen", "plum harbor socket tundra") == found
    for who, pw in (
        ("dr.patel", "plum harbor socket tundra"),  # a colleague's password
        ("nurse.chen", "kettle orbit maple frost"),
        ("ghost", "kettle orbit maple frost"),  # no such slot: the same answer
    ):
        with pytest.raises(SlotError, match="not right"):
            slots.open(who, pw)


def test_the_file_holds_no_key_and_is_owner_only(slots):
    found = Secrets.generate()
    slots.put("dr.patel", "kettle orbit maple frost", found)
    raw = slots.path.read_bytes()
    assert slots.path.stat().st_mode & 0o777 == 0o600
    for secret in (found.db_key, found.audit_key):
        assert secret not in raw and secret.hex().encode() not in raw


def test_neither_the_keyring_alone_nor_the_file_alone_opens_the_store(
    tmp_path, slots, secret_service
):
    found = Secrets.generate()
    slots.put("dr.patel", "kettle orbit maple frost", found)
    backend = secret_service.backend()
    held = backend.get_password(SERVICE, f"{STORE_ID}:slot-secret")
    assert held and found.db_key.hex() not in held and found.audit_key.hex() not in held
    # the file, the right password, but another keyring (a copy taken to another machine)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keyslots.json").write_bytes(slots.path.read_bytes())
    other_store = json.loads(slots.path.read_text())
    other_store["store_id"] = "7f7c6a52-0000-4000-8000-000000000002"
    (elsewhere / "keyslots.json").write_text(json.dumps(other_store))
    thief = KeySlots(elsewhere, other_store["store_id"], backend)
    thief._secret(create=True)  # a keyring secret of its own: not the clinic's
    with pytest.raises(SlotError):
        thief.open("dr.patel", "kettle orbit maple frost")
    # the keyring secret gone: no password opens anything
    backend.delete_password(SERVICE, f"{STORE_ID}:slot-secret")
    with pytest.raises(SlotError, match="recovery code"):
        slots.open("dr.patel", "kettle orbit maple frost")


def test_a_changed_password_rewraps_and_a_removed_slot_is_gone(slots):
    found = Secrets.generate()
    slots.put("dr.patel", "kettle orbit maple frost", found)
    slots.put("dr.patel", "violet tundra harbor 42", found)
    with pytest.raises(SlotError):
        slots.open("dr.patel", "kettle orbit maple frost")
    assert slots.open("dr.patel", "violet tundra harbor 42") == found
    assert slots.remove("dr.patel") and not slots.remove("dr.patel")
    with pytest.raises(SlotError):
        slots.open("dr.patel", "violet tundra harbor 42")
