"""Filing a conversation under a patient is a privileged change.

Issue 16: `--user dr.okafor link THREAD --patient ONE_OF_HIS_PATIENTS` on a sensitive
thread of Dr Patel's, then `show` read it; a nurse could do the same into her delegated
scope; it was audited as an ordinary entry. A receptionist's link that gave an address
to a second patient sent that patient's future mail to "Unknown sender"."""

from __future__ import annotations

import json

from support.insider import audit_rows, list_json, open_demo, run_cli

from clinic_inbox.core.store import queries as q


def _staff_id(clinic, name: str) -> int:
    return q.staff_login_row(clinic.store, name)[0].id


def _patients_of(home, physician: str) -> list[int]:
    with open_demo(home) as clinic:
        doc = _staff_id(clinic, physician)
        return [
            p.id
            for p in (
                q.get_patient(clinic.store, i) for i in range(1, q.patient_count(clinic.store) + 1)
            )
            if p is not None and p.responsible_physician_id == doc
        ]


def _patels_sensitive_thread(home) -> tuple[int, int]:
    own = list_json(home, "dr.patel", "--search", "HIV")
    row = next(r for r in own if r["sensitive"] and r["patient_id"])
    return row["thread_id"], row["patient_id"]


def _show(home, user: str, tid: int) -> dict:
    done = run_cli(home, "show", str(tid), "--json", user=user)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _thread_patient(home, tid: int) -> int | None:
    with open_demo(home) as clinic:
        return q.get_thread(clinic.store, tid).patient_id


def test_a_physician_cannot_pull_a_colleagues_conversation_into_his_care(demo_home):
    tid, owner = _patels_sensitive_thread(demo_home)
    his = _patients_of(demo_home, "dr.okafor")[0]
    done = run_cli(demo_home, "link", str(tid), "--patient", str(his), user="dr.okafor")
    assert done.returncode == 1 and "only if you may read it" in done.stderr
    assert _thread_patient(demo_home, tid) == owner
    assert all("body" not in m for m in _show(demo_home, "dr.okafor", tid)["messages"])
    refused = audit_rows(demo_home, "thread.link_patient.refused")
    assert [(e.actor, e.thread_id, e.patient_id) for e in refused] == [("dr.okafor", tid, his)]
    assert not audit_rows(demo_home, "thread.link_patient")


def test_a_nurse_cannot_link_a_conversation_into_her_delegated_scope(demo_home):
    tid, owner = _patels_sensitive_thread(demo_home)
    his = _patients_of(demo_home, "dr.okafor")[0]
    grant = run_cli(
        demo_home,
        "delegate", "grant", "--physician", "dr.okafor", "--to", "nurse.chen", "--sensitive",
        user="dr.okafor",
    )  # fmt: skip
    assert grant.returncode == 0, grant.stderr
    done = run_cli(demo_home, "link", str(tid), "--patient", str(his), user="nurse.chen")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert _thread_patient(demo_home, tid) == owner
    assert all("body" not in m for m in _show(demo_home, "nurse.chen", tid)["messages"])


def test_reception_cannot_move_a_clinical_conversation_it_cannot_read(demo_home):
    tid, owner = _patels_sensitive_thread(demo_home)
    other = _patients_of(demo_home, "dr.patel")
    target = next(p for p in other if p != owner)
    done = run_cli(demo_home, "link", str(tid), "--patient", str(target), user="reception.singh")
    assert done.returncode == 1 and "only if you may read it" in done.stderr
    assert _thread_patient(demo_home, tid) == owner


