"""Building a portal reply: an R4 Communication, validated before it is queued."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

REPLY_ID_SYSTEM = "urn:clinic-inbox:reply"


class InvalidReply(ValueError):
    pass


def build_reply(
    *,
    in_response_to: str,
    patient_portal_id: str | None,
    sender_practitioner: str | None,
    sender_display: str,
    text: str,
    category: str | None = None,
    now: datetime | None = None,
    ident: str | None = None,
) -> tuple[dict[str, Any], str]:
    """(Communication, identifier value). The identifier makes the send idempotent; an
    automatic reply passes one derived from the message it answers (`derived_ident`)."""
    ident = ident or f"urn:uuid:{uuid.uuid4()}"
    sent = (
        (now or datetime.now(UTC))
        .astimezone(UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "identifier": [{"system": REPLY_ID_SYSTEM, "value": ident}],
        "status": "completed",
        "inResponseTo": [{"reference": f"Communication/{in_response_to}"}],
        "sent": sent,
        "sender": {"display": sender_display},
        "payload": [{"contentString": text}],
    }
    if sender_practitioner:
        resource["sender"]["reference"] = f"Practitioner/{sender_practitioner}"
    if patient_portal_id:
        resource["subject"] = {"reference": f"Patient/{patient_portal_id}"}
        resource["recipient"] = [{"reference": f"Patient/{patient_portal_id}"}]
    if category:
        resource["category"] = [
            {"coding": [{"system": "urn:clinic-inbox:category", "code": category}]}
        ]
    validate(resource)
    return resource, ident


def derived_ident(base_url: str, in_response_to: str, purpose: str) -> str:
    """The same identifier every time for the same purpose and incoming message: a
    second attempt (a re-sync, a restart after a crash) is the same resource."""
    name = f"{base_url.rstrip('/')}/Communication/{in_response_to}#{purpose}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def validate(resource: dict[str, Any]) -> None:
    """Refuse to queue what a FHIR server would refuse."""
    from fhir.resources.R4B.communication import Communication

    try:
        Communication.model_validate(resource)
    except Exception as exc:  # noqa: BLE001 - pydantic ValidationError
        raise InvalidReply(
            f"The portal reply is not valid FHIR: {str(exc).splitlines()[0]}"
        ) from None
