"""The patient's agreement to electronic communication: pure rules, no storage.

The guidelines the clinic follows (CMA, ACP/FSMB, AMIA, CMPA) use email and the
portal only with patients who agreed, knowing the terms. An agreement names the
channels it allows, the version of the clinic's terms it was given on, and how it
was recorded; it ends when the patient opts out or the clinic ends it (with a
reason). A patient's newest agreement is their present state.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.resources import resource_path

CHANNELS = ("email", "portal")
HOW = {
    "signed-form": "signed form",
    "portal-checkbox": "portal checkbox",
    "verbal": "verbal, recorded by staff",
    "emr-import": "imported from the EMR",
}
CHANNEL_WORDS = {"email": "email messages", "portal": "patient portal messages"}
CHANNEL_BY = {"email": "by email", "portal": "through the patient portal"}
ENDINGS = {"opted-out": "the patient opted out", "clinic-ended": "ended by the clinic"}


class State(StrEnum):
    NONE = "none"  # never agreed
    AGREED = "agreed"
    OPTED_OUT = "opted_out"
    ENDED = "ended_by_clinic"


@dataclass(frozen=True)
class Agreement:
    id: int
    patient_id: int
    channels: frozenset[str]
    terms_version: str
    agreed_on: str  # YYYY-MM-DD
    how: str  # a key of HOW
    recorded_by: str
    ended_on: str | None = None
    ended_how: str | None = None  # a key of ENDINGS
    end_reason: str | None = None

    def state(self, today: date) -> State:
        if self.ended_on is not None and self.ended_on <= today.isoformat():
            return State.OPTED_OUT if self.ended_how == "opted-out" else State.ENDED
        if self.agreed_on > today.isoformat():
            return State.NONE  # recorded ahead of its date: not in force yet
        return State.AGREED


def state_of(agreement: Agreement | None, today: date) -> State:
    return State.NONE if agreement is None else agreement.state(today)


def allows(agreement: Agreement | None, channel: str, today: date) -> bool:
    """May the clinic write to this patient by `channel` today?"""
    return state_of(agreement, today) is State.AGREED and channel in agreement.channels  # type: ignore[union-attr]


def describe(agreement: Agreement | None, today: date, current_terms: str | None = None) -> str:
    """One line for the patient header and the CLI, in plain words; an agreement to
    terms older than `current_terms` says so ("agreed to version 1 (current 2)")."""
    state = state_of(agreement, today)
    if agreement is None or state is State.NONE:
        return "No agreement to email or portal messages on record."
    if state is State.OPTED_OUT:
        return f"Opted out of electronic messages on {agreement.ended_on}: phone or letter only."
    if state is State.ENDED:
        why = f" ({agreement.end_reason})" if agreement.end_reason else ""
        return f"Electronic messages ended by the clinic on {agreement.ended_on}{why}."
    line = (
        f"Agreed to {' and '.join(sorted(agreement.channels))} on {agreement.agreed_on} "
        f"(terms {agreement.terms_version}, {HOW.get(agreement.how, agreement.how)})."
    )
    if current_terms and _number(agreement.terms_version) < _number(current_terms):
        line += (
            f" Agreed to version {_number(agreement.terms_version)} "
            f"(current {_number(current_terms)}): offer them the new terms."
        )
    return line


# -- what the app does with it ---------------------------------------------------------
def acknowledgement_kind(patient_known: bool, state: State, channel: str, allowed: bool) -> str:
    """Which automatic receipt a message gets (a template name). Only a patient who
    agreed to this channel is told "we will answer within …": anyone else is told how
    to agree, or to call, and not invited to send more by email."""
    if not patient_known:
        return "ack_not_patient"
    if state in (State.OPTED_OUT, State.ENDED):
        return "ack_opted_out"
    if state is State.NONE or not allowed:
        return "ack_no_agreement"
    return "acknowledgement"


class ConsentNeeded(AccessDenied):
    """A staff reply by a channel the patient did not agree to: the words say what to do."""


def check_reply(
    patient_name: str, agreement: Agreement | None, channel: str, today: date, reason: str | None
) -> str | None:
    """May a member of staff answer this patient by `channel`? Returns None when the
    agreement covers it, the reason to record when staff gave one, or raises
    ConsentNeeded in words a receptionist understands."""
    state = state_of(agreement, today)
    if allows(agreement, channel, today):
        return None
    words = CHANNEL_WORDS.get(channel, channel)
    other = "use the portal if they agreed to it" if channel == "email" else "send a letter"
    if state in (State.OPTED_OUT, State.ENDED):
        raise ConsentNeeded(
            f"{patient_name} {'opted out of' if state is State.OPTED_OUT else 'no longer has'} "
            f"{words}: nothing can be sent {CHANNEL_BY.get(channel, channel)}. Phone them, "
            f"or {other}."
        )
    if reason and reason.strip():
        return reason.strip()
    raise ConsentNeeded(
        f"{patient_name} has not agreed to {words}. Phone them"
        + (" or use the portal" if channel == "email" else "")
        + f", or give the reason this message may go {CHANNEL_BY.get(channel, channel)} (for "
        'example: "verbal consent today, by phone"): it is recorded.'
    )


def refusal_code(agreement: Agreement | None, channel: str, today: date) -> str:
    """Why a message by `channel` was refused, without naming anyone (for the audit)."""
    state = state_of(agreement, today)
    if state is State.OPTED_OUT:
        return f"{channel}: the patient opted out"
    if state is State.ENDED:
        return f"{channel}: ended by the clinic"
    return f"{channel}: no agreement and no reason given"


# -- the clinic's terms ------------------------------------------------------------------
_TERMS_NAME = re.compile(r"^(v\d+)\.([a-z]{2})\.txt$")


def terms_folders(home: Path | None) -> list[Path]:
    """The clinic's own terms (a `terms` folder in its data folder) first, then the shipped."""
    folders = [home / "terms"] if home is not None else []
    return [*folders, resource_path("terms")]