def test_moving_out_of_a_physicians_care_is_his_or_break_glass_flagged(demo_home):
    tid, owner = _patels_sensitive_thread(demo_home)
    his = _patients_of(demo_home, "dr.okafor")[0]
    why = "patient collapsed at the front desk, chart mix-up"
    glass = run_cli(demo_home, "break-glass", str(tid), "--reason", why, user="dr.okafor")
    assert glass.returncode == 0, glass.stderr
    done = run_cli(demo_home, "link", str(tid), "--patient", str(his), user="dr.okafor")
    assert done.returncode == 0, done.stderr
    assert "break-glass" in done.stdout and "flagged" in done.stdout
    linked = audit_rows(demo_home, "thread.link_patient")
    assert [(e.actor, e.reason, e.detail["break_glass"]) for e in linked] == [
        ("dr.okafor", "break-glass", True)
    ]
    # the previous patient's own trail says the conversation left it
    left = audit_rows(demo_home, "thread.unlink_patient")
    assert [(e.patient_id, e.detail["to_patient"]) for e in left] == [(owner, his)]
    # the physician whose care it was may move his own conversation, unflagged
    back = run_cli(demo_home, "link", str(tid), "--patient", str(owner), user="dr.okafor")
    assert back.returncode == 0  # still under break-glass, and flagged again
    mine = _patients_of(demo_home, "dr.patel")
    tid2, owner2 = next(
        (r["thread_id"], r["patient_id"])
        for r in list_json(demo_home, "dr.patel", "--category", "refill")
        if r["patient_id"] in mine and not r["sensitive"]
    )
    target = next(p for p in mine if p != owner2)
    done = run_cli(demo_home, "link", str(tid2), "--patient", str(target), user="dr.patel")
    assert done.returncode == 0, done.stderr
    assert audit_rows(demo_home, "thread.link_patient")[-1].detail["break_glass"] is False


def test_a_link_never_takes_another_patients_address(demo_home):
    with open_demo(demo_home) as clinic:
        unknown = q.list_threads(clinic.store, q.ThreadFilter(unmatched=True))
        tid = next(t.id for t in unknown if t.category.administrative and not t.sensitive)
        (address,) = q.inbound_senders(clinic.store, tid)
        first, second = _patients_of(demo_home, "dr.patel")[:2]
        with clinic.store.transaction():  # the address is already on the first patient's record
            q.link_thread_to_patient(clinic.store, q.create_thread(clinic.store, q.NewThread(
                "earlier", unknown[0].category, unknown[0].priority, q.utcnow())), first,
                remember=[address])  # fmt: skip
    done = run_cli(demo_home, "link", str(tid), "--patient", str(second), user="reception.singh")
    assert done.returncode == 0, done.stderr
    assert "already belongs to another patient" in done.stdout
    assert _thread_patient(demo_home, tid) == second
    with open_demo(demo_home) as clinic:
        # the first patient's future mail still goes to the first patient's chart
        assert q.find_patients_by_email(clinic.store, address) == [first]
    entry = audit_rows(demo_home, "thread.link_patient")[-1]
    assert entry.detail["addresses_kept_apart"] == 1 and entry.detail["addresses_added"] == 0
    assert address not in json.dumps(entry.detail)


def test_setting_a_patients_physician_never_opens_their_messages_to_the_one_setting_it(
    demo_home,
):
    tid, owner = _patels_sensitive_thread(demo_home)
    cleared = run_cli(demo_home, "patient", "physician", str(owner), user="admin")
    assert cleared.returncode == 0, cleared.stderr  # a patient without a physician
    grant = run_cli(
        demo_home,
        "delegate", "grant", "--physician", "dr.okafor", "--to", "nurse.chen", "--sensitive",
        user="dr.okafor",
    )  # fmt: skip
    assert grant.returncode == 0, grant.stderr
    done = run_cli(
        demo_home, "patient", "physician", str(owner), "--physician", "dr.okafor", user="nurse.chen"
    )
    assert done.returncode == 1 and "would let you read" in done.stderr
    assert all("body" not in m for m in _show(demo_home, "nurse.chen", tid)["messages"])
    # the front desk registering the patient with a physician gains nothing, and may
    desk = run_cli(
        demo_home, "patient", "physician", str(owner), "--physician", "dr.patel",
        user="reception.singh",
    )  # fmt: skip
    assert desk.returncode == 0, desk.stderr
