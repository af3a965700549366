"""`clinic-inbox consent terms-publish`: only an administrator publishes the next version
of the clinic's terms (a refusal audited); every language the clinic writes in is
needed; afterwards a patient who agreed to version 1 is shown with the current one.
Real CLI processes on a copy of the demo clinic."""

from __future__ import annotations

from support.insider import audit_rows, run_cli

ROSA = 4  # agreed to the demo's terms, version 1


def test_only_an_administrator_publishes_terms_and_older_agreements_say_so(demo_home, tmp_path):
    en, fr = tmp_path / "en.txt", tmp_path / "fr.txt"
    en.write_text("Our new terms: we also answer on Saturdays.\n", "utf-8")
    fr.write_text("Nos nouvelles conditions : nous répondons aussi le samedi.\n", "utf-8")
    args = ("consent", "terms-publish", "--text", f"en={en}", "--text", f"fr={fr}")
    doc = run_cli(demo_home, *args, user="dr.patel")
    assert doc.returncode == 1 and "Only an administrator" in doc.stderr
    assert [e.actor for e in audit_rows(demo_home, "terms.publish.refused")] == ["dr.patel"]
    half = run_cli(demo_home, "consent", "terms-publish", "--text", f"en={en}", user="admin")
    assert half.returncode == 1 and "Write the terms in French" in half.stderr
    assert "Traceback" not in half.stderr
    done = run_cli(demo_home, *args, user="admin")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Version 2 of the clinic's terms published (en, fr).")
    listed = run_cli(demo_home, "consent", "terms", user="admin")
    assert "v1, v2" in listed.stdout
    shown = run_cli(demo_home, "consent", "terms", "v2", "--lang", "fr", user="admin")
    assert "samedi" in shown.stdout
    rosa = run_cli(demo_home, "consent", "show", str(ROSA), user="dr.patel")
    assert rosa.returncode == 0, rosa.stderr
    assert "Agreed to version 1 (current 2)" in rosa.stdout
    [entry] = audit_rows(demo_home, "terms.publish")
    assert entry.actor == "admin" and entry.detail["version"] == "v2"
