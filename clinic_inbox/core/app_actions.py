"""The app's actions, each the one service call it wraps plus what it changed.

A thin layer: `services` functions return their own values (the CLI and the tests
rely on them) and report what they changed beside them (`changes.note`, committed
writes only); each action here runs its service under `changes.run` and hands both
to the app, with the slow part that may run after the answer is shown
(`Outcome.later`: filing on done). What screens only read is in `app_loads`.

Everything here runs on the app's one writer thread, on that thread's own store
connection (see `ui/actions.py`); nothing here imports Qt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from clinic_inbox.core import app_reads, services
from clinic_inbox.core.app_reads import ThreadFilter
from clinic_inbox.core.changes import Outcome, run
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category, Priority, Role, Staff, Status, ThreadDetail

Session = services.Session


def _acted(fn: Callable[..., object], *args: object, **kwargs: object) -> Outcome:
    """The service's own answer and what it reported changing."""
    return Outcome(*run(fn, *args, **kwargs))


# -- sign-in (Argon2 and the slow-down after wrong passwords: never on the GUI thread) --
def login(
    clinic: Clinic,
    username: str,
    password: str,
    *,
    sleep: Callable[[float], None] | None = None,
    new_password: str | None = None,
) -> Outcome:
    kw = {"sleep": sleep} if sleep else {}
    return Outcome(services.login(clinic, username, password, new_password=new_password, **kw))


def reauthenticate(
    clinic: Clinic,
    session: Session,
    password: str,
    purpose: str = "unlock",
    *,
    sleep: Callable[[float], None] | None = None,
) -> Outcome:
    kw = {"sleep": sleep} if sleep else {}
    services.reauthenticate(clinic, session, password, purpose=purpose, **kw)
    return Outcome(True)


# -- opening a conversation --------------------------------------------------------
@dataclass(frozen=True)
class ThreadView:
    """Everything the conversation panel shows, read in one go on the writer."""

    detail: ThreadDetail
    notes: list[tuple]
    others: list[tuple[str, str]]  # (name, "viewing" | "replying")
    staff: list[Staff]  # people a conversation can be assigned to
    images: dict[str, bytes]  # inline images (cid -> bytes) the messages show
    # the conversation asked for, when it had been joined with this one (shared queue),
    # and that said in words
    joined_from: int | None = None
    joined_note: str = ""


def open_thread(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    shown: ThreadDetail | None = None,
    images_loaded: frozenset[str] = frozenset(),
) -> Outcome:
    """A person opens a conversation (an audited view, and "viewing" for the others);
    with `shown`, the panel refreshes what is already open: no second view entry
    unless something new is now on screen (nor for inline images already loaded).
    A conversation joined with another one opens that one, as a new view (its own
    access decision and audit entry), saying which it was asked for."""
    try:
        detail = services.show_thread(clinic, session, thread_id, shown=shown)
    except services.Joined as joined:
        opened = open_thread(clinic, session, joined.into)
        # (one line under the panel's buttons: the whole story is the exception's text)
        note = f"Conversation {joined.label} was joined with this one."
        view = dataclasses.replace(opened.value, joined_from=thread_id, joined_note=note)
        return Outcome(view, opened.changes)
    presence = Outcome()
    if shown is None:
        presence = _acted(services.mark_presence, clinic, session, thread_id, "viewing")
    notes = services.thread_notes(clinic, session, thread_id) if detail.body_visible else []
    images = {}
    for m in detail.messages if detail.body_visible else ():
        for a in m.attachments:
            cid = a.content_id
            if (
                cid
                and cid not in images_loaded
                and a.content_type.startswith("image/")
                and f"cid:{cid}" in (m.body_html or "")
            ):
                images[cid] = services.attachment_data(clinic, session, a.id)[2]
    staff = [
        s for s in services.list_staff(clinic, session) if s.active and s.role is not Role.ADMIN
    ]
    others = services.others_on_thread(clinic, session, thread_id)
    # what changed is the "viewing" lines (the others', and this person's last one)
    return Outcome(ThreadView(detail, notes, others, staff, images), presence.changes)


def attachment(clinic: Clinic, session: Session, attachment_id: int) -> Outcome:
    """(name, type, bytes) of an attachment for the in-app viewer; audited as a view."""
    return Outcome(services.attachment_data(clinic, session, attachment_id))


def mark_replying(clinic: Clinic, session: Session, thread_id: int) -> Outcome:
    # what others see (the shared queue carries it to them as Changes(presence=...))
    return _acted(services.mark_presence, clinic, session, thread_id, "replying")


# -- the conversation's workflow -------------------------------------------------------
def assign(clinic: Clinic, session: Session, thread_id: int, staff_id: int | None) -> Outcome:
    return _acted(services.assign, clinic, session, thread_id, staff_id)


def set_status(clinic: Clinic, session: Session, thread_id: int, status: Status) -> Outcome:
    done = _acted(services.set_status, clinic, session, thread_id, status, file_on_done=False)
    # the card moves now; filing on done (rendering the chart copy) runs as the next job
    later = partial(file_on_done, session=session, thread_id=thread_id)
    return Outcome(None, done.changes, later if status is Status.DONE else None)


def file_on_done(clinic: Clinic, session: Session, thread_id: int) -> Outcome:
    """File a conversation just marked done, when the clinic files on done (its failures
    are recorded for the "Done, not filed" view, never undoing "done")."""
    from clinic_inbox.core import autofile

    return _acted(autofile.after_done, clinic, thread_id, session.staff.id)


