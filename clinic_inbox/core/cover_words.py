"""The sentence a patient's receipt carries while their physician is away and a
colleague covers (names of staff and a date only)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from clinic_inbox.core.store import cover_queries as cv
from clinic_inbox.core.store.connection import Store

_WORDS = {
    "en": "{physician} is away until {until}; {cover} is covering and will look after your message.",
    "fr": "{physician} est absent(e) jusqu'au {until}; {cover} assure le suivi de votre message.",
}


def cover_sentence(
    store: Store, patient_id: int | None, language: str, tz: ZoneInfo, now: datetime | None = None
) -> str | None:
    if patient_id is None:
        return None
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    a = cv.covering_for_patient(store, patient_id, at)
    if a is None or a.cover is None:
        return None
    until = datetime.fromisoformat(a.ends_at).astimezone(tz).strftime("%Y-%m-%d")
    return _WORDS.get(language, _WORDS["en"]).format(
        physician=a.physician, until=until, cover=a.cover
    )
