"""The clinic's own clinic.toml, written back by Settings: only the keys the form
manages change, everything else the clinic put there stays, and the new file replaces
the old one whole or not at all (temporary file in the same folder, fsync, rename).

No Qt; the service in core/services_settings.py checks access and audits.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w

from clinic_inbox.core.clinic_setup import CLINIC_FILE, ClinicDetails, SetupError
from clinic_inbox.core.config import DAYS, ClinicConfig, load_config_file

_HEADER = (
    "# This clinic's own policy (Administration > Settings writes it; the shipped\n"
    "# defaults with their explanations are in resources/clinic.toml).\n"
)
# what the Settings form owns in [clinic]; other keys there (advice texts...) are kept
_CLINIC_KEYS = ("name", "phone", "timezone", "emergency_number", "crisis_line")


def own_settings(home: Path) -> dict[str, Any]:
    """What the clinic's clinic.toml says (empty when it has none)."""
    path = Path(home) / CLINIC_FILE
    if not path.exists():
        return {}
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def details_from(config: ClinicConfig) -> ClinicDetails:
    """The form's starting point: the clinic's policy as it is now."""
    return ClinicDetails(
        name=config.name,
        phone=config.phone,
        timezone=config.timezone if config.timezone_set else "",
        emergency_number=config.emergency_number,
        crisis_line=config.crisis_line,
        languages=config.languages,
        hours={d: (o.strftime("%H:%M"), c.strftime("%H:%M")) for d, (o, c) in config.hours.items()},
        holidays=tuple(sorted(config.holidays)),
        turnaround_hours={p.value: h for p, h in config.turnaround_hours.items()},
    )


def changed_fields(before: ClinicDetails, after: ClinicDetails) -> list[str]:
    """Which settings differ, by name (what the audit entry records; never values)."""
    names = [
        "name",
        "phone",
        "timezone",
        "emergency_number",
        "crisis_line",
        "languages",
        "hours",
        "holidays",
        "turnaround_hours",
    ]
    return [n for n in names if getattr(before, n) != getattr(after, n)]


def merged_text(own: dict[str, Any], details: ClinicDetails) -> str:
    """The clinic's clinic.toml with the form's values in place of its old ones."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in own.items()}
    data["languages"] = list(details.languages)
    data["holidays"] = [d.isoformat() for d in sorted(set(details.holidays))]
    clinic = data.setdefault("clinic", {})
    for key in _CLINIC_KEYS:
        clinic[key] = str(getattr(details, key)).strip()
    if details.hours is not None:
        # the whole week: a day left out is a day the clinic is closed
        data["hours"] = {DAYS[d]: [o, c] for d, (o, c) in sorted(details.hours.items())}
    if details.turnaround_hours is not None:
        data["turnaround_hours"] = {k: float(v) for k, v in details.turnaround_hours.items()}
    return _HEADER + tomli_w.dumps(data)


def write_atomically(home: Path, text: str) -> ClinicConfig:
    """Replace the clinic's clinic.toml with `text`, all or nothing, after checking the
    new file reads back as a policy. Returns that policy."""
    home = Path(home)
    fd, tmp_name = tempfile.mkstemp(prefix=".clinic.toml.", suffix=".tmp", dir=home)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            config = load_config_file(tmp)
        except (ValueError, KeyError, TypeError) as exc:
            raise SetupError(
                [f"The settings were not saved: they would not read back ({exc})."]
            ) from None
        os.replace(tmp, home / CLINIC_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(home)
    return config


def _sync_folder(home: Path) -> None:
    """The rename itself survives a power cut once the folder is flushed (POSIX)."""
    if os.name != "posix":
        return
    fd = os.open(home, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def parse_holidays(text: str) -> tuple[tuple[date, ...], list[str]]:
    """Holidays typed as 2027-01-01, 2027-07-01: the dates, and what is not a date."""
    days, problems = [], []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        try:
            days.append(date.fromisoformat(part))
        except ValueError:
            problems.append(f"{part} is not a date like 2027-07-01.")
    return tuple(days), problems
