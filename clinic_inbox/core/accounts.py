"""Mail and portal account settings (no secrets: those are in the keyring)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass, field

from clinic_inbox.core.store import account_queries as acq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store.connection import Store

SECURITY = ("tls", "starttls", "none")


class AccountError(ValueError):
    pass


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ImapAccount:
    name: str
    host: str
    port: int
    username: str
    security: str = "tls"
    mailbox: str = "INBOX"
    smtp_host: str = ""
    smtp_port: int = 465
    smtp_security: str = "tls"
    smtp_username: str | None = None  # defaults to the IMAP user name
    from_address: str = ""  # defaults to the user name when it is an address
    ca_file: str | None = None
    sent_folder: str = "Sent"
    mark_read: bool = False
    filed_folder: str | None = None  # move there after export to the chart, if set
    id: int | None = field(default=None, compare=False)

    def validate(self) -> None:
        if not self.name.strip():
            raise AccountError("The account needs a name.")
        for label, host, sec in (
            ("mail (IMAP)", self.host, self.security),
            ("sending (SMTP)", self.smtp_host or self.host, self.smtp_security),
        ):
            if sec not in SECURITY:
                raise AccountError(f"Security for {label} must be one of {', '.join(SECURITY)}.")
            if sec == "none" and not is_loopback(host):
                raise AccountError(
                    f"Unencrypted {label} connections are only allowed to this computer "
                    f"(127.0.0.1 or localhost), not to {host}: patient messages must not cross "
                    "a network in the clear. Use tls or starttls."
                )
        if not (0 < self.port < 65536 and 0 < self.smtp_port < 65536):
            raise AccountError("Port numbers must be between 1 and 65535.")
        if self.ca_file is not None and not self.ca_file:
            raise AccountError("The CA file path is empty.")

    @property
    def sender_address(self) -> str:
        return self.from_address or (self.username if "@" in self.username else "")

    @property
    def smtp_login(self) -> str:
        return self.smtp_username or self.username

    def config_json(self) -> str:
        data = asdict(self)
        data.pop("id")
        return json.dumps(data, sort_keys=True)

    @property
    def loopback_note(self) -> str | None:
        if "none" in (self.security, self.smtp_security):
            return "Note: this account connects without encryption, allowed only because the server is on this computer."
        return None


def add_imap_account(store: Store, account: ImapAccount) -> int:
    account.validate()
    if acq.name_exists(store, account.name):
        raise AccountError(f"There is already an account named {account.name!r}.")
    return acq.add_account(store, account.name, "imap", account.config_json(), q.utcnow())


# without these there is no server to connect to (and no dataclass to build)
IMAP_REQUIRED = ("name", "host", "port", "username")


def imap_accounts(store: Store) -> list[ImapAccount]:
    """The mail accounts that can be connected to. An account row whose settings were
    never filled in (a bare row: messages filed under an account name, its settings
    never typed or not received on this workstation) is left out, not an error: the
    messages filed under it stay where they are."""
    out = []
    known = {f for f in ImapAccount.__dataclass_fields__ if f != "id"}
    for aid, config in acq.current_configs(store, "imap"):
        data = json.loads(config or "{}")
        if not isinstance(data, dict) or any(data.get(k) in (None, "") for k in IMAP_REQUIRED):
            continue
        out.append(ImapAccount(**{k: v for k, v in data.items() if k in known}, id=aid))
    return out


def all_accounts(store: Store) -> list[tuple[int, str, str, dict]]:
    return [
        (aid, name, kind, json.loads(config))
        for aid, name, kind, config in acq.current_accounts(store)
    ]


@dataclass
class FhirAccount:
    """A patient portal speaking FHIR R4. Its bearer token lives in the keyring."""

    name: str
    base_url: str
    practitioners: list[str] = field(default_factory=list)
    organization: str | None = None
    ca_file: str | None = None
    # Which Practitioner each staff member writes as (user name -> Practitioner id).
    staff_practitioners: dict[str, str] = field(default_factory=dict)
    id: int | None = field(default=None, compare=False)

    def validate(self) -> None:
        from urllib.parse import urlparse

        if not self.name.strip():
            raise AccountError("The account needs a name.")
        url = urlparse(self.base_url)
        if url.scheme not in ("https", "http") or not url.hostname:
            raise AccountError("The portal address must be an https:// URL.")
        if url.scheme == "http" and not is_loopback(url.hostname):
            raise AccountError(
                "Unencrypted (http://) portal connections are only allowed to this computer; "
                "use https://."
            )
        if not self.practitioners and not self.organization:
            raise AccountError(
                "Say whose messages the portal holds: at least one practitioner id, or the "
                "clinic's organisation id (on the command line: --practitioner or "
                "--organization)."
            )

    @property
    def recipients(self) -> list[str]:
        refs = [f"Practitioner/{p}" for p in self.practitioners]
        if self.organization:
            refs.append(f"Organization/{self.organization}")
        return refs

    def config_json(self) -> str:
        data = asdict(self)
        data.pop("id")
        return json.dumps(data, sort_keys=True)


def add_fhir_account(store: Store, account: FhirAccount) -> int:
    account.validate()
    if acq.name_exists(store, account.name):
        raise AccountError(f"There is already an account named {account.name!r}.")
    return acq.add_account(store, account.name, "fhir", account.config_json(), q.utcnow())


def fhir_accounts(store: Store) -> list[FhirAccount]:
    out = []
    known = {f for f in FhirAccount.__dataclass_fields__ if f != "id"}
    for aid, config in acq.current_configs(store, "fhir"):
        data = json.loads(config)
        out.append(FhirAccount(**{k: v for k, v in data.items() if k in known}, id=aid))
    return out


# -- the demo clinic's sources: no server behind them ------------------------------
DEMO_FROM = "inbox@riverside-health.example"


def demo_email_sender(store: Store, account_id: int | None) -> ImapAccount | None:
    """The demo's email account, so a reply can be written and queued like a real one.
    Nothing is ever sent: no sync runs for it, and the status bar says replies wait."""
    row = acq.demo_account(store, account_id)
    if row is None:
        return None
    config = json.loads(row[1] or "{}")
    return ImapAccount(
        name=row[0],
        host="demo.invalid",
        port=993,
        username="",
        smtp_host="demo.invalid",
        from_address=config.get("from_address", DEMO_FROM),
        id=account_id,
    )


def demo_portal(store: Store, account_id: int | None) -> FhirAccount | None:
    row = acq.demo_account(store, account_id)
    if row is None:
        return None
    return FhirAccount(name=row[0], base_url="https://portal.demo.invalid/fhir/R4", id=account_id)
