"""`clinic-inbox init` as a new clinic would run it: its own details or nothing, plain
words, no jargon, and a failed attempt that leaves the folder ready for the next."""

from __future__ import annotations

from support.clinic_details import INIT_DETAILS
from support.insider_cli import run

from clinic_inbox.core.config import load_config

STRONG = "granite willow echo lantern"
PASSPHRASE_ENV = {"CLINIC_INBOX_PASSPHRASE": "a long clinic passphrase"}


def test_init_without_the_clinics_details_creates_nothing_and_names_them(tmp_path):
    home = tmp_path / "c"
    done = run(home, "init", "--admin", "boss", password=STRONG, extra_env=PASSPHRASE_ENV)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    for flag in ("--name", "--phone", "--timezone", "--emergency-number", "--crisis-line"):
        assert flag in done.stderr
    assert not home.exists()


def test_init_with_a_wrong_time_zone_says_so_before_asking_anything(tmp_path):
    home = tmp_path / "c"
    details = list(INIT_DETAILS)
    details[details.index("--timezone") + 1] = "Toronto"
    done = run(home, "init", "--admin", "boss", *details, password=None)
    # refused on the details, before the (absent) password was needed
    assert done.returncode == 1 and "Toronto is not a time zone" in done.stderr
    assert not home.exists()


def test_no_keyring_is_explained_without_jargon(tmp_path):
    home = tmp_path / "c"
    # no passphrase and no terminal: the prompt's first line is what the person reads
    done = run(
        home,
        "init",
        "--admin",
        "boss",
        *INIT_DETAILS,
        password=STRONG,
        extra_env={"CLINIC_INBOX_PASSPHRASE": ""},
    )
    assert done.returncode == 1
    assert "keyring.backends" not in done.stderr and "no secure password store" in done.stderr
    assert not home.exists()
    ok = run(
        home, "init", "--admin", "boss", *INIT_DETAILS, password=STRONG, extra_env=PASSPHRASE_ENV
    )
    assert ok.returncode == 0, ok.stderr
    assert "keyring.backends" not in ok.stdout + ok.stderr
    cfg = load_config(home)
    assert cfg.name == "Test Street Clinic" and cfg.phone == "204-555-0100"
    assert cfg.timezone == "America/Winnipeg" and not cfg.holidays
    assert "call 911" in ok.stdout and "9-8-8" in ok.stdout
