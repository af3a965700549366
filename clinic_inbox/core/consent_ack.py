"""Which receipt an incoming email gets, given the patient's agreement (core/consent)."""

from __future__ import annotations

from datetime import datetime

from clinic_inbox.core import consent
from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.ingest import Ingested
from clinic_inbox.core.store import consent_queries as cq
from clinic_inbox.core.store.connection import Store


def receipt_for(store: Store, cfg: ClinicConfig, result: Ingested, now: datetime) -> str:
    """The template name of the automatic receipt: the usual one ("we will answer
    within …") only for a patient who agreed to email, when the clinic requires it."""
    if not cfg.consent_required:
        return "acknowledgement"
    today = now.astimezone(cfg.tz).date()
    agreement = cq.current_agreement(store, result.patient_id) if result.patient_id else None
    return consent.acknowledgement_kind(
        result.patient_id is not None,
        consent.state_of(agreement, today),
        "email",
        consent.allows(agreement, "email", today),
    )