def terms_versions(home: Path | None = None) -> list[str]:
    """Every version of the terms the clinic has, oldest first (v1, v2, … v10)."""
    found = set()
    for folder in terms_folders(home):
        if folder.is_dir():
            for f in folder.iterdir():
                m = _TERMS_NAME.match(f.name)
                if m:
                    found.add(m.group(1))
    return sorted(found, key=lambda v: int(v[1:]))


def _number(version: str) -> int:
    """v3 -> 3 (a version the app did not name this way counts as 0)."""
    return int(version[1:]) if re.fullmatch(r"v\d+", version) else 0


def version_number(version: str) -> int:
    return _number(version)


def current_terms(home: Path | None = None) -> str | None:
    """The newest version of the clinic's terms: what a new agreement is to."""
    versions = terms_versions(home)
    return versions[-1] if versions else None


def next_terms_version(home: Path | None = None) -> str:
    return f"v{max((_number(v) for v in terms_versions(home)), default=0) + 1}"


MAX_TERMS_CHARS = 20_000
LANGUAGE_NAMES = {"en": "English", "fr": "French"}


def check_new_terms(texts: dict[str, str], languages: list[str], home: Path | None) -> dict:
    """A new version's texts, one per language the clinic writes in, checked: none
    missing or empty, none too long, and not the current version again. ValueError
    lists every problem in words for the administrator."""
    problems, clean = [], {}
    for lang in languages:
        name = LANGUAGE_NAMES.get(lang, lang)
        text = (texts.get(lang) or "").strip()
        if not text:
            problems.append(f"Write the terms in {name}: the clinic writes to patients in it.")
        elif len(text) > MAX_TERMS_CHARS:
            problems.append(f"The {name} terms are longer than {MAX_TERMS_CHARS} characters.")
        else:
            clean[lang] = text + "\n"
    unknown = sorted(set(texts) - set(languages))
    if unknown:
        problems.append(
            "The clinic does not write to patients in " + ", ".join(unknown) + " (Settings)."
        )
    current = current_terms(home)
    if not problems and current is not None:
        same = all(terms_text(current, lang, home).strip() == clean[lang].strip() for lang in clean)
        if same:
            problems.append(f"Nothing changed: this is version {_number(current)} as it is.")
    if problems:
        raise ValueError("\n".join(problems))
    return clean


