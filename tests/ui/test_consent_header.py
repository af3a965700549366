"""The patient header's agreement line, the agreement dialog, "who wrote it?" when
linking, and the question before an email reply to a patient without an agreement
(offscreen, on the demo clinic). Saves (support.screenshots) consent-header.png."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QInputDialog, QPushButton

from clinic_inbox.core import services
from clinic_inbox.core.model import Source
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.demo_consent import DAUGHTER
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.main_window import MainWindow

ROSA, NO_AGREEMENT = 4, 2


def _window(qtbot, clinic, user):
    session = services.login(clinic, user, "demo")
    win = MainWindow(clinic, session, InlineRunner(clinic))
    qtbot.addWidget(win)
    win.resize(1600, 940)
    win.show()
    return win


def _thread(clinic, sender=None, patient_id=None, subject=None, source=None):
    # the order of a patient's conversations follows their clocks, which move with the
    # time of day the test runs: ask for the kind of conversation the test is about
    for t in q.list_threads(clinic.store, q.ThreadFilter(patient_id=patient_id, source=source)):
        if subject and t.subject != subject:
            continue
        if sender is None or sender in q.inbound_senders(clinic.store, t.id):
            return t.id
    raise AssertionError("no such conversation in the demo")


def test_results_for_my_mom_linked_as_proxy_and_shown_in_the_header(qtbot, demo_clinic, shots):
    win = _window(qtbot, demo_clinic, "dr.patel")
    tid = _thread(demo_clinic, DAUGHTER, subject="Results for my mom")
    win.open_thread(tid)
    assert not win.panel.consent_header.isVisible()  # nobody's chart yet
    rosa = q.get_patient(demo_clinic.store, ROSA)

    def pick() -> None:
        dlg = win.panel.link_dialog
        dlg.query.setText(f"delgado {rosa.birth_date}")
        dlg.search()
        assert dlg.results.count() == 1
        dlg.results.setCurrentRow(0)  # nothing is chosen for the person (issue 21)
        link = dlg.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert not link.isEnabled()  # "who wrote it?" must be answered first
        dlg.choose("proxy")
        assert link.isEnabled()
        # the link is confirmed naming the patient (issue 21)
        QTimer.singleShot(0, lambda: dlg.confirm_box.property("link_button").click())
        dlg.accept()

    QTimer.singleShot(0, pick)
    win.panel._link_patient()
    assert q.get_thread(demo_clinic.store, tid).patient_id == ROSA
    assert DAUGHTER not in q.get_patient(demo_clinic.store, ROSA).emails
    header = win.panel.consent_header
    assert header.isVisible()
    assert "Email agreement on file" in header.line.text()
    assert "From Carmen Delgado (caregiver) for Rosa Delgado" in header.others.text()
    assert "results" in header.others.text()
    # the message itself says who wrote it, not "From the patient"
    shown = win.panel.view.toPlainText()
    assert "From Carmen Delgado (caregiver) for Rosa Delgado" in shown
    assert "From the patient" not in shown
    win.grab().save(str(shots / "consent-header.png"))


def test_no_agreement_warns_before_a_reply_and_the_dialog_records_one(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic, "dr.okafor")
    tid = _thread(demo_clinic, patient_id=NO_AGREEMENT, source=Source.EMAIL)
    win.open_thread(tid)
    header = win.panel.consent_header
    assert "No agreement to email" in header.line.text()
    before = oq.counts(demo_clinic.store).get("pending", 0)

    asked = []

    def answer(text: str) -> None:
        def fill() -> None:
            dlg = QApplication.activeModalWidget()
            assert isinstance(dlg, QInputDialog)
            asked.append(dlg.labelText())
            dlg.setTextValue(text)
            dlg.accept()

        QTimer.singleShot(0, fill)

    answer("")  # no reason: nothing is sent
    win.panel.reply.setPlainText("Please call us about your results.")
    win.panel._send()
    assert "has not agreed to email" in asked[0]
    assert oq.counts(demo_clinic.store).get("pending", 0) == before
    answer("verbal consent today, by phone")
    win.panel._send()
    assert oq.counts(demo_clinic.store).get("pending", 0) == before + 1

    def record() -> None:
        dlg = header.dialog
        assert dlg.clinic_end.isEnabled() is False  # nothing to end yet
        dlg.how.setCurrentIndex(dlg.how.findData("verbal"))
        dlg.portal.setChecked(False)
        dlg.record.click()

    QTimer.singleShot(0, record)
    header._edit()
    assert "Email agreement on file" in header.line.text()
    assert "Agreed to email on" in header.line.text()


def test_proxies_added_and_withdrawn_from_the_header(qtbot, demo_clinic):
    from clinic_inbox.core.store import consent_queries as cq

    win = _window(qtbot, demo_clinic, "dr.patel")
    tid = _thread(demo_clinic, patient_id=ROSA)
    win.open_thread(tid)
    header = win.panel.consent_header
    assert header.people.isVisible()

    def add() -> None:
        dlg = header.proxy_dialog
        dlg.name.setText("Luis Delgado")
        dlg.relationship.setCurrentIndex(dlg.relationship.findData("attorney"))
        dlg.address.setText("luis.delgado@gmail.example")
        dlg.scopes["refills"].setChecked(True)
        dlg.evidence.setText("Power of attorney for personal care, copy in the chart")
        dlg.portal.setText("rp-luis-1")  # his own portal account
        dlg.record.click()

    QTimer.singleShot(0, add)
    header._proxies()
    names = {p.name: p for p in cq.patient_proxies(demo_clinic.store, ROSA)}
    assert names["Luis Delgado"].scope == {"refills"}
    assert names["Luis Delgado"].portal_id == "rp-luis-1"
    assert "Luis Delgado (power of attorney" in header.others.text()

    def withdraw() -> None:
        dlg = header.proxy_dialog
        dlg.findChild(QPushButton, f"withdraw-{names['Luis Delgado'].id}").click()

    QTimer.singleShot(0, withdraw)
    header._proxies()
    assert "Luis Delgado&#x27;s authorisation was withdrawn" in header.others.text()

    def mistake() -> None:  # the patient's own address as a proxy's: refused in words
        dlg = header.proxy_dialog
        dlg.name.setText("Someone")
        dlg.address.setText(q.get_patient(demo_clinic.store, ROSA).emails[0])
        dlg.scopes["everything"].setChecked(True)
        dlg.evidence.setText("none")
        QTimer.singleShot(0, close_warning)
        dlg.record.click()

    warned = []

    def close_warning() -> None:
        box = QApplication.activeModalWidget()
        warned.append(box.text())
        box.accept()

    QTimer.singleShot(0, mistake)
    header._proxies()
    assert warned and "That address is the patient's own" in warned[0]
