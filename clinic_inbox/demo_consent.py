"""The demo clinic's agreements and proxies: most patients agreed to email (and to the
portal when they have an account), one never did, one opted out, and the daughter
who writes "Results for my mom" is on record as her mother's proxy for results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clinic_inbox.core.store import consent_queries as cq
from clinic_inbox.core.store.connection import Store

if TYPE_CHECKING:
    from clinic_inbox.demo import DemoData

NO_AGREEMENT = 1  # patient keys
OPTED_OUT = 2
DAUGHTER = "c.delgado@gmail.example"


def record_demo_consents(
    store: Store, data: DemoData, patient_ids: dict[int, int], staff_ids: dict[str, int]
) -> None:
    from clinic_inbox.demo import MOTHER

    desk = staff_ids.get("reception.moreau")
    for p in data.patients:
        if p.key == NO_AGREEMENT:
            continue
        channels = frozenset({"email", "portal"} if p.portal_id else {"email"})
        # agreed at a visit over the past two years, on the signed form
        agreed = f"{2024 + p.key % 2}-{p.key % 12 + 1:02d}-{p.key % 27 + 1:02d}"
        ended = (
            ("2025-11-04", "opted-out", "prefers the phone", desk) if p.key == OPTED_OUT else None
        )
        cq.add_agreement(
            store, patient_ids[p.key], channels, "v1", agreed, "signed-form", desk, ended=ended
        )
    if MOTHER in patient_ids:
        cq.add_proxy(
            store,
            patient_ids[MOTHER],
            "Carmen Delgado",
            "caregiver",
            DAUGHTER,
            frozenset({"results", "appointments"}),
            "2025-09-15",
            None,
            "Authorisation signed by Rosa Delgado, scanned to the chart",
            staff_ids[data.patients[MOTHER].physician],
        )
