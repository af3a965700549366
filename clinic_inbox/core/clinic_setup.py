"""Setting up a new clinic: what it must say about itself, checked before anything is
written, and a first run that either finishes or leaves the folder as it found it.

Used by `clinic-inbox init` and by the app's first-run screen alike.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from clinic_inbox.core.config import DAYS, ClinicConfig
from clinic_inbox.core.keys import SERVICE, KeyCustody, PassphraseProvider
from clinic_inbox.core.language import check_languages
from clinic_inbox.core.model import Role
from clinic_inbox.core.passwords import weakness

if TYPE_CHECKING:
    from clinic_inbox.core.home import Clinic

CLINIC_FILE = "clinic.toml"
# What a first run may leave in a data folder; removed again when it fails.
_CREATED = (
    "clinic.db",
    "clinic.db-wal",
    "clinic.db-shm",
    "custody.json",
    "key.wrapped",
    "recovery.wrapped",
    CLINIC_FILE,
)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


class SetupError(ValueError):
    """Everything wrong with what was entered, each in plain words; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ClinicDetails:
    """What a clinic says about itself at set-up. Nothing here comes from the demo."""

    name: str
    phone: str
    timezone: str
    emergency_number: str = "911"
    crisis_line: str = "9-8-8"
    languages: tuple[str, ...] = ("en",)
    # weekday (0 = Monday) -> ("08:30", "17:00"); None keeps the shipped opening hours
    hours: dict[int, tuple[str, str]] | None = None
    holidays: tuple[date, ...] = ()
    # "urgent"/"same_day"/"routine"/"admin" -> working hours; None keeps the defaults
    turnaround_hours: dict[str, float] | None = None
    extra: dict[str, dict[str, object]] = field(default_factory=dict)

    def problems(self) -> list[str]:
        out: list[str] = []
        if not self.name.strip():
            out.append("Enter the clinic's name: patients see it on every letter.")
        if sum(c.isdigit() for c in self.phone) < 3:
            out.append(
                "Enter the clinic's telephone number: the automatic letters and the urgent "
                "safety reply give it to patients."
            )
        if not self.timezone.strip():
            out.append("Choose the clinic's time zone (for example America/Toronto).")
        elif not timezone_known(self.timezone):
            out.append(
                f"{self.timezone} is not a time zone Clinic Inbox knows. "
                "Choose one such as America/Toronto or America/Vancouver."
            )
        for what, number in (
            ("emergency number", self.emergency_number),
            ("crisis line", self.crisis_line),
        ):
            if not any(c.isdigit() for c in number) or any(c in number for c in "\r\n{}"):
                out.append(
                    f"Enter the {what} patients should call (in Canada: "
                    f"{'911' if what == 'emergency number' else '9-8-8'})."
                )
        try:
            check_languages(list(self.languages))
        except ValueError as exc:
            out.append(str(exc).removeprefix("clinic.toml: "))
        for day, (opens, closes) in (self.hours or {}).items():
            if not (_is_time(opens) and _is_time(closes)) or opens >= closes:
                out.append(
                    f"The opening hours for {DAYS[day].title()} must be two times like "
                    "08:30 and 17:00, the first before the second."
                )
        for level, hours in (self.turnaround_hours or {}).items():
            if not 0 < hours <= 24 * 14:
                out.append(
                    f"The turnaround for {level.replace('_', ' ')} must be a number of hours."
                )
        for text in (self.name, self.phone):
            if any(c in text for c in "\r\n"):
                out.append("The clinic's name and number must each fit on one line.")
        return out

    def to_toml(self) -> str:
        """The clinic's own clinic.toml: only what it entered, over the shipped defaults."""

        def s(value: object) -> str:  # JSON strings are valid TOML basic strings
            return json.dumps(str(value), ensure_ascii=False)

        lines = [
            "# This clinic's own policy, written at set-up (Settings or clinic.toml to change it).",
            f"languages = [{', '.join(s(x) for x in self.languages)}]",
            f"holidays = [{', '.join(s(d.isoformat()) for d in sorted(self.holidays))}]",
            "",
            "[clinic]",
            f"name = {s(self.name.strip())}",
            f"phone = {s(self.phone.strip())}",
            f"timezone = {s(self.timezone.strip())}",
            f"emergency_number = {s(self.emergency_number.strip())}",
            f"crisis_line = {s(self.crisis_line.strip())}",
        ]
        if self.hours is not None:
            # a clinic's own [hours] replaces the shipped table whole: a day not
            # listed is a day the clinic is closed
            lines += ["", "[hours]"]
            lines += [f"{DAYS[d]} = [{s(o)}, {s(c)}]" for d, (o, c) in sorted(self.hours.items())]
        if self.turnaround_hours is not None:
            lines += ["", "[turnaround_hours]"]
            lines += [f"{k} = {float(v)}" for k, v in self.turnaround_hours.items()]
        for section, values in self.extra.items():
            lines += ["", f"[{section}]"]
            lines += [f"{k} = {s(v)}" for k, v in values.items()]
        return "\n".join(lines) + "\n"


