"""The demo clinic: deterministic, complete, and loadable into a real store."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from clinic_inbox import demo
from clinic_inbox.core import audit, services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import queries as q

ANCHOR = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def test_same_seed_same_clinic_other_seed_other_clinic():
    a, b = demo.generate(7, ANCHOR), demo.generate(7, ANCHOR)
    assert a == b
    assert demo.generate(8, ANCHOR) != a


def test_counts_roles_and_variety():
    data = demo.generate(anchor=ANCHOR)
    roles = [r for _, _, r in data.staff]
    assert roles.count(Role.PHYSICIAN) == 3 and roles.count(Role.NURSE) == 1
    assert roles.count(Role.RECEPTIONIST) == 2 and roles.count(Role.ADMIN) == 1
    assert "admin" in [u for u, _, _ in data.staff]
    assert len(data.patients) == 200
    assert len({(p.family, p.given) for p in data.patients}) == 200
    messages = [m for t in data.threads for m in t.messages]
    assert len(messages) >= 1000
    assert {t.category for t in data.threads} == set(Category)
    assert {m.source for m in messages} == {Source.EMAIL, Source.PORTAL}
    assert any(t.sensitive for t in data.threads)
    assert sum(t.patient is None for t in data.threads) >= 10
    assert sum(m.direction is Direction.OUTBOUND for m in messages) >= 200
    assert any(m.attachments for m in messages)
    assert all(m.at <= ANCHOR for m in messages)
    text = " ".join(m.body for m in messages).lower()
    assert "lorem" not in text and "{" not in text


def test_a_clinic_that_keeps_up_and_answers_in_opening_hours():
    from clinic_inbox.core import clock
    from clinic_inbox.core.config import demo_config
    from clinic_inbox.core.model import Status

    cfg = demo_config()  # the demo clinic's own hours and time zone
    data = demo.generate(anchor=ANCHOR)
    opened = [t for t in data.threads if t.status is not Status.DONE]
    assert 0.2 < len(opened) / len(data.threads) < 0.6
    staff_replies = [m for t in data.threads for m in t.messages if m.author]
    # every reply is written while the clinic is open (a zero-length working span ends
    # exactly where it starts only inside opening hours)
    for m in staff_replies:
        local = m.at.astimezone(cfg.tz)
        assert clock.add_working_hours(cfg, m.at, 0.0001) - m.at < timedelta(minutes=1), local
    # a follow-up fits its conversation: no "see you then" after a blood-pressure reading
    tpl = demo._templates()
    for t in data.threads:
        for prev, m in itertools.pairwise(t.messages):
            if m.direction is Direction.INBOUND and prev.direction is Direction.OUTBOUND:
                allowed = [
                    f["body"].split("{")[0]
                    for f in tpl["follow_up"]
                    if t.category.value in f["after"] or "red" in f["after"]
                ]
                assert any(m.body.startswith(a) for a in allowed), (t.category, m.body)


@pytest.fixture(scope="module")
def demo_clinic(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo")
    clinic, code, summary = demo.create_demo_clinic(
        home, KeyCustody(home, detect=False), anchor=ANCHOR
    )
    yield clinic, code, summary
    clinic.close()


def test_populate_writes_everything_and_every_user_logs_in(demo_clinic):
    clinic, code, summary = demo_clinic
    assert code and summary.messages == q.message_count(clinic.store) >= 1000
    assert q.patient_count(clinic.store) == 200
    assert q.get_meta(clinic.store, "demo") == "1"
    for username, _, _ in demo.DEMO_USERS:
        assert services.login(clinic, username, demo.DEMO_PASSWORD).staff.username == username
    urgent = clinic.store.one(
        "SELECT count(*) FROM threads WHERE priority = ?", (Priority.URGENT.value,)
    )
    assert urgent >= 5
    assert audit.verify(clinic.store, clinic.audit_key).ok
    # demo key custody without a keyring uses the published passphrase: no prompt needed
    assert clinic.custody.demo


def test_the_demo_clinic_answers_in_english_and_french(demo_clinic):
    from clinic_inbox.core.config import load_config

    clinic, _, _ = demo_clinic
    assert clinic.config.languages == ("en", "fr")
    assert load_config(clinic.home).languages == ("en", "fr")  # kept for the next start
    assert (clinic.home / "clinic.toml").stat().st_mode & 0o077 == 0


SNIPPET_FROM_MESSAGES = """
SELECT t.id, (SELECT substr(m.body_text, 1, 240) FROM messages m
              WHERE m.thread_id = t.id AND m.direction = 'in'
              ORDER BY m.received_at DESC, m.id DESC LIMIT 1)
FROM threads t ORDER BY t.id
"""


def test_thread_snippets_follow_their_messages(demo_clinic):
    """The board reads each conversation's latest words from the thread (kept by
    triggers); they must be what the messages say, after inserts and edits alike."""
    store = demo_clinic[0].store
    kept = "SELECT id, snippet FROM threads ORDER BY id"
    assert store.execute(kept).fetchall() == store.execute(SNIPPET_FROM_MESSAGES).fetchall()
    with store.transaction():
        tid, mid = store.execute(
            "SELECT thread_id, id FROM messages WHERE direction = 'in' ORDER BY id LIMIT 1"
        ).fetchone()
        store.execute("UPDATE messages SET body_text = 'edited by the portal' WHERE id = ?", (mid,))
        later = q.NewMessage(
            tid, Source.EMAIL, Direction.INBOUND, "2099-01-01T00:00:00+00:00", body_text="newest"
        )
        q.insert_message(store, later)
        older = q.NewMessage(
            tid, Source.EMAIL, Direction.INBOUND, "2000-01-01T00:00:00+00:00", body_text="oldest"
        )
        q.insert_message(store, older)
    assert store.execute(kept).fetchall() == store.execute(SNIPPET_FROM_MESSAGES).fetchall()
    assert store.one("SELECT snippet FROM threads WHERE id = ?", (tid,)) == "newest"
