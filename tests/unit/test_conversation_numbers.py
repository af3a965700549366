"""The number people see on a conversation, and finding a conversation by it.

A real encrypted store. Alone, a workstation shows and finds its local numbers, as
always. Linked to a clinic server, it shows the server's number, finds by it (never by
a local id that happens to be equal: that is another patient's conversation), and marks
a conversation the server has not numbered yet as this computer's only. The two
workstations on a real server are in tests/shared/test_clinic_numbers.py.
"""

from __future__ import annotations

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import numbers, services
from clinic_inbox.core.model import Category, Direction, Priority, Source
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq

DOC_PASSWORD = "kettle orbit maple frost"


@pytest.mark.parametrize(
    ("typed", "number"),
    [("7", 7), ("#7", 7), (" # 12 ", 12), ("no. 3", 3), ("N°3", 3), ("#", None), ("7a", None)],
)
def test_a_number_typed_alone_is_read_as_a_number(typed, number):
    assert numbers.typed_number(typed) == number
    assert numbers.typed_number("knee 7") is None and numbers.typed_number(None) is None


def test_labels_say_whose_number_it_is():
    assert numbers.label(12, None, False) == "#12"
    assert numbers.label(12, 7, False) == "#12"  # alone: the local number, as always
    assert numbers.label(12, 7, True) == "#7"
    assert numbers.label(12, None, True) == "#12 (this computer)"
    assert numbers.shown(12, 7, True) == 7 and numbers.shown(12, None, True) == 12


def _conversations(clinic, doc, n):
    out = []
    with clinic.store.transaction():
        pid = q.add_patient(clinic.store, "Quennell", "Zoë", "1990-01-01", "QZ-1", None, doc.id)
        for i in range(n):
            tid = q.create_thread(
                clinic.store,
                q.NewThread(f"Knee {i}", Category.OTHER, Priority.ROUTINE, q.utcnow(), pid),
            )
            q.insert_message(
                clinic.store,
                q.NewMessage(
                    tid,
                    Source.EMAIL,
                    Direction.INBOUND,
                    q.utcnow(),
                    sender="zoe@example.org",
                    subject=f"Knee {i}",
                    body_text=f"My knee hurts, day {i}",
                    patient_id=pid,
                ),
            )
            out.append(tid)
    return out


def test_alone_the_local_number_is_shown_and_found(tmp_path):
    clinic, _admin, doc = new_clinic(tmp_path / "c")
    t1, t2, t3 = _conversations(clinic, doc, 3)
    me = services.login(clinic, "dr.patel", DOC_PASSWORD)
    cards = {b.row.id: b.number for b in services.board(clinic, me)}
    assert cards == {t1: f"#{t1}", t2: f"#{t2}", t3: f"#{t3}"}
    assert services.show_thread(clinic, me, t2).number == f"#{t2}"
    for typed in (str(t2), f"#{t2}"):
        found = services.board(clinic, me, q.ThreadFilter(search=typed))
        assert found[0].row.id == t2
        listed = services.list_messages(clinic, me, q.MessageFilter(search=typed, limit=10))
        assert listed and listed[0].thread_id == t2
    assert services.board(clinic, me, q.ThreadFilter(search="#999")) == []
    clinic.close()


def test_with_a_server_the_clinic_number_is_shown_and_found_never_the_local_one(tmp_path):
    clinic, _admin, doc = new_clinic(tmp_path / "c")
    t1, t2, t3 = _conversations(clinic, doc, 3)
    with clinic.store.transaction():
        shq.link(clinic.store, "clinic-1", "ws-1", "server.example")
        # the server numbered t1 and t2 (as a pull writes them); t3 was written offline
        spq.set_shared_number(clinic.store, t1, 40)
        spq.set_shared_number(clinic.store, t2, t1)  # the clinic's number equals t1's local id
    me = services.login(clinic, "dr.patel", DOC_PASSWORD)
    cards = {b.row.id: b.number for b in services.board(clinic, me)}
    assert cards == {t1: "#40", t2: f"#{t1}", t3: f"#{t3} (this computer)"}
    assert services.show_thread(clinic, me, t1).number == "#40"
    # "#<t1>" is the clinic's number of t2: that is the one found, not local t1
    found = services.board(clinic, me, q.ThreadFilter(search=f"#{t1}"))
    assert found[0].row.id == t2
    listed = services.list_messages(clinic, me, q.MessageFilter(search=str(t1), limit=10))
    assert listed[0].thread_id == t2 and listed[0].thread_number == t1
    assert services.board(clinic, me, q.ThreadFilter(search="40"))[0].row.id == t1
    # a number nobody has on the server finds nothing by number
    assert numbers.find(clinic.store, 41) is None
    # t3, not numbered yet, is found by the number it shows ("#<t3> (this computer)")...
    assert numbers.find(clinic.store, t3) == t3
    # ...but t2's local id finds nothing: t2 is known by its clinic number only
    assert t2 not in (40, t1) and numbers.find(clinic.store, t2) is None
    clinic.close()


def test_the_chart_copy_names_the_conversation_by_the_number_staff_see(tmp_path):
    from io import BytesIO

    from pypdf import PdfReader

    from clinic_inbox.core.export.pdf import render_pdf
    from clinic_inbox.core.filing import build_document

    clinic, _admin, doc = new_clinic(tmp_path / "c")
    (t1,) = _conversations(clinic, doc, 1)

    def header() -> str:
        chart = build_document(
            clinic, t1, exported_by="Dr Anjali Patel", include_notes=False, version=1, replaces=None
        )
        return PdfReader(BytesIO(render_pdf(chart))).pages[0].extract_text()

    assert f"Conversation #{t1}: Knee 0" in header()
    with clinic.store.transaction():
        shq.link(clinic.store, "clinic-1", "ws-1", "server.example")
        spq.set_shared_number(clinic.store, t1, 40)
    assert "Conversation #40: Knee 0" in header()
    clinic.close()
