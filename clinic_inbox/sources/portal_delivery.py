"""What the portal says became of the messages we sent through it: read by the patient
(its `received` time) or not delivered (status not-done, stopped, entered-in-error).
One search by our own identifier per message still unsettled, for two weeks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from clinic_inbox.core import bounces
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.outgoing_fhir import REPLY_ID_SYSTEM
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.sources.errors import SourceError
from clinic_inbox.sources.fhir_client import FhirClient

log = logging.getLogger(__name__)
WATCH = timedelta(days=14)


def check(clinic: Clinic, account: FhirAccount, token: str | None) -> list[int]:
    """Returns the conversations whose message changed state."""
    since = (datetime.now(UTC) - WATCH).isoformat(timespec="seconds")
    waiting = cq.portal_sent_unsettled(clinic.store, int(account.id or 0), since)
    changed: list[int] = []
    if not waiting:
        return changed
    try:
        with FhirClient(account.base_url, token, account.ca_file) as client:
            for message_id, thread_id, patient_id, ident, recipient in waiting:
                found = [
                    e.get("resource", {})
                    for bundle in client.search(
                        "Communication", {"identifier": f"{REPLY_ID_SYSTEM}|{ident}"}
                    )
                    for e in bundle.get("entry", [])
                ]
                state = next(
                    (s for r in found if (s := bounces.portal_state(r, ident, recipient))), None
                )
                if state is None:
                    continue
                with clinic.store.transaction():
                    if bounces.record_portal_state(
                        clinic.store, clinic.audit_key, message_id, thread_id, patient_id, state
                    ):
                        changed.append(thread_id)
    except SourceError as exc:  # the portal is down: ask again at the next pass
        log.warning("portal delivery states not read: %s", type(exc).__name__)
    return changed