def identity_problems(config: ClinicConfig) -> list[str]:
    """A clinic set up before it had to enter its own details (or whose clinic.toml
    lost them): automatic letters would name no clinic and no telephone number."""
    missing = config.missing_identity()
    if not missing:
        return []
    return [
        "clinic.toml does not give "
        + ", ".join(missing)
        + ": automatic replies and the safety reply cannot name them. An administrator adds "
        "them to clinic.toml in the data folder ([clinic] name, phone, timezone)."
    ]


def _is_time(text: str) -> bool:
    return bool(re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text))


def timezone_known(name: str) -> bool:
    if not name or name != name.strip() or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def timezone_choices() -> list[str]:
    """Time zones to offer, Canada's first."""
    canada = [
        "America/St_Johns",
        "America/Halifax",
        "America/Moncton",
        "America/Toronto",
        "America/Winnipeg",
        "America/Regina",
        "America/Edmonton",
        "America/Vancouver",
        "America/Whitehorse",
    ]
    rest = sorted(z for z in available_timezones() if "/" in z and z not in canada)
    return canada + rest


@dataclass
class FirstAdmin:
    username: str
    display_name: str
    password: str

    def problems(self, clinic_name: str) -> list[str]:
        out = []
        if not _USERNAME.match(self.username):
            out.append(
                "The administrator's user name must be 2 to 32 lower-case letters, digits, "
                "dots or dashes (for example: admin or j.martin)."
            )
        why = weakness(
            self.password,
            username=self.username,
            display_name=self.display_name,
            clinic_name=clinic_name,
        )
        if why:
            out.append(why)
        return out


def check_setup(home: Path, details: ClinicDetails, admin: FirstAdmin | None) -> None:
    """Every problem at once, before anything is created (SetupError). Without `admin`,
    what can be checked before the password is asked."""
    from clinic_inbox.core.home import clinic_exists

    problems = []
    if clinic_exists(home):
        problems.append(
            f"A clinic already exists in {home}. Clinic Inbox never creates a new store "
            "over an existing one; choose another folder (--home)."
        )
    problems += details.problems()
    if admin is not None:
        problems += admin.problems(details.name)
    if problems:
        raise SetupError(problems)


def create_new_clinic(
    home: Path,
    details: ClinicDetails,
    admin: FirstAdmin,
    ask_passphrase: PassphraseProvider,
    custody: KeyCustody | None = None,
) -> tuple[Clinic, str]:
    """Check everything, then create the clinic with its policy and administrator.
    On any failure, the files this run made are removed and the keyring entries
    forgotten, so the next attempt starts clean."""
    from clinic_inbox.core import services
    from clinic_inbox.core.config import load_config
    from clinic_inbox.core.home import create_clinic

    home = Path(home)
    check_setup(home, details, admin)
    made_home = not home.exists()
    custody = custody or KeyCustody(home)
    clinic = None
    try:
        clinic, code = create_clinic(home, ask_passphrase, custody)
        from clinic_inbox.core.clinic_file import write_atomically

        write_atomically(home, details.to_toml())
        clinic.config = load_config(home)
        services.create_first_admin(clinic, admin.username, admin.display_name, admin.password)
    except BaseException:
        _undo(home, clinic, custody.backend, made_home)
        raise
    return clinic, code


def _undo(home: Path, clinic: Clinic | None, backend: Any | None, made_home: bool) -> None:
    store_id = None
    if clinic is not None:
        store_id = clinic.custody.store_id
        try:
            clinic.close()  # the store, and the open-clinic lock it holds
        except Exception:  # noqa: BLE001 - removing it next is what matters
            try:
                clinic.store.close()
            except Exception:  # noqa: BLE001, S110
                pass
    for name in _CREATED:
        (home / name).unlink(missing_ok=True)
    if backend is not None and store_id:
        for suffix in ("db", "audit"):
            try:
                backend.delete_password(SERVICE, f"{store_id}:{suffix}")
            except Exception:  # noqa: BLE001, S110 - an entry never written
                pass
    shutil.rmtree(home / "locks", ignore_errors=True)  # core.open_lock's, made by this run
    if made_home and home.exists() and not any(home.iterdir()):
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class FirstStaff:
    """A colleague added by the first run, with a temporary password they replace at
    their first sign-in."""

    username: str
    display_name: str
    role: Role
    password: str

    def problems(self, clinic_name: str) -> list[str]:
        who = self.username or "a staff member"
        out = []
        if not _USERNAME.match(self.username):
            out.append(f"{who}: a user name is 2 to 32 lower-case letters, digits, dots or dashes.")
        if not self.display_name.strip():
            out.append(f"{who}: enter their full name (colleagues see it on assignments).")
        why = weakness(
            self.password,
            username=self.username,
            display_name=self.display_name,
            clinic_name=clinic_name,
        )
        if why:
            out.append(f"{who}'s temporary password: {why}")
        return out


