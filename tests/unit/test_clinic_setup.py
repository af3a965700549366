"""Setting up a new clinic: nothing from the demo, everything checked before anything
is written, and a failed first run leaves the folder as it was."""

from __future__ import annotations

from datetime import date

import pytest
from support.clinics import PASSPHRASE

from clinic_inbox.core import outgoing, services
from clinic_inbox.core.clinic_setup import (
    ClinicDetails,
    FirstAdmin,
    SetupError,
    create_new_clinic,
)
from clinic_inbox.core.config import demo_config, load_config
from clinic_inbox.core.home import clinic_exists
from clinic_inbox.core.keys import KeyCustody

GOOD = ClinicDetails(
    name="Elm Street Medical",
    phone="204-555-0199",
    timezone="America/Winnipeg",
    emergency_number="911",
    crisis_line="9-8-8",
    languages=("en", "fr"),
    holidays=(date(2027, 1, 1),),
    hours={0: ("09:00", "17:00"), 2: ("09:00", "12:00")},
)
ADMIN = FirstAdmin("boss", "Pat Boss", "granite willow echo lantern")


def _ask(prompt: str, confirm: bool) -> str:
    return PASSPHRASE


def test_the_shipped_defaults_name_no_clinic_and_the_demo_keeps_its_invented_identity():
    shipped = load_config()
    assert shipped.name == "" and shipped.phone == "" and not shipped.holidays
    assert not shipped.timezone_set and shipped.tz.key == "UTC"
    assert shipped.missing_identity() == [
        "the clinic's name",
        "the clinic's telephone number",
        "the clinic's time zone",
    ]
    demo = demo_config()
    assert demo.name == "Riverside Family Health" and demo.timezone == "America/Toronto"
    assert demo.missing_identity() == []


def test_a_new_clinic_has_its_own_identity_and_its_letters_say_so(tmp_path):
    home = tmp_path / "clinic"
    clinic, code = create_new_clinic(home, GOOD, ADMIN, _ask, KeyCustody(home, detect=False))
    with clinic:
        cfg = clinic.config
        assert (cfg.name, cfg.phone, cfg.timezone) == (
            "Elm Street Medical",
            "204-555-0199",
            "America/Winnipeg",
        )
        assert cfg.holidays == {date(2027, 1, 1)} and cfg.languages == ("en", "fr")
        # a day left out of the clinic's own hours is a closed day, not the shipped one
        assert sorted(cfg.hours) == [0, 2]
        assert [s.username for s in services.list_staff(clinic, _login(clinic))] == ["boss"]
        assert len(code) > 20
    again = load_config(home)
    assert again.name == "Elm Street Medical" and (home / "clinic.toml").stat().st_mode & 0o077 == 0
    _, body = outgoing.render_template("safety", outgoing.standard_fields(again, "Ann"))
    assert "Riverside" not in body and "613-555" not in body
    assert "204-555-0199" in body and "call 911 now" in body and "9-8-8" in body


def _login(clinic):
    return services.login(clinic, "boss", ADMIN.password)


def test_the_emergency_numbers_come_from_the_clinic(tmp_path):
    home = tmp_path / "clinic"
    other = ClinicDetails(
        name="Clinic Abroad",
        phone="+44 20 7946 0000",
        timezone="Europe/London",
        emergency_number="999",
        crisis_line="111",
    )
    clinic, _ = create_new_clinic(home, other, ADMIN, _ask, KeyCustody(home, detect=False))
    with clinic:
        for lang in ("en", "fr"):
            fields = outgoing.standard_fields(clinic.config, "Ann", lang)
            _, body = outgoing.render_template("safety", fields, lang)
            assert "911" not in body and "9-8-8" not in body
            assert "999" in body and "111" in body
        assert "999" in clinic.config.advice("fr") and "999" in clinic.config.emergency_advice


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"name": "  "}, "Enter the clinic's name"),
        ({"phone": "call us"}, "telephone number"),
        ({"timezone": "Mars/Olympus"}, "not a time zone"),
        ({"timezone": ""}, "Choose the clinic's time zone"),
        ({"emergency_number": ""}, "emergency number"),
        ({"crisis_line": "none"}, "crisis line"),
        ({"languages": ("en", "klingon")}, "klingon"),
        ({"hours": {0: ("17:00", "09:00")}}, "Monday"),
        ({"name": "Two\nlines"}, "one line"),
    ],
)
def test_what_is_wrong_is_said_before_anything_is_written(tmp_path, change, says):
    home = tmp_path / "clinic"
    details = ClinicDetails(**{**GOOD.__dict__, **change})
    with pytest.raises(SetupError) as err:
        create_new_clinic(home, details, ADMIN, _ask, KeyCustody(home, detect=False))
    assert says in str(err.value)
    assert not home.exists()


def test_a_weak_password_and_a_bad_user_name_are_both_reported_at_once(tmp_path):
    home = tmp_path / "clinic"
    with pytest.raises(SetupError) as err:
        create_new_clinic(
            home, GOOD, FirstAdmin("Boss Man", "", "short"), _ask, KeyCustody(home, detect=False)
        )
    assert len(err.value.problems) == 2 and "12 characters" in str(err.value)
    assert not home.exists()


def test_a_first_run_that_fails_halfway_leaves_nothing_and_the_next_one_works(
    tmp_path, monkeypatch
):
    home = tmp_path / "clinic"

    def broken(*a, **k):
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(services, "create_first_admin", broken)
    with pytest.raises(RuntimeError):
        create_new_clinic(home, GOOD, ADMIN, _ask, KeyCustody(home, detect=False))
    assert not clinic_exists(home) and not home.exists()
    monkeypatch.undo()
    clinic, _ = create_new_clinic(home, GOOD, ADMIN, _ask, KeyCustody(home, detect=False))
    clinic.close()


def test_an_interrupted_passphrase_prompt_leaves_nothing(tmp_path):
    home = tmp_path / "clinic"

    def interrupted(prompt: str, confirm: bool) -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        create_new_clinic(home, GOOD, ADMIN, interrupted, KeyCustody(home, detect=False))
    assert not home.exists()


def test_an_existing_folder_of_other_files_is_kept(tmp_path):
    home = tmp_path / "clinic"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    with pytest.raises(SetupError):
        create_new_clinic(home, GOOD, FirstAdmin("boss", "", "x"), _ask)
    assert (home / "notes.txt").read_text() == "mine"


def test_an_older_clinic_without_its_own_details_is_told_so(tmp_path):
    from support.clinics import new_clinic

    from clinic_inbox.core.clinic_setup import identity_problems
    from clinic_inbox.core.config import load_config

    home = tmp_path / "old"
    clinic, _, _ = new_clinic(home)
    clinic.close()
    (home / "clinic.toml").unlink()  # made before init wrote one: no details of its own
    (said,) = identity_problems(load_config(home))
    assert "does not give the clinic's name, the clinic's telephone number" in said
    assert identity_problems(demo_config()) == []
