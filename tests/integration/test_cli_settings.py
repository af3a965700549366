"""`account remove` and `patient merge` from a terminal: the services Settings uses,
administrators only, nothing merged without --yes, no traceback."""

from __future__ import annotations

from support.clinics import ADMIN_PASSWORD, PASSPHRASE, new_clinic
from support.insider import run_cli

from clinic_inbox.core import services
from clinic_inbox.core.services_patients import PatientDetails, add_patient
from clinic_inbox.core.store import queries as q


def test_merge_and_remove_from_the_command_line(tmp_path):
    home = tmp_path / "c"
    clinic, admin, _doc = new_clinic(home)
    with clinic:
        keep = add_patient(clinic, admin, PatientDetails("Roy", "Marie", "1941-06-02", "EMR-5"))
        dup = add_patient(clinic, admin, PatientDetails("Roy", "Marie", None, None, ("m@x.org",)))
        with clinic.store.transaction():
            q.ensure_account(clinic.store, "Old portal", "fhir", {"base_url": "https://x.org"})
    env = {"CLINIC_INBOX_PASSPHRASE": PASSPHRASE}

    ask = run_cli(home, "patient", "merge", str(keep.id), str(dup.id),
                  user="admin", password=ADMIN_PASSWORD, env=env)  # fmt: skip
    assert ask.returncode == 1 and "Nothing was merged" in ask.stdout, ask.stderr
    assert "EMR-5" in ask.stdout and "Traceback" not in ask.stderr
    doc = run_cli(home, "patient", "merge", str(keep.id), str(dup.id), "--yes",
                  user="dr.patel", password="kettle orbit maple frost", env=env)  # fmt: skip
    assert doc.returncode != 0 and "Only an administrator" in doc.stderr
    assert "Traceback" not in doc.stderr
    done = run_cli(home, "patient", "merge", str(keep.id), str(dup.id), "--yes",
                   user="admin", password=ADMIN_PASSWORD, env=env)  # fmt: skip
    assert done.returncode == 0 and "now has one record" in done.stdout, done.stderr

    gone = run_cli(home, "account", "remove", "Old portal",
                   user="admin", password=ADMIN_PASSWORD, env=env)  # fmt: skip
    assert gone.returncode == 0 and "Old portal was removed" in gone.stdout, gone.stderr
    again = run_cli(home, "account", "remove", "Old portal",
                    user="admin", password=ADMIN_PASSWORD, env=env)  # fmt: skip
    assert again.returncode != 0 and "no account named" in again.stderr

    from clinic_inbox.core.home import open_clinic
    from clinic_inbox.core.keys import KeyCustody

    with open_clinic(home, lambda p, c: PASSPHRASE, KeyCustody(home, detect=False)) as clinic:
        s = services.login(clinic, "admin", ADMIN_PASSWORD)
        assert services.list_accounts(clinic, s) == []
        assert q.get_patient(clinic.store, dup.id) is None
        assert set(q.get_patient(clinic.store, keep.id).emails) == {"m@x.org"}
