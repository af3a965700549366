"""Administration > Settings driven as an administrator would: the clinic's details
saved (mistakes named, the new details used at once), an account edited and tested
against a real Dovecot and SMTP server on loopback (on a worker thread), renamed and
removed after a confirmation, and two records of one patient merged after a
confirmation naming both."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from support.clinics import new_clinic
from support.dovecot import free_port
from support.smtp_server import SmtpServer

from clinic_inbox.core import audit, services
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.clinic_setup import ClinicDetails, FirstAdmin, create_new_clinic
from clinic_inbox.core.config import load_config
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.services_patients import PatientDetails, add_patient
from clinic_inbox.core.store import queries as q
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.settings import SettingsDialog

ADMIN_PW = "granite willow echo lantern"


@pytest.fixture()
def smtp():
    server = SmtpServer().start()
    yield server
    server.close()


def _dialog(qtbot, clinic, session) -> SettingsDialog:
    dlg = SettingsDialog(clinic, session, runner=InlineRunner(clinic))
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_the_clinic_details_are_saved_and_used_at_once(qtbot, tmp_path, shots):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        dlg = _dialog(qtbot, clinic, admin)
        tab = dlg.clinic_tab
        assert tab.name.text() == "Test Street Clinic" and tab.english.isChecked()
        assert tab.days[0][0].isChecked() and not tab.days[6][0].isChecked()
        tab.name.setText("")
        tab.holidays.setText("2027-07-01, 2027-02-30")
        tab.submit()
        assert "2027-02-30 is not a date" in tab.problem.text()
        tab.holidays.setText("2027-07-01")
        tab.submit()
        assert "clinic's name" in tab.problem.text()
        assert load_config(clinic.home).name == "Test Street Clinic"  # nothing written
        tab.name.setText("Elm Street Family Practice")
        tab.phone.setText("204-555-0199")
        tab.french.setChecked(True)
        tab.days[5][0].setChecked(True)  # Saturdays now
        tab.days[4][0].setChecked(False)  # Fridays closed
        tab.turnaround["routine"].setValue(20)
        tab.submit()
        assert tab.problem.text() == "", tab.problem.text()
        assert "Saved" in tab.said.text() and "phone" in tab.said.text()
        # the window's own clinic uses it without a restart
        cfg = clinic.config
        assert cfg.name == "Elm Street Family Practice" and cfg.languages == ("en", "fr")
        assert 5 in cfg.hours and 4 not in cfg.hours
        assert load_config(clinic.home).phone == "204-555-0199"
        assert [e.action for e in audit.entries(clinic.store)][-1] == "settings.clinic"
        dlg.resize(1000, 620)
        qtbot.wait(20)
        dlg.grab().save(str(shots / "settings-clinic.png"))
        # only administrators open Settings
        doc = services.login(clinic, "dr.patel", "kettle orbit maple frost")
        with pytest.raises(AccessDenied):
            SettingsDialog(clinic, doc, runner=InlineRunner(clinic))


def test_an_account_is_edited_tested_and_removed(
    qtbot, tmp_path, dovecot, smtp, secret_service, shots
):
    home = tmp_path / "clinic"
    dovecot.add_user("inbox@elm.example", "mailbox secret 42")
    clinic, _ = create_new_clinic(
        home,
        ClinicDetails("Elm Street", "204-555-0199", "America/Winnipeg"),
        FirstAdmin("boss", "Pat Boss", ADMIN_PW),
        lambda p, c: "",
        KeyCustody(home, backend=secret_service.backend()),
    )
    with clinic:
        admin = services.login(clinic, "boss", ADMIN_PW)
        account = ImapAccount(
            "Front desk", dovecot.host, free_port(), "inbox@elm.example", security="none",
            smtp_host=smtp.host, smtp_port=smtp.port, smtp_security="none",
        )  # fmt: skip
        services.add_imap_account(clinic, admin, account, "an old password")
        dlg = _dialog(qtbot, clinic, admin)
        dlg.tabs.setCurrentWidget(dlg.accounts_tab)
        tab = dlg.accounts_tab
        assert not tab.save.isEnabled()  # nothing chosen yet
        tab.table.setCurrentCell(0, 0)
        ed = tab.imap
        assert ed.name.text() == "Front desk" and ed.password.text() == ""
        # the kept (wrong) password and a closed port: each said in words
        tab.run_test()
        assert not tab.test.isEnabled()  # the worker waits, not the window
        qtbot.waitUntil(lambda: tab.test.isEnabled(), timeout=30_000)
        assert "not answering" in tab.result.text() and "Traceback" not in tab.result.text()
        ed.port.setValue(dovecot.port)
        tab.run_test()
        qtbot.waitUntil(lambda: tab.test.isEnabled(), timeout=30_000)
        assert "refused the user name or password" in tab.result.text()
        ed.password.setText("mailbox secret 42")
        tab.run_test()
        qtbot.waitUntil(lambda: tab.test.isEnabled(), timeout=30_000)
        assert tab.result.text().count("Works:") == 2, tab.result.text()
        ed.name.setText("Reception mailbox")
        tab.submit()
        assert "Reception mailbox was saved" in tab.result.text()
        assert tab.table.item(0, 0).text() == "Reception mailbox"
        assert clinic.credentials.get("Reception mailbox") == "mailbox secret 42"
        # an unencrypted connection to another computer is refused in words
        ed.host.setText("mail.elm.example")
        tab.submit()
        assert "only allowed to this computer" in tab.result.text()
        ed.host.setText(dovecot.host)
        tab.result.setText("")
        dlg.resize(1000, 620)
        qtbot.wait(20)
        dlg.grab().save(str(shots / "settings-account-edit.png"))

        seen = {}

        def cancel() -> None:
            # look, then answer: an assertion here would leave the question open
            box = tab.remove_box
            seen["text"], seen["default"] = box.text(), box.defaultButton().text()
            box.grab().save(str(shots / "settings-account-remove.png"))
            box.defaultButton().click()

        QTimer.singleShot(0, cancel)
        tab.ask_remove()
        assert "Reception mailbox" in seen["text"] and seen["default"] == "Cancel"
        assert len(services.list_accounts(clinic, admin)) == 1
        QTimer.singleShot(0, lambda: tab.remove_box.property("remove_button").click())
        tab.ask_remove()
        assert services.list_accounts(clinic, admin) == []
        assert tab.table.rowCount() == 0 and "was removed" in tab.result.text()

        # and added again from Settings, tested first
        tab.add_email.click()
        assert tab.editors.currentWidget() is ed and not tab.remove.isEnabled()
        assert ed.port.value() == 993 and ed.name.text() == "Clinic email"
        ed.address.setText("inbox@elm.example")
        ed.host.setText(dovecot.host)
        ed.port.setValue(dovecot.port)
        ed.security.setCurrentIndex(ed.security.findData("none"))
        ed.smtp_host.setText(smtp.host)
        ed.smtp_port.setValue(smtp.port)
        ed.smtp_security.setCurrentIndex(ed.smtp_security.findData("none"))
        tab.submit()
        assert "password" in tab.result.text() and tab.table.rowCount() == 0
        ed.password.setText("mailbox secret 42")
        tab.run_test()
        qtbot.waitUntil(lambda: tab.test.isEnabled(), timeout=30_000)
        assert tab.result.text().count("Works:") == 2, tab.result.text()
        tab.submit()
        assert "Clinic email was added" in tab.result.text()
        assert [r[1] for r in services.list_accounts(clinic, admin)] == ["Clinic email"]
        assert clinic.credentials.get("Clinic email") == "mailbox secret 42"
        assert tab.remove.isEnabled()  # the new account is now the one shown


def test_two_records_of_one_patient_are_merged_after_a_confirmation(qtbot, tmp_path, shots):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        keep = add_patient(
            clinic, admin,
            PatientDetails("Tremblay", "Marie", "1950-03-02", "C-100", ("m@x.example",)),
        )  # fmt: skip
        dup = add_patient(
            clinic, admin, PatientDetails("Tremblay", "Marie", None, None, ("marie@y.example",))
        )
        dlg = _dialog(qtbot, clinic, admin)
        dlg.tabs.setCurrentWidget(dlg.merge_tab)
        tab = dlg.merge_tab
        tab.query.setText("Tremblay")
        tab.find()
        assert tab.results.count() == 2
        ids = [tab.results.item(i).data(0x0100).id for i in range(2)]
        tab.results.setCurrentRow(ids.index(keep.id))
        tab.choose("keep")
        assert not tab.merge_button.isEnabled()
        tab.results.setCurrentRow(ids.index(dup.id))
        tab.choose("duplicate")
        assert tab.merge_button.isEnabled()
        dlg.resize(1000, 620)
        qtbot.wait(20)
        dlg.grab().save(str(shots / "settings-merge.png"))
        seen = {}

        def look_and_cancel() -> None:
            box = tab.confirm_box
            seen["text"], seen["default"] = box.text(), box.defaultButton().text()
            box.grab().save(str(shots / "settings-merge-confirm.png"))
            box.defaultButton().click()

        QTimer.singleShot(0, look_and_cancel)
        tab.ask_merge()
        assert seen["default"] == "Cancel" and "C-100" in seen["text"]
        assert f"no. {dup.id}" in seen["text"] and f"no. {keep.id}" in seen["text"]
        assert q.get_patient(clinic.store, dup.id) is not None
        QTimer.singleShot(0, lambda: tab.confirm_box.property("merge_button").click())
        tab.ask_merge()
        assert q.get_patient(clinic.store, dup.id) is None
        assert "one record" in tab.result.text()
        merged = q.get_patient(clinic.store, keep.id)
        assert set(merged.emails) == {"m@x.example", "marie@y.example"}


def test_a_portal_account_is_tested_with_a_new_token_and_kept(qtbot, tmp_path, secret_service):
    import os

    from support.fhir import FhirServer, FhirUnavailable

    from clinic_inbox.core.accounts import FhirAccount

    try:
        portal = FhirServer(token="the right token").start()
    except FhirUnavailable as exc:
        if os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1":
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    home = tmp_path / "clinic"
    try:
        clinic, _ = create_new_clinic(
            home,
            ClinicDetails("Elm Street", "204-555-0199", "America/Winnipeg"),
            FirstAdmin("boss", "Pat Boss", ADMIN_PW),
            lambda p, c: "",
            KeyCustody(home, backend=secret_service.backend()),
        )
        with clinic:
            admin = services.login(clinic, "boss", ADMIN_PW)
            services.add_fhir_account(
                clinic, admin, FhirAccount("Portal", portal.base_url, ["pr-1"]), "an old token"
            )
            dlg = _dialog(qtbot, clinic, admin)
            tab = dlg.accounts_tab
            tab.table.setCurrentCell(0, 0)
            assert tab.editors.currentWidget() is tab.fhir
            assert tab.fhir.practitioners.text() == "pr-1"
            tab.run_test()
            qtbot.waitUntil(lambda: tab.test.isEnabled(), timeout=30_000)
            assert "refused the access token" in tab.result.text()
            tab.fhir.token.setText("the right token")
            tab.run_test()
            qtbot.waitUntil(lambda: tab.test.isEnabled(), timeout=30_000)
            assert tab.result.text().startswith("Works:"), tab.result.text()
            tab.fhir.practitioners.setText("")
            tab.submit()
            assert "whose messages" in tab.result.text()
            tab.fhir.practitioners.setText("pr-1, pr-2")
            tab.submit()
            assert "Portal was saved" in tab.result.text()
            assert clinic.credentials.get("Portal") == "the right token"
            (acct,) = services.list_accounts(clinic, admin)
            assert acct[3]["practitioners"] == ["pr-1", "pr-2"]
    finally:
        portal.close()


def test_possible_duplicates_are_listed_and_merged_only_after_a_confirmation(
    qtbot, tmp_path, shots
):
    from clinic_inbox.core.services_patients import import_patients

    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        import_patients(
            clinic, admin,
            "family_name,given_name,birth_date,chart_number\n"
            "Côté-Tremblay,Hélène,1950-03-02,EMR-100\nRoy,Marie,1941-06-02,EMR-300\n",
        )  # fmt: skip
        with clinic.store.transaction():  # as a portal sync registers them
            q.add_patient(clinic.store, "cote tremblay", "HELENE", "1950-03-02", None, "pt-1")
            q.add_patient(clinic.store, "Roy", "Marie", "1941-06-02", "OLD-17", "pt-2")
        dlg = _dialog(qtbot, clinic, admin)
        dlg.tabs.setCurrentWidget(dlg.merge_tab)
        tab = dlg.merge_tab
        assert tab.suspects.count() == 2
        first = tab.suspects.item(0).text()
        assert first.startswith("Possible duplicate:") and "accents" in first
        assert "chart EMR-100" in first and "portal account" in first
        assert "(2)" in tab.suspects_title.text()
        dlg.resize(1000, 620)
        qtbot.wait(20)
        dlg.grab().save(str(shots / "settings-duplicates.png"))
        seen = {}

        def look_and_cancel() -> None:
            box = tab.confirm_box
            seen["text"], seen["default"] = box.text(), box.defaultButton().text()
            box.defaultButton().click()

        QTimer.singleShot(0, look_and_cancel)
        tab.merge_suspect()
        assert seen["default"] == "Cancel" and "EMR-100" in seen["text"]
        assert "Nothing was merged" in tab.result.text()
        assert q.patient_count(clinic.store) == 4 and tab.suspects.count() == 2
        # "keep the other one": the portal's record kept, the EMR's merged into it
        tab.suspects.setCurrentRow(0)
        QTimer.singleShot(0, lambda: tab.confirm_box.property("merge_button").click())
        tab.merge_suspect(swap=True)
        assert "one record" in tab.result.text(), tab.result.text()
        assert q.patient_count(clinic.store) == 3
        (kept,) = [p for p in q.search_patients(clinic.store, "1950-03-02")]
        assert (kept.portal_id, kept.chart_number) == ("pt-1", "EMR-100")
        assert tab.suspects.count() == 1 and "(1)" in tab.suspects_title.text()
        # the Roy pair are two people: asked first (Cancel the default), then not listed
        QTimer.singleShot(0, lambda: tab.confirm_box.defaultButton().click())
        tab.ask_distinct()
        assert tab.suspects.count() == 1
        QTimer.singleShot(0, lambda: tab.confirm_box.property("distinct_button").click())
        tab.ask_distinct()
        assert tab.suspects.count() == 0 and "none found" in tab.suspects_title.text()
        assert "two people" in tab.result.text()
        assert q.patient_count(clinic.store) == 3  # nothing merged or deleted
        # a wrong decision is taken back: the pair is listed again

        def take_back() -> None:
            dlg2 = tab.marked_dialog
            assert dlg2.list.count() == 1 and "EMR-300" in dlg2.list.item(0).text()
            dlg2.list.setCurrentRow(0)
            dlg2.undo()
            assert dlg2.list.count() == 0 and "Taken back" in dlg2.said.text()
            dlg2.reject()

        QTimer.singleShot(0, take_back)
        tab.show_marked()
        assert tab.suspects.count() == 1 and "EMR-300" in tab.suspects.item(0).text()
