"""The clinic's published policy: name, languages, opening hours, holidays, turnaround."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo

from clinic_inbox.core.language import KNOWN, check_languages
from clinic_inbox.core.model import Priority
from clinic_inbox.core.proxies import MinorRules
from clinic_inbox.core.resources import resource_path

# A clinic that has not chosen its time zone yet is read in UTC, and says so.
UNSET_TIMEZONE = "UTC (not chosen yet)"

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True)
class ClinicConfig:
    name: str
    timezone: str
    phone: str
    emergency_advice: str
    hours: dict[int, tuple[time, time]]  # weekday (0 = Monday) -> open, close
    turnaround_hours: dict[Priority, float]
    holidays: frozenset[date] = field(default_factory=frozenset)
    backup_every_hours: float = 24.0
    backup_keep: int = 7
    backup_folder: str = ""  # empty: "backups" in the data folder
    # the languages the clinic answers in, the first one when a message's is unclear
    languages: tuple[str, ...] = ("en",)
    # emergency_advice in the other languages (English is emergency_advice itself)
    emergency_advice_in: dict[str, str] = field(default_factory=dict)
    # [mail]: whose Authentication-Results to believe, and whether an email whose sender
    # could not be authenticated may be matched to a chart without a person confirming it
    trusted_authserv_id: str = ""
    require_verified_sender: bool = True
    # [minors]: when a parent's access to a child's messages ends (core/proxies.py)
    minors: MinorRules = field(default_factory=MinorRules)
    # [consent]: email only with the patient's agreement on record (core/consent.py)
    consent_required: bool = False
    # what the safety reply tells a patient to call (Canadian defaults, confirmed at set-up)
    emergency_number: str = "911"
    crisis_line: str = "9-8-8"
    # [shared]: a workstation that has not reached the clinic's server for longer than this
    # signs in administrators only (an account turned off elsewhere may still be on here)
    offline_sign_in_hours: float = 12.0

    def missing_identity(self) -> list[str]:
        """What a clinic has not entered about itself yet, in plain words: automatic
        letters must not go out naming nobody, or a number that is not the clinic's."""
        missing = []
        if not self.name.strip():
            missing.append("the clinic's name")
        if not any(c.isdigit() for c in self.phone):
            missing.append("the clinic's telephone number")
        if not self.timezone_set:
            missing.append("the clinic's time zone")
        return missing

    @property
    def timezone_set(self) -> bool:
        return self.timezone != UNSET_TIMEZONE

    def advice(self, language: str) -> str:
        """The emergency advice in `language`, in English where the clinic has none."""
        return self.emergency_advice_in.get(language) or self.emergency_advice

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo("UTC" if not self.timezone_set else self.timezone)


def _parse(data: dict) -> ClinicConfig:
    clinic = data.get("clinic", {})
    hours = {}
    for day, span in data.get("hours", {}).items():
        opens, closes = (time.fromisoformat(t) for t in span)
        hours[DAYS.index(day.lower())] = (opens, closes)
    turnaround = {Priority(k): float(v) for k, v in data.get("turnaround_hours", {}).items()}
    languages = check_languages(data.get("languages", ["en"]))
    numbers = {
        "emergency_number": str(clinic.get("emergency_number", "911")).strip(),
        "crisis_line": str(clinic.get("crisis_line", "9-8-8")).strip(),
    }

    def fill(text: str) -> str:  # the advice names the clinic's own emergency number
        return text.replace("{emergency_number}", numbers["emergency_number"])

    advice_in = {
        lang: fill(str(clinic[f"emergency_advice_{lang}"]))
        for lang in KNOWN
        if lang != "en" and clinic.get(f"emergency_advice_{lang}")
    }
    return ClinicConfig(
        name=str(clinic.get("name", "")).strip(),
        timezone=str(clinic.get("timezone", "")).strip() or UNSET_TIMEZONE,
        phone=str(clinic.get("phone", "")).strip(),
        emergency_advice=fill(clinic.get("emergency_advice", "")),
        hours=hours,
        turnaround_hours=turnaround,
        holidays=frozenset(date.fromisoformat(d) for d in data.get("holidays", [])),
        backup_every_hours=float(data.get("backup", {}).get("every_hours", 24)),
        backup_keep=max(int(data.get("backup", {}).get("keep", 7)), 1),
        backup_folder=str(data.get("backup", {}).get("folder", "")),
        languages=languages,
        emergency_advice_in=advice_in,
        trusted_authserv_id=str(data.get("mail", {}).get("trusted_authserv_id", "")).strip(),
        require_verified_sender=bool(data.get("mail", {}).get("require_verified_sender", True)),
        minors=MinorRules.from_toml(data),
        consent_required=bool(data.get("consent", {}).get("required", False)),
        offline_sign_in_hours=max(
            float(data.get("shared", {}).get("offline_sign_in_hours", 12)), 0.0
        ),
        **numbers,
    )


def _layer(data: dict, path: Path) -> None:
    with open(path, "rb") as fh:
        own = tomllib.load(fh)
    for section, values in own.items():
        # opening hours are the clinic's whole week: a day it leaves out is closed
        if isinstance(values, dict) and section != "hours":
            data.setdefault(section, {}).update(values)
        else:
            data[section] = values


def load_config(home: Path | None = None) -> ClinicConfig:
    """The clinic's own clinic.toml if it has one, over the shipped defaults (which
    name no clinic: name, phone and time zone are each clinic's own)."""
    with open(resource_path("clinic.toml"), "rb") as fh:
        data = tomllib.load(fh)
    if home is not None and (home / "clinic.toml").exists():
        _layer(data, home / "clinic.toml")
    return _parse(data)


def load_config_file(own: Path) -> ClinicConfig:
    """The policy a clinic.toml at `own` would give, over the shipped defaults: used to
    check a new file before it replaces the clinic's (raises on anything unreadable)."""
    with open(resource_path("clinic.toml"), "rb") as fh:
        data = tomllib.load(fh)
    _layer(data, own)
    return _parse(data)


def demo_config() -> ClinicConfig:
    """The demo clinic's policy (its invented name, phone, time zone and holidays)."""
    with open(resource_path("clinic.toml"), "rb") as fh:
        data = tomllib.load(fh)
    _layer(data, resource_path("demo", "clinic.toml"))
    return _parse(data)