def staff_problems(staff: list[FirstStaff], admin_username: str, clinic_name: str) -> list[str]:
    """Every colleague's problems, and user names given twice."""
    out: list[str] = []
    seen = {admin_username.lower()}
    for person in staff:
        out += person.problems(clinic_name)
        if person.username.lower() in seen:
            out.append(f"The user name {person.username} is given twice.")
        seen.add(person.username.lower())
    return out


def csv_preview(text: str) -> tuple[list[tuple[int, Any]], list[tuple[int, str]]]:
    """A patient CSV before there is a store: each line read, every bad line named
    (including a chart number or address given on two lines)."""
    from clinic_inbox.core.services_patients import read_patient_csv

    rows, problems = read_patient_csv(text)
    charts: dict[str, int] = {}
    emails: dict[str, int] = {}
    for n, d in rows:
        if d.chart_number:
            if d.chart_number in charts:
                problems.append(
                    (n, f"chart number {d.chart_number} is also on line {charts[d.chart_number]}")
                )
            charts.setdefault(d.chart_number, n)
        for e in d.emails:
            if e in emails:
                problems.append((n, f"{e} is also on line {emails[e]}"))
            emails.setdefault(e, n)
    if not rows and not problems:
        problems.append((1, "the file holds no patients"))
    return rows, sorted(problems)


def _said(exc: Exception) -> str:
    """A refusal's own plain words; anything else named without its internals (which
    could quote a secret or a patient's details)."""
    from clinic_inbox.core.access import AccessDenied
    from clinic_inbox.core.keys import KeyCustodyError
    from clinic_inbox.core.signin import AuthError

    if isinstance(exc, ValueError | AccessDenied | AuthError | KeyCustodyError):
        return str(exc)
    return (
        f"an unexpected problem ({type(exc).__name__}). It can be done again under "
        "Administration; call IT support if it happens again."
    )


@dataclass
class FirstRunResult:
    recovery_code: str
    custody: str  # how the key is kept, in words
    account_note: str = ""  # what happened to the email account, if one was given
    # what happened to the portal, the staff and the patients, one line each
    notes: list[str] = field(default_factory=list)


def run_first_setup(
    home: Path,
    details: ClinicDetails,
    admin: FirstAdmin,
    ask_passphrase: PassphraseProvider,
    account: object | None = None,
    account_password: str = "",
    custody: KeyCustody | None = None,
    *,
    portal: object | None = None,
    portal_token: str = "",
    staff: list[FirstStaff] | None = None,
    patients_csv: str | None = None,
) -> FirstRunResult:
    """The app's first run, on a worker: the clinic and its administrator (all or
    nothing), then what was given of the email account, the portal, the staff and the
    patients. Each of those that is refused does not undo the clinic: it is said in
    words and can be done again in Settings (patients: all of the file or none)."""
    from clinic_inbox.core import services
    from clinic_inbox.core.services_patients import import_patients

    clinic, code = create_new_clinic(home, details, admin, ask_passphrase, custody)
    note, notes = "", []
    with clinic:
        session = services.login(clinic, admin.username, admin.password)
        if account is not None:
            try:
                services.add_imap_account(clinic, session, account, account_password)  # type: ignore[arg-type]
                note = f"The email account {account.name} was added."  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - shown to the person, clinic kept
                note = f"The email account was not added: {_said(exc)}"
        if portal is not None:
            try:
                services.add_fhir_account(clinic, session, portal, portal_token or None)  # type: ignore[arg-type]
                notes.append(f"The portal {portal.name} was added.")  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - shown to the person, clinic kept
                notes.append(f"The portal was not added: {_said(exc)}")
        added = []
        for person in staff or []:
            try:
                services.add_staff(
                    clinic, session, person.username, person.display_name, person.role,
                    person.password,
                )  # fmt: skip
                # set by the administrator: a temporary password, replaced at first sign-in
                services.reset_password(clinic, session, person.username, person.password)
                added.append(person.username)
            except Exception as exc:  # noqa: BLE001 - shown to the person, clinic kept
                notes.append(f"{person.username} was not added: {_said(exc)}")
        if added:
            notes.append(
                f"Staff added: {', '.join(added)}. Each chooses their own password at their "
                "first sign-in."
            )
        if patients_csv is not None:
            try:
                notes.append(import_patients(clinic, session, patients_csv).describe())
            except Exception as exc:  # noqa: BLE001 - shown to the person, clinic kept
                notes.append(f"No patients were imported: {_said(exc)}")
        return FirstRunResult(code, clinic.custody.describe(), note, notes)
