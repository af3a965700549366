"""When a safety reply the clinic's server could not be asked about may go unclaimed.

At once only on the workstation whose ingest lease still runs by its own clock, and only
for a message no other workstation can hold: one the server never received. A message
the server took before it went out of reach may have been pulled by another
workstation, which can claim the same reply and send it: this one waits then, and looks
for that copy in the Sent folder (found by the mail fault harness: a holder cut off
just after it had shared an urgent message, and a workstation that had pulled it, each
sent its safety reply). On a real SQLCipher store, its messages filed as the mail sync
files them; the server's acceptance is recorded as the push records it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workstations import new_workstation, receive

from clinic_inbox.core import lease_clock, send_claims
from clinic_inbox.core.store import shared_queries as shq


def _incoming_id(clinic, thread: int) -> tuple[int, str]:  # noqa: ANN001
    return clinic.store.execute(
        "SELECT id, message_id_header FROM messages WHERE thread_id = ? AND direction = 'in'",
        (thread,),
    ).fetchone()


def test_at_once_only_for_a_message_the_server_never_had(tmp_path, secret_service):
    clinic = new_workstation(tmp_path / "front", secret_service.backend())
    try:
        kept, shared = receive(clinic, 2)
        _, kept_mid = _incoming_id(clinic, kept)
        shared_row, shared_mid = _incoming_id(clinic, shared)
        with clinic.store.transaction():  # the server took this one (its push recorded)
            shq.set_message_identity(clinic.store, shared_row, "server-identity-1")
        assert not shq.incoming_on_server(clinic.store, kept_mid)
        assert shq.incoming_on_server(clinic.store, shared_mid)
        assert not shq.incoming_on_server(clinic.store, None)
        assert not shq.incoming_on_server(clinic.store, "<nobody@patients.example>")

        long_wait = timedelta(seconds=2 * 30 + send_claims.CLAIM_RETRY_SECONDS)
        # the lease running by this workstation's own clock
        lease_clock.remember(clinic.store.path, datetime.now(UTC) + timedelta(minutes=1), 30)
        for mid, wait in ((kept_mid, timedelta(0)), (shared_mid, long_wait)):
            on_server = shq.incoming_on_server(clinic.store, mid)
            assert send_claims.unclaimed_wait(clinic.store, on_server=on_server) == wait
        # the lease over: both wait
        lease_clock.remember(clinic.store.path, None, 30)
        for mid in (kept_mid, shared_mid):
            on_server = shq.incoming_on_server(clinic.store, mid)
            assert send_claims.unclaimed_wait(clinic.store, on_server=on_server) == long_wait
    finally:
        clinic.close()
