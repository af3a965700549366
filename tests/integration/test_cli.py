"""The command line, as a person (or a script) uses it: real processes, real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.clinic_details import INIT_DETAILS

REPO = Path(__file__).resolve().parents[2]
LIST_FIELDS = {
    "id",
    "thread_id",
    "source",
    "patient",
    "subject",
    "category",
    "priority",
    "status",
    "received_at",
    "due_at",
    "assigned_to",
}


def run(
    home: Path,
    *args: str,
    password: str | None = "demo",
    stdin: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(
        {"CLINIC_INBOX_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    )
    if password is not None:
        env["CLINIC_INBOX_PASSWORD"] = password
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *args],
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("demo")
    done = run(home, "demo", "--no-gui")
    assert done.returncode == 0, done.stderr
    assert "Every password is 'demo'" in done.stdout and "admin" in done.stdout
    assert "RECOVERY CODE" in done.stdout
    return home


def test_demo_then_list_json_has_1000_messages_with_the_fields(demo_home):
    done = run(demo_home, "--user", "dr.patel", "list", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) >= 1000
    for row in rows:
        assert LIST_FIELDS <= row.keys()
        assert row["source"] in ("email", "portal")
        assert row["priority"] in ("urgent", "same_day", "routine", "admin")
        assert row["received_at"][-6] in "+-"  # ISO 8601 with an offset
    assert {r["category"] for r in rows} >= {
        "refill",
        "appointment",
        "referral",
        "results",
        "measurements",
        "forms",
        "billing",
        "other",
    }


def test_show_json_gives_bodies_and_receptionists_get_headers_only(demo_home):
    rows = json.loads(run(demo_home, "--user", "dr.patel", "list", "--json").stdout)
    # one of dr.patel's own patients: the list shows its subject (others are masked)
    clinical = next(
        r
        for r in rows
        if r["category"] == "results"
        and r["patient"]
        and not r["subject"].endswith("(details hidden)")
    )
    doc = json.loads(
        run(demo_home, "--user", "dr.patel", "show", str(clinical["thread_id"]), "--json").stdout
    )
    desk = run(
        demo_home, "--user", "reception.moreau", "show", str(clinical["thread_id"]), "--json"
    )
    assert desk.returncode == 0, desk.stderr
    desk = json.loads(desk.stdout)
    assert desk["patient"]["name"] == doc["patient"]["name"]
    assert desk["category"] == "results"
    assert all("body" not in m or m["body"] is None for m in desk["messages"])
    assert desk["messages"] and all("received_at" in m for m in desk["messages"])
    assert all(m.get("body") for m in doc["messages"])
    hidden = next(r for r in rows if r["subject"].endswith("(details hidden)"))
    other = json.loads(
        run(demo_home, "--user", "dr.patel", "show", str(hidden["thread_id"]), "--json").stdout
    )
    assert all("body" not in m for m in other["messages"])


def test_user_list_json(demo_home):
    users = json.loads(
        run(demo_home, "--user", "reception.moreau", "user", "list", "--json").stdout
    )
    assert {u["username"] for u in users} >= {"admin", "dr.patel", "nurse.chen", "reception.moreau"}
    assert {u["role"] for u in users} == {"admin", "physician", "nurse", "receptionist"}


def test_doctor_never_prints_the_key(demo_home):
    done = run(demo_home, "--user", "admin", "doctor")
    assert done.returncode == 0, done.stderr
    assert "Messages:" in done.stdout  # the counts are for administrators
    assert "Integrity check: ok" in done.stdout and "SQLCipher:" in done.stdout
    assert "Schema version:" in done.stdout
    from clinic_inbox.core.keys import KeyCustody

    found = KeyCustody(demo_home, detect=False).load(lambda p, c: "")  # the demo's published wrap
    for secret in (found.db_key, found.audit_key):
        assert secret.hex() not in done.stdout.lower() and secret.hex() not in done.stderr.lower()


def test_commands_that_read_patient_data_require_a_user(demo_home):
    done = run(demo_home, "list", "--json")
    assert done.returncode == 1 and "--user" in done.stderr
    wrong = run(demo_home, "--user", "dr.patel", "list", password="nope")
    assert wrong.returncode == 1 and "not right" in wrong.stderr


def test_init_creates_an_empty_clinic_and_refuses_to_overwrite(tmp_path):
    env = {"CLINIC_INBOX_PASSPHRASE": "a long clinic passphrase"}
    done = run(
        tmp_path / "c",
        "init",
        "--admin",
        "boss",
        *INIT_DETAILS,
        password="granite willow echo lantern",
        extra_env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "RECOVERY CODE" in done.stdout
    store = tmp_path / "c" / "clinic.db"
    before = store.read_bytes()
    again = run(
        tmp_path / "c",
        "init",
        "--admin",
        "boss2",
        *INIT_DETAILS,
        password="granite willow echo lantern",
        extra_env=env,
    )
    assert again.returncode == 1 and "never creates a new store" in again.stderr
    assert store.read_bytes() == before
    users = json.loads(
        run(
            tmp_path / "c",
            "--user",
            "boss",
            "user",
            "list",
            "--json",
            password="granite willow echo lantern",
            extra_env=env,
        ).stdout
    )
    assert [(u["username"], u["role"]) for u in users] == [("boss", "admin")]


def test_wrong_passphrase_and_missing_clinic_are_explained(tmp_path):
    env = {"CLINIC_INBOX_PASSPHRASE": "a long clinic passphrase"}
    assert (
        run(
            tmp_path / "c",
            "init",
            "--admin",
            "boss",
            *INIT_DETAILS,
            password="granite willow echo lantern",
            extra_env=env,
        ).returncode
        == 0
    )
    store = tmp_path / "c" / "clinic.db"
    before = store.read_bytes()
    bad = run(
        tmp_path / "c", "doctor", extra_env={"CLINIC_INBOX_PASSPHRASE": "the wrong passphrase"}
    )
    assert bad.returncode == 1 and "passphrase does not unlock" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert store.read_bytes() == before
    none = run(tmp_path / "nothing", "--user", "x", "list")
    assert none.returncode == 1 and "clinic-inbox demo" in none.stderr
    assert not (tmp_path / "nothing" / "clinic.db").exists()


def test_demo_screenshot_of_each_screen_and_a_damaged_store_refused(tmp_path):
    home = tmp_path / "shots"
    env = {"QT_QPA_PLATFORM": "offscreen"}
    sizes = {}
    for view in ("board", "thread", "dashboard"):
        out = tmp_path / f"{view}.png"
        done = run(home, "demo", "--screenshot", str(out), "--view", view, extra_env=env)
        assert done.returncode == 0, done.stderr
        data = out.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, view
        sizes[view] = data
    assert len(set(sizes.values())) == 3, "three different screens"
    # a torn write in the store's last page: the page check finds it, nothing is shown
    store = home / "clinic.db"
    data = bytearray(store.read_bytes())
    data[-4096 + 300 : -4096 + 364] = bytes(64)
    store.write_bytes(bytes(data))
    out = tmp_path / "damaged.png"
    done = run(home, "demo", "--screenshot", str(out), extra_env=env)
    assert done.returncode == 2 and "damaged" in done.stderr
    assert not out.exists()
    assert store.read_bytes() == bytes(data), "the damaged file is left as it was"
