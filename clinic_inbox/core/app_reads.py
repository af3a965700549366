"""What the app reads, through one door: the UI never imports `core.store`.

Small read helpers and the few store types the screens name (a filter, a row, the
errors the start-up screen explains). Reads run on the GUI thread's own connection:
in WAL mode they never wait for the writer or the sync.
"""

from __future__ import annotations

from clinic_inbox.core import audit, services
from clinic_inbox.core import dashboard as _dashboard
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Staff
from clinic_inbox.core.store import StoreError
from clinic_inbox.core.store import outbox_queries as _oq
from clinic_inbox.core.store import queries as _q
from clinic_inbox.core.store.migrations import NewerSchemaError
from clinic_inbox.core.store.queries import ThreadFilter, ThreadRow

__all__ = [
    "NewerSchemaError",
    "StoreError",
    "ThreadFilter",
    "ThreadRow",
    "audit_entries",
    "dashboard",
    "demo_usernames",
    "is_demo",
    "replies_waiting",
    "team",
    "verify_audit",
]


def is_demo(clinic: Clinic) -> bool:
    """The demo clinic (invented people): replies there are never sent."""
    return _q.get_meta(clinic.store, "demo") == "1"


def demo_usernames(clinic: Clinic) -> list[str]:
    """The demo's user names for its sign-in screen; none for a real clinic."""
    if not is_demo(clinic):
        return []
    return [s.username for s in _q.list_staff(clinic.store, include_inactive=False)]


def team(clinic: Clinic) -> list[Staff]:
    """Active staff: the team list, the physician filter."""
    return _q.list_staff(clinic.store, include_inactive=False)


def replies_waiting(clinic: Clinic) -> int:
    waiting = _oq.counts(clinic.store)
    return waiting.get("pending", 0) + waiting.get("sending", 0)


def dashboard(clinic: Clinic) -> _dashboard.Dashboard:
    """Counts only, no message content: every role may see it."""
    return _dashboard.build(clinic.store, clinic.config)


def audit_entries(
    clinic: Clinic, session: services.Session, patient_id: int | None = None
) -> list[audit.AuditEntry]:
    """The trail for the administrator's screen (the service checks who asks)."""
    return services.audit_trail(clinic, session, patient_id=patient_id)


def verify_audit(clinic: Clinic, session: services.Session) -> str:
    return services.verify_audit(clinic, session).describe()
