"""Anchors of the audit trail kept outside the store, and the comparison with them.

An anchor says "store S, in epoch E, had N audit entries and the MAC of entry N
was H, at time T", authenticated by an HMAC under a key derived from the audit
key. It holds no patient data. Copies live apart from the store: a counter file
in the platform's state folder and the keyring (core.audit_witness), and off the
workstation through an `AnchorSink` (the clinic's IMAP server, or the clinic's
shared server where one is configured).

Because the store can only grow within an epoch, an anchor that is not in the
store's chain shows what happened: fewer entries than anchored (an older copy put
back, or the tail cut), or a different entry at the anchored position (entries
deleted and the chain recomputed). A restore from a backup is the one honest way
back in time: it starts a new epoch with an audit entry naming what it replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from clinic_inbox.core.store import audit_queries as aq
from clinic_inbox.core.store.connection import Store

ANCHOR_LABEL = b"clinic-inbox audit anchor v1"


def anchor_key(audit_key: bytes) -> bytes:
    """A key of its own for anchors: an anchor never reveals or reuses the audit key."""
    return hmac.new(audit_key, ANCHOR_LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class Head:
    epoch: int
    count: int
    head: str | None


def store_head(store: Store) -> Head:
    count, mac = aq.head(store)
    return Head(aq.epoch(store), count, mac)


def place_of(home: Path) -> str:
    """Which data folder: the same store restored into a second folder (to look at an
    old backup) is a separate copy with its own history from there on."""
    return hashlib.sha256(str(Path(home).resolve()).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class AnchorRecord:
    store_id: str
    place: str
    epoch: int
    count: int
    head: str | None
    at: str
    mac: str = ""

    def _body(self) -> bytes:
        data = asdict(self)
        data.pop("mac")
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def signed(self, key: bytes) -> AnchorRecord:
        mac = hmac.new(key, self._body(), hashlib.sha256).hexdigest()
        return AnchorRecord(
            self.store_id, self.place, self.epoch, self.count, self.head, self.at, mac
        )

    def authentic(self, key: bytes) -> bool:
        expected = hmac.new(key, self._body(), hashlib.sha256).hexdigest()
        return bool(self.mac) and hmac.compare_digest(expected, self.mac)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> AnchorRecord:
        d = json.loads(text)
        return cls(
            str(d["store_id"]),
            str(d["place"]),
            int(d["epoch"]),
            int(d["count"]),
            d.get("head"),
            str(d["at"]),
            str(d.get("mac", "")),
        )

    @property
    def key(self) -> tuple[int, int]:
        return (self.epoch, self.count)


def make_record(store: Store, store_id: str, place: str, audit_key: bytes) -> AnchorRecord:
    h = store_head(store)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return AnchorRecord(store_id, place, h.epoch, h.count, h.head, now).signed(
        anchor_key(audit_key)
    )


class AnchorSink(Protocol):
    """Somewhere off this workstation that keeps anchors. The IMAP folder is one
    (sources.audit_anchor_imap); the clinic's shared server may be another."""

    #: In plain words, for `audit verify`: "the mail server (folder Clinic Inbox Audit)"
    description: str

    def publish(self, record: AnchorRecord) -> None:
        """Keep one more anchor. Raises an exception with a plain message on failure."""

    def records(self, store_id: str) -> list[AnchorRecord]:
        """Every anchor kept for this store, in any order, authentic or not."""


# -- comparing a store with an anchor -----------------------------------------------
@dataclass(frozen=True)
class Finding:
    ok: bool
    kind: str  # "in-chain" | "before-restore" | "older" | "rechained" | "forged" | ...
    text: str


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%d %b %Y %H:%M UTC")
    except ValueError:
        return iso


def compare(store: Store, record: AnchorRecord, key: bytes) -> Finding:
    """Is this anchored state part of the store's history?"""
    if not record.authentic(key):
        return Finding(
            False,
            "forged",
            f"an anchor dated {_when(record.at)} fails its authentication check: it was "
            "forged or damaged",
        )
    h = store_head(store)
    when = _when(record.at)
    if record.epoch == h.epoch:
        if h.count < record.count:
            return Finding(
                False,
                "older",
                f"this store is OLDER than its anchor of {when}: the anchor counted "
                f"{record.count} audit entries, the store holds {h.count}. An older copy of "
                "the store file was put back, or its last entries were cut: "
                f"{record.count - h.count} audit entries are gone",
            )
        if record.count and aq.mac_at(store, record.count) != record.head:
            return Finding(
                False,
                "rechained",
                f"the audit history was REWRITTEN: entry {record.count} is not the one "
                f"anchored on {when} (entries were deleted or changed and the chain "
                "recomputed with the audit key)",
            )
        return Finding(True, "in-chain", f"entry {record.count} of {when} is in this history")
    if record.epoch > h.epoch:
        return Finding(
            False,
            "older",
            f"this store is OLDER than its anchor of {when}: that anchor was made after a "
            f"restore (epoch {record.epoch}) that this store has not seen; an older copy of "
            "the store file was put back",
        )
    # The store has been restored since this anchor: the restore must name it.
    for _, at, detail in aq.restores(store):
        replaced = detail.get("replaced")
        if int(detail.get("epoch", -1)) <= record.epoch:
            continue
        if replaced is None:
            return Finding(
                True,
                "before-restore",
                f"the anchor of {when} predates the restore of {_when(at)}, which could not "
                "say what it replaced (no counter was kept on that computer)",
            )
        if int(replaced.get("epoch", -1)) != record.epoch:
            continue
        count = int(replaced.get("count", -1))
        if count > record.count or (count == record.count and replaced.get("head") == record.head):
            return Finding(
                True,
                "before-restore",
                f"entry {record.count} of {when} belongs to the history replaced by the "
                f"restore of {_when(at)}",
            )
        return Finding(
            False,
            "restore-mismatch",
            f"the restore of {_when(at)} says it replaced {count} entries, but an anchor of "
            f"{when} had already counted {record.count}: the store was rolled back before it "
            "was restored",
        )
    return Finding(
        False,
        "unexplained",
        f"the anchor of {when} (epoch {record.epoch}, {record.count} entries) is not in this "
        "history and no recorded restore replaced it",
    )


def check_all(store: Store, records: list[AnchorRecord], key: bytes) -> list[Finding]:
    """Every problem among these anchors, or one line saying they all fit."""
    mine = sorted(records, key=lambda r: r.key)
    bad = [f for f in (compare(store, r, key) for r in mine) if not f.ok]
    if bad:
        # the same cause repeats for every later anchor: say each kind once, latest first
        seen: dict[str, Finding] = {}
        for f in reversed(bad):
            seen.setdefault(f.kind, f)
        return list(seen.values())
    if not mine:
        return [Finding(True, "none", "no anchor yet")]
    latest = mine[-1]
    return [
        Finding(
            True,
            "in-chain",
            f"{len(mine)} anchor(s), all in this history; the latest, of {_when(latest.at)}, "
            f"at entry {latest.count}",
        )
    ]
