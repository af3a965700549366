"""IMAP transport and adapter (imapclient). Read-only unless the clinic asks otherwise.

Bodies are fetched with BODY.PEEK so the server's \\Seen flags stay as they were.
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.sources.errors import AuthFailedError, ProtocolError, SourceError, explain

TIMEOUT = 30.0


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


@dataclass(frozen=True)
class MailboxState:
    uidvalidity: int
    uidnext: int | None
    exists: int


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    size: int
    internaldate: datetime | None
    truncated: bool = False  # only the header was fetched: the message is over the size limit


class ImapConnection:
    def __init__(self, account: ImapAccount, password: str, timeout: float = TIMEOUT) -> None:
        self.account = account
        self._password = password
        self._timeout = timeout
        self._client: IMAPClient | None = None
        self.where = f"{account.host}:{account.port}"

    # -- connection ---------------------------------------------------------
    def connect(self) -> ImapConnection:
        a = self.account
        try:
            client = IMAPClient(
                a.host,
                port=a.port,
                ssl=a.security == "tls",
                ssl_context=tls_context(a.ca_file) if a.security == "tls" else None,
                timeout=self._timeout,
            )
            if a.security == "starttls":
                client.starttls(tls_context(a.ca_file))
            client.login(a.username, self._password)
        except LoginError:
            raise AuthFailedError(
                f"The mail server at {self.where} refused the user name or password of the "
                f"account {a.name!r}. Update the password with `clinic-inbox account add-imap`."
            ) from None
        except (TimeoutError, OSError, ssl.SSLError, IMAPClientError, imaplib.IMAP4.error) as exc:
            raise explain(exc, "mail server", self.where) from None
        self._client = client
        return self

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.logout()
            except Exception:  # noqa: BLE001 - closing a dead connection
                try:
                    self._client.shutdown()
                except Exception:  # noqa: BLE001
                    pass
            self._client = None

    def __enter__(self) -> ImapConnection:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise ProtocolError("not connected")
        return self._client

    def _call(self, fn, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        try:
            return fn(*args, **kw)
        except SourceError:
            raise
        except (TimeoutError, OSError, ssl.SSLError, IMAPClientError, imaplib.IMAP4.error) as exc:
            raise explain(exc, "mail server", self.where) from None

    # -- reading ------------------------------------------------------------
    def select(self, mailbox: str) -> MailboxState:
        info = self._call(self.client.select_folder, mailbox, readonly=not self._writes_needed())
        return MailboxState(
            int(info[b"UIDVALIDITY"]),
            int(info[b"UIDNEXT"]) if b"UIDNEXT" in info else None,
            int(info.get(b"EXISTS", 0)),
        )

    def _writes_needed(self) -> bool:
        return bool(self.account.mark_read or self.account.filed_folder)

    def uids_after(self, last_uid: int) -> list[int]:
        # "N:*" always includes the highest UID, even when it is below N: filter.
        found = self._call(self.client.search, ["UID", f"{last_uid + 1}:*"])
        return sorted(int(u) for u in found if int(u) > last_uid)

    def sizes(self, uids: list[int]) -> dict[int, int]:
        data = self._call(self.client.fetch, uids, ["RFC822.SIZE"])
        return {int(uid): int(v.get(b"RFC822.SIZE", 0)) for uid, v in data.items()}

    def fetch(self, uids: list[int], max_bytes: int) -> list[Fetched]:
        """Whole messages, except those over `max_bytes`, of which only the header comes."""
        if not uids:
            return []
        sizes = self.sizes(uids)
        small = [u for u in uids if sizes.get(u, 0) <= max_bytes]
        large = [u for u in uids if sizes.get(u, 0) > max_bytes]
        out: dict[int, Fetched] = {}
        if small:
            data = self._call(self.client.fetch, small, ["BODY.PEEK[]", "INTERNALDATE"])
            for uid, v in data.items():
                raw = v.get(b"BODY[]") or b""
                out[int(uid)] = Fetched(
                    int(uid), raw, sizes.get(int(uid), len(raw)), v.get(b"INTERNALDATE")
                )
        if large:
            data = self._call(self.client.fetch, large, ["BODY.PEEK[HEADER]", "INTERNALDATE"])
            for uid, v in data.items():
                raw = v.get(b"BODY[HEADER]") or b""
                out[int(uid)] = Fetched(
                    int(uid), raw, sizes[int(uid)], v.get(b"INTERNALDATE"), True
                )
        return [out[u] for u in uids if u in out]

    # -- optional writes (only when the clinic enabled them) ----------------
    def mark_seen(self, uids: Iterable[int]) -> None:
        uids = list(uids)
        if uids:
            self._call(self.client.add_flags, uids, [b"\\Seen"])

    def move(self, uids: list[int], folder: str) -> None:
        if not uids:
            return
        self.ensure_folder(folder)
        if self.client.has_capability("MOVE"):
            self._call(self.client.move, uids, folder)
        else:  # copy then flag deleted, without EXPUNGE of anything else
            self._call(self.client.copy, uids, folder)
            self._call(self.client.add_flags, uids, [b"\\Deleted"])
            if self.client.has_capability("UIDPLUS"):
                self._call(self.client.uid_expunge, uids)

    def ensure_folder(self, folder: str) -> None:
        if not self._call(self.client.folder_exists, folder):
            self._call(self.client.create_folder, folder)

    def append(self, folder: str, raw: bytes, seen: bool = True, ensure: bool = True) -> None:
        if ensure:
            self.ensure_folder(folder)
        self._call(self.client.append, folder, raw, flags=[b"\\Seen"] if seen else [])

    def has_message_id(self, folder: str, message_id: str) -> bool:
        if not self._call(self.client.folder_exists, folder):
            return False
        self._call(self.client.select_folder, folder, readonly=True)
        found = self._call(self.client.search, ["HEADER", "Message-ID", message_id])
        return bool(found)

    def idle_wait(self, seconds: float) -> bool:
        """Wait for the server to announce new mail (IDLE); True if it did."""
        self._call(self.client.idle)
        try:
            responses = self._call(self.client.idle_check, timeout=seconds)
        finally:
            self._call(self.client.idle_done)
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)
