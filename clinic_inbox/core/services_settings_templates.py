"""Settings > Reply templates (administrators): the templates staff answer with,
listed, edited, added and removed (a shipped one: its wording put back), in each
language. Audited by the template's name and which
parts changed, never the text; the conversation's Template… list reads them each time
a conversation opens, so a change is used without a restart."""

from __future__ import annotations

from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.reply_templates import (
    ReplyTemplate,
    TemplateError,
    catalogue,
    changed_parts,
    file_text,
    file_text_without,
    new_name,
    problems,
    write_file,
)
from clinic_inbox.core.services_common import _audit
from clinic_inbox.core.services_settings import _admin
from clinic_inbox.core.signin import Session


def reply_templates(clinic: Clinic, session: Session) -> list[ReplyTemplate]:
    _admin(clinic, session, "settings.view")
    return catalogue(clinic.home)


def save_reply_template(clinic: Clinic, session: Session, template: ReplyTemplate) -> ReplyTemplate:
    """Edit a template (by its name) or add one (an empty name). TemplateError names
    every problem; nothing is written then."""
    _admin(clinic, session, "settings.reply_template")
    known = catalogue(clinic.home)
    before = next((t for t in known if t.name == template.name), None) if template.name else None
    if template.name and before is None:
        raise TemplateError(["That template no longer exists; it may have been removed."])
    name = template.name or new_name(template.label, {t.name for t in known})
    texts = {k: v.strip("\n") for k, v in template.texts.items()}
    shipped = before.shipped if before else False
    template = ReplyTemplate(name, template.label.strip(), texts, shipped)
    found = problems(template, known)
    if found:
        raise TemplateError(found)
    changed = changed_parts(before, template)
    if not changed:
        return template
    _write(clinic, session, file_text(clinic.home, template), name, changed)
    return next(t for t in catalogue(clinic.home) if t.name == name)


def remove_reply_template(clinic: Clinic, session: Session, name: str) -> str:
    """A template of the clinic's own removed, or a shipped one given its shipped
    wording back. Returns which ("removed" or "reset"); audited by name."""
    _admin(clinic, session, "settings.reply_template")
    found = next((t for t in catalogue(clinic.home) if t.name == name), None)
    if found is None:
        raise TemplateError(["That template no longer exists; it may have been removed."])
    what = "reset" if found.shipped else "removed"
    _write(clinic, session, file_text_without(clinic.home, name), name, [what])
    return what


def _write(clinic: Clinic, session: Session, text: str, name: str, changed: list[str]) -> None:
    """The templates file and its audit entry together: if the entry does not commit,
    the file goes back to what it was."""
    path = clinic.home / "reply_templates.toml"
    old_text = path.read_text("utf-8") if path.exists() else None
    written = False
    try:
        with clinic.store.transaction():
            write_file(clinic.home, text)
            written = True
            _audit(
                clinic,
                session,
                "settings.reply_template",
                detail={"template": name, "changed": changed},
            )
    except BaseException:
        if written:
            if old_text is None:
                path.unlink(missing_ok=True)
            else:
                write_file(clinic.home, old_text)
        raise


def remove_reply_template_action(clinic: Clinic, session: Session, name: str) -> Outcome:
    return Outcome(remove_reply_template(clinic, session, name))


def save_reply_template_action(
    clinic: Clinic, session: Session, template: ReplyTemplate
) -> Outcome:
    return Outcome(save_reply_template(clinic, session, template))
