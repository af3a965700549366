"""A local fault while the app starts its shared sync does not stop the app starting.

`LiveSync.start` reads the clinic keys to claim receipts and safety replies on the
server before they go. A keyring that fails in an unexpected way at that moment (a
locked collection, a D-Bus error the keyring library does not wrap) used to end the
app's start-up. Now the start goes on without claims, and the sync's own thread reads
the keys again and connects once they answer. Real PostgreSQL and a real Secret
Service; the one fault is made by replacing the keys' reader for its first call.
"""

from __future__ import annotations

from workstations import login, new_workstation

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.shared import clinic_keys
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.live import LiveSync


def test_a_keyring_fault_at_start_leaves_the_sync_running_without_claims(
    tmp_path, empty_db, keyring_factory, monkeypatch
):
    dsn = empty_db
    ring = keyring_factory()
    home = tmp_path / "ws-a"
    clinic = new_workstation(home, ring.backend())
    custody = KeyCustody(home, backend=ring.backend())
    srv.init_server(clinic, login(clinic, "admin"), dsn, custody)

    real_load = clinic_keys.load
    calls: list[str] = []

    def load_failing_once(c):  # noqa: ANN001, ANN202
        calls.append("load")
        if len(calls) == 1:
            raise RuntimeError("the keyring's D-Bus call failed")
        return real_load(c)

    monkeypatch.setattr(clinic_keys, "load", load_failing_once)
    live = LiveSync(clinic, custody=custody, app="ws-a")
    try:
        assert live.start() is live  # no exception reached the app
        assert live._claims is None  # nothing claimed with keys it could not read
        assert live.connected.wait(30), "the sync's thread did not connect afterwards"
        assert len(calls) >= 2  # the thread read the keys again
    finally:
        live.stop()
        clinic.close()
