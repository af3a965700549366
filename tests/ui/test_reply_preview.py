"""The conversation panel's reply preview (offscreen, on the demo clinic): the exact
text that will go out (a proxy greeted, the patient named, the signature, the footer
under it), by which channel and to whom; nothing is queued until 'Queue this reply',
and then the queued text is the previewed text. Its own demo clinic: it links and
answers conversations other tests expect untouched. Saves (support.screenshots) reply-preview.png."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default

import pytest
from PySide6.QtWidgets import QMessageBox

from clinic_inbox.core import footer, services
from clinic_inbox.core import services_consent as scons
from clinic_inbox.core.model import Source
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.demo_consent import DAUGHTER
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.main_window import MainWindow

ROSA = 4


@pytest.fixture(scope="module")
def demo_clinic(tmp_path_factory):
    from clinic_inbox import demo
    from clinic_inbox.core.keys import KeyCustody

    home = tmp_path_factory.mktemp("reply-preview-demo")
    clinic, _, _ = demo.create_demo_clinic(home, KeyCustody(home, detect=False))
    yield clinic
    clinic.close()


def _window(qtbot, clinic, user):
    session = services.login(clinic, user, "demo")
    win = MainWindow(clinic, session, InlineRunner(clinic))
    qtbot.addWidget(win)
    win.resize(1600, 940)
    win.show()
    return win, session


def _moms_results(clinic, session) -> int:
    """'Results for my mom', filed under Rosa as written by Carmen, her caregiver."""
    [tid] = [
        t.id
        for t in q.list_threads(clinic.store)
        if t.subject == "Results for my mom" and DAUGHTER in q.inbound_senders(clinic.store, t.id)
    ]
    if q.get_thread(clinic.store, tid).patient_id is None:
        scons.link_as(clinic, session, tid, ROSA, "proxy")
    return tid


def _queued_text(item) -> str:
    if item.kind == "email":
        msg = message_from_bytes(item.payload, policy=default)
        return msg.get_content().replace("\r\n", "\n")
    return json.loads(item.payload)["payload"][0]["contentString"]


def test_the_panel_previews_the_reply_to_a_proxy_and_queues_what_it_showed(
    qtbot, demo_clinic, shots
):
    win, session = _window(qtbot, demo_clinic, "dr.patel")
    tid = _moms_results(demo_clinic, session)
    win.open_thread(tid)
    panel = win.panel
    assert panel.preview_reply.isEnabled()
    before = {i.id for i in oq.in_state(demo_clinic.store, "pending")}
    panel.reply.setPlainText("Her blood work from last week is normal. No change to her pills.")
    panel.preview_reply.click()
    dlg = panel.reply_preview
    assert dlg.isVisible()
    heading = dlg.heading.text()
    assert heading == (
        "By email, to Carmen Delgado (caregiver), who wrote for the patient, in English:"
    )
    assert not dlg.warning.isVisible()  # Rosa agreed to email: nothing stands in the way
    text = dlg.text.toPlainText()
    assert text.startswith(
        "Dear Carmen,\n\nThis message is about Rosa Delgado.\n\nHer blood work from last week"
    )
    foot = footer.render(demo_clinic.config, "en", demo_clinic.home, to_proxy=True).strip()
    assert "the patient's medical record" in foot and "authorised you" in foot
    assert text.rstrip().endswith(foot)
    assert text.index("Dr Anjali Patel") < text.index(foot)  # the footer under the signature
    # a preview keeps and sends nothing
    assert {i.id for i in oq.in_state(demo_clinic.store, "pending")} == before
    dlg.grab().save(str(shots / "reply-preview.png"))
    dlg.queue.click()
    [new] = [i for i in oq.in_state(demo_clinic.store, "pending") if i.id not in before]
    assert new.thread_id == tid
    assert _queued_text(new).strip() == text.strip()
    assert panel.reply.toPlainText() == ""


def test_an_empty_reply_has_nothing_to_preview(qtbot, demo_clinic, monkeypatch):
    win, session = _window(qtbot, demo_clinic, "dr.patel")
    win.open_thread(_moms_results(demo_clinic, session))
    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: said.append(a[2]))
    win.panel.reply.setPlainText("   ")
    win.panel.preview_reply.click()
    assert said == ["Write the reply first: the preview shows it as the patient will read it."]
    assert getattr(win.panel, "reply_preview", None) is None


def test_who_may_not_reply_cannot_preview(qtbot, demo_clinic):
    win, session = _window(qtbot, demo_clinic, "reception.moreau")
    tid = _moms_results(demo_clinic, services.login(demo_clinic, "dr.patel", "demo"))
    win.open_thread(tid)
    assert not win.panel.preview_reply.isEnabled()


def test_the_preview_warns_when_the_patient_has_no_agreement(qtbot, demo_clinic):
    win, _ = _window(qtbot, demo_clinic, "dr.okafor")
    no_agreement = 2  # the demo's patient who never agreed (demo_consent.py)
    # Her e-mail conversation, by name: the board's order moves with the clocks, and
    # her portal conversation (first on some days) warns about the portal instead.
    tid = next(
        t.id
        for t in q.list_threads(
            demo_clinic.store, q.ThreadFilter(patient_id=no_agreement, source=Source.EMAIL)
        )
    )
    win.open_thread(tid)
    win.panel.reply.setPlainText("Please call us about your results.")
    win.panel.preview_reply.click()
    dlg = win.panel.reply_preview
    assert dlg.warning.isVisible() and "has not agreed to email" in dlg.warning.text()
    assert dlg.text.toPlainText().startswith("Please call us about your results.")
    dlg.reject()
