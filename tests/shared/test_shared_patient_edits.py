"""Edits of a patient's record travel between workstations, sealed, field by field.

Two workstations of one clinic on a real PostgreSQL, each with its own SQLCipher
store and keyring. A patient registered on A reaches B. An edit on one (name, birth
date, chart number, physician, addresses) reaches the other through the server, whose
copy of it is sealed. Two workstations changing the same field: the first to the
server wins everywhere and the other's author gets a conflict card with both values;
applying theirs anyway goes through the patient services and wins on top. Addresses
added on both sides merge. A value changed on the server is refused.
"""

from __future__ import annotations

import psycopg
import pytest
from workstations import login, new_workstation

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.services_patients import PatientDetails, edit_patient
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.shared import conflicts, sync
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.patients import publish_patient
from clinic_inbox.shared.seal import TamperedError

PW = "harbour cobalt thistle ember"


@pytest.fixture()
def pair(tmp_path, empty_db, keyring_factory):
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    b_first = new_workstation(homes[1], rings[1].backend())
    services.add_staff(  # on B first: the physician's local id differs between the two
        b_first, login(b_first, "admin"), "dr.okafor", "Dr Femi Okafor", Role.PHYSICIAN, PW
    )
    a = new_workstation(homes[0], rings[0].backend())
    services.add_staff(a, login(a, "admin"), "dr.okafor", "Dr Femi Okafor", Role.PHYSICIAN, PW)
    b = b_first
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    init = srv.init_server(a, login(a, "admin"), empty_db, ca)
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
    la, lb = srv.open_link(a, ca), srv.open_link(b, cb)
    yield a, b, la, lb
    for link in (la, lb):
        link.conn.close()
    a.close()
    b.close()


def _zoe(ws, la):  # noqa: ANN001, ANN202
    """Zoë, registered on `ws` and on the server; her local id."""
    doc = q.staff_login_row(ws.store, "dr.patel")[0].id
    with ws.store.transaction():
        pid = q.add_patient(
            ws.store,
            "Quennell",
            "Zoë",
            "1990-01-01",
            "QZ-1",
            None,
            doc,
            ("zoe.quennell@example.org",),
        )
    publish_patient(ws, la, pid)
    return pid


def _edit(ws, username: str, pid: int, **changes) -> None:  # noqa: ANN001, ANN003
    p = q.get_patient(ws.store, pid)
    now = {
        "family_name": p.family_name,
        "given_name": p.given_name,
        "birth_date": p.birth_date,
        "chart_number": p.chart_number,
        "emails": tuple(p.emails),
    }
    now.update(changes)
    edit_patient(ws, login(ws, username), pid, PatientDetails(**now))


def test_an_edit_reaches_the_other_workstation_sealed(pair, empty_db):
    a, b, la, lb = pair
    on_a = _zoe(a, la)
    sync.pull(b, lb)
    on_b = spq.patient_matching(b.store, "QZ-1", None)
    assert on_b is not None and q.get_patient(b.store, on_b).given_name == "Zoë"

    _edit(a, "reception.moreau", on_a, given_name="Zoé", chart_number="QZ-2")
    okafor_a = q.staff_login_row(a.store, "dr.okafor")[0].id
    services.set_responsible_physician(a, login(a, "admin"), on_a, okafor_a)
    pushed = sync.push(a, la)
    assert pushed.applied == 3 and pushed.conflicts == 0  # three fields changed
    sync.pull(b, lb)
    got = q.get_patient(b.store, on_b)
    assert (got.given_name, got.chart_number, got.family_name) == ("Zoé", "QZ-2", "Quennell")
    # the physician by who they are (local ids differ between the workstations)
    assert got.responsible_physician_id == q.staff_login_row(b.store, "dr.okafor")[0].id
    # the server's copy is sealed: no name, chart number or address in it
    with psycopg.connect(empty_db) as conn:
        values = b"".join(bytes(r[0]) for r in conn.execute("SELECT value FROM patient_field"))
        bys = " ".join(r[0] for r in conn.execute("SELECT changed_by FROM patient_field"))
    assert values and b"Zo" not in values and b"QZ-2" not in values
    assert "moreau" not in bys  # staff are keyed references, not user names
    # nothing is sent twice: a second pass finds nothing to send
    assert sync.push(a, la).applied == 0