def set_priority(
    clinic: Clinic, session: Session, thread_id: int, priority: Priority, reason: str
) -> Outcome:
    return _acted(services.set_priority, clinic, session, thread_id, priority, reason)


def mark_sensitive(
    clinic: Clinic, session: Session, thread_id: int, sensitive: bool, reason: str = ""
) -> Outcome:
    return _acted(services.mark_sensitive, clinic, session, thread_id, sensitive, reason)


def add_note(clinic: Clinic, session: Session, thread_id: int, text: str) -> Outcome:
    return _acted(services.add_note, clinic, session, thread_id, text)


def queue_reply(clinic: Clinic, session: Session, thread_id: int, body: str) -> Outcome:
    from clinic_inbox.core import services_reply  # consent per channel, footer, refusal audited

    return _acted(services_reply.queue_reply, clinic, session, thread_id, body)


def move_to_call_or_visit(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    kind: str,
    reason: str,
    tell_patient: bool,
) -> Outcome:
    return _acted(
        services.move_to_call_or_visit,
        clinic,
        session,
        thread_id,
        kind,
        reason,
        tell_patient=tell_patient,
    )


def link_patient(clinic: Clinic, session: Session, thread_id: int, patient_id: int) -> Outcome:
    return _acted(services.link_patient, clinic, session, thread_id, patient_id)


def find_patients(clinic: Clinic, session: Session, text: str) -> Outcome:
    return Outcome(services.find_patients(clinic, session, text))


def export_thread(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    out_dir: Path,
    password: str,
    include_notes: bool = False,
    *,
    network: services.ChartNetwork | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Outcome:
    """File to the chart: the password check, PDF, FHIR and HL7 rendering all run here;
    with `network`, then the emails to the Filed folder, as the CLI does (a
    `services.ChartFiling`; without, the `FiledDocument` alone)."""
    kw = {"sleep": sleep} if sleep else {}
    if network is None:
        fn: Callable[..., object] = services.export_thread
    else:
        fn, kw = services.file_to_chart, {**kw, "network": network}
    return _acted(
        fn,
        clinic,
        session,
        thread_id,
        formats=("pdf", "fhir", "hl7v2"),
        out_dir=out_dir,
        password=password,
        include_notes=include_notes,
        **kw,
    )


def break_glass(
    clinic: Clinic, session: Session, thread_id: int, reason: str, password: str
) -> Outcome:
    # only this card's access changes (the board re-decides it when it is read again)
    return _acted(services.break_glass, clinic, session, thread_id, reason, password)


def mark_break_glass_reviewed(clinic: Clinic, session: Session, opening: int) -> Outcome:
    """The review tab of a workstation that works alone (with a shared server the tab
    uses shared.audit_app.mark_reviewed, which may reach openings made elsewhere)."""
    return _acted(services.mark_break_glass_reviewed, clinic, session, opening)


# -- delegations and staff ----------------------------------------------------------------
def grant_delegation(
    clinic: Clinic,
    session: Session,
    physician: str,
    delegate: str,
    categories: list[Category] | None,
    include_sensitive: bool,
    can_reply: bool,
    can_file: bool,
    ends_at: datetime | None,
) -> Outcome:
    return _acted(
        services.grant_delegation,
        clinic,
        session,
        physician=physician,
        delegate=delegate,
        categories=categories,
        include_sensitive=include_sensitive,
        can_reply=can_reply,
        can_file=can_file,
        ends_at=ends_at,
    )


def revoke_delegation(clinic: Clinic, session: Session, delegation_id: int) -> Outcome:
    return _acted(services.revoke_delegation, clinic, session, delegation_id)


def add_staff(
    clinic: Clinic,
    session: Session,
    username: str,
    display_name: str,
    role: Role,
    password: str,
) -> Outcome:
    return _acted(services.add_staff, clinic, session, username, display_name, role, password)


def set_staff_active(clinic: Clinic, session: Session, username: str, active: bool) -> Outcome:
    return _acted(services.set_staff_active, clinic, session, username, active)


def reset_password(clinic: Clinic, session: Session, username: str, password: str) -> Outcome:
    return _acted(services.reset_password, clinic, session, username, password)


def verify_audit(clinic: Clinic, session: Session) -> Outcome:
    """Read and check the whole audit chain (slow on a large trail: off the GUI thread)."""
    return Outcome(app_reads.verify_audit(clinic, session))


def dashboard(clinic: Clinic) -> Outcome:
    """The dashboard's counts (no message content): a read of the whole store."""
    return Outcome(app_reads.dashboard(clinic))


def audit_entries(clinic: Clinic, session: Session, patient_id: int | None = None) -> Outcome:
    """The audit trail for the administrator's screen (all of it, or one patient's)."""
    return Outcome(app_reads.audit_entries(clinic, session, patient_id))


def search_board(clinic: Clinic, session: Session, flt: ThreadFilter) -> Outcome:
    """The board narrowed by a search: conversations this person may see that match."""
    return Outcome(services.board(clinic, session, flt))


def confirm_sender(clinic: Clinic, session: Session, thread_id: int, how: str) -> Outcome:
    """A person confirms who sent the conversation's unverified email (audited)."""
    return _acted(services.confirm_sender, clinic, session, thread_id, how)
