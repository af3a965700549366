"""One function per user action. Each checks access, does the work and writes
its audit entry in one transaction. The CLI and the GUI call only these.

The functions live in `services_*` modules by what they hold (staff and sessions,
reading, workflow, delegation, replies, chart, store...). This module re-exports
them so `services.X` keeps working for every caller. Setting a name here (a test's
monkeypatch of `services._now`) also sets it in the module that uses it, as it did
when everything lived in this one file.
"""

from __future__ import annotations

import sys
import types

from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.services_accounts import (
    add_fhir_account,
    add_imap_account,
    list_accounts,
)
from clinic_inbox.core.services_chart import (
    ChartFiling,
    ChartNetwork,
    after_filing,
    chart_portal,
    export_thread,
    file_to_chart,
    finished_since,
)
from clinic_inbox.core.services_common import (
    BREAK_GLASS_MINUTES,
    MAX_TEXT_CHARS,
    Joined,
    NotFound,
    _audit,
    _check_text,
    _fresh,
    _now,
    _refuse,
)
from clinic_inbox.core.services_delegation import (
    DelegationView,
    break_glass,
    break_glass_review,
    delegation_views,
    grant_delegation,
    list_delegations,
    revoke_delegation,
)
from clinic_inbox.core.services_glass_review import Reviewed, mark_break_glass_reviewed
from clinic_inbox.core.services_key_slots import key_protection, turn_on_staff_slots  # noqa: F401
from clinic_inbox.core.services_presence import (
    PRESENCE_WINDOW,
    mark_presence,
    others_on_thread,
)
from clinic_inbox.core.services_reading import (
    _NEUTRAL_REASON,
    BoardThread,
    MessageFilter,
    _audit_search,
    _decide,
    _Decider,
    attachment_data,
    board,
    board_threads,
    clinic_number,
    decision_for,
    list_messages,
    list_threads,
    masked_subject,
    neutral_reason,
    number_label,
    numbers_shared,
    seen_as,
    show_thread,
)
from clinic_inbox.core.services_reply import queue_reply  # the only way a reply is queued
from clinic_inbox.core.services_reply_queue import (
    MOVE_KINDS,
    _queue_outgoing,
    _queue_portal_reply,
    _signature,
    move_to_call_or_visit,
)
from clinic_inbox.core.services_senders import (
    SENDER_NOT_VERIFIED,
    _require_confirmed_sender,
    confirm_sender,
)
from clinic_inbox.core.services_staff_edits import edit_delegation, set_display_name  # noqa: F401
from clinic_inbox.core.services_staff_sessions import (
    _check_new_password,
    add_staff,
    create_first_admin,
    list_staff,
    login,
    logout,
    reauthenticate,
    reset_password,
    set_staff_active,
    unlock_account,
)
from clinic_inbox.core.services_store_admin import (
    StoreHealth,
    audit_trail,
    backup_store,
    check_backup_allowed,
    export_audit,
    refuse_replacing_sound_store,
    restore_sign_in,
    reveal_search_terms,
    store_health,
    verify_audit,
)
from clinic_inbox.core.services_workflow import (
    LinkResult,
    _acting,
    _change_status,
    _clock_on_status_change,
    add_note,
    assign,
    find_patients,
    link_patient,
    mark_sensitive,
    send_note_again,
    set_priority,
    set_responsible_physician,
    set_status,
    staff_id_named,
    thread_notes,
)
from clinic_inbox.core.signin import (
    AccountLocked,
    AuthError,
    PasswordChangeRequired,
    Session,
    SessionEnded,
)
from clinic_inbox.core.store import StoreError

_PARTS = (
    "clinic_inbox.core.services_common",
    "clinic_inbox.core.services_staff_sessions",
    "clinic_inbox.core.services_reading",
    "clinic_inbox.core.services_workflow",
    "clinic_inbox.core.services_delegation",
    "clinic_inbox.core.services_accounts",
    "clinic_inbox.core.services_reply_queue",
    "clinic_inbox.core.services_reply",
    "clinic_inbox.core.services_chart",
    "clinic_inbox.core.services_senders",
    "clinic_inbox.core.services_presence",
    "clinic_inbox.core.services_store_admin",
)

__all__ = [
    "AccessDenied",
    "StoreError",
    "MessageFilter",
    "finished_since",
    "clinic_number",
    "number_label",
    "numbers_shared",
    "seen_as",
    "staff_id_named",
    "AccountLocked",
    "AuthError",
    "PasswordChangeRequired",
    "Session",
    "SessionEnded",
    "BREAK_GLASS_MINUTES",
    "NotFound",
    "Joined",
    "_now",
    "_audit",
    "_refuse",
    "MAX_TEXT_CHARS",
    "_check_text",
    "_fresh",
    "_check_new_password",
    "create_first_admin",
    "add_staff",
    "set_staff_active",
    "reset_password",
    "unlock_account",
    "list_staff",
    "login",
    "reauthenticate",
    "logout",
    "_decide",
    "decision_for",
    "masked_subject",
    "_NEUTRAL_REASON",
    "neutral_reason",
    "_audit_search",
    "_Decider",
    "list_messages",
    "BoardThread",
    "board",
    "board_threads",
    "list_threads",
    "show_thread",
    "attachment_data",
    "_acting",
    "assign",
    "set_status",
    "_change_status",
    "_clock_on_status_change",
    "set_priority",
    "mark_sensitive",
    "add_note",
    "send_note_again",
    "thread_notes",
    "find_patients",
    "LinkResult",
    "link_patient",
    "set_responsible_physician",
    "grant_delegation",
    "list_delegations",
    "DelegationView",
    "delegation_views",
    "revoke_delegation",
    "break_glass",
    "break_glass_review",
    "mark_break_glass_reviewed",
    "Reviewed",
    "add_imap_account",
    "add_fhir_account",
    "list_accounts",
    "queue_reply",
    "MOVE_KINDS",
    "move_to_call_or_visit",
    "_queue_outgoing",
    "_signature",
    "_queue_portal_reply",
    "export_thread",
    "ChartFiling",
    "ChartNetwork",
    "after_filing",
    "chart_portal",
    "file_to_chart",
    "SENDER_NOT_VERIFIED",
    "_require_confirmed_sender",
    "confirm_sender",
    "PRESENCE_WINDOW",
    "mark_presence",
    "others_on_thread",
    "backup_store",
    "check_backup_allowed",
    "restore_sign_in",
    "refuse_replacing_sound_store",
    "StoreHealth",
    "store_health",
    "verify_audit",
    "export_audit",
    "audit_trail",
    "reveal_search_terms",
]


class _Facade(types.ModuleType):
    """Rebinding a name here rebinds it wherever a part module uses that same object,
    so patching `services.X` reaches the code that calls X (and undoing it restores it)."""

    def __setattr__(self, name: str, value: object) -> None:
        old = self.__dict__.get(name, _MISSING)
        if old is not _MISSING and not isinstance(old, types.ModuleType):
            for part in _PARTS:
                part_vars = vars(sys.modules[part])
                if part_vars.get(name, _MISSING) is old:
                    part_vars[name] = value
        super().__setattr__(name, value)


_MISSING = object()
sys.modules[__name__].__class__ = _Facade
