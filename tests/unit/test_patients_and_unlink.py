"""Patients added and corrected by staff; a wrong link undone. Real encrypted store,
real services: access asked, audit written in the same transaction."""

from __future__ import annotations

import pytest

from clinic_inbox.core import services
from clinic_inbox.core import services_patients as sp
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import queries as q

PASS = "correct horse battery staple"
PW = "kettle orbit maple frost"


@pytest.fixture()
def clinic(tmp_path):
    c, _ = create_clinic(tmp_path, lambda p, confirm: PASS, KeyCustody(tmp_path, detect=False))
    services.create_first_admin(c, "admin", "Alex Admin", PW)
    admin = services.login(c, "admin", PW)
    for name, role in [
        ("dr.a", Role.PHYSICIAN),
        ("dr.b", Role.PHYSICIAN),
        ("desk", Role.RECEPTIONIST),
    ]:
        services.add_staff(c, admin, name, name.title(), role, PW)
    yield c
    c.close()


def _login(clinic, name):
    return services.login(clinic, name, PW, sleep=lambda s: None)


def _unlinked_thread(clinic, sender="daughter@example.org", category=Category.APPOINTMENT):
    with clinic.store.transaction():
        tid = q.create_thread(
            clinic.store, q.NewThread("About mum", category, Priority.ROUTINE, q.utcnow())
        )
        q.insert_message(
            clinic.store,
            q.NewMessage(
                tid, Source.EMAIL, Direction.INBOUND, q.utcnow(), sender=sender,
                subject="About mum", body_text="Can mum move her visit?", category=category,
            ),
        )  # fmt: skip
    return tid


def test_reception_adds_and_corrects_a_patient_and_it_is_audited_without_the_values(clinic):
    desk = _login(clinic, "desk")
    p = sp.add_patient(
        clinic,
        desk,
        sp.PatientDetails("Lefebvre", " Zoé ", "1984-02-29", "EMR-77", ("Zoe@Example.org",)),
    )
    assert (p.family_name, p.given_name, p.birth_date, p.chart_number, p.emails) == (
        "Lefebvre", "Zoé", "1984-02-29", "EMR-77", ("zoe@example.org",),
    )  # fmt: skip
    # she is found by the link search at once
    assert [x.id for x in services.find_patients(clinic, desk, "lefeb 1984")] == [p.id]
    fixed = sp.edit_patient(
        clinic, desk, p.id, sp.PatientDetails("Lefebvre", "Zoé", "1984-03-01", "EMR-77", ())
    )
    assert fixed.birth_date == "1984-03-01" and fixed.emails == ()
    rows = clinic.store.execute(
        "SELECT action, patient_id, detail FROM audit WHERE action LIKE 'patient.%' "
        "AND action != 'patient.search' ORDER BY id"
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("patient.create", p.id), ("patient.edit", p.id)]
    assert "1984" not in rows[1][2] and "birth_date" in rows[1][2] and "emails" in rows[1][2]


@pytest.mark.parametrize(
    ("details", "says"),
    [
        (sp.PatientDetails("", "Ann"), "family name and given name"),
        (sp.PatientDetails("Lee", "Ann", "1984-02-30"), "not a date of birth"),
        (sp.PatientDetails("Lee", "Ann", "2190-01-01"), "cannot be right"),
        (sp.PatientDetails("Lee", "Ann", None, None, ("not-an-address",)), "not an email"),
        (sp.PatientDetails("Lee", "Ann", None, "EMR-1"), "belongs to another patient"),
        (sp.PatientDetails("Lee", "Ann", None, None, ("taken@example.org",)), "another patient"),
    ],
)
def test_wrong_details_are_refused_in_plain_words_and_nothing_is_written(clinic, details, says):
    desk = _login(clinic, "desk")
    sp.add_patient(
        clinic, desk, sp.PatientDetails("First", "One", None, "EMR-1", ("taken@example.org",))
    )
    before = q.patient_count(clinic.store)
    with pytest.raises(ValueError, match=says):
        sp.add_patient(clinic, desk, details)
    assert q.patient_count(clinic.store) == before


