"""People who write for a patient (proxies), and the age rules for minors: pure rules.

A caregiver, parent, guardian or attorney writes for a patient only with an
authorisation on record: who, their address, the scope (appointments, refills,
results, everything), from when to when, and the evidence. For a child the date
of birth decides, by the clinic's rules (clinic.toml, [minors]): a parent's or
guardian's authority lapses at the age the clinic sets, and from a set age a
young patient's sensitive topics are not shared with the parent at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic_inbox.core.model import Category

RELATIONSHIPS = {
    "caregiver": "caregiver",
    "parent": "parent",
    "guardian": "legal guardian",
    "attorney": "power of attorney",
}
PARENTAL = ("parent", "guardian")  # authority that comes from the patient being a child

SCOPES: dict[str, frozenset[Category]] = {
    "appointments": frozenset({Category.APPOINTMENT, Category.FORMS, Category.BILLING}),
    "refills": frozenset({Category.REFILL}),
    "results": frozenset({Category.RESULTS, Category.MEASUREMENTS}),
    "everything": frozenset(Category),
}


@dataclass(frozen=True)
class MinorRules:
    """The clinic's jurisdiction's rules. Defaults follow Ontario practice (no fixed
    age of consent; a mature minor decides): a parent's access ends at 16 and, from
    12, a child's sensitive topics stay between the child and the clinic."""

    jurisdiction: str = "ON"
    parent_access_ends_at: int = 16
    sensitive_private_from: int = 12

    @classmethod
    def from_toml(cls, data: dict) -> MinorRules:
        m = data.get("minors", {}) or {}
        rules = cls(
            jurisdiction=str(m.get("jurisdiction", cls.jurisdiction)),
            parent_access_ends_at=int(m.get("parent_access_ends_at", cls.parent_access_ends_at)),
            sensitive_private_from=int(m.get("sensitive_private_from", cls.sensitive_private_from)),
        )
        if not 0 < rules.sensitive_private_from <= rules.parent_access_ends_at <= 19:
            raise ValueError(
                "clinic.toml [minors]: sensitive_private_from must be at most "
                "parent_access_ends_at, and both between 1 and 19."
            )
        return rules


def age_on(birth_date: str | None, day: date) -> int | None:
    """Full years on `day`; None if the date of birth is unknown. Born on 29 February:
    a year older on 1 March in other years."""
    if not birth_date:
        return None
    born = date.fromisoformat(birth_date)
    had_birthday = (day.month, day.day) >= (born.month, born.day)
    return day.year - born.year - (0 if had_birthday else 1)


@dataclass(frozen=True)
class Proxy:
    id: int
    patient_id: int
    name: str
    relationship: str  # a key of RELATIONSHIPS
    address: str
    scope: frozenset[str]  # keys of SCOPES
    starts_on: str
    ends_on: str | None
    evidence: str
    revoked_at: str | None = None
    portal_id: str | None = None  # their own portal account (a FHIR RelatedPerson), if any

    def describe(self) -> str:
        until = f" until {self.ends_on}" if self.ends_on else ""
        return (
            f"{self.name} ({RELATIONSHIPS.get(self.relationship, self.relationship)}, "
            f"{self.address}): {', '.join(sorted(self.scope))}, from {self.starts_on}{until}"
        )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    why: str = ""


