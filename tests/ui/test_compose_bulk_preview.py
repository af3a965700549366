"""The compose dialog's preview of a bulk send, offscreen: every patient is listed with
the channel their message takes or why they cannot receive it; the letter shown is the
selected patient's own; Send waits until everyone listed can receive it (the send is
all or nothing). Its own demo clinic. Saves (support.screenshots) compose-bulk-preview.png."""

from __future__ import annotations

import pytest

from clinic_inbox.core import services
from clinic_inbox.core import services_compose as sc
from clinic_inbox.core.store import queries as q
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.compose import ComposeDialog

REMINDER = {"what": "your flu shot", "when": "Friday at 10:00"}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    from clinic_inbox import demo
    from clinic_inbox.core.keys import KeyCustody

    home = tmp_path_factory.mktemp("bulk-preview-demo")
    clinic, _, _ = demo.create_demo_clinic(home, KeyCustody(home, detect=False))
    yield clinic
    clinic.close()


def _agreed(clinic, n: int) -> list:
    ids = [
        r[0]
        for r in clinic.store.execute(
            "SELECT p.id FROM patients p JOIN consents c ON c.patient_id = p.id "
            "WHERE c.ended_on IS NULL ORDER BY p.id LIMIT ?",
            (n,),
        ).fetchall()
    ]
    return [q.get_patient(clinic.store, i) for i in ids]


def _opted_out(clinic):
    pid = clinic.store.one(
        "SELECT patient_id FROM consents WHERE ended_how = 'opted-out' ORDER BY id LIMIT 1"
    )
    return q.get_patient(clinic.store, pid)


def _dialog(qtbot, clinic, patients):
    session = services.login(clinic, "reception.moreau", "demo")
    dlg = ComposeDialog(clinic, session, runner=InlineRunner(clinic))
    qtbot.addWidget(dlg)
    dlg.show()
    for p in patients:
        dlg.add_patient(p.id, f"{p.family_name}, {p.given_name}")
    dlg.template.setCurrentIndex(dlg.template.findData("reminder"))
    for k, v in REMINDER.items():
        dlg._field_edits[k].setText(v)
    return dlg


def test_every_recipient_is_listed_and_each_letter_is_their_own(qtbot, clinic, shots):
    a, b = _agreed(clinic, 2)
    out = _opted_out(clinic)
    dlg = _dialog(qtbot, clinic, [a, out, b])
    dlg.preview()
    rows = [dlg.recipients.item(i).text() for i in range(dlg.recipients.count())]
    assert dlg.recipients.isVisible() and len(rows) == 3
    assert rows[0].startswith(f"✓ {a.given_name} {a.family_name}: by ")
    assert rows[1].startswith(f"✗ {out.given_name} {out.family_name}: cannot receive it.")
    assert "opted out" in rows[1]
    assert rows[2].startswith(f"✓ {b.given_name} {b.family_name}: by ")
    assert "1 of 3 patients cannot receive it" in dlg.error.text()
    assert not dlg.send_button.isEnabled()
    # the letter shown is the selected patient's own, greeting them by name
    shown = dlg.preview_view.toPlainText()
    assert (
        shown.startswith(f"To {a.given_name} {a.family_name}, by ") and f"{a.given_name}," in shown
    )
    assert "2 patients each receive their own message" in shown  # the two who can
    dlg.recipients.setCurrentRow(2)
    shown = dlg.preview_view.toPlainText()
    assert (
        shown.startswith(f"To {b.given_name} {b.family_name}, by ") and f"{b.given_name}," in shown
    )
    assert f"{a.given_name}," not in shown
    dlg.recipients.setCurrentRow(1)
    assert "opted out" in dlg.preview_view.toPlainText()
    dlg.recipients.setCurrentRow(0)
    dlg.resize(1100, 820)  # a template with two fields needs the height
    qtbot.wait(50)  # the fields' rows are shown by a queued event
    dlg.grab().save(str(shots / "compose-bulk-preview.png"))
    # taking the patient who opted out off the list: a new preview, then Send
    for i in range(dlg.patients.count()):
        item = dlg.patients.item(i)
        if item.data(0x0100) == out.id:  # Qt.UserRole
            item.setSelected(False)
    assert not dlg.recipients.isVisible()  # the old list no longer says what is sent
    dlg.preview()
    assert dlg.recipients.count() == 2 and dlg.send_button.isEnabled()
    dlg.send()
    assert sorted(s.patient_id for s in dlg.started) == sorted([a.id, b.id])


def test_a_problem_with_the_message_itself_stops_the_preview(clinic):
    a, b = _agreed(clinic, 2)
    session = services.login(clinic, "reception.moreau", "demo")
    req = sc.Request(template="reminder", fields={"what": "your flu shot"})
    with pytest.raises(Exception, match="Fill in: when"):
        sc.preview_each(clinic, session, [a.id, b.id], req)
    # results are for the physician: the policy refuses the whole preview, as the send
    results = sc.Request(template="results_normal", fields={"test": "x"})
    with pytest.raises(services.AccessDenied):
        sc.preview_each(clinic, session, [a.id, b.id], results)
