"""Plain value types shared by the core, the sources and the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    RECEPTIONIST = "receptionist"
    NURSE = "nurse"
    PHYSICIAN = "physician"
    ADMIN = "admin"


class Priority(StrEnum):
    """Triage level. Order matters: URGENT is the most pressing."""

    URGENT = "urgent"
    SAME_DAY = "same_day"
    ROUTINE = "routine"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]

    @property
    def label(self) -> str:
        return _PRIORITY_LABEL[self]


_PRIORITY_RANK = {Priority.URGENT: 0, Priority.SAME_DAY: 1, Priority.ROUTINE: 2, Priority.ADMIN: 3}
_PRIORITY_LABEL = {
    Priority.URGENT: "Urgent",
    Priority.SAME_DAY: "Same day",
    Priority.ROUTINE: "Routine",
    Priority.ADMIN: "Administrative",
}


class Status(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting_on_patient"
    DONE = "done"

    @property
    def label(self) -> str:
        return _STATUS_LABEL[self]


_STATUS_LABEL = {
    Status.NEW: "New",
    Status.IN_PROGRESS: "In progress",
    Status.WAITING: "Waiting on patient",
    Status.DONE: "Done",
}


class Category(StrEnum):
    REFILL = "refill"
    APPOINTMENT = "appointment"
    REFERRAL = "referral"
    RESULTS = "results"
    MEASUREMENTS = "measurements"
    FORMS = "forms"
    BILLING = "billing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _CATEGORY_LABEL[self]

    @property
    def administrative(self) -> bool:
        """Administrative categories are handled fully by the front desk."""
        return self in (Category.APPOINTMENT, Category.FORMS, Category.BILLING)


_CATEGORY_LABEL = {
    Category.REFILL: "Prescription refill",
    Category.APPOINTMENT: "Appointment",
    Category.REFERRAL: "Referral",
    Category.RESULTS: "Results question",
    Category.MEASUREMENTS: "Home measurement",
    Category.FORMS: "Forms",
    Category.BILLING: "Billing",
    Category.OTHER: "Other",
}


class Source(StrEnum):
    EMAIL = "email"
    PORTAL = "portal"


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool = True


@dataclass(frozen=True)
class Patient:
    id: int
    family_name: str
    given_name: str
    birth_date: str | None
    chart_number: str | None
    portal_id: str | None = None
    responsible_physician_id: int | None = None
    emails: tuple[str, ...] = field(default_factory=tuple)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class MessageSummary:
    """One row of the message list: never carries a body."""

    id: int
    thread_id: int
    source: Source
    direction: Direction
    patient_id: int | None
    patient: str | None
    sender: str
    subject: str
    category: Category
    priority: Priority
    status: Status
    received_at: str
    due_at: str | None
    assigned_to: str | None
    sensitive: bool
    needs_review: bool
    attachment_count: int
    snippet: str | None = None
    physician_id: int | None = None  # the patient's responsible physician
    thread_category: Category | None = None
    thread_sensitive: bool = False
    thread_held: bool = False  # held for a person: counts as a patient's for access
    thread_number: int | None = None  # the conversation's clinic-wide number, if it has one


@dataclass(frozen=True)
class MessageDetail:
    id: int
    thread_id: int
    source: Source
    direction: Direction
    sender: str
    recipients: str
    subject: str
    received_at: str
    category: Category
    priority: Priority
    body: str | None  # None when the viewer may not read it
    body_html: str | None
    triage_reason: str | None
    sensitive: bool
    needs_review: bool
    review_reason: str | None
    attachments: tuple[AttachmentInfo, ...] = ()
    sender_check: str | None = None  # verified / unverified / confirmed; None: not checked
    sender_check_detail: str | None = None
    claims_thread_id: int | None = None  # the conversation it claimed to continue
    delivery: str | None = None  # ours: cancelled / not_delivered (see core/bounces.py)
    delivery_detail: str | None = None  # what the patient's mail system answered
    send_after: str | None = None  # ours, kept in the outbox until then


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    filename: str
    content_type: str
    size: int
    content_id: str | None = None


@dataclass(frozen=True)
class ThreadDetail:
    id: int
    subject: str
    patient: Patient | None
    category: Category
    priority: Priority
    status: Status
    assigned_to: str | None
    due_at: str | None
    sensitive: bool
    messages: tuple[MessageDetail, ...]
    access_note: str | None = None  # e.g. "You see this as Dr Patel's delegate."
    body_visible: bool = True
    can_reply: bool = False
    filed_at: str | None = None
    # what this person may do here, from core.access (the screen's buttons follow it)
    can_act: bool = False  # assign, status, priority, sensitive, notes, link
    can_file: bool = False  # file to the chart
    can_break_glass: bool = False  # the body is hidden, and break-glass would open it
    filed_document_id: str | None = None
    number: str = ""  # the number people see and read out ("#7"), from core.numbers
    held_reply: bool = False  # a reply written here waits for its author's word (shared queue)
