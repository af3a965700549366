"""Messages the clinic starts: its templates, its education library, and the text a
patient will read. Pure logic (no store, no network): services_compose does the rest."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from clinic_inbox.core.model import Category
from clinic_inbox.core.outgoing import check_header
from clinic_inbox.core.resources import resource_path

# A filled-in field goes into a subject line and a sentence: one short line.
MAX_FIELD_CHARS = 200
LANGUAGES = ("en", "fr")


class ComposeError(ValueError):
    """What stops a message from being written, in words for the person writing it."""


@dataclass(frozen=True)
class Template:
    name: str
    label: str
    label_fr: str
    category: Category
    fields: tuple[str, ...]

    def label_in(self, language: str) -> str:
        return self.label_fr if language == "fr" else self.label


@dataclass(frozen=True)
class EducationLink:
    key: str
    title: str
    title_fr: str
    url: str

    def title_in(self, language: str) -> str:
        return self.title_fr if language == "fr" else self.title


@cache
def templates() -> dict[str, Template]:
    data = tomllib.loads(resource_path("compose_templates", "catalogue.toml").read_text("utf-8"))
    out = {}
    for name, t in data.items():
        out[name] = Template(
            name=name,
            label=t["label"],
            label_fr=t.get("label_fr", t["label"]),
            category=Category(t["category"]),
            fields=tuple(t.get("fields", ())),
        )
    return out


def template(name: str) -> Template:
    found = templates().get(name)
    if found is None:
        raise ComposeError(f"There is no message template called “{name}”.")
    return found


@cache
def education_library() -> dict[str, EducationLink]:
    data = tomllib.loads(resource_path("education", "library.toml").read_text("utf-8"))
    out = {}
    for key, e in data.items():
        url = e["url"]
        # the library is the clinic's promise of what it sends: only secure, plain links
        if urlsplit(url).scheme != "https" or any(c.isspace() for c in url):
            raise ComposeError(f"The education link “{key}” is not a plain https address.")
        out[key] = EducationLink(key, e["title"], e.get("title_fr", e["title"]), url)
    return out


def check_field(name: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise ComposeError(f"Fill in “{name.replace('_', ' ')}”.")
    if len(value) > MAX_FIELD_CHARS:
        raise ComposeError(
            f"“{name.replace('_', ' ')}” is longer than {MAX_FIELD_CHARS} characters; shorten it."
        )
    try:
        check_header(name, value)  # it may end up in the subject line
    except ValueError:
        raise ComposeError(f"“{name.replace('_', ' ')}” must fit on one line.") from None
    return value


def _placeholders(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _fill(text: str, values: dict[str, str]) -> str:
    missing = sorted(_placeholders(text) - values.keys())
    if missing:
        raise ComposeError("Fill in: " + ", ".join(m.replace("_", " ") for m in missing) + ".")
    # values are inserted as they are: a brace typed by the sender is not a field
    return "".join(
        lit + (values[f] if f else "") for lit, f, _, _ in string.Formatter().parse(text)
    )


def template_text(name: str, language: str) -> tuple[str, str]:
    """(subject line, body) of a template as written, before any field is filled."""
    template(name)
    lang = language if language in LANGUAGES else "en"
    raw = resource_path("compose_templates", lang, f"{name}.txt").read_text("utf-8")
    first, _, rest = raw.partition("\n")
    if not first.startswith("Subject:"):
        raise ComposeError(f"The template “{name}” has no subject line.")
    return first.removeprefix("Subject:").strip(), rest.lstrip("\n")


def education_block(keys: list[str] | tuple[str, ...], language: str) -> str:
    if not keys:
        return ""
    library = education_library()
    unknown = [k for k in keys if k not in library]
    if unknown:
        raise ComposeError(
            "Only links from the clinic's education library can be added "
            f"(not: {', '.join(unknown)})."
        )
    head = "Lectures choisies pour vous :" if language == "fr" else "Reading chosen for you:"
    lines = [f"- {library[k].title_in(language)}: {library[k].url}" for k in dict.fromkeys(keys)]
    return "\n".join([head, *lines])


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str
    category: Category


def render(
    template_name: str | None,
    language: str,
    standard: dict[str, str],
    fields: dict[str, str],
    *,
    subject: str = "",
    body: str = "",
    category: Category = Category.OTHER,
    education: tuple[str, ...] | list[str] = (),
) -> Draft:
    """The message as the patient will read it (before the signature). With a template,
    its subject and body are filled from the standard fields (name, clinic, phone) and
    the sender's fields; without one, `subject` and `body` are the sender's own words."""
    extra = education_block(list(education), language)
    if template_name:
        t = template(template_name)
        values = {k: check_field(k, v) for k, v in fields.items() if k in t.fields}
        values.update(standard)
        subj_text, body_text = template_text(template_name, language)
        subject, body, category = _fill(subj_text, values), _fill(body_text, values), t.category
    else:
        subject, body = subject.strip(), body.strip()
        if not subject:
            raise ComposeError("Write a subject: the patient sees it first.")
        if not body:
            raise ComposeError("The message is empty.")
        check_field("subject", subject)
    text = body.rstrip() + (f"\n\n{extra}" if extra else "")
    return Draft(subject=subject, body=text, category=category)
