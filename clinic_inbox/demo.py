"""The demo clinic: deterministic, realistic, invented.

Three physicians, a nurse, two receptionists and an administrator (password
`demo` for all), 200 patients, and well over a thousand email and portal
messages across every category, with replies, follow-ups, sensitive topics,
red-flag emergencies and unknown senders. Content comes from
`resources/demo/*.toml`; every random choice comes from one seeded generator,
so the same seed and anchor time give the same clinic. Each message is triaged
by the real triage rules, so the board shows what the rules would do.
"""

from __future__ import annotations

import hashlib
import random
import struct
import tomllib
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from clinic_inbox.core import audit, clock
from clinic_inbox.core.config import demo_config, load_config
from clinic_inbox.core.home import Clinic, create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source, Status
from clinic_inbox.core.passwords import hash_password
from clinic_inbox.core.resources import resource_path
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.triage import load_rules, triage
from clinic_inbox.demo_consent import NO_AGREEMENT

DEMO_PASSWORD = "demo"
DEFAULT_SEED = 2026
N_PATIENTS = 200
N_THREADS = 760
N_UNKNOWN = 30
DAYS = 60
MOTHER = 3  # the key of Rosa Delgado, whose daughter writes for her


def _people() -> dict:
    with open(resource_path("demo", "people.toml"), "rb") as fh:
        return tomllib.load(fh)


def _templates() -> dict:
    with open(resource_path("demo", "messages.toml"), "rb") as fh:
        return tomllib.load(fh)


DEMO_USERS: list[tuple[str, str, Role]] = [
    (s["username"], s["display_name"], Role(s["role"])) for s in _people()["staff"]
]

# -- plain data --------------------------------------------------------------------


@dataclass
class DemoPatient:
    key: int
    family: str
    given: str
    birth_date: str
    chart: str
    emails: tuple[str, ...]
    portal_id: str | None
    physician: str  # user name


@dataclass
class DemoAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class DemoMessage:
    direction: Direction
    source: Source
    at: datetime
    sender: str
    sender_name: str
    recipients: str
    subject: str
    body: str
    author: str | None = None  # staff user name for replies
    attachments: list[DemoAttachment] = field(default_factory=list)


@dataclass
class DemoThread:
    patient: int | None  # DemoPatient.key
    category: Category
    sensitive: bool
    status: Status
    assigned: str | None
    messages: list[DemoMessage]
    unknown_address: str | None = None


@dataclass
class DemoData:
    staff: list[tuple[str, str, Role]]
    patients: list[DemoPatient]
    threads: list[DemoThread]


@dataclass(frozen=True)
class DemoSummary:
    staff: int
    patients: int
    threads: int
    messages: int