def test_a_wrong_link_is_undone_and_the_daughters_address_leaves_the_mothers_record(clinic):
    desk = _login(clinic, "desk")
    mother = sp.add_patient(clinic, desk, sp.PatientDetails("Roy", "Marie", "1941-06-02", "EMR-5"))
    wrong = sp.add_patient(clinic, desk, sp.PatientDetails("Roy", "Maria", "1941-06-02", "EMR-6"))
    tid = _unlinked_thread(clinic)
    services.link_patient(clinic, desk, tid, wrong.id)
    assert q.get_patient(clinic.store, wrong.id).emails == ("daughter@example.org",)
    done = sp.unlink_patient(clinic, desk, tid)
    assert done.addresses_forgotten == 1 and "no longer filed" in done.describe()
    assert q.get_thread(clinic.store, tid).patient_id is None
    assert q.get_patient(clinic.store, wrong.id).emails == ()
    # the messages left the chart too, and the search index no longer names her
    assert clinic.store.one("SELECT count(*) FROM messages WHERE patient_id = ?", (wrong.id,)) == 0
    # relinked to the right patient
    services.link_patient(clinic, desk, tid, mother.id)
    assert q.get_thread(clinic.store, tid).patient_id == mother.id
    rows = clinic.store.execute(
        "SELECT action, patient_id, thread_id FROM audit WHERE action LIKE 'thread.%link%' "
        "ORDER BY id"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        ("thread.link_patient", wrong.id, tid),
        ("thread.unlink_patient", wrong.id, tid),
        ("thread.link_patient", mother.id, tid),
    ]
    with pytest.raises(ValueError, match="not filed under any patient"):
        sp.unlink_patient(clinic, desk, _unlinked_thread(clinic, "x@example.org"))


def test_keep_address_leaves_the_record_as_it_was(clinic):
    desk = _login(clinic, "desk")
    p = sp.add_patient(clinic, desk, sp.PatientDetails("Roy", "Marie", "1941-06-02"))
    tid = _unlinked_thread(clinic)
    services.link_patient(clinic, desk, tid, p.id)
    assert sp.unlink_patient(clinic, desk, tid, forget_sender=False).addresses_forgotten == 0
    assert q.get_patient(clinic.store, p.id).emails == ("daughter@example.org",)


def test_only_the_physician_in_charge_takes_a_clinical_conversation_off_the_chart(clinic):
    desk, dr_a, dr_b = (_login(clinic, n) for n in ("desk", "dr.a", "dr.b"))
    admin = _login(clinic, "admin")
    a_id = q.staff_login_row(clinic.store, "dr.a")[0].id
    p = sp.add_patient(clinic, desk, sp.PatientDetails("Roy", "Marie", "1941-06-02"))
    services.set_responsible_physician(clinic, admin, p.id, a_id)
    tid = _unlinked_thread(clinic, category=Category.RESULTS)
    services.link_patient(clinic, dr_a, tid, p.id)
    for who, says in ((desk, "only if you may read it"), (dr_b, "only if you may read it"),
                      (admin, "Administrators")):  # fmt: skip
        with pytest.raises(AccessDenied, match=says):
            sp.unlink_patient(clinic, who, tid)
    assert q.get_thread(clinic.store, tid).patient_id == p.id
    refused = clinic.store.one(
        "SELECT count(*) FROM audit WHERE action = 'thread.unlink_patient.refused'"
    )
    assert refused == 3
    sp.unlink_patient(clinic, dr_a, tid)
    assert q.get_thread(clinic.store, tid).patient_id is None


