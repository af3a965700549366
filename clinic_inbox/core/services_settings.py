"""Administration > Settings: the clinic's details and policy, and its mail and portal
accounts changed or removed. One function per action: administrators only (asked
through core.access), the audit entry in the action's transaction, never a value of
a setting or a secret in it (only which settings changed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from clinic_inbox.core import access
from clinic_inbox.core.accounts import AccountError, FhirAccount, ImapAccount
from clinic_inbox.core.changes import Changes, Outcome, note, run
from clinic_inbox.core.clinic_file import (
    changed_fields,
    details_from,
    merged_text,
    own_settings,
    write_atomically,
)
from clinic_inbox.core.clinic_setup import ClinicDetails, SetupError
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services import NotFound, Session, _audit, _fresh, _refuse
from clinic_inbox.core.store import account_queries as acq

ONLY_ADMINS = "Only an administrator can change the clinic's settings."


def _admin(clinic: Clinic, session: Session, action: str) -> None:
    if not access.can_manage_settings(_fresh(clinic, session)):
        _refuse(clinic, session, f"{action}.refused", ONLY_ADMINS)


# -- the clinic's details and policy ----------------------------------------------
def clinic_details(clinic: Clinic, session: Session) -> ClinicDetails:
    """What the Settings form starts from: the clinic's policy as it is now."""
    _admin(clinic, session, "settings.view")
    return details_from(clinic.config)


def save_clinic_details(clinic: Clinic, session: Session, details: ClinicDetails) -> list[str]:
    """Check, write clinic.toml atomically, and use it at once (no restart). Returns the
    names of the settings that changed. SetupError lists every problem in words."""
    _admin(clinic, session, "settings.clinic")
    problems = details.problems()
    if not details.languages:
        problems.append("Choose at least one language the clinic answers in.")
    if details.hours is not None and not details.hours:
        problems.append("Tick at least one day the clinic is open.")
    if problems:
        raise SetupError(problems)
    before = details_from(clinic.config)
    changed = changed_fields(before, details)
    if not changed:
        return []
    write_policy(
        clinic, session, merged_text(own_settings(clinic.home), details), "settings.clinic", changed
    )
    # due times and labels follow the hours: every card is read again (after the commit)
    note(clinic.store, Changes(access=True))
    return changed


def write_policy(
    clinic: Clinic, session: Session, text: str, action: str, changed: list[str]
) -> None:
    """clinic.toml replaced by `text` and its audit entry (the names of the settings
    changed) committed together: if either fails, the file goes back to what it was, as
    the store does. In use at once (clinic.config), without a restart."""
    home = clinic.home
    old_text = (
        (home / "clinic.toml").read_text("utf-8") if (home / "clinic.toml").exists() else None
    )
    written = False
    try:
        with clinic.store.transaction():
            config = write_atomically(home, text)
            written = True
            _audit(clinic, session, action, detail={"changed": changed})
    except BaseException:
        if written:
            if old_text is None:
                (home / "clinic.toml").unlink(missing_ok=True)
            else:
                write_atomically(home, old_text)
        raise
    clinic.config = config


def save_clinic_details_action(clinic: Clinic, session: Session, details: ClinicDetails) -> Outcome:
    """For the app's writer. Clocks and letters use clinic.config: the whole board is
    read again (its due times and labels follow the hours)."""
    return Outcome(*run(save_clinic_details, clinic, session, details))


# -- accounts ----------------------------------------------------------------------
@dataclass(frozen=True)
class KeptAccount:
    """An account as Settings shows it for editing (never its secret)."""

    id: int
    kind: str  # "imap" or "fhir"
    account: ImapAccount | FhirAccount


def _load(clinic: Clinic, account_id: int) -> KeptAccount:
    row = acq.get_account(clinic.store, account_id)
    if row is None or row[1] not in ("imap", "fhir"):
        raise NotFound("That account no longer exists; it may have been removed.")
    name, kind, config = row
    cls = ImapAccount if kind == "imap" else FhirAccount
    known = {f for f in cls.__dataclass_fields__ if f != "id"}
    data = {k: v for k, v in json.loads(config).items() if k in known}
    return KeptAccount(account_id, kind, cls(**{**data, "name": name}, id=account_id))


def get_account(clinic: Clinic, session: Session, account_id: int) -> KeptAccount:
    _admin(clinic, session, "account.view")
    return _load(clinic, account_id)