def test_the_first_edit_to_the_server_wins_and_the_other_author_sees_a_card(pair):
    a, b, la, lb = pair
    on_a = _zoe(a, la)
    sync.pull(b, lb)
    on_b = spq.patient_matching(b.store, "QZ-1", None)
    # both change the birth date before hearing of the other's
    _edit(a, "reception.moreau", on_a, birth_date="1990-01-02")
    _edit(b, "dr.patel", on_b, birth_date="1990-02-01")
    assert sync.push(a, la).applied == 1  # first to the server
    lost = sync.push(b, lb)
    assert (lost.applied, lost.conflicts) == (0, 1)
    assert q.get_patient(b.store, on_b).birth_date == "1990-01-02"  # the server's, here too
    sync.pull(a, la)
    assert q.get_patient(a.store, on_a).birth_date == "1990-01-02"  # unchanged on A

    # the card: only for the author who lost
    assert [c for c in conflicts.shown(b, login(b, "reception.moreau")).value if c.patient_id] == []
    (card,) = [c for c in conflicts.shown(b, login(b, "dr.patel")).value if c.patient_id]
    assert card.what == "Date of birth" and card.conversation == "the record of Quennell, Zoë"
    assert (card.yours, card.theirs, card.who) == ("1990-02-01", "1990-01-02", "Claire Moreau")
    # applied anyway: through the patient services, on top of what won
    conflicts.settle(b, login(b, "dr.patel"), card.op_id, True)
    assert q.get_patient(b.store, on_b).birth_date == "1990-02-01"
    assert sync.push(b, lb).applied == 1
    sync.pull(a, la)
    assert q.get_patient(a.store, on_a).birth_date == "1990-02-01"
    assert [c for c in conflicts.shown(b, login(b, "dr.patel")).value if c.patient_id] == []
    actions = [r[0] for r in b.store.execute("SELECT action FROM audit ORDER BY id")]
    assert "shared.patient_conflict" in actions and "shared.conflict_applied_mine" in actions


def test_addresses_added_on_both_sides_are_both_kept(pair):
    a, b, la, lb = pair
    on_a = _zoe(a, la)
    sync.pull(b, lb)
    on_b = spq.patient_matching(b.store, "QZ-1", None)
    first = ("zoe.quennell@example.org", "zoe@work.example")
    _edit(a, "reception.moreau", on_a, emails=first)
    _edit(b, "reception.moreau", on_b, emails=("zoe.quennell@example.org", "zq@home.example"))
    sync.push(a, la)
    merged = sync.push(b, lb)
    assert merged.conflicts == 0
    sync.push(b, lb)  # the merged list, on top of A's
    sync.pull(a, la)
    sync.pull(b, lb)
    want = {"zoe.quennell@example.org", "zoe@work.example", "zq@home.example"}
    assert set(q.get_patient(a.store, on_a).emails) == want
    assert set(q.get_patient(b.store, on_b).emails) == want
    assert [c for c in conflicts.shown(b, login(b, "reception.moreau")).value if c.patient_id] == []


def test_a_value_changed_on_the_server_is_refused(pair, empty_db):
    a, b, la, lb = pair
    on_a = _zoe(a, la)
    sync.pull(b, lb)
    on_b = spq.patient_matching(b.store, "QZ-1", None)
    _edit(a, "reception.moreau", on_a, family_name="Quennell-Martin")
    _edit(a, "reception.moreau", on_a, chart_number="QZ-9")
    sync.push(a, la)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        # the family name's sealed value moved onto the chart number
        conn.execute(
            "UPDATE patient_field SET value = (SELECT value FROM patient_field "
            "WHERE field = 'family_name'), op = (SELECT op FROM patient_field "
            "WHERE field = 'family_name') WHERE field = 'chart_number'"
        )
    with pytest.raises(TamperedError):
        sync.pull(b, lb)
    assert q.get_patient(b.store, on_b).family_name == "Quennell"  # nothing applied
