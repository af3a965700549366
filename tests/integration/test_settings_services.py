"""Settings on a real encrypted store: the clinic's details written to clinic.toml all
or nothing and used at once, accounts edited (a renamed one keeps its password in the
real keyring) and removed, duplicate patients merged; administrators only, audited by
names and ids, never values."""

from __future__ import annotations

import os
import tomllib
from datetime import date

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import audit, services
from clinic_inbox.core import services_patient_merge as merge
from clinic_inbox.core import services_settings as settings
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.accounts import AccountError, FhirAccount, ImapAccount
from clinic_inbox.core.clinic_setup import ClinicDetails, FirstAdmin, SetupError, create_new_clinic
from clinic_inbox.core.config import load_config
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.services_patients import PatientDetails, add_patient
from clinic_inbox.core.store import queries as q

ADMIN_PW = "granite willow echo lantern"


def _entries(clinic, action):
    return [e for e in audit.entries(clinic.store) if e.action == action]


def test_clinic_details_are_written_atomically_and_used_at_once(tmp_path):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        # something the form does not manage, which must survive the rewrite
        own = clinic.home / "clinic.toml"
        own.write_text(own.read_text() + '\n[mail]\ntrusted_authserv_id = "mx.test.example"\n')
        clinic.config = load_config(clinic.home)
        before = settings.clinic_details(clinic, admin)
        assert before.name == "Test Street Clinic"
        new = ClinicDetails(
            name="Elm Street Family Practice",
            phone="204-555-0199",
            timezone="America/Vancouver",
            emergency_number="911",
            crisis_line="9-8-8",
            languages=("en", "fr"),
            hours={0: ("09:00", "17:00"), 5: ("10:00", "14:00")},
            holidays=(date(2027, 7, 1),),
            turnaround_hours={"urgent": 2.0, "same_day": 4.0, "routine": 24.0, "admin": 40.0},
        )
        changed = settings.save_clinic_details(clinic, admin, new)
        assert {"name", "phone", "timezone", "languages", "hours", "holidays"} <= set(changed)
        # in use without a restart
        cfg = clinic.config
        assert (cfg.name, cfg.timezone, cfg.languages) == (
            "Elm Street Family Practice",
            "America/Vancouver",
            ("en", "fr"),
        )
        assert sorted(cfg.hours) == [0, 5] and cfg.holidays == {date(2027, 7, 1)}
        data = tomllib.loads(own.read_text())
        assert data["mail"]["trusted_authserv_id"] == "mx.test.example"
        assert data["clinic"]["phone"] == "204-555-0199"
        assert "tuesday" not in data["hours"]  # closed, as the form said
        assert oct(own.stat().st_mode & 0o777) == "0o600"
        assert [p.name for p in clinic.home.iterdir() if p.name.startswith(".clinic")] == []
        (entry,) = _entries(clinic, "settings.clinic")
        assert entry.actor == "admin" and "phone" in entry.detail["changed"]
        assert "204-555-0199" not in str(entry.detail) and "Elm" not in str(entry.detail)
        # saving the same again changes nothing and writes no entry
        assert settings.save_clinic_details(clinic, admin, new) == []
        assert len(_entries(clinic, "settings.clinic")) == 1


def test_bad_details_are_each_named_and_nothing_is_written(tmp_path):
    clinic, admin, doc = new_clinic(tmp_path / "c")
    with clinic:
        own = clinic.home / "clinic.toml"
        text = own.read_text()
        bad = ClinicDetails(
            name="",
            phone="call us",
            timezone="Mars/Olympus",
            emergency_number="",
            hours={0: ("17:00", "09:00")},
            languages=(),
        )
        with pytest.raises(SetupError) as caught:
            settings.save_clinic_details(clinic, admin, bad)
        said = "\n".join(caught.value.problems)
        for words in ("clinic's name", "telephone", "Mars/Olympus", "emergency number", "Monday"):
            assert words in said
        assert "language" in said
        assert own.read_text() == text and clinic.config.name == "Test Street Clinic"
        # a physician may not change the clinic's settings; the attempt is on the record
        session = services.login(clinic, "dr.patel", "kettle orbit maple frost")
        with pytest.raises(AccessDenied):
            settings.save_clinic_details(clinic, session, ClinicDetails("X", "204-555-0100", "UTC"))
        assert _entries(clinic, "settings.clinic.refused")[0].actor == "dr.patel"
        assert own.read_text() == text


