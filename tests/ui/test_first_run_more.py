"""The first run's later steps, driven as a new clinic would: the portal tested against
the real loopback FHIR server (wrong token and closed port in plain words, the right
token works), colleagues with temporary passwords (weak ones and a user name given
twice refused), and a patient CSV previewed with every bad line named and nothing
imported until all are right; then the clinic is created with all of it, the first
portal sync arrives on its board, and the portal's record of a patient the EMR file
brought too is merged into the EMR's (her next message goes to the one record)."""

from __future__ import annotations

import os

import pytest
from support.dovecot import free_port

from clinic_inbox.core import services, staff_keys, views
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role, Status
from clinic_inbox.core.services_patient_merge import merge_patients
from clinic_inbox.core.signin import PasswordChangeRequired
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import sync
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.first_run import FirstRunWizard
from clinic_inbox.ui.main_window import MainWindow

ADMIN_PW = "granite willow echo lantern"
TOKEN = "portal-token-7f3a"
BAD_CSV = (
    "family_name,given_name,birth_date,chart_number,email\n"
    "Roy,Marie,1941-06-02,EMR-5,marie.roy@example.org\n"
    "Nguyen,,1990-01-01,EMR-6,\n"
    "Okafor,Ada,1985-02-30,EMR-7,ada@example.org\n"
    "Smith,John,1970-05-05,EMR-5,ada@example.org\n"
)
GOOD_CSV = (
    "family_name,given_name,birth_date,chart_number,email\n"
    "Roy,Marie,1941-06-02,EMR-5,marie.roy@example.org\n"
    "Nguyen,Lan,1990-01-01,EMR-6,\n"
    "Okafor,Ada,1985-02-28,EMR-7,ada@example.org;ada.work@example.org\n"
)


@pytest.fixture()
def portal():
    from support.fhir import FhirServer, FhirUnavailable

    try:
        server = FhirServer(token=TOKEN).start()
    except FhirUnavailable as exc:
        if os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1":
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    yield server
    server.close()


def _wait(qtbot, page) -> str:
    qtbot.waitUntil(lambda: page.test.isEnabled(), timeout=30_000)
    return page.result.text()