def terms_text(version: str, language: str = "en", home: Path | None = None) -> str:
    """The terms as the patient read them, in their language (English if none)."""
    for lang in (language, "en"):
        for folder in terms_folders(home):
            f = folder / f"{version}.{lang}.txt"
            if f.is_file():
                return f.read_text("utf-8")
    raise ValueError(f"The clinic has no terms called {version!r}.")


# -- import from the EMR -------------------------------------------------------------------
CSV_COLUMNS = ("chart_number", "agreed_on", "channels", "terms_version", "how")
CSV_OPTIONAL = ("ended_on", "ended_how", "end_reason")


@dataclass(frozen=True)
class ImportRow:
    line: int
    chart_number: str
    agreed_on: str
    channels: frozenset[str]
    terms_version: str
    how: str
    ended_on: str | None
    ended_how: str | None
    end_reason: str | None


class ImportError_(ValueError):  # noqa: N801 - not the builtin ImportError
    """Bad rows in a CSV: every problem, each naming its line. Nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "Nothing was imported: the file has "
            + (f"{len(problems)} problems" if len(problems) > 1 else "a problem")
            + ".\n"
            + "\n".join(problems)
        )
        self.problems = problems


def _day(text: str) -> str | None:
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        return None


def parse_csv(text: str, known_versions: list[str], today: date) -> list[ImportRow]:
    """Every row of the EMR's export, or ImportError_ listing every bad line (line 1 is
    the header). The rows are all checked before any is stored."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ImportError_([f"Line 1: the header lacks the column(s) {', '.join(missing)}."])
    reader.fieldnames = header
    rows, problems, seen = [], [], {}
    for n, raw in enumerate(reader, start=2):
        rec = {k: (v or "").strip() for k, v in raw.items() if k}
        bad = []
        chart = rec.get("chart_number", "")
        if not chart:
            bad.append("no chart number")
        elif chart in seen:
            bad.append(f"chart {chart} is already on line {seen[chart]}")
        agreed = _day(rec.get("agreed_on", ""))
        if agreed is None:
            bad.append(f"the date {rec.get('agreed_on', '')!r} is not a date like 2025-03-14")
        elif agreed > today.isoformat():
            bad.append(f"the date {agreed} is in the future")
        channels = frozenset(c.strip().lower() for c in rec.get("channels", "").split(";") if c)
        if not channels or not channels <= set(CHANNELS):
            bad.append(
                f"channels must be email, portal or email;portal, not {rec.get('channels')!r}"
            )
        version = rec.get("terms_version", "")
        if version not in known_versions:
            bad.append(f"the clinic has no terms {version!r} (it has {', '.join(known_versions)})")
        how = rec.get("how", "") or "emr-import"
        if how not in HOW:
            bad.append(f"how must be one of {', '.join(HOW)}, not {how!r}")
        ended_on = _day(rec["ended_on"]) if rec.get("ended_on") else None
        if rec.get("ended_on") and ended_on is None:
            bad.append(f"the end date {rec['ended_on']!r} is not a date like 2025-03-14")
        ended_how = rec.get("ended_how") or None
        if ended_on and ended_how not in ENDINGS:
            bad.append(f"an ended agreement needs ended_how: {' or '.join(ENDINGS)}")
        if ended_how == "clinic-ended" and not rec.get("end_reason"):
            bad.append("an agreement the clinic ended needs its reason")
        if bad:
            problems.append(f"Line {n}: " + "; ".join(bad) + ".")
            continue
        seen[chart] = n
        rows.append(
            ImportRow(
                n,
                chart,
                agreed or "",
                channels,
                version,
                how,
                ended_on,
                ended_how if ended_on else None,
                rec.get("end_reason") or None,
            )
        )
    if problems:
        raise ImportError_(problems)
    return rows
