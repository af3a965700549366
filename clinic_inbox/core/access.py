"""The access policy: one place that answers "may this person do that?".

Services ask it; the CLI and the GUI only hide what it would refuse anyway.
It is a pure function of who asks, what the thread is, which delegations are
active and whether a break-glass opening is running, so it can be tested as
a decision table.

The rules, in words:
- A physician reads and acts on their own patients' messages, and on what
  other physicians delegated to them.
- A nurse works on the clinical messages of physicians who delegated to them.
- Receptionists (and nurses) work administrative messages (appointments,
  forms, billing) fully; of clinical messages a receptionist sees only the
  header (patient, category, priority, times, assignee) unless delegated.
- Sensitive messages are read only by the patient's responsible physician and
  by delegates explicitly allowed sensitive content.
- Messages not yet linked to a patient are read by the front desk and the
  clinical team so they can be linked, unless they are sensitive (physicians only).
- An administrator manages staff and delegations and reads the audit trail,
  but never message contents.
- Break-glass: clinical staff may open a message they could not otherwise read
  by giving a reason; the opening is time-limited, flagged and reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clinic_inbox.core.model import Category, Role, Staff


class AccessDenied(Exception):
    """Refused by the policy; the message says why in plain words."""


def require(allowed: bool, why: str) -> None:
    if not allowed:
        raise AccessDenied(why)


@dataclass(frozen=True)
class ThreadFacts:
    """What the policy needs to know of a conversation."""

    category: Category
    sensitive: bool
    physician_id: int | None  # the patient's responsible physician
    patient_known: bool


@dataclass(frozen=True)
class Grant:
    """One delegation from a physician to the person asking."""

    id: int
    physician_id: int
    physician_name: str
    categories: frozenset[Category] | None  # None: every category
    include_sensitive: bool
    can_view: bool
    can_reply: bool
    can_file: bool
    starts_at: str
    ends_at: str | None
    revoked_at: str | None

    def active(self, now: datetime) -> bool:
        stamp = now.isoformat(timespec="seconds")
        if self.revoked_at is not None or self.starts_at > stamp:
            return False
        return self.ends_at is None or stamp < self.ends_at

    def covers(self, facts: ThreadFacts) -> bool:
        if facts.physician_id != self.physician_id:
            return False
        if self.categories is not None and facts.category not in self.categories:
            return False
        return self.include_sensitive or not facts.sensitive


@dataclass(frozen=True)
class Decision:
    header: bool
    body: bool
    reply: bool
    file: bool
    act: bool  # assign, change status or priority, add notes
    via: str  # "own", "delegate", "front desk", "team", "break-glass", "header only", "none"
    delegate_of: str | None = None
    why_not: str = ""

    @property
    def as_delegate_note(self) -> str | None:
        if self.delegate_of:
            return f"You see this as {self.delegate_of}'s delegate."
        if self.via == "break-glass":
            return "Opened with break-glass: this access is recorded and reviewed."
        return None


CLINICAL_ROLES = (Role.PHYSICIAN, Role.NURSE)

_HEADER_ONLY = "Only the header is shown: this message is outside your role."
_SENSITIVE = (
    "This message is marked sensitive: only the patient's physician and delegates allowed "
    "sensitive content may read it."
)


def decide(
    staff: Staff,
    facts: ThreadFacts,
    grants: list[Grant] | tuple[Grant, ...] = (),
    *,
    now: datetime,
    break_glass: bool = False,
) -> Decision:
    if not staff.active:
        return Decision(
            False, False, False, False, False, "none", why_not="This account is disabled."
        )
    if staff.role is Role.ADMIN:
        return Decision(
            True,
            False,
            False,
            False,
            False,
            "header only",
            why_not="Administrators manage staff and the audit trail, not message contents.",
        )
    # Own patients.
    if staff.role is Role.PHYSICIAN and facts.physician_id == staff.id:
        return Decision(True, True, True, True, True, "own")
    # Delegations: the first active grant that covers the thread.
    for g in grants:
        if g.active(now) and g.covers(facts) and g.can_view:
            return Decision(
                True, True, g.can_reply, g.can_file, True, "delegate", delegate_of=g.physician_name
            )
    clinical = staff.role in CLINICAL_ROLES
    if break_glass and clinical:
        return Decision(True, True, True, False, True, "break-glass")
    if facts.sensitive:
        if not facts.patient_known and staff.role is Role.PHYSICIAN:
            return Decision(True, True, True, False, True, "team")
        return Decision(True, False, False, False, True, "header only", why_not=_SENSITIVE)
    if not facts.patient_known:
        # Unlinked messages must be read to be linked to the right patient, and the
        # sender may need to be asked who they are.
        return Decision(True, True, True, False, True, "front desk")
    if facts.category.administrative:
        return Decision(True, True, True, False, True, "front desk")
    return Decision(True, False, False, False, True, "header only", why_not=_HEADER_ONLY)


def can_manage_staff(staff: Staff) -> bool:
    return staff.active and staff.role is Role.ADMIN


def can_manage_settings(staff: Staff) -> bool:
    return staff.active and staff.role is Role.ADMIN


def can_read_audit(staff: Staff) -> bool:
    return staff.active and staff.role in (Role.ADMIN, Role.PHYSICIAN)


def can_export_audit(staff: Staff) -> bool:
    """The whole trail (every patient's name in it) is the privacy officer's."""
    return staff.active and staff.role is Role.ADMIN


def can_copy_store(staff: Staff) -> bool:
    """Backup and restore move the whole store (every message, every password hash):
    an administrator's act, never a front-desk one."""
    return staff.active and staff.role is Role.ADMIN


def can_see_store_counts(staff: Staff) -> bool:
    """`doctor` shows any signed-in person the store's health (paths, cipher, custody,
    integrity); how many patients and messages it holds is the administrator's."""
    return staff.active and staff.role is Role.ADMIN


def may_relink(
    staff: Staff,
    now_decision: Decision,
    after_decision: Decision,
    current_physician_id: int | None,
    target_physician_id: int | None,
    patient_known: bool,
) -> tuple[bool, bool, str]:
    """May this person file a conversation under another patient?

    Returns (allowed, needs break-glass flag, why not). Linking changes who may read a
    conversation, so it must never open one to the person linking:
    - they must read it now (an unknown sender's message is read by the front desk and
      the clinical team precisely so that it can be linked: filing it under a patient
      only narrows who reads it);
    - moving it from one patient to another also needs read access under the new
      patient (no one moves a conversation into a chart they cannot read);
    - moving it out of another physician's care is that physician's decision: anyone
      else needs a running break-glass opening, and the move is flagged in the audit.
    """
    if staff.role is Role.ADMIN or not staff.active:
        return False, False, "Administrators do not file messages under patients."
    if not now_decision.body:
        return (
            False,
            False,
            "You may file a conversation under a patient only if you may read it.",
        )
    if not patient_known:
        return True, False, ""
    if not after_decision.body:
        return (
            False,
            False,
            "You may not move this conversation to that patient: you could not read it there.",
        )
    if current_physician_id is not None and current_physician_id != target_physician_id:
        if staff.id == current_physician_id:
            return True, False, ""
        if now_decision.via == "break-glass":
            return True, True, ""
        return (
            False,
            False,
            "This conversation is in another physician's care; only that physician may "
            "move it to a patient of someone else (or use break-glass, which is reviewed).",
        )
    return True, False, ""


def may_unlink(
    staff: Staff, now_decision: Decision, current_physician_id: int | None
) -> tuple[bool, bool, str]:
    """May this person take a conversation off a patient's chart (a wrong link)?

    Returns (allowed, needs break-glass flag, why not). Unlinked, it goes back to the
    front desk and the clinical team to be filed again, so the rules of a move apply:
    the person must read it now, and a clinical conversation in a physician's care is
    that physician's (anyone else only under a running break-glass opening, flagged);
    an administrative one is the front desk's."""
    if staff.role is Role.ADMIN or not staff.active:
        return False, False, "Administrators do not file messages under patients."
    if not now_decision.body:
        return False, False, "You may take a conversation off a chart only if you may read it."
    # administrative messages are the front desk's to handle, whoever the physician
    if now_decision.via == "front desk":
        return True, False, ""
    if current_physician_id is not None and staff.id != current_physician_id:
        if now_decision.via == "break-glass":
            return True, True, ""
        return (
            False,
            False,
            "This conversation is in another physician's care; only that physician may take "
            "it off the chart (or use break-glass, which is reviewed).",
        )
    return True, False, ""


def can_edit_patients(staff: Staff) -> bool:
    """Adding a patient and correcting a name, birth date, chart number or address: the
    people who file messages, and administrators setting up the clinic."""
    return staff.active


def can_delegate_for(staff: Staff, physician: Staff) -> bool:
    """A physician delegates their own inbox; an administrator may do it for them."""
    if not staff.active or physician.role is not Role.PHYSICIAN:
        return False
    return staff.role is Role.ADMIN or staff.id == physician.id


def can_break_glass(staff: Staff) -> bool:
    return staff.active and staff.role in CLINICAL_ROLES


def may_manage_consent(
    staff: Staff, physician_id: int | None, grants: list[Grant] | tuple[Grant, ...], now: datetime
) -> tuple[bool, str]:
    """May this person record or end a patient's agreement, or their proxies? These
    decide who the clinic writes to about the patient, so they belong to the patient's
    care team: their physician, whoever that physician delegated to (front desk
    included), and anyone but an administrator for a patient with no physician yet.
    Returns (allowed, why not)."""
    if not staff.active:
        return False, "This account is disabled."
    if staff.role is Role.ADMIN:
        return False, "Administrators do not change patients' records."
    if physician_id is None or physician_id == staff.id:
        return True, ""
    if any(g.active(now) and g.physician_id == physician_id for g in grants):
        return True, ""
    return (
        False,
        "Only this patient's physician, and those they delegated to, may change who the "
        "clinic writes to about this patient: ask their physician's team.",
    )
