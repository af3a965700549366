"""Search reveals only what the viewer may read, and every search is on the record.

Issue 16: `--user reception.singh list --search HIV` named the patients whose hidden
bodies mention HIV; searches were not audited."""

from __future__ import annotations

import json

from support.insider import audit_rows, list_json, open_demo, run_cli

from clinic_inbox.core import services
from clinic_inbox.core.store import queries as q


def _raw_matches(home, words: str) -> list:
    """What the index holds for these words, whoever asks (the ground truth)."""
    with open_demo(home) as clinic:
        return q.list_messages(clinic.store, q.MessageFilter(search=words))


def _name_has_word_starting(name: str | None, prefix: str) -> bool:
    return any(w.lower().startswith(prefix.lower()) for w in (name or "").split())


def test_reception_search_names_no_patient_from_hidden_content(shared_demo):
    raw = _raw_matches(shared_demo, "HIV")
    hidden = {m.patient for m in raw if m.thread_sensitive and m.patient}
    assert hidden, "the demo has sensitive messages mentioning HIV"
    for desk in ("reception.singh", "reception.moreau"):
        rows = list_json(shared_demo, desk, "--search", "HIV")
        for r in rows:
            # only what they may read, or a patient whose name itself matches
            assert not r["subject"].endswith("(details hidden)") or _name_has_word_starting(
                r["patient"], "HIV"
            ), r
        assert not hidden & {r["patient"] for r in rows}
    # the physician who may read them still finds them by their content
    own = list_json(shared_demo, "dr.patel", "--search", "HIV")
    assert {r["patient"] for r in own} & hidden
    assert all(not r["subject"].endswith("(details hidden)") for r in own)


def test_header_only_viewers_still_find_a_patient_by_name(shared_demo):
    own = list_json(shared_demo, "dr.patel", "--search", "HIV")
    patient = next(r["patient"] for r in own if r["sensitive"] and r["patient"])
    family = patient.split()[-1]
    rows = list_json(shared_demo, "reception.singh", "--search", family)
    mine = [r for r in rows if r["patient"] == patient and r["sensitive"]]
    assert mine and all(r["subject"].endswith("(details hidden)") for r in mine)
    # the name and the hidden word together match nothing for her: "HIV" is not in a header
    assert not list_json(shared_demo, "reception.singh", "--search", f"{family} HIV")
    assert list_json(shared_demo, "dr.patel", "--search", f"{family} HIV")


def test_board_search_in_the_app_hides_content_matches_too(shared_demo):
    with open_demo(shared_demo) as clinic:
        desk = services.login(clinic, "reception.singh", "demo")
        doc = services.login(clinic, "dr.patel", "demo")
        flt = q.ThreadFilter(search="HIV")
        seen = services.board(clinic, desk, flt)
        assert all(b.decision.body or _name_has_word_starting(b.row.patient, "HIV") for b in seen)
        assert any(b.row.sensitive for b in services.board(clinic, doc, flt))
        assert not any(b.row.sensitive for b in seen)


def test_searches_are_audited_with_the_words_sealed(shared_demo, tmp_path):
    before = len(audit_rows(shared_demo, "search"))
    list_json(shared_demo, "reception.singh", "--search", "ending it all")
    entry = audit_rows(shared_demo, "search")[before]
    assert entry.actor == "reception.singh" and entry.detail["in"] == "list"
    assert "ending" not in json.dumps(entry.detail).lower()
    assert entry.detail["terms"].startswith("sealed-v1:")
    # the privacy officer's CSV carries the sealed text only
    out = tmp_path / "audit.csv"
    done = run_cli(shared_demo, "audit", "export", "--csv", "--out", str(out), user="admin")
    assert done.returncode == 0, done.stderr
    text = out.read_text("utf-8")
    assert entry.detail["terms"] in text and "ending it all" not in text.lower()
    # unsealing one entry is the administrator's, and is itself audited
    desk = run_cli(shared_demo, "audit", "reveal-search", str(entry.id), user="reception.singh")
    assert desk.returncode == 1 and "administrator" in desk.stderr
    shown = run_cli(shared_demo, "audit", "reveal-search", str(entry.id), user="admin")
    assert shown.returncode == 0 and shown.stdout.strip() == "ending it all"
    assert [e.detail for e in audit_rows(shared_demo, "audit.reveal_search")] == [
        {"entry": entry.id}
    ]