def test_a_failed_rename_leaves_the_old_file_whole(tmp_path, monkeypatch):
    clinic, admin, _ = new_clinic(tmp_path / "c")
    with clinic:
        own = clinic.home / "clinic.toml"
        text = own.read_text()

        def power_cut(*a, **kw):
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "replace", power_cut)
        with pytest.raises(OSError):
            settings.save_clinic_details(
                clinic, admin, ClinicDetails("New Name", "204-555-0100", "America/Winnipeg")
            )
        assert own.read_text() == text
        assert [p.name for p in clinic.home.iterdir() if p.name.startswith(".clinic")] == []
        assert _entries(clinic, "settings.clinic") == []
        assert clinic.config.name == "Test Street Clinic"


@pytest.fixture()
def keyring_clinic(tmp_path, secret_service):
    home = tmp_path / "kc"
    clinic, _ = create_new_clinic(
        home,
        ClinicDetails("Elm Street", "204-555-0199", "America/Winnipeg"),
        FirstAdmin("boss", "Pat Boss", ADMIN_PW),
        lambda p, c: "",
        KeyCustody(home, backend=secret_service.backend()),
    )
    with clinic:
        yield clinic, services.login(clinic, "boss", ADMIN_PW)


def _imap(name="Front desk"):
    return ImapAccount(name, "127.0.0.1", 1143, "inbox@elm.example", security="none",
                       smtp_host="127.0.0.1", smtp_port=1025, smtp_security="none")  # fmt: skip


def test_an_account_edited_renamed_and_removed(keyring_clinic):
    clinic, admin = keyring_clinic
    aid = services.add_imap_account(clinic, admin, _imap(), "first secret")
    kept = settings.get_account(clinic, admin, aid)
    assert kept.kind == "imap" and kept.account.host == "127.0.0.1"
    # renamed, new port, password kept: the secret follows the name
    edited = _imap("Reception mailbox")
    edited.port = 1144
    settings.update_account(clinic, admin, aid, edited)
    assert clinic.credentials.get("Reception mailbox") == "first secret"
    with pytest.raises(Exception, match="missing"):
        clinic.credentials.get("Front desk")
    (entry,) = _entries(clinic, "account.update")
    assert "port" in entry.detail["changed"] and entry.detail["secret_changed"] is False
    assert "first secret" not in str(entry.detail)
    settings.update_account(clinic, admin, aid, edited, "second secret")
    assert clinic.credentials.get("Reception mailbox") == "second secret"
    # unencrypted to a remote host is refused in words
    remote = _imap("Reception mailbox")
    remote.host = "mail.elm.example"
    with pytest.raises(AccountError, match="only allowed to this computer"):
        settings.update_account(clinic, admin, aid, remote)
    # an email account does not become a portal
    portal = FhirAccount("Reception mailbox", "http://127.0.0.1:9/fhir/R4", ["1"])
    with pytest.raises(AccountError, match="cannot become a portal"):
        settings.update_account(clinic, admin, aid, portal)
    # nothing came through it: it goes entirely, with its password
    assert settings.remove_account(clinic, admin, aid) == "Reception mailbox was removed."
    assert services.list_accounts(clinic, admin) == []
    with pytest.raises(Exception, match="missing"):
        clinic.credentials.get("Reception mailbox")
    assert _entries(clinic, "account.remove")[0].detail["how"] == "deleted"