def test_first_run_with_portal_staff_and_patients(qtbot, tmp_path, portal, secret_service, shots):
    home = tmp_path / "clinic"
    custody = KeyCustody(home, backend=secret_service.backend())
    w = FirstRunWizard(home, custody=custody)
    qtbot.addWidget(w)
    w.show()
    c = w.clinic_page
    c.name.setText("Elm Street Family Practice")
    c.phone.setText("204-555-0199")
    c.timezone.setCurrentText("America/Winnipeg")
    c.confirm_numbers.setChecked(True)
    w.next()
    w.next()
    a = w.admin_page
    a.username.setText("boss")
    a.display.setText("Pat Boss")
    a.password.setText(ADMIN_PW)
    a.again.setText(ADMIN_PW)
    w.next()
    assert w.currentPage() is w.email_page
    w.next()  # no mailbox now
    p = w.portal_page
    assert w.currentPage() is p
    p.base_url.setText(portal.base_url)
    p.token.setText(TOKEN)
    w.next()
    assert w.currentPage() is p and "whose messages" in p.result.text()
    prac = portal.create(
        {"resourceType": "Practitioner", "name": [{"family": "Patel", "given": ["Anjali"]}]}
    )["id"]
    p.practitioners.setText(prac)
    # a wrong token, then a closed port: each in plain words
    p.token.setText("an old token")
    p.run_test()
    said = _wait(qtbot, p)
    assert "refused the access token" in said and "Traceback" not in said
    p.base_url.setText(f"http://127.0.0.1:{free_port()}/fhir/R4")
    p.token.setText(TOKEN)
    p.run_test()
    assert "portal at 127.0.0.1" in (said := _wait(qtbot, p)) and "cannot be reached" in said
    p.base_url.setText(portal.base_url)
    p.run_test()
    assert _wait(qtbot, p).startswith("Works:")
    qtbot.wait(20)
    w.grab().save(str(shots / "first-run-portal.png"))
    w.next()

    s = w.staff_page
    assert w.currentPage() is s
    s.set_row(0, "nurse.chen", "Li Chen", Role.NURSE, "short")
    s.set_row(1, "boss", "Another Boss", Role.RECEPTIONIST, "pebble harbor saffron kite")
    w.next()
    said = s.problem.text()
    assert w.currentPage() is s
    assert "nurse.chen's temporary password" in said and "boss is given twice" in said
    w.grab().save(str(shots / "first-run-staff-problems.png"))
    s.set_row(0, "nurse.chen", "Li Chen", Role.NURSE, "copper meadow violin drum")
    s.set_row(1, "desk", "Front Desk", Role.RECEPTIONIST, "pebble harbor saffron kite")
    assert s.problem.text() == ""  # gone as soon as the person corrects it
    w.grab().save(str(shots / "first-run-staff.png"))
    w.next()

    pp = w.patients_page
    assert w.currentPage() is pp
    bad = tmp_path / "export.csv"
    bad.write_text(BAD_CSV)
    pp.load(bad)
    said = pp.problem.text()
    assert "Line 3: Enter the patient's family name and given name" in said
    assert "Line 4: 1985-02-30 is not a date of birth" in said
    assert "Line 5: chart number EMR-5 is also on line 2" in said
    assert "Line 5: ada@example.org is also on line 4" in said
    assert "3 to correct" in pp.file_label.text()
    w.next()
    assert w.currentPage() is pp and "Nothing can be imported" in pp.problem.text()
    qtbot.wait(20)
    w.grab().save(str(shots / "first-run-patients-bad.png"))
    good = tmp_path / "export-fixed.csv"
    good.write_text(GOOD_CSV)
    pp.load(good)
    assert pp.problem.text() == "" and "3 patients ready" in pp.file_label.text()
    w.grab().save(str(shots / "first-run-patients.png"))
    assert not home.exists()  # still nothing written
    w.next()

    assert w.currentPage() is w.done_page
    w.create_clinic()
    qtbot.waitUntil(lambda: w.created, timeout=120_000)
    note = w.done_page.note.text()
    assert "portal Patient portal was added" in note, note
    assert "Staff added: nurse.chen, desk" in note and "3 patients were imported" in note

    clinic, admin = staff_keys.open_signed_in(
        home, "boss", ADMIN_PW, custody=KeyCustody(home, backend=secret_service.backend())
    )
    with clinic:
        (acct,) = services.list_accounts(clinic, admin)
        assert acct[1:3] == ("Patient portal", "fhir") and acct[3]["practitioners"] == [prac]
        assert clinic.credentials.get("Patient portal") == TOKEN
        roles = {s.username: s.role for s in services.list_staff(clinic, admin)}
        assert roles == {"boss": Role.ADMIN, "nurse.chen": Role.NURSE, "desk": Role.RECEPTIONIST}
        assert q.patient_count(clinic.store) == 3
        # a temporary password: the colleague must choose their own at first sign-in
        with pytest.raises(PasswordChangeRequired):
            services.login(clinic, "nurse.chen", "copper meadow violin drum")

        # the first sync arrives, and the board opens on it
        patient = portal.create(
            {"resourceType": "Patient", "name": [{"family": "Roy", "given": ["Marie"]}],
             "birthDate": "1941-06-02"}
        )["id"]  # fmt: skip
        portal.create(
            {
                "resourceType": "Communication",
                "status": "completed",
                "subject": {"reference": f"Patient/{patient}"},
                "sender": {"reference": f"Patient/{patient}"},
                "recipient": [{"reference": f"Practitioner/{prac}"}],
                "sent": "2026-11-20T10:00:00Z",
                "payload": [{"contentString": "Could you renew my metformin?"}],
            }
        )
        report = sync.run_once(clinic, send=False)
        assert report.stored == 1 and not report.accounts[0].error, report.lines()
        win = MainWindow(clinic, admin, InlineRunner(clinic))
        qtbot.addWidget(win)
        win.show()
        win.views.setCurrentRow(list(views.View).index(views.View.ALL))
        assert "Elm Street Family Practice" in win.windowTitle()
        cards = win.board.columns[Status.NEW].model.rows
        assert [c.row.patient for c in cards] == ["Marie Roy"]
        # the portal's Marie Roy is a record of her own beside the EMR's: the duplicate
        # an administrator merges (Settings > Duplicate patients)
        emr, own = sorted(q.search_patients(clinic.store, "Roy"), key=lambda p: p.id)
        assert (emr.chart_number, emr.portal_id, own.portal_id) == ("EMR-5", None, patient)
        merge_patients(clinic, admin, emr.id, own.id)
        assert q.patient_count(clinic.store) == 3
        assert q.get_patient(clinic.store, emr.id).portal_id == patient
        # her next portal message goes to the one record left
        portal.create(
            {
                "resourceType": "Communication",
                "status": "completed",
                "subject": {"reference": f"Patient/{patient}"},
                "sender": {"reference": f"Patient/{patient}"},
                "recipient": [{"reference": f"Practitioner/{prac}"}],
                "sent": "2026-11-21T10:00:00Z",
                "payload": [{"contentString": "Also, my blood pressure cuff broke."}],
            }
        )
        assert sync.run_once(clinic, send=False).stored == 1
        assert q.patient_count(clinic.store) == 3
        threads = {r.patient_id for r in q.list_threads(clinic.store)}
        assert threads == {emr.id}


def test_patients_left_out_and_a_file_that_is_not_text(qtbot, tmp_path):
    w = FirstRunWizard(tmp_path / "c", keyring=(False, "no keyring here"))
    qtbot.addWidget(w)
    pp = w.patients_page
    binary = tmp_path / "export.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00\x81")
    pp.load(binary)
    assert "not a UTF-8 text file" in pp.file_label.text() and pp.text is None
    header_only = tmp_path / "empty.csv"
    header_only.write_text("family_name,given_name\n")
    pp.load(header_only)
    assert "holds no patients" in pp.problem.text()
    pp.load(None)
    assert pp.validatePage() and pp.text is None
