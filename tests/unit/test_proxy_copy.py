"""A copy of a patient's conversations for their proxy: only what the proxy is
authorised for, and the clinic's age rules ([minors]) on top: from 12 a child's
sensitive conversation is not in a parent's copy; at 16 a parent gets nothing. Real
store, real PDF files, access and audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import audit, services
from clinic_inbox.core import services_consent as scons
from clinic_inbox.core import services_proxy_copy as spc
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import consent_queries as cq
from clinic_inbox.core.store import queries as q

PW = "kettle orbit maple frost"


def _born(years_ago: int) -> str:
    # ten days past the birthday: the clinic's today (its own time zone) may still be
    # yesterday in UTC, and an age must not change at midnight somewhere else
    today = date.today()
    born = today.replace(year=today.year - years_ago, day=1 if today.day > 28 else today.day)
    return born - timedelta(days=10)


@pytest.fixture()
def clinic(tmp_path):
    clinic, admin, doc = new_clinic(tmp_path / "c")
    services.add_staff(clinic, admin, "desk", "Desk", Role.RECEPTIONIST, PW)
    clinic.doc = doc  # type: ignore[attr-defined]
    yield clinic
    clinic.close()


def _patient(clinic, name: str, born: str) -> int:
    with clinic.store.transaction():
        return q.add_patient(clinic.store, "Family", name, born, f"C-{name}", None, clinic.doc.id)


def _conversation(clinic, pid: int, category: Category, text: str, sensitive=False) -> int:
    with clinic.store.transaction():
        tid = q.create_thread(
            clinic.store, q.NewThread(text, category, Priority.ROUTINE, q.utcnow(), pid)
        )
        q.insert_message(
            clinic.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender="kid@example.org",
                subject=text,
                body_text=text,
                patient_id=pid,
                category=category,
            ),
        )
        if sensitive:
            q.update_thread(clinic.store, tid, sensitive=True)
    return tid


def _withheld(clinic):
    return [
        (e.thread_id, e.reason)
        for e in audit.entries(clinic.store)
        if e.action == "export.proxy.withheld"
    ]


def test_a_parent_gets_a_13_year_olds_results_but_not_the_sensitive_conversation(clinic, tmp_path):
    doc = services.login(clinic, "dr.patel", PW)
    kid = _patient(clinic, "Maya", _born(13).isoformat())
    results = _conversation(clinic, kid, Category.RESULTS, "Strep test result")
    private = _conversation(clinic, kid, Category.OTHER, "A private worry", True)
    parent = scons.add_proxy(
        clinic,
        doc,
        kid,
        name="Parent Family",
        relationship="parent",
        address="parent@example.org",
        scope=frozenset({"everything"}),
        evidence="Birth certificate seen at registration",
    )
    out = tmp_path / "copy"
    out.mkdir()
    copy = spc.copy_for_proxy(clinic, doc, parent, out_dir=out, password=PW, sleep=lambda s: None)
    assert [t for t, _ in copy.written] == [results]
    assert [t for t, _ in copy.withheld] == [private]
    assert "from 12 their sensitive topics are not shared" in copy.withheld[0][1]
    files = sorted(out.iterdir())
    assert len(files) == 1 and files[0].read_bytes().startswith(b"%PDF")
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    assert _withheld(clinic) == [(private, "minor: sensitive conversation private from the parent")]
    [copied] = [e for e in audit.entries(clinic.store) if e.action == "export.proxy"]
    assert copied.thread_id == results and copied.detail["proxy_id"] == parent


def test_at_16_a_parent_gets_nothing_and_a_caregiver_only_their_scope(clinic, tmp_path):
    doc = services.login(clinic, "dr.patel", PW)
    teen = _patient(clinic, "Leo", _born(16).isoformat())
    t1 = _conversation(clinic, teen, Category.RESULTS, "Blood test")
    with clinic.store.transaction():  # recorded years ago, when Leo was a child
        old_parent = cq.add_proxy(
            clinic.store,
            teen,
            "Parent Family",
            "parent",
            "parent2@example.org",
            frozenset({"everything"}),
            "2015-01-01",
            None,
            "Birth certificate",
            clinic.doc.id,
        )
    out = tmp_path / "teen"
    out.mkdir()
    copy = spc.copy_for_proxy(
        clinic, doc, old_parent, out_dir=out, password=PW, sleep=lambda s: None
    )
    assert copy.written == [] and [t for t, _ in copy.withheld] == [t1]
    assert list(out.iterdir()) == []
    assert (t1, "minor: parent's access ended at the clinic's age") in _withheld(clinic)

    mother = _patient(clinic, "Rosa", "1941-03-02")
    res = _conversation(clinic, mother, Category.RESULTS, "Her lab results")
    appt = _conversation(clinic, mother, Category.APPOINTMENT, "Move her appointment")
    carmen = scons.add_proxy(
        clinic,
        doc,
        mother,
        name="Carmen",
        relationship="caregiver",
        address="carmen@example.org",
        scope=frozenset({"results"}),
        evidence="Signed authorisation",
    )
    out2 = tmp_path / "rosa"
    out2.mkdir()
    copy = spc.copy_for_proxy(clinic, doc, carmen, out_dir=out2, password=PW, sleep=lambda s: None)
    assert [t for t, _ in copy.written] == [res] and [t for t, _ in copy.withheld] == [appt]
    assert (appt, "outside the scope") in _withheld(clinic)

    # the front desk may not file results: refused before anything is written, audited
    desk = services.login(clinic, "desk", PW)
    out3 = tmp_path / "desk"
    out3.mkdir()
    with pytest.raises(AccessDenied):
        spc.copy_for_proxy(clinic, desk, carmen, out_dir=out3, password=PW, sleep=lambda s: None)
    assert list(out3.iterdir()) == []
    assert [e for e in audit.entries(clinic.store) if e.action == "export.proxy.refused"]
