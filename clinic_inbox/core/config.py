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

    def advice(self, language: str) -> str:
        """The emergency advice in `language`, in English where the clinic has none."""
        return self.emergency_advice_in.get(language) or self.emergency_advice

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _parse(data: dict) -> ClinicConfig:
    clinic = data.get("clinic", {})
    hours = {}
    for day, span in data.get("hours", {}).items():
        opens, closes = (time.fromisoformat(t) for t in span)
        hours[DAYS.index(day.lower())] = (opens, closes)
    turnaround = {Priority(k): float(v) for k, v in data.get("turnaround_hours", {}).items()}
    languages = check_languages(data.get("languages", ["en"]))
    advice_in = {
        lang: str(clinic[f"emergency_advice_{lang}"])
        for lang in KNOWN
        if lang != "en" and clinic.get(f"emergency_advice_{lang}")
    }
    return ClinicConfig(
        name=clinic.get("name", "Clinic"),
        timezone=clinic.get("timezone", "UTC"),
        phone=clinic.get("phone", ""),
        emergency_advice=clinic.get("emergency_advice", ""),
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
    )


def load_config(home: Path | None = None) -> ClinicConfig:
    """The clinic's own clinic.toml if it has one, else the shipped defaults."""
    with open(resource_path("clinic.toml"), "rb") as fh:
        data = tomllib.load(fh)
    if home is not None and (home / "clinic.toml").exists():
        with open(home / "clinic.toml", "rb") as fh:
            own = tomllib.load(fh)
        for section, values in own.items():
            if isinstance(values, dict):
                data.setdefault(section, {}).update(values)
            else:
                data[section] = values
    return _parse(data)
