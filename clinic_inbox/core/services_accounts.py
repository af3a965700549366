"""Mail and portal accounts: adding them (the password or token is sealed in the
store, core.account_secrets) and listing them for the administrator."""

from __future__ import annotations

from clinic_inbox.core import access, accounts
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_common import _audit, _fresh
from clinic_inbox.core.signin import Session

# Account secrets live in the store (no keyring needed); only a clinic opened without
# its key custody has nowhere to keep them.
NOT_OPEN = (
    "The account's {what} could not be kept because the clinic's store is not fully "
    "open. Nothing was saved. Close Clinic Inbox, sign in again and add the account."
)


# -- accounts ------------------------------------------------------------------
def add_imap_account(clinic: Clinic, session: Session, account: ImapAccount, password: str) -> int:
    """Settings and the sealed password into the store, one audit entry."""
    access.require(
        access.can_manage_settings(_fresh(clinic, session)),
        "Only an administrator can add mail accounts.",
    )
    account.validate()
    if clinic.credentials is None:
        raise AccessDenied(NOT_OPEN.format(what="password"))
    with clinic.store.transaction():
        account_id = accounts.add_imap_account(clinic.store, account)
        clinic.credentials.set(account.name, password)
        _audit(clinic, session, "account.create", detail={"account_id": account_id, "kind": "imap"})
    return account_id


def add_fhir_account(
    clinic: Clinic, session: Session, account: accounts.FhirAccount, token: str | None
) -> int:
    access.require(
        access.can_manage_settings(_fresh(clinic, session)),
        "Only an administrator can add portal accounts.",
    )
    account.validate()
    with clinic.store.transaction():
        account_id = accounts.add_fhir_account(clinic.store, account)
        if token:
            if clinic.credentials is None:
                raise AccessDenied(NOT_OPEN.format(what="access token"))
            clinic.credentials.set(account.name, token)
        _audit(clinic, session, "account.create", detail={"account_id": account_id, "kind": "fhir"})
    return account_id


def list_accounts(clinic: Clinic, session: Session) -> list[tuple[int, str, str, dict]]:
    """Mail and portal accounts (server names and user names): the administrator's."""
    access.require(
        access.can_manage_settings(_fresh(clinic, session)),
        "Only an administrator can list the mail and portal accounts.",
    )
    return accounts.all_accounts(clinic.store)