def verdict(
    proxy: Proxy,
    patient_birth_date: str | None,
    category: Category,
    sensitive: bool,
    day: date,
    rules: MinorRules,
) -> Verdict:
    """May this proxy write about, and be answered on, a conversation of this category
    and sensitivity today? The one rule used for filing, replies and what is shown."""
    stamp = day.isoformat()
    if proxy.revoked_at is not None:
        return Verdict(False, f"{proxy.name}'s authorisation was withdrawn.")
    if proxy.starts_on > stamp:
        return Verdict(False, f"{proxy.name}'s authorisation starts on {proxy.starts_on}.")
    if proxy.ends_on is not None and proxy.ends_on < stamp:
        return Verdict(False, f"{proxy.name}'s authorisation ended on {proxy.ends_on}.")
    age = age_on(patient_birth_date, day)
    if proxy.relationship in PARENTAL and age is not None:
        if age >= rules.parent_access_ends_at:
            return Verdict(
                False,
                f"The patient is {age}: a parent's or guardian's access ends at "
                f"{rules.parent_access_ends_at} under the clinic's rules. The patient must "
                f"authorise {proxy.name} themselves.",
            )
        if sensitive and age >= rules.sensitive_private_from:
            return Verdict(
                False,
                f"The patient is {age}: from {rules.sensitive_private_from} their sensitive "
                f"topics are not shared with a parent or guardian.",
            )
    covered = frozenset().union(*(SCOPES[s] for s in proxy.scope if s in SCOPES))
    if category not in covered:
        return Verdict(
            False,
            f"{proxy.name} is authorised for {', '.join(sorted(proxy.scope))}, not for "
            f"{category.label.lower()}.",
        )
    if sensitive and "everything" not in proxy.scope:
        return Verdict(False, f"{proxy.name} is not authorised for sensitive topics.")
    return Verdict(True)


def check_new(
    relationship: str,
    scope: frozenset[str],
    address: str,
    starts_on: str,
    ends_on: str | None,
    evidence: str,
    patient_emails: tuple[str, ...],
) -> None:
    """An authorisation is complete before it is recorded; ValueError says what is missing."""
    if relationship not in RELATIONSHIPS:
        raise ValueError(f"Choose who they are: {', '.join(RELATIONSHIPS)}.")
    if not scope or not scope <= set(SCOPES):
        raise ValueError(f"Choose what they may write about: {', '.join(SCOPES)}.")
    if "@" not in address or any(c in address for c in " \r\n\t,;<>"):
        raise ValueError(f"{address!r} is not an email address.")
    if address.strip().lower() in {e.lower() for e in patient_emails}:
        raise ValueError(
            "That address is the patient's own. A proxy writes from their own address: "
            "remove it from the patient's record first if it is really the proxy's."
        )
    if not evidence.strip():
        raise ValueError(
            "Say what authorises them (e.g. 'signed consent form, scanned to the chart')."
        )
    for d in (starts_on, ends_on):
        if d is not None:
            date.fromisoformat(d)
    if ends_on is not None and ends_on < starts_on:
        raise ValueError("The authorisation cannot end before it starts.")


# -- writing to a proxy --------------------------------------------------------------
# A message that goes to a proxy greets the proxy, not the patient, and says whom it is
# about: the reader must never wonder whose results they are reading.
_GREETING = {"en": "Dear {name},", "fr": "Bonjour {name},"}
_ABOUT = {"en": "This message is about {patient}.", "fr": "Ce message concerne {patient}."}
_GREETING_WORDS = frozenset(
    {"dear", "hello", "hi", "good", "bonjour", "bonsoir", "cher", "chère", "madame", "monsieur"}
)


def first_name(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else full_name


def _is_greeting(line: str) -> bool:
    words = line.strip().split()
    return (
        bool(words)
        and len(line) <= 80
        and line.rstrip().endswith(",")
        and words[0].lower().strip(",") in _GREETING_WORDS
    )


def addressed_to_proxy(
    body: str, proxy_name: str, patient_name: str, patient_first: str, language: str
) -> str:
    """`body` as a proxy reads it: greeting the proxy by their first name (a greeting
    written to the patient's first name is replaced) and, under it, whom it is about.
    Applying it twice changes nothing (a reply written again after a refusal)."""
    lang = language if language in _GREETING else "en"
    greeting = _GREETING[lang].format(name=first_name(proxy_name))
    about = _ABOUT[lang].format(patient=patient_name)
    text = body.strip()
    first, _, rest = text.partition("\n")
    if _is_greeting(first):
        named_patient = patient_first and patient_first.lower() in first.lower()
        if named_patient and first_name(proxy_name).lower() not in first.lower():
            first = greeting
        rest = rest.strip()
    else:
        first, rest = greeting, text
    if rest.startswith(about):
        return f"{first}\n\n{rest}"
    return f"{first}\n\n{about}\n\n{rest}" if rest else f"{first}\n\n{about}"
