"""`core.services` is a facade over the `services_*` modules: every name still there,
the same object as in its module, and a test's patch of `services.X` reaches the code
that calls X (and is undone after), as when everything lived in one file."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from test_backup import clinic as clinic  # noqa: F401, PLC0414

from clinic_inbox.core import services
from clinic_inbox.core.model import Role, Status
from clinic_inbox.core.store import queries as q


def test_every_name_is_the_object_its_module_defines():
    assert services.__all__
    for name in services.__all__:
        obj = getattr(services, name)
        home = getattr(obj, "__module__", None)
        if home and home.startswith("clinic_inbox.core.services_"):
            assert getattr(importlib.import_module(home), name) is obj, name
    for part in services._PARTS:
        assert part.startswith("clinic_inbox.core.services_")


def test_patching_a_name_here_reaches_the_module_that_calls_it(monkeypatch):
    from clinic_inbox.core import services_common, services_workflow

    real = services._now
    fixed = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(services, "_now", lambda: fixed)
    assert services_common._now() == fixed and services_workflow._now() == fixed
    monkeypatch.undo()
    assert services._now is real and services_common._now is real
    assert services_workflow._now is real


def test_patching_reaches_every_module_holding_that_same_object(monkeypatch):
    from clinic_inbox.core import services_staff_sessions

    calls = []
    monkeypatch.setattr(services, "create_first_admin", lambda *a: calls.append(a))
    services_staff_sessions.create_first_admin("c", "u", "n", "p")
    assert calls == [("c", "u", "n", "p")]


def test_a_batch_is_named_by_a_service_and_a_physician_by_user_name(clinic):  # noqa: F811
    admin = services.login(clinic, "admin", "kettle orbit maple frost")
    doc = services.add_staff(
        clinic, admin, "dr.x", "Dr X", Role.PHYSICIAN, "plum harbor socket tundra"
    )
    assert services.staff_id_named(clinic, admin, "dr.x") == doc.id
    with pytest.raises(services.NotFound, match="no staff member 'nobody'"):
        services.staff_id_named(clinic, admin, "nobody")
    tid = clinic.store.execute("SELECT min(id) FROM threads").fetchone()[0]
    assert services.finished_since(clinic, admin, "2000-01-01") == []
    with clinic.store.transaction():
        q.update_thread(clinic.store, tid, status=Status.DONE.value)
    assert services.finished_since(clinic, admin, "2000-01-01") == [tid]
    assert services.finished_since(clinic, admin, "2999-01-01") == []
    # a disabled account is stopped before anything is listed
    desk = services.add_staff(
        clinic, admin, "desk", "Desk", Role.RECEPTIONIST, "kettle orbit maple frost"
    )
    session = services.login(clinic, "desk", "kettle orbit maple frost")
    services.set_staff_active(clinic, admin, desk.username, False)
    with pytest.raises(services.SessionEnded):
        services.finished_since(clinic, session, "2000-01-01")
