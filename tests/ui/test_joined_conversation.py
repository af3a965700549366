"""A conversation open on screen that the shared queue joins with another one (its
messages had also come in on another workstation, core.store.fold_queries): the panel
follows it to the conversation it was joined with and says so, with that conversation's
own access decision and audit entry; it never shows "there is no conversation"."""

from __future__ import annotations

import pytest
from support.clinics import email_thread, new_clinic

from clinic_inbox.core import app_actions, services
from clinic_inbox.core.changes import Changes
from clinic_inbox.core.store import fold_queries as fq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.main_window import MainWindow


def _join(store, src: int, into: int) -> None:  # noqa: ANN001
    """What a pull does when the server filed this conversation's message elsewhere."""
    with store.transaction():
        for m in shq.thread_messages(store, src):
            shq.move_message(store, m["id"], into)
        fq.fold(store, src, into)


@pytest.fixture()
def two(tmp_path):
    clinic, _admin, doc = new_clinic(tmp_path / "c")
    with clinic.store.transaction():
        into = email_thread(clinic.store, "kept", "kept: are my results in?")
        src = email_thread(clinic.store, "here", "here: are my results in?")
    session = services.login(clinic, doc.username, "kettle orbit maple frost")
    yield clinic, session, src, into
    clinic.close()


def _views(clinic, thread_id: int) -> int:  # noqa: ANN001
    return clinic.store.one(
        "SELECT count(*) FROM audit WHERE action = 'thread.view' AND thread_id = ?", (thread_id,)
    )


def test_opening_a_joined_conversation_opens_the_one_it_was_joined_with(two):
    clinic, session, src, into = two
    _join(clinic.store, src, into)
    with pytest.raises(services.Joined) as caught:
        services.show_thread(clinic, session, src)
    assert isinstance(caught.value, services.NotFound)  # callers that knew only that
    assert (caught.value.thread_id, caught.value.into) == (src, into)
    before = _views(clinic, into)
    view = app_actions.open_thread(clinic, session, src).value
    assert view.detail.id == into and view.joined_from == src
    assert view.joined_note == f"Conversation #{src} was joined with this one."
    assert str(caught.value) == (
        f"Conversation #{src} was joined with conversation #{into}: its messages had also "
        "come in on another workstation."
    )
    # both messages are there, and the view of them is audited as that conversation's
    assert {m.body for m in view.detail.messages} == {
        "kept: are my results in?",
        "here: are my results in?",
    }
    assert _views(clinic, into) == before + 1


def test_a_join_opens_nothing_the_person_may_not_read(tmp_path):
    """A receptionist opening a conversation joined with a sensitive one gets that
    conversation's own decision: its header at most, never its words."""
    from clinic_inbox.core.model import Role

    clinic, admin, doc = new_clinic(tmp_path / "c")
    try:
        with clinic.store.transaction():
            into = email_thread(clinic.store, "kept", "my HIV results?")
            src = email_thread(clinic.store, "here", "here: are my results in?")
        patel = services.login(clinic, doc.username, "kettle orbit maple frost")
        services.mark_sensitive(clinic, patel, into, True, "HIV test")
        services.add_staff(clinic, admin, "reception.moreau", "Élise Moreau", Role.RECEPTIONIST,
                           "plover quilt marble anchor")  # fmt: skip
        desk = services.login(clinic, "reception.moreau", "plover quilt marble anchor")
        assert app_actions.open_thread(clinic, desk, src).value.detail.body_visible
        _join(clinic.store, src, into)
        try:
            view = app_actions.open_thread(clinic, desk, src).value
        except services.AccessDenied:
            return  # not even its header: nothing shown
        assert view.detail.id == into and not view.detail.body_visible
        assert all(m.body is None for m in view.detail.messages)
        assert "HIV" not in view.detail.subject
    finally:
        clinic.close()


def test_a_number_never_joined_is_still_not_found(two):
    clinic, session, _src, into = two
    with pytest.raises(services.NotFound) as caught:
        services.show_thread(clinic, session, into + 50)
    assert not isinstance(caught.value, services.Joined)


def test_the_open_panel_follows_its_conversation_when_it_is_joined(qtbot, two, shots):
    clinic, session, src, into = two
    win = MainWindow(clinic, session, InlineRunner(clinic))
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.open_thread(src)
    assert win.panel.thread_id == src
    _join(clinic.store, src, into)
    win.apply_changes(Changes.of_threads([src]))  # what the pull reports (live.FOLDED)
    qtbot.waitUntil(lambda: win.panel.thread_id == into)
    assert win.panel.info.text() == f"Conversation #{src} was joined with this one."
    assert "no conversation" not in win.panel.info.text()
    win.grab().save(str(shots / "joined-conversation.png"))
    # opened anew: the next change to it refreshes it without a second notice lost
    win.apply_changes(Changes.of_threads([into]))
    assert win.panel.thread_id == into
