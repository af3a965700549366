"""Accounts, tried as an insider would: weak passwords, guessing (alone and in
parallel), an administrator resetting a colleague's password. Real CLI processes on
a real SQLCipher store."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from support.clinic_details import INIT_DETAILS
from support.insider_cli import (
    ADMIN,
    ADMIN_PASSWORD,
    NURSE_PASSWORD,
    PASSPHRASE,
    new_clinic,
    run,
    start,
)

from clinic_inbox.core import audit, passwords, services
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.home import open_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import signin_queries as sq


def _open(home):
    return open_clinic(home, lambda p, c: PASSPHRASE, KeyCustody(home, detect=False))


def _no_wait(_: float) -> None:
    pass


@pytest.fixture()
def home(tmp_path):
    h = tmp_path / "clinic"
    new_clinic(h)
    return h


# -- the rules for a new password -----------------------------------------------------
def test_init_with_a_short_password_fails_before_anything_is_created(tmp_path):
    home = tmp_path / "c"
    done = run(home, "init", "--admin", "boss", *INIT_DETAILS, password="demo")
    assert done.returncode == 1
    assert "at least 12 characters" in done.stderr and "Traceback" not in done.stderr
    assert not (home / "clinic.db").exists() and not (home / "custody.json").exists()
    assert not home.exists() or not any(home.iterdir())
    # and the clinic can then be set up properly in the same folder
    assert run(home, "init", "--admin", "boss", *INIT_DETAILS).returncode == 0


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("demo", "at least 12 characters; this one has 4"),
        (" " * 16, "only spaces"),
        ("nurse.chen-kettle-9", "must not contain the user name"),
        ("Riverside Health 2024", "Names of people, of the clinic"),
        ("clinicpassword123", "too easy to guess"),
        ("Password1234!", "too easy to guess"),
        ("aaaaaaaaaaaaaaaaaaaa", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_saying_what_to_change(home, password, says):
    (home / "clinic.toml").write_text('[clinic]\nname = "Riverside Health"\n')
    with _open(home) as clinic:
        assert clinic.config.name == "Riverside Health"  # one of the context words
        admin = services.login(clinic, ADMIN, ADMIN_PASSWORD)
        pw = password
        with pytest.raises(passwords.WeakPasswordError, match=says):
            services.reset_password(clinic, admin, "nurse.chen", pw)
        newcomer = "kettle" if "user name" in says else "dr.new"
        with pytest.raises(passwords.WeakPasswordError, match=says):
            services.add_staff(clinic, admin, newcomer, "Dr New", Role.PHYSICIAN, pw)
    # the nurse's password did not change
    assert run(home, "--user", "nurse.chen", "list", password=NURSE_PASSWORD).returncode == 0


def test_the_cli_refuses_a_weak_password_for_a_new_colleague_in_plain_words(home):
    done = run(
        home,
        "--user",
        ADMIN,
        "user",
        "add",
        "desk",
        "--role",
        "receptionist",
        extra_env={"CLINIC_INBOX_NEW_PASSWORD": "desk1234"},
    )
    assert done.returncode == 1 and "at least 12 characters" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_password_set_under_older_rules_must_be_replaced_at_sign_in(home):
    with _open(home) as clinic, clinic.store.transaction():
        sid = q.staff_login_row(clinic.store, "nurse.chen")[0].id
        q.set_password_hash(clinic.store, sid, passwords.hash_password("chen"))
    refused = run(home, "--user", "nurse.chen", "list", password="chen")
    assert refused.returncode == 1 and "no longer meets the clinic's rules" in refused.stderr
    changed = run(
        home,
        "--user",
        "nurse.chen",
        "list",
        password="chen",
        extra_env={"CLINIC_INBOX_NEW_PASSWORD": NURSE_PASSWORD},
    )
    assert changed.returncode == 0, changed.stderr
    assert run(home, "--user", "nurse.chen", "list", password="chen").returncode == 1


# -- lockout ------------------------------------------------------------------------
def test_eight_wrong_passwords_lock_a_name_and_an_unknown_name_answers_the_same(home):
    with _open(home) as clinic:
        for name in ("nurse.chen", "ghost"):
            for _ in range(passwords.LOCK_AFTER - 1):
                with pytest.raises(services.AuthError, match="not right"):
                    services.login(clinic, name, "wrong guess", sleep=_no_wait)
            with pytest.raises(services.AccountLocked, match="paused"):
                services.login(clinic, name, "wrong guess", sleep=_no_wait)
    # now even the right password is refused, and a made-up name reads exactly alike
    right = run(home, "--user", "nurse.chen", "list", password=NURSE_PASSWORD)
    ghost = run(home, "--user", "ghost", "list", password=NURSE_PASSWORD)
    assert right.returncode == ghost.returncode == 1
    assert "paused after too many wrong passwords" in right.stderr
    assert "ask an administrator to unlock" in right.stderr
    # alike but for the time each lock lifts (the two were set moments apart)
    clock = re.compile(r"\d\d:\d\d")
    assert clock.sub("HH:MM", right.stderr) == clock.sub("HH:MM", ghost.stderr)
    # an administrator unlocks it
    unlocked = run(home, "--user", ADMIN, "user", "unlock", "nurse.chen")
    assert unlocked.returncode == 0 and "can sign in again" in unlocked.stdout
    assert run(home, "--user", "nurse.chen", "list", password=NURSE_PASSWORD).returncode == 0
    with _open(home) as clinic:
        actions = [e.action for e in audit.entries(clinic.store)]
        assert actions.count("login.locked") == 2 and "staff.unlock" in actions
        assert actions.count("login.refused") == 2
        assert audit.verify(clinic.store, clinic.audit_key).ok


def test_a_lock_runs_out_after_its_time(home):
    with _open(home) as clinic:
        for _ in range(passwords.LOCK_AFTER):
            with pytest.raises(services.AuthError):
                services.login(clinic, "nurse.chen", "wrong guess", sleep=_no_wait)
        with pytest.raises(services.AccountLocked):
            services.login(clinic, "nurse.chen", NURSE_PASSWORD, sleep=_no_wait)
        g = sq.guard(clinic.store, "nurse.chen")
        assert g.failures == passwords.LOCK_AFTER and g.locked_until
        with clinic.store.transaction():  # the 15 minutes pass
            sq.lock(clinic.store, "nurse.chen", "2000-01-01T00:00:00+00:00")
        waits: list[float] = []
        services.login(clinic, "nurse.chen", NURSE_PASSWORD, sleep=waits.append)
        assert waits == [0.0]  # a lock that ran out starts the count afresh
        assert sq.guard(clinic.store, "nurse.chen").failures == 0


def test_two_guesses_side_by_side_wait_one_after_the_other(home):
    with _open(home) as clinic:
        for _ in range(6):
            with pytest.raises(services.AuthError):
                services.login(clinic, "nurse.chen", "wrong guess", sleep=_no_wait)
    # After 6 failures the next attempt waits 4 s and the one after 8 s. Held one after
    # the other, the second answer comes 8 s after the first; side by side (even with
    # each attempt counted up front) it would come about 4 s after.
    procs = [start(home, "--user", "nurse.chen", "list", password=f"guess {i}") for i in (1, 2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [1, 1]
    errs = [err for _, err in outs]
    assert sum("paused" in e for e in errs) == 1  # the 8th failure locks
    assert sum("not right" in e for e in errs) == 1
    with _open(home) as clinic:
        assert sq.guard(clinic.store, "nurse.chen").failures == passwords.LOCK_AFTER
        answered = [
            datetime.fromisoformat(e.at)
            for e in audit.entries(clinic.store)
            if e.action == "login.failed"
        ][-2:]
    gap = (answered[1] - answered[0]).total_seconds()
    assert gap >= passwords.failure_delay(7) - 1  # audit times are to the second


# -- an administrator's reset -----------------------------------------------------------
def test_an_administrators_reset_forces_a_new_password_and_says_who_did_it(home):
    temporary = "violet tundra harbor 42"
    done = run(
        home,
        "--user",
        ADMIN,
        "user",
        "reset",
        "nurse.chen",
        extra_env={"CLINIC_INBOX_NEW_PASSWORD": temporary},
    )
    assert done.returncode == 0, done.stderr
    # the administrator (or the nurse) signing in with it cannot start work
    refused = run(home, "--user", "nurse.chen", "list", "--json", password=temporary)
    assert refused.returncode == 1
    assert "reset by an administrator (boss)" in refused.stderr
    assert "CLINIC_INBOX_NEW_PASSWORD" in refused.stderr and refused.stdout == ""
    # a weak choice is refused and changes nothing
    weak = run(
        home,
        "--user",
        "nurse.chen",
        "list",
        password=temporary,
        extra_env={"CLINIC_INBOX_NEW_PASSWORD": "chen2024"},
    )
    assert weak.returncode == 1 and "at least 12 characters" in weak.stderr
    chosen = "plum harbor socket tundra"
    ok = run(
        home,
        "--user",
        "nurse.chen",
        "list",
        "--json",
        password=temporary,
        extra_env={"CLINIC_INBOX_NEW_PASSWORD": chosen},
    )
    assert ok.returncode == 0, ok.stderr
    assert "Your password was reset by an administrator (boss)" in ok.stderr
    assert run(home, "--user", "nurse.chen", "list", password=temporary).returncode == 1
    again = run(home, "--user", "nurse.chen", "list", password=chosen)
    assert again.returncode == 0 and "reset" not in again.stderr
    with _open(home) as clinic:
        entries = audit.entries(clinic.store)
        reset = next(e for e in entries if e.action == "staff.password_reset")
        assert reset.actor == ADMIN and reset.detail["must_change"] is True
        told = [e for e in entries if e.action == "login.password_change_required"]
        assert told and all(e.actor == "nurse.chen" for e in told)
        assert told[0].detail["reason"] == "reset"
        changed = next(e for e in entries if e.action == "staff.password_change")
        assert changed.actor == "nurse.chen" and changed.detail["at_sign_in"] == "reset"
        assert any(e.action == "login" and "after_admin_reset" in e.detail for e in entries)


def test_changing_your_own_password_is_not_a_reset(home):
    with _open(home) as clinic:
        nurse = services.login(clinic, "nurse.chen", NURSE_PASSWORD)
        services.reset_password(clinic, nurse, "nurse.chen", "plum harbor socket tundra")
        session = services.login(clinic, "nurse.chen", "plum harbor socket tundra")
        assert session.notices == ()
        with pytest.raises(AccessDenied):
            services.reset_password(clinic, nurse, ADMIN, "plum harbor socket tundra")