def test_an_account_messages_came_through_is_retired_not_deleted(keyring_clinic):
    clinic, admin = keyring_clinic
    aid = services.add_imap_account(clinic, admin, _imap(), "secret")
    with clinic.store.transaction():
        tid = q.create_thread(
            clinic.store,
            q.NewThread("Refill", Category.OTHER, Priority.ROUTINE, q.utcnow()),
        )
        mid = q.insert_message(
            clinic.store,
            q.NewMessage(tid, Source.EMAIL, Direction.INBOUND, q.utcnow(), sender="a@b.example",
                         account_id=aid),
        )  # fmt: skip
    said = settings.remove_account(clinic, admin, aid)
    assert "no longer synced" in said and "stay" in said
    assert services.list_accounts(clinic, admin) == []
    assert q.message_count(clinic.store) == 1 and mid
    # the name is free again for a new account
    services.add_imap_account(clinic, admin, _imap(), "new secret")
    assert [a[1] for a in services.list_accounts(clinic, admin)] == ["Front desk"]
    assert _entries(clinic, "account.remove")[0].detail["how"] == "retired"


def test_duplicate_patients_are_merged_by_an_administrator(tmp_path):
    clinic, admin, doc = new_clinic(tmp_path / "c")
    with clinic:
        services.add_staff(
            clinic, admin, "desk", "Front Desk", Role.RECEPTIONIST, "pebble harbor saffron kite"
        )
        keep = add_patient(
            clinic,
            admin,
            PatientDetails("Tremblay", "Marie", "1950-03-02", "C-100", ("m@x.example",)),
        )
        dup = add_patient(
            clinic, admin, PatientDetails("Tremblay", "Marie", None, None, ("marie@y.example",))
        )
        with clinic.store.transaction():
            tid = q.create_thread(
                clinic.store,
                q.NewThread("Question", Category.OTHER, Priority.ROUTINE, q.utcnow(), dup.id),
            )
            q.insert_message(
                clinic.store,
                q.NewMessage(tid, Source.EMAIL, Direction.INBOUND, q.utcnow(),
                             sender="marie@y.example", patient_id=dup.id),
            )  # fmt: skip
        preview = merge.preview_merge(clinic, admin, keep.id, dup.id)
        words = preview.describe()
        assert (
            "Marie Tremblay" in words
            and "C-100" in words
            and "1 conversation," in words
            and "1 email address" in words
        )
        assert f"no. {dup.id}" in words and "cannot be undone" in words
        # not the front desk
        session = services.login(clinic, "desk", "pebble harbor saffron kite")
        with pytest.raises(AccessDenied):
            merge.merge_patients(clinic, session, keep.id, dup.id)
        assert _entries(clinic, "patient.merge.refused")
        merged = merge.merge_patients(clinic, admin, keep.id, dup.id)
        assert set(merged.emails) == {"m@x.example", "marie@y.example"}
        assert q.get_patient(clinic.store, dup.id) is None
        assert q.get_thread(clinic.store, tid).patient_id == keep.id
        assert q.find_patients_by_email(clinic.store, "marie@y.example") == [keep.id]
        (entry,) = _entries(clinic, "patient.merge")
        assert entry.patient_id == keep.id and entry.detail["merged"] == dup.id
        assert "Tremblay" not in str(entry.detail)
        # two people: different dates of birth are refused
        other = add_patient(clinic, admin, PatientDetails("Tremblay", "Marie", "1980-01-01"))
        with pytest.raises(ValueError, match="different dates of birth"):
            merge.merge_patients(clinic, admin, keep.id, other.id)
        with pytest.raises(ValueError, match="two different"):
            merge.merge_patients(clinic, admin, keep.id, keep.id)


def test_when_the_audit_entry_cannot_be_written_the_file_goes_back(tmp_path, monkeypatch):
    from clinic_inbox.core import services as svc

    clinic, admin, _ = new_clinic(tmp_path / "c")
    with clinic:
        own = clinic.home / "clinic.toml"
        text = own.read_text()
        real = svc._audit

        def refuse_settings_entry(c, s, action, **kw):
            if action == "settings.clinic":
                raise OSError(28, "No space left on device")
            return real(c, s, action, **kw)

        monkeypatch.setattr(settings, "_audit", refuse_settings_entry)
        with pytest.raises(OSError):
            settings.save_clinic_details(
                clinic, admin, ClinicDetails("New Name", "204-555-0100", "America/Winnipeg")
            )
        assert own.read_text() == text and clinic.config.name == "Test Street Clinic"