# -- generating ------------------------------------------------------------------------
DRUGS = [
    "metformin",
    "lisinopril",
    "atorvastatin",
    "levothyroxine",
    "amlodipine",
    "rosuvastatin",
    "ramipril",
    "pantoprazole",
    "salbutamol",
    "hydrochlorothiazide",
    "escitalopram",
    "gabapentin",
]
PARTS = ["knee", "lower back", "shoulder", "skin rash", "sleep", "hip", "wrist", "headaches"]
TESTS = ["cholesterol", "TSH", "HbA1c", "ferritin", "vitamin D", "kidney function", "liver enzymes"]
SPECIALISTS = [
    "dermatologist",
    "cardiologist",
    "physiotherapist",
    "orthopaedic surgeon",
    "gastroenterologist",
    "allergist",
    "neurologist",
]
FORMS = [
    "short-term disability form",
    "return-to-work form",
    "attending physician statement",
    "accommodation letter request",
]
CHILDREN = ["Léo", "Ava", "Noah", "Maya", "Eli", "Amira", "Theo", "Nora"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _tiny_png(rnd: random.Random) -> bytes:
    """A real (tiny) PNG: a 16x16 skin-toned square with a reddish patch."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = []
    for y in range(16):
        row = bytearray(b"\x00")
        for x in range(16):
            red = (x - 8) ** 2 + (y - 8) ** 2 < 20 + rnd.randint(0, 8)
            row += bytes((200, 90, 90) if red else (230, 190, 160))
        rows.append(bytes(row))
    ihdr = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def _tiny_pdf(title: str) -> bytes:
    """A minimal valid one-page PDF with a line of text."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 720 Td (" + text + b") Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _email_of(given: str, family: str, n: int) -> str:
    import unicodedata

    local = unicodedata.normalize("NFKD", f"{given}.{family}").encode("ascii", "ignore").decode()
    local = "".join(c for c in local.lower() if c.isalnum() or c == ".")
    return f"{local}{n if n else ''}@{['gmail.example', 'outlook.example', 'rogers.example', 'bell.example'][n % 4]}"


def _fill(text: str, rnd: random.Random, ctx: dict[str, str]) -> str:
    values = {
        "drug": rnd.choice(DRUGS),
        "n": str(rnd.randint(2, 9)),
        "day": rnd.choice(WEEKDAYS),
        "time": rnd.choice(["9:15", "10:30", "11:00", "1:45", "3:20"]),
        "test": rnd.choice(TESTS),
        "bp": f"{rnd.randint(124, 146)}/{rnd.randint(76, 92)}",
        "bp2": f"{rnd.randint(124, 146)}/{rnd.randint(76, 92)}",
        "glucose": f"{rnd.randint(8, 11)}.{rnd.randint(0, 9)}",
        "weight": str(rnd.randint(58, 104)),
        "specialist": rnd.choice(SPECIALISTS),
        "part": rnd.choice(PARTS),
        "form": rnd.choice(FORMS),
        "amount": str(rnd.choice([20, 25, 35, 45, 60])),
        "child": rnd.choice(CHILDREN),
        "date": f"{rnd.choice(['June', 'July', 'August'])} {rnd.randint(1, 28)}",
    }
    values.update(ctx)
    out = text
    for k, v in values.items():
        out = out.replace("{" + k + "}", v)
    return out


def generate(
    seed: int = DEFAULT_SEED,
    anchor: datetime | None = None,
    *,
    threads: int = N_THREADS,
    patients: int = N_PATIENTS,
    days: int = DAYS,
) -> DemoData:
    """The demo clinic's data. Larger `threads`/`patients`/`days` give a clinic at scale
    (benchmarks): older conversations there are finished, as in a clinic that keeps up."""
    rnd = random.Random(seed)
    hours_cfg = demo_config()  # the demo clinic's opening hours: when staff reply
    n_patients, n_threads, spread = patients, threads, days
    mean_age = 12 if days <= DAYS else days / 3
    anchor = (anchor or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    people, tpl = _people(), _templates()
    staff = [(s["username"], s["display_name"], Role(s["role"])) for s in people["staff"]]
    physicians = [s for s in staff if s[2] is Role.PHYSICIAN]
    display = {u: d for u, d, _ in staff}
    surname = {u: d.split()[-1] for u, d, r in staff if r is Role.PHYSICIAN}
    # patients: unique name pairs, stable order
    pairs = [(g, f) for g in people["names"]["given"] for f in people["names"]["family"]]
    rnd.shuffle(pairs)
    patients = []
    for i, (given, family) in enumerate(pairs[:n_patients]):
        born = datetime(1938, 1, 1) + timedelta(days=rnd.randint(0, 365 * 80))
        emails = (_email_of(given, family, 0),) + (
            (_email_of(given, family, i % 7 + 1),) if i % 9 == 0 else ()
        )
        patients.append(
            DemoPatient(
                key=i,
                family=family,
                given=given,
                birth_date=born.date().isoformat(),
                chart=f"RFH-{4100 + i * 7:06d}",
                emails=emails,
                portal_id=f"pat-{i + 1:04d}" if i % 5 < 3 else None,
                physician=physicians[i % len(physicians)][0],
            )
        )
    if len(patients) > MOTHER:
        # the patient the "Results for my mom" daughter writes about (demo_consent.py)
        patients[MOTHER] = DemoPatient(
            MOTHER, "Delgado", "Rosa", "1948-03-12", patients[MOTHER].chart,
            (_email_of("Rosa", "Delgado", 0),), patients[MOTHER].portal_id,
            patients[MOTHER].physician,
        )  # fmt: skip
    categories = [c.value for c in Category]
    threads_out: list[DemoThread] = []
    clinic_addr = "inbox@riverside-health.example"
    mother_has_one = never_agreed_has_one = False
    for n in range(n_threads):
        # when: more in recent days; patients write from 7 in the morning to 10 at night
        age_days = min(int(rnd.expovariate(1 / mean_age)), spread - 1)
        day = (anchor.astimezone(hours_cfg.tz) - timedelta(days=age_days)).date()
        at = datetime.combine(day, time(7), hours_cfg.tz) + timedelta(
            minutes=rnd.randint(0, 15 * 60)
        )
        if age_days == 0 or at > anchor:
            at = anchor - timedelta(minutes=rnd.randint(5, 600))
        at = at.astimezone(UTC)
        unknown = n < N_UNKNOWN
        kind_roll = rnd.random()
        if unknown:
            t = rnd.choice(tpl["unknown"])
            cat = Category(t["category"])
            kind = "unknown"
        elif kind_roll < 0.035:
            t = rnd.choice(tpl["red_flag"])
            cat, kind = Category(t.get("category", "other")), "red"
            at = anchor - timedelta(minutes=rnd.randint(10, 60 * 24 * 3))
        elif kind_roll < 0.085:
            t = rnd.choice(tpl["sensitive"])
            cat, kind = Category(t["category"]), "sensitive"
        else:
            cat = Category(rnd.choice(categories))
            t = rnd.choice(tpl[cat.value])
            kind = "normal"
        patient = None if unknown else patients[rnd.randrange(len(patients))]
        if (
            not mother_has_one
            and kind == "normal"
            and cat in (Category.RESULTS, Category.APPOINTMENT)
            and len(patients) > MOTHER
        ):
            # Rosa Delgado's proxy (demo_consent) needs a conversation of hers in its
            # scope at every hour: the random draws alone gave her none at some hours
            patient, mother_has_one = patients[MOTHER], True
        by_email = False
        if (
            not never_agreed_has_one
            and kind == "normal"
            and patient is not None
            and patient.key != MOTHER
            and len(patients) > NO_AGREEMENT
        ):
            # the patient who never agreed to e-mail (demo_consent) writes by e-mail at every
            # hour, so the warning before a reply has a conversation to show: the draws alone
            # gave her none at some hours of the day
            patient, never_agreed_has_one, by_email = patients[NO_AGREEMENT], True, True
        # what a conversation is about stays the same from message to reply
        ctx = {
            "given": patient.given if patient else "Sam",
            "physician": surname[patient.physician] if patient else "Okafor",
            "drug": rnd.choice(DRUGS),
            "test": rnd.choice(TESTS),
            "specialist": rnd.choice(SPECIALISTS),
            "form": rnd.choice(FORMS),
            "child": rnd.choice(CHILDREN),
        }
        use_portal = patient is not None and patient.portal_id is not None and rnd.random() < 0.5
        source = Source.PORTAL if use_portal and not by_email else Source.EMAIL
        if patient is None:
            sender = f"{['jordan.reyes', 'c.delgado', 'sam1984', 'claims', 'mike.t'][n % 5]}@{['gmail.example', 'northernlife.example', 'yahoo.example'][n % 3]}"
            sender_name = sender.split("@")[0].replace(".", " ").title()
        else:
            sender = (
                f"portal:{patient.portal_id}"
                if use_portal
                else patient.emails[rnd.randrange(len(patient.emails))]
            )
            sender_name = f"{patient.given} {patient.family}"
        subject = _fill(t["subject"], rnd, ctx)
        body = _fill(t["body"], rnd, ctx)
        first = DemoMessage(
            Direction.INBOUND,
            source,
            at,
            sender,
            sender_name,
            clinic_addr
            if source is Source.EMAIL
            else f"Practitioner/{patient.physician if patient else 'clinic'}",
            subject,
            body,
        )
        if kind == "normal" and rnd.random() < 0.09:
            if cat in (Category.FORMS, Category.BILLING):
                first.attachments.append(
                    DemoAttachment(f"{cat.value}-{n}.pdf", "application/pdf", _tiny_pdf(subject))
                )
            else:
                first.attachments.append(
                    DemoAttachment(f"photo-{n}.png", "image/png", _tiny_png(rnd))
                )
        msgs = [first]
        # replies and follow-ups, older threads more likely answered; staff answer while
        # the clinic is open (urgent ones within the hour), so a reply not yet due is not
        # written yet
        replied = kind != "unknown" and (
            rnd.random() < 0.35 + min(age_days, 20) * 0.03 or kind == "red"
        )
        reply_at = clock.add_working_hours(
            hours_cfg, at, rnd.uniform(0.1, 0.9) if kind == "red" else rnd.uniform(0.5, 14)
        )
        replied = replied and reply_at < anchor
        handler = None
        if patient is not None:
            handler = (
                patient.physician
                if not cat.administrative
                else rnd.choice(["reception.moreau", "reception.singh"])
            )
            if (
                kind == "normal"
                and cat in (Category.REFILL, Category.MEASUREMENTS)
                and rnd.random() < 0.4
            ):
                handler = "nurse.chen"
        if replied and patient is not None and handler is not None:
            if kind == "red":
                text = (
                    f"Hello {patient.given}, Dr {surname[patient.physician]} here. What you describe needs "
                    "care right away: please call 911 or go to the nearest emergency department now. We "
                    "will call you as well."
                )
            else:
                text = _fill(rnd.choice(tpl["replies"][cat.value]), rnd, ctx)
            text += f"\n\n{display[handler]}\nRiverside Family Health"
            msgs.append(
                DemoMessage(
                    Direction.OUTBOUND,
                    source,
                    reply_at,
                    clinic_addr if source is Source.EMAIL else f"portal:{display[handler]}",
                    display[handler],
                    sender,
                    f"Re: {subject}",
                    text,
                    author=handler,
                )
            )
            about = "red" if kind == "red" else cat.value
            fitting = [f for f in tpl["follow_up"] if about in f["after"]]
            if fitting and rnd.random() < 0.3:
                fu_at = msgs[-1].at + timedelta(hours=rnd.randint(1, 20))
                if fu_at < anchor:
                    msgs.append(
                        DemoMessage(
                            Direction.INBOUND,
                            source,
                            fu_at,
                            sender,
                            sender_name,
                            first.recipients,
                            f"Re: {subject}",
                            _fill(rnd.choice(fitting)["body"], rnd, ctx),
                        )
                    )
        # workflow state of a clinic that keeps up: recent messages wait on the board,
        # older ones were settled (often by phone), a few slipped through and are overdue
        last_in = msgs[-1].direction is Direction.INBOUND
        quiet_days = (anchor - msgs[-1].at).total_seconds() / 86400
        if kind == "unknown":  # someone must still link these to a chart
            status = Status.NEW if age_days < 5 or rnd.random() < 0.5 else Status.DONE
        elif not replied:
            if age_days < 2:
                status = Status.NEW if rnd.random() < 0.75 else Status.IN_PROGRESS
            else:
                status = rnd.choice([Status.DONE] * 12 + [Status.NEW, Status.IN_PROGRESS])
        elif last_in and kind == "red":  # the patient has reached care: mostly closed
            status = rnd.choice([Status.DONE, Status.DONE, Status.IN_PROGRESS])
        elif last_in:
            status = (
                Status.IN_PROGRESS
                if quiet_days < 2
                else rnd.choice([Status.DONE] * 6 + [Status.IN_PROGRESS])
            )
        else:
            status = (
                rnd.choice([Status.DONE, Status.DONE, Status.WAITING, Status.IN_PROGRESS])
                if age_days > 1
                else Status.WAITING
            )
        if age_days >= DAYS:  # only at scale: the clinic has long finished these
            status = Status.DONE
        assigned = (
            handler
            if status is not Status.NEW and handler
            else (handler if rnd.random() < 0.25 else None)
        )
        threads_out.append(
            DemoThread(
                patient=patient.key if patient else None,
                category=cat,
                sensitive=kind == "sensitive",
                status=status,
                assigned=assigned,
                messages=msgs,
                unknown_address=sender if patient is None else None,
            )
        )
    return DemoData(staff, patients, threads_out)


# -- writing it into a store ------------------------------------------------------------
def populate(clinic: Clinic, data: DemoData | None = None) -> DemoSummary:
    data = data or generate()
    store = clinic.store
    rules = load_rules(clinic.home)  # without a file of its own: the shipped ones, once a process
    cfg = clinic.config
    pw_hash = hash_password(DEMO_PASSWORD)  # one Argon2id hash, shared: it is the demo
    n_messages = 0
    with store.transaction():
        staff_ids = {u: q.add_staff(store, u, d, r, pw_hash) for u, d, r in data.staff}
        patient_ids = {
            p.key: q.add_patient(
                store,
                p.family,
                p.given,
                p.birth_date,
                p.chart,
                p.portal_id,
                staff_ids[p.physician],
                p.emails,
            )
            for p in data.patients
        }
        email_acct = q.ensure_account(
            store,
            "Clinic email (demo)",
            "demo",
            {"note": "demo data, no server", "from_address": "inbox@riverside-health.example"},
        )
        portal_acct = q.ensure_account(
            store, "Patient portal (demo)", "demo", {"note": "demo data, no server"}
        )
        uid = 0
        comm = 0
        for t in sorted(data.threads, key=lambda t: t.messages[0].at):
            first = t.messages[0]
            pid = patient_ids[t.patient] if t.patient is not None else None
            result = triage(first.subject, first.body, rules, sender_category=t.category)
            priority = result.priority
            sensitive = t.sensitive or result.sensitive
            # the clock runs from the patient's latest unanswered message; none once answered
            last = t.messages[-1]
            due = (
                clock.due_at(cfg, last.at, priority).isoformat(timespec="seconds")
                if last.direction is Direction.INBOUND
                else None
            )
            thread_id = q.create_thread(
                store,
                q.NewThread(
                    subject=first.subject,
                    category=t.category,
                    priority=priority,
                    created_at=first.at.isoformat(timespec="seconds"),
                    patient_id=pid,
                    status=t.status,
                    assigned_to=staff_ids.get(t.assigned) if t.assigned else None,
                    sensitive=sensitive,
                    due_at=due,
                ),
            )
            previous_id: str | None = None
            for m in t.messages:
                inbound = m.direction is Direction.INBOUND
                tri = (
                    triage(m.subject, m.body, rules, sender_category=t.category)
                    if inbound
                    else None
                )
                if m.source is Source.EMAIL:
                    uid += 1 if inbound else 0
                    mid = f"<demo-{uid if inbound else 'r'}-{thread_id}-{n_messages}@riverside-health.example>"
                    ident = dict(
                        account_id=email_acct,
                        imap_mailbox="INBOX" if inbound else None,
                        imap_uidvalidity=1700000000 if inbound else None,
                        imap_uid=uid if inbound else None,
                        message_id_header=mid,
                    )
                else:
                    comm += 1
                    mid = f"<Communication/comm-{comm:06d}@portal>"
                    ident = dict(
                        account_id=portal_acct,
                        fhir_resource_id=f"comm-{comm:06d}",
                        fhir_version="1",
                        message_id_header=mid,
                    )
                q.insert_message(
                    store,
                    q.NewMessage(
                        thread_id=thread_id,
                        source=m.source,
                        direction=m.direction,
                        received_at=m.at.isoformat(timespec="seconds"),
                        sender=m.sender,
                        sender_name=m.sender_name,
                        recipients=m.recipients,
                        subject=m.subject,
                        body_text=m.body,
                        patient_id=pid,
                        category=t.category,
                        priority=tri.priority if tri else Priority.ROUTINE,
                        triage_reason=(tri.reason or None) if tri else None,
                        sensitive=bool(tri and tri.sensitive) or (t.sensitive and inbound),
                        in_reply_to=previous_id,
                        content_hash=hashlib.sha256(m.body.encode()).hexdigest(),
                        author_staff_id=staff_ids.get(m.author) if m.author else None,
                        attachments=[
                            q.NewAttachment(a.filename, a.content_type, a.data, a.content_type)
                            for a in m.attachments
                        ],
                        **ident,
                    ),
                )
                previous_id = mid
                n_messages += 1
        from clinic_inbox.demo_consent import record_demo_consents

        record_demo_consents(store, data, patient_ids, staff_ids)
        q.set_meta(store, "demo", "1")
        summary = DemoSummary(len(staff_ids), len(patient_ids), len(data.threads), n_messages)
        audit.append(
            store,
            clinic.audit_key,
            None,
            "system",
            "demo.create",
            detail={
                "staff": summary.staff,
                "patients": summary.patients,
                "threads": summary.threads,
                "messages": summary.messages,
            },
        )
    return summary


def _write_demo_settings(clinic: Clinic) -> None:
    """The demo clinic's own clinic.toml (both languages), read back as its policy."""
    target = Path(clinic.home) / "clinic.toml"
    target.write_bytes(resource_path("demo", "clinic.toml").read_bytes())
    target.chmod(0o600)
    clinic.config = load_config(clinic.home)


def _demo_key_slots(clinic: Clinic) -> None:
    """With a keyring, the demo's key is released by its published password too, like a
    real clinic's (core.staff_keys): each demo user gets a slot and the clinic is sealed."""
    from clinic_inbox.core import staff_keys

    for staff in q.list_staff(clinic.store, False):
        staff_keys.keep_slot(clinic, staff.username, DEMO_PASSWORD, why="demo clinic")


def create_demo_clinic(
    home: Path,
    custody: KeyCustody | None = None,
    ask_passphrase: Callable[[str, bool], str] | None = None,
    *,
    seed: int = DEFAULT_SEED,
    anchor: datetime | None = None,
    scale: dict[str, int] | None = None,
) -> tuple[Clinic, str, DemoSummary]:
    """A new demo clinic in `home` (which must not hold a clinic yet); `scale` passes
    threads/patients/days to `generate` for a clinic at benchmark size."""
    clinic, code = create_clinic(home, ask_passphrase or (lambda p, c: ""), custody, demo=True)
    try:
        _write_demo_settings(clinic)
        summary = populate(clinic, generate(seed, anchor, **(scale or {})))
        _demo_key_slots(clinic)
    except BaseException:
        clinic.close()
        raise
    return clinic, code, summary