def test_an_administrator_changes_a_role_audited_and_the_guards_hold(clinic):
    from clinic_inbox.core import services_staff

    admin, desk = _login(clinic, "admin"), _login(clinic, "desk")
    with pytest.raises(AccessDenied):
        services_staff.set_role(clinic, desk, "dr.b", Role.NURSE)
    assert q.staff_login_row(clinic.store, "dr.b")[0].role is Role.PHYSICIAN
    changed = services_staff.set_role(clinic, admin, "desk", Role.NURSE)
    assert changed.role is Role.NURSE
    assert q.staff_login_row(clinic.store, "desk")[0].role is Role.NURSE
    # the change takes effect at once: the next action is decided on the new role
    assert _login(clinic, "desk").staff.role is Role.NURSE
    detail = clinic.store.one("SELECT detail FROM audit WHERE action = 'staff.role'")
    assert '"from":"receptionist"' in detail and '"to":"nurse"' in detail
    with pytest.raises(ValueError, match="your own role"):
        services_staff.set_role(clinic, admin, "admin", Role.NURSE)
    # a physician with patients keeps the role until they have another physician
    a_id = q.staff_login_row(clinic.store, "dr.a")[0].id
    p = sp.add_patient(clinic, admin, sp.PatientDetails("Roy", "Marie", "1941-06-02"))
    services.set_responsible_physician(clinic, admin, p.id, a_id)
    with pytest.raises(ValueError, match="responsible physician of 1 patients"):
        services_staff.set_role(clinic, admin, "dr.a", Role.NURSE)
    assert clinic.store.one("SELECT count(*) FROM audit WHERE action = 'staff.role.refused'") == 1


def test_an_emr_export_is_imported_all_or_nothing_with_each_bad_line_named(clinic):
    desk = _login(clinic, "desk")
    sp.add_patient(clinic, desk, sp.PatientDetails("Existing", "Eve", None, "EMR-1"))
    before = q.patient_count(clinic.store)
    bad = (
        "\ufefffamily_name,given_name,birth_date,chart_number,email\n"
        "Roy,Marie,1941-06-02,EMR-5,marie@example.org\n"
        ",Nameless,1950-01-01,EMR-6,\n"
        "Lee,Ann,1984-02-30,EMR-7,\n"
        "Dup,Chart,,EMR-1,\n"
        "Twin,Mail,,EMR-8,marie@example.org;second@example.org\n"
    )
    report = sp.import_patients(clinic, desk, bad)
    assert [n for n, _ in report.problems] == [3, 4, 5, 6]
    said = report.describe()
    assert said.startswith("Nothing was imported: 4 lines")
    assert "line 4: 1984-02-30 is not a date" in said and "EMR-1 is already" in said
    assert "marie@example.org is also on line 2" in said
    assert q.patient_count(clinic.store) == before  # nothing half-imported
    good = (
        "family_name,given_name,birth_date,chart_number,email\n"
        "Roy,Marie,1941-06-02,EMR-5,marie@example.org\n"
        "Lee,Ann,1984-02-28,EMR-7,ann@example.org;lee.family@example.org\n"
    )
    preview = sp.import_patients(clinic, desk, good, dry_run=True)
    assert not preview.problems and "2 patients are ready" in preview.describe()
    assert q.patient_count(clinic.store) == before
    done = sp.import_patients(clinic, desk, good)
    assert done.imported == 2 and q.patient_count(clinic.store) == before + 2
    assert len(q.find_patients_by_email(clinic.store, "lee.family@example.org")) == 1
    assert clinic.store.one("SELECT count(*) FROM audit WHERE action = 'patient.import'") == 1


def test_an_export_without_the_needed_columns_is_refused_in_words(clinic):
    report = sp.import_patients(clinic, _login(clinic, "desk"), "name,dob\nRoy,1941\n")
    assert report.problems == [
        (1, "the first line must name the columns; family_name, given_name is missing "
            "(known: family_name, given_name, birth_date, chart_number, email)")
    ]  # fmt: skip
