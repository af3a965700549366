"""A keyring that answers late is still found (issue 14).

The app used to ask once, at start, whether a secure keyring exists: a Secret Service
that did not answer that one probe in time (a desktop session still starting, a busy
computer) made a workstation say "no secure keyring is available now" although the
keyring was there a second later. These tests use the tests' real gnome-keyring on a
private bus, with its daemon stopped and started while the app is asking.
"""

from __future__ import annotations

import threading
import time

import pytest

from clinic_inbox.core import keys
from clinic_inbox.core.home import create_clinic, open_clinic
from clinic_inbox.core.keys import KEYRING_PATIENCE, CustodyChangedError, KeyCustody

# how long after the app began asking the keyring's daemon is started
LATE = 0.5


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("a secure keyring needs no passphrase")


@pytest.fixture()
def service():
    """A keyring of this test's own: its daemon is stopped and started here."""
    from support.secret_service import SecretService, SecretServiceUnavailable

    try:
        started = SecretService().start()
    except SecretServiceUnavailable as exc:
        pytest.fail(str(exc))
    yield started
    started.stop()


@pytest.fixture()
def probes(monkeypatch):
    """Counts the app's probes of the keyring (each one still the real probe)."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    real = keys._probe_secure_backend  # noqa: SLF001
    counted: list[float] = []

    def probe():  # noqa: ANN202
        counted.append(time.monotonic())
        return real()

    monkeypatch.setattr(keys, "_probe_secure_backend", probe)
    return counted


def _keyring_clinic(service, home):  # noqa: ANN001, ANN202
    clinic, _code = create_clinic(home, _never, KeyCustody(home, backend=service.backend()))
    found = clinic.secrets
    assert clinic.custody.method == "keyring"
    clinic.close()
    return found


def test_a_keyring_that_answers_late_is_found_and_the_clinic_opens(tmp_path, service, probes):
    home = tmp_path / "c"
    found = _keyring_clinic(service, home)
    service.stop_daemon()  # the desktop session has not started its keyring yet
    got: dict[str, object] = {}

    def start_workstation() -> None:
        began = time.monotonic()
        got["custody"] = KeyCustody(home)
        got["seconds"] = time.monotonic() - began

    with service.activated():  # this process on the session's bus, as a workstation is
        app = threading.Thread(target=start_workstation)
        app.start()
        time.sleep(LATE)
        assert app.is_alive(), "the app stopped asking before the keyring came"
        assert probes, "the app had not asked yet"
        service.start_daemon()
        app.join(30)
        custody = got["custody"]
        assert isinstance(custody, KeyCustody)
        assert custody.secure_backend_available, custody.why_no_keyring
        # the first probe found nothing; a later one found the keyring and the app went on
        assert len(probes) >= 2 and got["seconds"] >= LATE
        with open_clinic(home, _never, custody) as clinic:
            assert clinic.secrets == found


def test_with_no_keyring_at_all_the_plain_message_after_the_retry_window(tmp_path, service, probes):
    home = tmp_path / "c"
    _keyring_clinic(service, home)
    service.stop_daemon()  # and never started again
    with service.activated():
        began = time.monotonic()
        custody = KeyCustody(home)
        waited = time.monotonic() - began
        assert not custody.secure_backend_available
        with pytest.raises(CustodyChangedError) as said:
            open_clinic(home, _never, custody)
    assert "Log in to the desktop session that unlocks the keyring and try again" in str(said.value)
    assert "no secure password store" in str(said.value)
    # asked a few times over the retry window, no longer
    assert 3 <= len(probes) <= 8, probes
    assert KEYRING_PATIENCE - 0.05 <= waited < KEYRING_PATIENCE + 5, waited


def test_a_keyring_that_answers_at_once_is_asked_once(tmp_path, service, probes):
    home = tmp_path / "c"
    found = _keyring_clinic(service, home)
    with service.activated():
        custody = KeyCustody(home)
        assert custody.secure_backend_available
        assert len(probes) == 1
        with open_clinic(home, _never, custody) as clinic:
            assert clinic.secrets == found


def test_a_clinic_without_a_keyring_never_waits_for_one(tmp_path, probes, monkeypatch):
    """A passphrase clinic (or one not set up yet) on a computer with no keyring: the
    app does not wait for a keyring it does not use."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    home = tmp_path / "c"
    clinic, _code = create_clinic(home, lambda p, c: "a long enough passphrase", KeyCustody(home))
    clinic.close()
    assert len(probes) == 1
    probes.clear()
    custody = KeyCustody(home)
    assert custody.record().method == "passphrase" and not custody.secure_backend_available
    assert len(probes) == 1
