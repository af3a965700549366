"""The app's terms actions (like core/app_actions.py): the one service call each wraps.
No Qt here."""

from __future__ import annotations

from clinic_inbox.core import services_terms
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.signin import Session


def terms_view(clinic: Clinic, session: Session) -> Outcome:
    return Outcome(services_terms.terms_view(clinic, session))


def publish_terms(clinic: Clinic, session: Session, texts: dict[str, str]) -> Outcome:
    version = services_terms.publish_terms(clinic, session, texts)
    # the patient headers read the current version when they are next shown
    return Outcome((version, services_terms.terms_view(clinic, session)))
