"""The tests' private keyring starts reliably on a loaded machine (tests/support)."""

from __future__ import annotations

from support.secret_service import SecretService


def test_a_caller_before_the_daemon_does_not_start_a_keyring_of_its_own():
    """A client that asks before our gnome-keyring owns its bus name (a slow start under
    load, or two suites at once) used to make the bus start a second, locked daemon by
    D-Bus activation; every later call then failed with 'Prompt dismissed'."""
    early: list[Exception] = []

    def ask_too_early() -> None:
        from keyring.backends.SecretService import Keyring

        try:
            Keyring().set_password("clinic-inbox-test", "early", "x")
        except Exception as exc:  # noqa: BLE001 - the failure is what is looked at
            early.append(exc)

    service = SecretService().start(before_daemon=ask_too_early)
    try:
        assert len(early) == 1, "nothing should answer before the daemon runs"
        assert "Prompt dismissed" not in str(early[0])
        backend = service.backend()
        backend.set_password("clinic-inbox-test", "later", "kept")
        assert backend.get_password("clinic-inbox-test", "later") == "kept"
    finally:
        service.stop()


def test_a_keyring_daemon_that_ended_is_started_again_with_its_items():
    service = SecretService().start()
    try:
        service.backend().set_password("clinic-inbox-test", "kept", "still here")
        service._keyring.kill()  # noqa: SLF001 - the daemon ending is what is tried
        service._keyring.wait(5)  # noqa: SLF001
        service.ensure_running()
        assert service.backend().get_password("clinic-inbox-test", "kept") == "still here"
    finally:
        service.stop()


def test_asking_for_the_backend_starts_an_ended_daemon_first():
    """The shared fault harness asked for a backend after its daemon had ended (CI, stop
    27) and failed with "neither running nor activatable"."""
    service = SecretService().start()
    try:
        service.backend().set_password("clinic-inbox-test", "kept", "still here")
        service._keyring.kill()  # noqa: SLF001 - the daemon ending is what is tried
        service._keyring.wait(5)  # noqa: SLF001
        assert service.backend().get_password("clinic-inbox-test", "kept") == "still here"
    finally:
        service.stop()


def test_a_backend_made_before_the_daemon_ended_and_a_process_started_after_still_work():
    """Full runs at stop 28 lost the daemon between two calls of one test: a backend made
    earlier said 'org.freedesktop.secrets was not provided', and a CLI process started
    with the session's environment found no keyring."""
    import os
    import subprocess
    import sys

    service = SecretService().start()
    try:
        early = service.backend()
        early.set_password("clinic-inbox-test", "kept", "still here")
        service._keyring.kill()  # noqa: SLF001 - the daemon ending is what is tried
        service._keyring.wait(5)  # noqa: SLF001
        assert early.get_password("clinic-inbox-test", "kept") == "still here"
        service._keyring.kill()  # noqa: SLF001
        service._keyring.wait(5)  # noqa: SLF001
        probe = (
            "from keyring.backends.SecretService import Keyring;"
            "print(Keyring().get_password('clinic-inbox-test', 'kept'))"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe],
            env={**os.environ, **service.env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stdout.strip() == "still here", done.stderr
    finally:
        service.stop()
