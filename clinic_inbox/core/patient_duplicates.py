"""Which patients' records may be one person twice: a portal sync or an EMR import
that made a second record for someone already on file. Pure logic over the records'
identities; nothing is ever merged here (a person decides, in Settings or with
`patient merge`)."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import combinations

# portal records without a name are "(unknown)": they all look alike and prove nothing
_NAMELESS = "unknown"


@dataclass(frozen=True)
class PatientIdentity:
    id: int
    family_name: str
    given_name: str
    birth_date: str | None
    chart_number: str | None
    portal_id: str | None

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def line(self) -> str:
        """How the record is named on the list: enough to tell two apart."""
        held = []
        if self.chart_number:
            held.append(f"chart {self.chart_number}")
        if self.portal_id:
            held.append("portal account")
        return (
            f"{self.family_name}, {self.given_name} — born {self.birth_date or 'unknown'} — "
            f"{', '.join(held) or 'no chart number'} — no. {self.id}"
        )


@dataclass(frozen=True)
class PossibleDuplicate:
    keep: PatientIdentity  # the record suggested to keep (a person may swap them)
    duplicate: PatientIdentity
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return "; ".join(self.reasons)


def name_key(family_name: str, given_name: str) -> str:
    """A name with accents, capitals, hyphens, apostrophes and spacing taken out:
    "Côté-Tremblay, Hélène" and "cote tremblay, helene" give the same key."""

    def fold(text: str) -> str:
        bare = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
        return "".join(c for c in bare.casefold() if c.isalnum())

    return f"{fold(family_name)}|{fold(given_name)}"


def _suggested_keep(a: PatientIdentity, b: PatientIdentity) -> tuple[PatientIdentity, ...]:
    # the EMR's record (a chart number) is the clinic's reference; else the older one
    return tuple(sorted((a, b), key=lambda p: (p.chart_number is None, p.id)))


def _reasons(a: PatientIdentity, b: PatientIdentity) -> tuple[str, ...] | None:
    if a.birth_date and b.birth_date and a.birth_date != b.birth_date:
        return None  # two people (the merge refuses them too)
    same_written = (a.family_name.strip(), a.given_name.strip()) == (
        b.family_name.strip(),
        b.given_name.strip(),
    )
    out = [
        "same name"
        if same_written
        else "names that differ only by accents, capitals, spaces or hyphens"
    ]
    if a.birth_date and b.birth_date:
        out.append(f"same date of birth ({a.birth_date})")
    elif a.birth_date or b.birth_date:
        out.append("one record has no date of birth")
    else:
        out.append("neither record has a date of birth")
    if a.chart_number and b.chart_number:
        out.append(f"different chart numbers ({a.chart_number} and {b.chart_number})")
    if a.portal_id and b.portal_id:
        out.append("two portal accounts: the portal must merge them before the clinic can")
    elif bool(a.portal_id) != bool(b.portal_id):
        out.append("only one came from the portal")
    return tuple(out)


def find_possible_duplicates(
    people: Iterable[PatientIdentity], distinct: Collection[tuple[int, int]] = ()
) -> list[PossibleDuplicate]:
    """Every pair of records with the same name (as folded by `name_key`) and no
    conflicting date of birth, surest first (both dates given), then by name; not the
    pairs a person found to be two people (`distinct`: lower id first)."""
    groups: dict[str, list[PatientIdentity]] = defaultdict(list)
    for p in people:
        key = name_key(p.family_name, p.given_name)
        if _NAMELESS in key.split("|") or key.startswith("|") or key.endswith("|"):
            continue
        groups[key].append(p)
    found = []
    for members in groups.values():
        for a, b in combinations(sorted(members, key=lambda p: p.id), 2):
            if (a.id, b.id) in distinct:
                continue
            reasons = _reasons(a, b)
            if reasons is not None:
                keep, dup = _suggested_keep(a, b)
                found.append(PossibleDuplicate(keep, dup, reasons))
    found.sort(
        key=lambda d: (
            not (d.keep.birth_date and d.duplicate.birth_date),
            name_key(d.keep.family_name, d.keep.given_name),
            d.keep.id,
            d.duplicate.id,
        )
    )
    return found
