"""The clinic's terms of electronic messages, edited by an administrator: a new
version, one text per language the clinic writes in, kept beside the others in the
clinic's folder (`terms/v2.en.txt`, `terms/v2.fr.txt`). A version is never changed
once written (an agreement names the text the patient read), so editing publishes the
next one. Each publication is audited in the same transaction as the files' writing.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from clinic_inbox.core import access, consent
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.private_files import private_dir
from clinic_inbox.core.services_common import _audit, _fresh, _refuse
from clinic_inbox.core.signin import Session

ONLY_ADMINS = "Only an administrator can change the clinic's terms."


@dataclass(frozen=True)
class TermsView:
    versions: tuple[str, ...]  # oldest first
    current: str | None
    languages: tuple[str, ...]  # the clinic's, in its order
    texts: dict[str, str]  # the current version's text per language ("" if none yet)
    next_version: str
    # patients whose agreement in force is to each version (counts, no names)
    agreed: dict[str, int] = field(default_factory=dict)

    def older_agreements(self) -> int:
        """Patients who agreed to a version older than the current one."""
        return sum(n for v, n in self.agreed.items() if v != self.current)


def _admin(clinic: Clinic, session: Session, action: str) -> None:
    if not access.can_manage_settings(_fresh(clinic, session)):
        _refuse(clinic, session, f"{action}.refused", ONLY_ADMINS)


def terms_view(clinic: Clinic, session: Session) -> TermsView:
    """What the terms editor starts from: the current version, in every language."""
    _admin(clinic, session, "terms.view")
    home = clinic.home
    current = consent.current_terms(home)
    langs = tuple(clinic.config.languages)
    texts = {lang: consent.terms_text(current, lang, home) if current else "" for lang in langs}
    from clinic_inbox.core.services_consent import _today
    from clinic_inbox.core.store import consent_queries as cq

    agreed = cq.agreements_per_terms(clinic.store, _today(clinic).isoformat())
    return TermsView(
        tuple(consent.terms_versions(home)),
        current,
        langs,
        texts,
        consent.next_terms_version(home),
        agreed,
    )


def _write_new(path: Path, text: str) -> None:
    """Write a version's file; never over an existing one (os.link refuses)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def publish_terms(clinic: Clinic, session: Session, texts: dict[str, str]) -> str:
    """Publish the next version of the terms (one text per language the clinic writes
    in); returns its name ("v2"). Agreements already recorded keep the version the
    patient read; the patient header shows who agreed to an older one."""
    _admin(clinic, session, "terms.publish")
    home = clinic.home
    clean = consent.check_new_terms(texts, list(clinic.config.languages), home)
    folder = private_dir(home / "terms")
    written: list[Path] = []
    try:
        with clinic.store.transaction():
            version = consent.next_terms_version(home)
            for lang, text in clean.items():
                path = folder / f"{version}.{lang}.txt"
                _write_new(path, text)
                written.append(path)
            _audit(
                clinic,
                session,
                "terms.publish",
                detail={
                    "version": version,
                    "languages": sorted(clean),
                    # which words were published, checkable against the files later
                    "sha256": {
                        lang: hashlib.sha256(t.encode("utf-8")).hexdigest()
                        for lang, t in sorted(clean.items())
                    },
                },
            )
    except BaseException:
        # no audit entry: no new version either
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return version