def update_account(
    clinic: Clinic,
    session: Session,
    account_id: int,
    account: ImapAccount | FhirAccount,
    secret: str | None = None,
) -> KeptAccount:
    """New settings for an account (and a new password or token when one is given;
    None keeps the one kept). A renamed account keeps its secret under the new name."""
    _admin(clinic, session, "account.update")
    account.validate()
    store, creds = clinic.store, clinic.credentials
    with store.transaction():
        kept = _load(clinic, account_id)
        if (kept.kind == "imap") != isinstance(account, ImapAccount):
            raise AccountError("An email account cannot become a portal account; add a new one.")
        name = account.name.strip()
        if acq.name_taken(store, name, account_id):
            raise AccountError(f"There is already an account named {name!r}.")
        before = json.loads(kept.account.config_json())
        after = json.loads(account.config_json())
        fields = sorted(k for k in after if before.get(k) != after.get(k))
        renamed = kept.account.name != name
        if secret is not None or renamed:
            if creds is None or not creds.available:
                raise AccountError(
                    creds.why_unavailable()
                    if creds
                    else "Account passwords cannot be kept right now: sign in again and try once more."
                )
        old_secret = None
        if renamed and secret is None:
            old_secret = creds.get(kept.account.name)  # type: ignore[union-attr]
        acq.update_account(store, account_id, name, account.config_json())
        _audit(
            clinic,
            session,
            "account.update",
            detail={
                "account_id": account_id,
                "kind": kept.kind,
                "changed": fields,
                "secret_changed": secret is not None,
            },
        )
        # the keyring last: the store's transaction is the part that can still fail
        if secret is not None or old_secret is not None:
            creds.set(name, secret if secret is not None else old_secret)  # type: ignore[union-attr,arg-type]
        if renamed:
            creds.delete(kept.account.name)  # type: ignore[union-attr]
    return _load(clinic, account_id)


def update_account_action(
    clinic: Clinic,
    session: Session,
    account_id: int,
    account: ImapAccount | FhirAccount,
    secret: str | None = None,
) -> Outcome:
    return Outcome(*run(update_account, clinic, session, account_id, account, secret))


def add_account(
    clinic: Clinic, session: Session, account: ImapAccount | FhirAccount, secret: str | None
) -> KeptAccount:
    """A new mail or portal account from Settings (the services that `account add-imap`
    and `add-fhir` use: access, keyring and audit entry there)."""
    from clinic_inbox.core import services

    if isinstance(account, ImapAccount):
        if not secret:
            raise AccountError("Enter the mailbox's password.")
        account_id = services.add_imap_account(clinic, session, account, secret)
    else:
        account_id = services.add_fhir_account(clinic, session, account, secret or None)
    return _load(clinic, account_id)


def add_account_action(
    clinic: Clinic, session: Session, account: ImapAccount | FhirAccount, secret: str | None
) -> Outcome:
    return Outcome(*run(add_account, clinic, session, account, secret))


def remove_account(clinic: Clinic, session: Session, account_id: int) -> str:
    """Stop using an account. Its messages stay (they are the clinic's record); an
    account nothing came through leaves no trace but the audit entry. Refused while
    replies still wait to go out through it. Returns what was done, in words."""
    _admin(clinic, session, "account.remove")
    store = clinic.store
    with store.transaction():
        kept = _load(clinic, account_id)
        name = kept.account.name
        waiting = acq.replies_waiting(store, account_id)
        if waiting:
            raise AccountError(
                f"{waiting} replies still wait to be sent through {name}. Let them go out "
                "(Sync now) or cancel them first, then remove the account."
            )
        if acq.messages_from(store, account_id):
            when = datetime.now(UTC)
            config = json.loads(kept.account.config_json()) | {"removed_at": when.isoformat()}
            acq.retire_account(
                store,
                account_id,
                f"{name} (removed {when:%Y-%m-%d %H:%M} #{account_id})",
                json.dumps(config, sort_keys=True),
            )
            how, said = (
                "retired",
                (
                    f"{name} was removed: it is no longer synced. The messages that came "
                    "through it stay in the clinic's record."
                ),
            )
        else:
            acq.delete_account(store, account_id)
            how, said = "deleted", f"{name} was removed."
        _audit(
            clinic,
            session,
            "account.remove",
            detail={"account_id": account_id, "kind": kept.kind, "how": how},
        )
        if clinic.credentials is not None:
            clinic.credentials.delete(name)  # absent or no keyring: nothing to forget
    return said


def remove_account_action(clinic: Clinic, session: Session, account_id: int) -> Outcome:
    return Outcome(*run(remove_account, clinic, session, account_id))
