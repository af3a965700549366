"""Deterministic, realistic patient email for tests and benchmarks.

Mixed plain text, HTML alternatives and small attachments; each message is
unique (its Message-ID and a serial in the body), so counts can be checked.
"""

from __future__ import annotations

import random
import struct
import unicodedata
import zlib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

PATIENTS = [
    ("Zoë", "Lefèvre"),
    ("José", "Núñez"),
    ("Siobhán", "O'Connor"),
    ("Amara", "Okafor"),
    ("Wei", "Zhang"),
    ("Priya", "Raman"),
    ("Liam", "Tremblay"),
    ("Fatima", "Haddad"),
    ("Noah", "Gagnon"),
    ("Ava", "Roy"),
    ("Mateo", "Silva"),
    ("Chloé", "Côté"),
]
REQUESTS = [
    ("Refill request", "Could you please renew my prescription for {drug}? I have {n} pills left."),
    (
        "Appointment",
        "I would like to book an appointment next week about my {part}. Mornings suit me best.",
    ),
    ("Lab results", "I had blood work done on {day}. Could someone explain my {test} result?"),
    ("Blood pressure log", "My readings this week: {bp1}, {bp2} and {bp3}. Is this okay?"),
    (
        "Form for work",
        "My employer needs a medical note for my absence from {day}. Can you fill in the form?",
    ),
    ("Billing question", "I received an invoice for a sick note. Is this covered by OHIP?"),
    ("Referral", "Has my referral to the {specialist} been sent? I have not heard anything yet."),
    ("Question", "Is it safe to take ibuprofen with {drug}? Thank you for your help."),
]
DRUGS = ["metformin", "lisinopril", "atorvastatin", "levothyroxine", "sertraline", "salbutamol"]
PARTS = ["knee", "back", "shoulder", "skin rash", "sleep"]
TESTS = ["cholesterol", "TSH", "HbA1c", "ferritin", "vitamin D"]
SPECIALISTS = ["dermatologist", "cardiologist", "physiotherapist", "orthopaedic surgeon"]


def tiny_png(seed: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(
        b"\x00" + bytes([(seed * 7 + x) % 256, x % 256, seed % 256] * 1) * 1 for x in range(8)
    )
    ihdr = struct.pack(">IIBBBBB", 1, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def patient_address(i: int) -> str:
    given, family = PATIENTS[i % len(PATIENTS)]
    local = unicodedata.normalize("NFKD", f"{given}.{family}").encode("ascii", "ignore").decode()
    return f"{local.lower().replace(chr(39), '')}{i // len(PATIENTS)}@patients.example"


def make_message(
    i: int, *, to: str = "inbox@clinic.example", seed: int = 1, when: datetime | None = None
) -> bytes:
    rnd = random.Random(seed * 100_003 + i)
    given, family = PATIENTS[i % len(PATIENTS)]
    subject, template = REQUESTS[rnd.randrange(len(REQUESTS))]
    body = template.format(
        drug=rnd.choice(DRUGS),
        n=rnd.randint(1, 9),
        part=rnd.choice(PARTS),
        day="Monday",
        test=rnd.choice(TESTS),
        bp1=f"{rnd.randint(118, 150)}/{rnd.randint(70, 95)}",
        bp2=f"{rnd.randint(118, 150)}/{rnd.randint(70, 95)}",
        bp3=f"{rnd.randint(118, 150)}/{rnd.randint(70, 95)}",
        specialist=rnd.choice(SPECIALISTS),
    )
    msg = EmailMessage()
    msg["From"] = f"{given} {family} <{patient_address(i)}>"
    msg["To"] = to
    msg["Subject"] = f"{subject} #{i}"
    msg["Date"] = format_datetime(
        when or datetime(2026, 11, 2, 9, tzinfo=UTC) + timedelta(minutes=7 * i)
    )
    msg["Message-ID"] = f"<m{seed}-{i}@patients.example>"
    text = f"Hello,\n\n{body}\n\nReference {seed}-{i}.\n\n{given} {family}\n"
    msg.set_content(text)
    kind = i % 5
    if kind == 1:
        msg.add_alternative(
            f"<p>Hello,</p><p>{body}</p><p>Reference {seed}-{i}.</p>", subtype="html"
        )
    elif kind == 2:
        msg.add_attachment(tiny_png(i), maintype="image", subtype="png", filename=f"photo-{i}.png")
    return msg.as_bytes()


def corpus(n: int, *, seed: int = 1, start: int = 0) -> list[bytes]:
    return [make_message(i, seed=seed) for i in range(start, start + n)]
