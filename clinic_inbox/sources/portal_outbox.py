"""Sending portal replies. A conditional create on the reply's own identifier makes a
retry harmless: the server keeps one Communication however often it is asked."""

from __future__ import annotations

import json

from clinic_inbox.core import outgoing_fhir
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.sources.errors import SourceError
from clinic_inbox.sources.fhir_client import FhirClient
from clinic_inbox.sources.outbox import OutboxReport


def flush_account(clinic: Clinic, account: FhirAccount, token: str | None) -> OutboxReport:
    report = OutboxReport()
    store = clinic.store
    mine = lambda items: [i for i in items if i.account_id == account.id]  # noqa: E731
    # Interrupted sends are simply retried: the conditional create cannot duplicate.
    with store.transaction():
        for item in mine(oq.in_state(store, "sending", "portal")):
            oq.reset_to_pending(store, item.id)
    due = mine(oq.due(store, "portal"))
    if not due:
        return report
    with FhirClient(account.base_url, token, account.ca_file) as client:
        for item in due:
            with store.transaction():
                oq.mark_sending(store, item.id)
            try:
                resource = json.loads(item.payload)
                outgoing_fhir.validate(resource)
                created = client.create_once(
                    resource, (outgoing_fhir.REPLY_ID_SYSTEM, item.idempotency_key)
                )
            except (SourceError, outgoing_fhir.InvalidReply, ValueError) as exc:
                with store.transaction():
                    state = oq.mark_retry(store, item.id, str(exc))
                report.errors.append(str(exc))
                if state == "failed":
                    report.failed += 1
                else:
                    report.waiting += 1
                if isinstance(exc, SourceError) and exc.offline:
                    break
                continue
            with store.transaction():
                oq.mark_sent(store, item.id)
                if item.message_id and isinstance(created.get("id"), str):
                    cq.record_portal_copy(store, item.message_id, created["id"])
            report.sent += 1
    return report
