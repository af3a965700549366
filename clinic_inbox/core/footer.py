"""The standard footer on every staff reply and every message the clinic starts.

The guidelines (issue 17) ask every message to say who reads messages, how fast the
clinic answers, not to use e-mail for emergencies (and whom to call), and how to stop.
The words are templates a clinic can edit: a `footer` folder in its data folder
(`en.txt`, `fr.txt`) wins over the shipped `resources/footer`. A message that goes to a
proxy (a caregiver writing for the patient) takes the `-proxy` wording (`en-proxy.txt`:
"the patient's medical record", why they receive it), unless the clinic wrote its own
footer without a proxy wording: then its own. Pure: no store.
"""

from __future__ import annotations

import math
import string
from pathlib import Path

from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.model import Priority
from clinic_inbox.core.resources import resource_path

FIELDS = frozenset({"clinic_name", "phone", "emergency_number", "response_time"})
# the footer is text under every message: keep a clinic's edit from growing into a letter
MAX_CHARS = 1500


class FooterError(ValueError):
    """A clinic's footer template that cannot be used, in words for the administrator."""


def _working_day_hours(cfg: ClinicConfig) -> float:
    spans = [(c.hour * 60 + c.minute - o.hour * 60 - o.minute) / 60 for o, c in cfg.hours.values()]
    spans = [s for s in spans if s > 0]
    return sum(spans) / len(spans) if spans else 8.0


def response_time(cfg: ClinicConfig, language: str) -> str:
    """The routine turnaround the clinic publishes, in working hours or days."""
    hours = cfg.turnaround_hours.get(Priority.ROUTINE, 16.0)
    per_day = _working_day_hours(cfg)
    fr = language == "fr"
    if hours < per_day:
        n = max(1, math.ceil(hours))
        unit = ("heure ouvrable", "heures ouvrables") if fr else ("working hour", "working hours")
    else:
        n = math.ceil(round(hours / per_day, 2))
        unit = ("jour ouvrable", "jours ouvrables") if fr else ("working day", "working days")
    return f"{n} {unit[0] if n == 1 else unit[1]}"


def template_path(language: str, home: Path | None = None, *, to_proxy: bool = False) -> Path:
    """The clinic's own footer in `language`, else the shipped one, else English; to a
    proxy, the proxy wording of the same folder first."""
    names = ("-proxy.txt", ".txt") if to_proxy else (".txt",)
    for lang in (language, "en"):
        for folder in ([home / "footer"] if home else []) + [resource_path("footer")]:
            for name in names:
                found = folder / f"{lang}{name}"
                if found.is_file():
                    return found
    raise FooterError("The standard footer template is missing (resources/footer/en.txt).")


def render(
    cfg: ClinicConfig, language: str, home: Path | None = None, *, to_proxy: bool = False
) -> str:
    """The footer in `language` (English where the clinic has none), filled from
    clinic.toml. A template naming an unknown field is refused, not sent half-filled."""
    path = template_path(language, home, to_proxy=to_proxy)
    text = path.read_text("utf-8").strip()
    if len(text) > MAX_CHARS:
        raise FooterError(
            f"The message footer ({path.name}) is longer than {MAX_CHARS} characters; shorten it."
        )
    parsed = list(string.Formatter().parse(text))
    unknown = sorted({f for _, f, _, _ in parsed if f} - FIELDS)
    if unknown:
        raise FooterError(
            f"The message footer ({path.name}) uses fields the app does not know: "
            + ", ".join(unknown)
            + ". It may use: "
            + ", ".join(sorted(FIELDS))
            + "."
        )
    values = {
        "clinic_name": cfg.name or "the clinic",
        "phone": cfg.phone,
        "emergency_number": cfg.emergency_number,
        "response_time": response_time(cfg, language),
    }
    return "".join(lit + (values[f] if f else "") for lit, f, _, _ in parsed)


def with_footer(
    text: str,
    cfg: ClinicConfig,
    language: str,
    home: Path | None = None,
    *,
    to_proxy: bool = False,
) -> str:
    """`text` followed by the footer, once: a text that already ends with it (a
    reply written again after a refusal) does not get a second one."""
    foot = render(cfg, language, home, to_proxy=to_proxy)
    body = text.rstrip()
    if body.endswith(foot):
        return body + "\n"
    return f"{body}\n\n{foot}\n"
