"""The reply templates staff choose from when they answer (Template… in the
conversation): the shipped ones (resources/reply_templates), as the clinic rewrote
them, and the clinic's own, each in every language the clinic answers in. The clinic's
versions are kept in `reply_templates.toml` in its data folder, written whole by
Settings. The automatic letters (acknowledgement, urgent safety reply) are not edited
here: their wording carries the emergency numbers and is checked with the clinic's
details instead.

No Qt; core/services_settings_templates.py checks access and audits."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import tomli_w

from clinic_inbox.core.resources import resource_path

TEMPLATES_FILE = "reply_templates.toml"
LANGUAGES = {"en": "English", "fr": "French"}
# the templates staff pick from, shipped with the app (name, label)
SHIPPED = (
    ("refill_sent", "Prescription sent"),
    ("results_normal", "Results normal"),
    ("appointment_booked", "Appointment booked"),
    ("please_call", "Please call the clinic"),
)
# what the app fills in (core.outgoing.standard_fields); anything else in braces is a typo
FIELDS = (
    "patient_first_name",
    "clinic_name",
    "phone",
    "emergency_advice",
    "emergency_number",
    "crisis_line",
)
MAX_CHARS = 5000
_FIELD = re.compile(r"\{([^{}]*)\}")


class TemplateError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ReplyTemplate:
    name: str
    label: str
    texts: dict[str, str] = field(default_factory=dict)  # the body, by language
    shipped: bool = False


@cache  # shipped files do not change while the app runs; the conversation asks often
def _shipped_body(name: str, language: str) -> str:
    path = resource_path("reply_templates", language, f"{name}.txt")
    if language == "en" or not path.is_file():
        path = resource_path("reply_templates", f"{name}.txt")
    text = path.read_text("utf-8")
    if text.startswith("Subject:"):
        text = text.partition("\n")[2]
    return text.strip("\n")


def _own(home: Path) -> dict[str, dict[str, Any]]:
    path = Path(home) / TEMPLATES_FILE
    if not path.exists():
        return {}
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(
            [f"The clinic's reply templates ({path}) cannot be read ({exc}); ask IT support."]
        ) from None
    return {t["name"]: t for t in data.get("template", []) if t.get("name")}


def catalogue(home: Path) -> list[ReplyTemplate]:
    """Every template staff may choose, shipped ones first, in the clinic's wording."""
    own = _own(home)
    out = []
    for name, label in SHIPPED:
        mine = own.pop(name, {})
        texts = {lang: _shipped_body(name, lang) for lang in LANGUAGES}
        texts.update({k: v for k, v in (mine.get("text") or {}).items() if k in LANGUAGES})
        out.append(ReplyTemplate(name, mine.get("label") or label, texts, shipped=True))
    for name, mine in own.items():
        texts = {k: v for k, v in (mine.get("text") or {}).items() if k in LANGUAGES}
        out.append(ReplyTemplate(name, str(mine.get("label") or name), texts))
    return out


def render(home: Path, name: str, fields: dict[str, str], language: str) -> str:
    """A template's body in `language` (English, then any, when it has none there),
    with the fields filled in; an unknown field stays as typed."""
    found = next((t for t in catalogue(home) if t.name == name), None)
    if found is None:
        raise TemplateError([f"There is no reply template called “{name}” any more."])
    text = (
        found.texts.get(language) or found.texts.get("en") or next(iter(found.texts.values()), "")
    )

    class _Safe(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return text.format_map(_Safe(fields))


def problems(template: ReplyTemplate, others: list[ReplyTemplate]) -> list[str]:
    out = []
    label = template.label.strip()
    if not 2 <= len(label) <= 60 or "\n" in label:
        out.append("Give the template a short name (2 to 60 characters, one line).")
    elif any(o.label.strip().lower() == label.lower() and o.name != template.name for o in others):
        out.append(f"There is already a template called “{label}”.")
    if not any(t.strip() for t in template.texts.values()):
        out.append("Write the template's text in at least one language.")
    for lang, text in template.texts.items():
        name = LANGUAGES.get(lang, lang)
        if len(text) > MAX_CHARS or "\x00" in text:
            out.append(f"{name}: the text is too long (at most {MAX_CHARS:,} characters).")
        for found in _FIELD.findall(text):
            if found not in FIELDS:
                out.append(
                    f"{name}: {{{found}}} is not something the app fills in. It fills in "
                    + ", ".join(f"{{{f}}}" for f in FIELDS)
                    + "."
                )
    return out


def new_name(label: str, taken: set[str]) -> str:
    base = "clinic_" + (re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "template")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def changed_parts(before: ReplyTemplate | None, after: ReplyTemplate) -> list[str]:
    """What changed, by name ("label", "text_fr"...): the audit entry's words."""
    if before is None:
        return ["new"]
    out = ["label"] if before.label != after.label else []
    out += [
        f"text_{lang}"
        for lang in LANGUAGES
        if before.texts.get(lang, "") != after.texts.get(lang, "")
    ]
    return out


def file_text(home: Path, template: ReplyTemplate) -> str:
    """The clinic's templates file with `template` in place (the others kept); a shipped
    template keeps only what differs from the shipped wording."""
    own = _own(home)
    entry: dict[str, Any] = {"name": template.name, "label": template.label.strip()}
    texts = {}
    for lang, text in template.texts.items():
        text = text.strip("\n")
        if template.shipped and text == _shipped_body(template.name, lang):
            continue
        if text.strip():
            texts[lang] = text
    if texts:
        entry["text"] = texts
    own[template.name] = entry
    return (
        "# This clinic's reply templates (Administration > Settings > Reply templates).\n"
        + tomli_w.dumps({"template": list(own.values())})
    )


def file_text_without(home: Path, name: str) -> str:
    """The clinic's templates file without its entry for `name`: a template of the
    clinic's own is gone, a shipped one has its shipped wording back."""
    own = _own(home)
    own.pop(name, None)
    return (
        "# This clinic's reply templates (Administration > Settings > Reply templates).\n"
        + tomli_w.dumps({"template": list(own.values())})
    )


def write_file(home: Path, text: str) -> None:
    """Replace the clinic's templates file whole or not at all, owner-only."""
    home = Path(home)
    fd, tmp_name = tempfile.mkstemp(prefix=".reply_templates.", suffix=".tmp", dir=home)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, home / TEMPLATES_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
