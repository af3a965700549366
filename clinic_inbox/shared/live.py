"""Keeping this workstation in step with the server, in the background.

One thread, its own store connection and two server connections: one that LISTENs
(a notification only wakes us: its payload is a change number, never patient data),
one that pushes and pulls. It pulls by cursor on every wake-up, every `interval`
seconds and after a reconnect, so a lost notification delays a change, never loses it.
`nudge()` after a local change pushes it at once. No Qt here: the app's
`ui.live_refresh` turns `on_applied` and `on_presence` into the board's refresh.
While it runs it is this store's presence relay (`core.presence_relay`), so
`services.mark_presence` reaches the other workstations and `others_on_thread`
names the people there.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import psycopg

from clinic_inbox.core import lease_clock, presence_relay, send_claims
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.queries import utcnow
from clinic_inbox.shared import (
    SharedQueueError,
    checkpoints,
    clinic_keys,
    ingest_lease,
    key_rotation,
    presence,
    refusals,
)
from clinic_inbox.shared.audit_ship import SHIP_EVERY, AuditNotOnServer
from clinic_inbox.shared.audit_ship import ship as ship_audit
from clinic_inbox.shared.reply_claims import ServerClaims, register_own_key
from clinic_inbox.shared.schema import CHANGES_CHANNEL, PRESENCE_CHANNEL
from clinic_inbox.shared.server import APP_NAME, Link, connect, open_link
from clinic_inbox.shared.sync import (
    PULL_BATCH,
    Applied,
    PushResult,
    StaffMap,
    publish_conversation,
    pull,
    push,
)

Listener = Callable[[list[Applied]], None]
FOLDED = "folded"  # an Applied for a conversation of this workstation folded into another
log = logging.getLogger(__name__)


class LiveSync:
    def __init__(
        self,
        clinic: Clinic,
        *,
        on_applied: Listener | None = None,
        on_pushed: Callable[[PushResult], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_presence: Callable[[set[int]], None] | None = None,
        interval: float = 15.0,
        app: str = APP_NAME,
        custody: KeyCustody | None = None,
        ingest: bool = False,
        lease_seconds: int = ingest_lease.LEASE_SECONDS,
        on_lease: Callable[[bool], None] | None = None,
        on_published: Callable[[list[str]], None] | None = None,
        on_connected: Callable[[], None] | None = None,
        offline_grace: float = ingest_lease.LEASE_SECONDS,
    ) -> None:
        self._source = clinic
        self._custody = custody
        # With `ingest`, this workstation competes for the ingest lease and, while it
        # holds it, publishes the mail it stored (new conversations, new messages).
        self._ingest = ingest
        self._lease_seconds = lease_seconds
        self._fence: ingest_lease.Fence | None = None
        self._on_lease = on_lease or (lambda held: None)
        self._on_published = on_published or (lambda convs: None)
        self._on_connected = on_connected or (lambda: None)  # after an error: all is well
        self._offline_grace = offline_grace
        self._in_step = False  # connected and its first pass done
        self._down_since: float | None = time.monotonic()
        self._on_applied = on_applied or (lambda changes: None)
        self._on_pushed = on_pushed or (lambda r: None)
        self._on_error = on_error or (lambda msg: None)
        self._on_presence = on_presence or (lambda threads: None)
        self._presence_lock = threading.Lock()
        self._mine: dict[int, tuple[int, str | None]] = {}  # staff id -> (thread id, activity)
        self._mine_changed = False
        self._seen: list[presence.Presence] = []
        self._conv_of: dict[int, str] = {}
        self._staff: StaffMap | None = None
        self._interval = interval
        self._app = app
        self._nudged = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shared-sync", daemon=True)
        self.connected = threading.Event()
        self._workstation: str | None = None
        self._claims: ServerClaims | None = None
        self._saved_points: dict[str, checkpoints.Point] = {}  # written under this holding
        # held the lease when the server was last heard: fetches on through an outage.
        # Kept in the store too, so that an app restarted while the server is away
        # still knows it (else nobody fetches until the long-outage delay has passed)
        self._remembered = ingest and shq.was_last_holder(clinic.store)
        self._last_holder = self._remembered
        self._away_since: str | None = None  # when the server went away (UTC, ISO)
        self._notice_said: str | None = None  # the last link.notice shown (_sync)

    @property
    def holds_lease(self) -> bool:
        """Whether this workstation is the one that fetches and publishes new mail now."""
        return self._fence is not None

    def may_fetch(self) -> bool:
        """Whether this workstation's mail sync fetches now: while it holds the ingest
        lease; during an outage at once if it held the lease when the server went away
        (the clinic's mail keeps coming in on the same workstation), and on any
        workstation once the server has been out of reach for longer than a lease, so
        that urgent mail still gets its safety reply (receipts wait for the server; what
        is stored joins the clinic's conversations later, by message identity, with what
        people did on it: shared.provisional)."""
        if self._fence is not None:
            return True
        if self._in_step:
            return False
        if self._last_holder and self._away_since is not None:
            # the server went away while this workstation fetched (or it was the holder
            # before a restart, and the server has not answered since): it goes on at
            # once (provisionally; what it stores is matched to the server's by identity
            # later). Before the first answer or failure, the server is asked first.
            return True
        down = self._down_since
        if down is None:
            self._down_since = down = time.monotonic()
        return time.monotonic() - down >= self._offline_grace

    @staticmethod
    def wanted(clinic: Clinic) -> bool:
        """Whether this workstation works with a shared server at all."""
        return shq.linked_clinic(clinic.store) is not None

    def start(self) -> LiveSync:
        presence_relay.register(self._source.store.path, self)
        try:  # receipts and safety replies are claimed on the server before they go
            found = clinic_keys.load(self._source)
        except SharedQueueError:
            found = None  # the outbox then waits for the server (core.send_claims)
        except Exception as exc:  # noqa: BLE001 - a local fault must not stop the app starting
            log.warning("shared sync: keys not read at start: %s", type(exc).__name__)
            found = None  # as above; the sync's own thread reads them again and says why
        if found is not None and (ws := shq.workstation_id(self._source.store)):
            self._claims = ServerClaims(
                found.dsn,
                found.keys,
                ws,
                app=self._app,
                register=register_own_key(self._source, found.keys, ws),
            )
            send_claims.register(self._source.store.path, self._claims)
        self._thread.start()
        return self

    def nudge(self) -> None:
        """A local change is queued: push it now."""
        self._nudged.set()
        self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except (BlockingIOError, OSError):
            pass  # the pipe is full (a wake-up is pending already) or closed

    def _drain_wake(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def set_presence(self, staff_id: int, thread_id: int | None, activity: str | None) -> None:
        """This person now has this conversation open ("viewing", "replying") or none."""
        with self._presence_lock:
            self._mine[staff_id] = (thread_id or 0, activity)
            self._mine_changed = True
        self._wake()

    def others_on(self, thread_id: int, staff_id: int | None = None) -> list[tuple[str, str]]:
        """(user name, activity) of everyone else with this conversation open, clinic-wide,
        as of the last notification."""
        with self._presence_lock:
            seen, staff, conv = list(self._seen), self._staff, self._conv_of.get(thread_id)
        if staff is None or conv is None:
            return []
        mine = staff.ref_of.get(staff_id) if staff_id is not None else None
        return [
            (staff.name(p.staff_ref) or "someone on another workstation", p.activity)
            for p in seen
            if p.conversation == conv and p.staff_ref != mine
        ]

    def others_by_id(self, thread_id: int, staff_id: int | None) -> list[tuple[int | None, str]]:
        """(local staff id, or None for someone not known here; activity) of the people
        with this conversation open elsewhere: what `services.others_on_thread` adds."""
        with self._presence_lock:
            seen, staff, conv = list(self._seen), self._staff, self._conv_of.get(thread_id)
        if staff is None or conv is None:
            return []
        mine = staff.ref_of.get(staff_id) if staff_id is not None else None
        return [
            (staff.local(p.staff_ref), p.activity)
            for p in seen
            if p.conversation == conv and p.staff_ref != mine and p.workstation != self._workstation
        ]

    def stop(self, timeout: float = 5.0) -> None:
        presence_relay.unregister(self._source.store.path, self)
        if self._claims is not None:
            send_claims.unregister(self._source.store.path, self._claims)
            self._claims.close()
        if self._stop.is_set() and not self._thread.is_alive():
            return  # stopped already
        self._stop.set()
        self._wake()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        if not self._thread.is_alive():
            for fd in (self._wake_r, self._wake_w):
                os.close(fd)

    # -- the thread ------------------------------------------------------------------
    def _run(self) -> None:
        clinic = self._source.clone()
        backoff = 1.0
        try:
            while not self._stop.is_set():
                try:
                    self._session(clinic)
                    backoff = 1.0
                except (SharedQueueError, psycopg.Error) as exc:
                    self.connected.clear()
                    self._in_step = False
                    if self._down_since is None:
                        self._down_since = time.monotonic()
                    if self._away_since is None:  # wall clock, as the outbox records sends
                        self._away_since = utcnow()
                    server = shq.server_label(clinic.store) or ""
                    self._on_error(
                        str(exc)
                        if isinstance(exc, SharedQueueError)
                        # the login is another workstation's (schema 14, 16): nothing was
                        # recorded, what waits here stays queued (refusals)
                        else refusals.not_this_workstation(server)
                        if refusals.is_not_this_workstation(exc)
                        # a check on the server said no to something sent as a whole:
                        # said as such, not as a lost connection (refusals)
                        else refusals.sentence(exc, server)
                        if refusals.is_refusal(exc)
                        else "The shared server connection was lost; retrying."
                    )
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self._interval)
                except Exception as exc:  # noqa: BLE001 - the live sync must not die silently
                    # an unexpected fault (a local store error, a bug): said in plain words
                    # and retried like a lost connection, never a stopped sync nobody sees
                    self.connected.clear()
                    self._in_step = False
                    log.error("shared sync: %s; retrying", type(exc).__name__)  # no contents
                    self._on_error(
                        "The shared queue met an unexpected problem on this computer "
                        f"({type(exc).__name__}); it tries again. Tell IT support if this "
                        "message stays."
                    )
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self._interval)
        finally:
            clinic.close()

    def _session(self, clinic: Clinic) -> None:
        link = open_link(clinic, self._custody, app=self._app)
        self._workstation = link.workstation_id
        listener = connect(link.dsn, autocommit=True, app=self._app)
        with self._presence_lock:
            self._staff = StaffMap(clinic, link.keys)
            self._mine_changed = True  # announce again after a reconnect
        try:
            listener.execute(f"LISTEN {CHANGES_CHANNEL}")
            listener.execute(f"LISTEN {PRESENCE_CHANNEL}")
            self.connected.set()
            if self._ingest:
                # a workstation with no receiving key on the server yet (joined before
                # schema 10) registers it before asking for the lease: a login that is no
                # enrolled workstation's speaks only for the workstations whose key it
                # registered (schema 14, 16), and the lease is asked before anything else
                key_rotation.keep_current(clinic, link, complete=False)
            self._lease(link, clinic)
            if self._down_since is not None:  # back after an outage: the receipts that
                with clinic.store.transaction():  # waited for the server go at the next send
                    shq.receipts_due_now(clinic.store)
                if self._claims is not None:  # asked again at once, not after its pause
                    self._claims.server_back()
                self._claim_sent_while_away(clinic)
            self._sync(clinic, link)
            self._presence(clinic, link, force=True)
            self._in_step = True
            self._down_since = None
            self._on_connected()
            last = last_presence = last_lease = time.monotonic()
            renew_every = presence.TTL_SECONDS / 3
            lease_every = self._lease_seconds / 3 if self._ingest else float("inf")
            while not self._stop.is_set():
                woke = seen_presence = False
                now = time.monotonic()
                due = min(
                    last + self._interval, last_presence + renew_every, last_lease + lease_every
                )
                wait = max(0.0, due - now)
                # Sleep until the server notifies, a local change nudges, or a timer is due:
                # no polling, so an idle workstation costs nothing.
                ready, _, _ = select.select([listener.fileno(), self._wake_r], [], [], wait)
                if self._wake_r in ready:
                    self._drain_wake()
                if listener.fileno() in ready:
                    for n in listener.notifies(timeout=0):
                        if n.channel == PRESENCE_CHANNEL:
                            seen_presence = True
                        else:
                            woke = True
                if self._nudged.is_set():
                    self._nudged.clear()
                    woke = True
                if time.monotonic() - last_lease >= lease_every:
                    self._lease(link, clinic)
                    last_lease = time.monotonic()
                    woke = woke or self._fence is not None  # a new holder publishes at once
                if woke or time.monotonic() - last >= self._interval:
                    self._sync(clinic, link)
                    last = time.monotonic()
                renew = time.monotonic() - last_presence >= renew_every
                if seen_presence or renew or self._mine_changed:
                    self._presence(clinic, link, force=renew)
                    last_presence = time.monotonic() if renew else last_presence
        finally:
            if self._fence is not None and self._stop.is_set():
                try:  # a clean stop hands over at once instead of at the expiry
                    ingest_lease.release(link, self._fence)
                except psycopg.Error:
                    pass  # it expires on its own (and this one fetches on, if the server
                    # stays away, after a restart too)
                else:
                    self._remember(clinic, False)
            self._set_fence(None)
            listener.close()
            link.conn.close()

    def _claim_sent_while_away(self, clinic: Clinic) -> None:
        """Safety replies that went while the server could not be asked are claimed now,
        so that a workstation fetching the same mail after the outage sends no second
        copy (one that already did sent the same Message-ID: mail programs show one)."""
        if self._claims is None or self._away_since is None:
            return
        for purpose, payload in shq.automatic_sent_since(clinic.store, self._away_since):
            incoming = message_from_bytes(payload, policy=default_policy)["In-Reply-To"]
            if incoming:
                self._claims.claim(str(incoming), purpose)
        self._away_since = None

    def _set_fence(self, fence: ingest_lease.Fence | None) -> None:
        held, self._fence = self._fence is not None, fence
        if fence is not None:
            self._last_holder = True
        if held != (fence is not None):
            self._on_lease(fence is not None)

    def _remember(self, clinic: Clinic, held: bool, until: datetime | None = None) -> None:
        """Whether this workstation is the last lease holder, in memory and in the store,
        and until when its holding runs by this computer's clock (None: not held now), in
        core.lease_clock, where the outbox reads it (core.send_claims.unclaimed_wait)."""
        self._last_holder = held
        if held != self._remembered:
            shq.remember_last_holder(clinic.store, held)
            self._remembered = held
        lease_clock.remember(clinic.store.path, until, self._lease_seconds)

    def _lease(self, link: Link, clinic: Clinic) -> None:
        if not self._ingest:
            return
        # counted from before the server is asked: the server's expiry is later still
        asked = datetime.now(UTC)
        fence = ingest_lease.take(link, seconds=self._lease_seconds)
        if fence is None:
            self._remember(clinic, False)  # the server answered: another holds it now
        else:
            self._remember(clinic, True, asked + timedelta(seconds=self._lease_seconds))
        if fence is not None and fence != self._fence:
            # a new holding: continue where the last holder's publications stopped (before
            # this workstation's mail sync may fetch) instead of reading the mailbox again
            checkpoints.adopt(clinic, link)
            self._saved_points = {}
        self._set_fence(fence)

    def _gone(self, clinic: Clinic, conv: str, thread_ids: list[int]) -> None:
        """Conversations a publication folded into the server's one (shared.fold): the
        board drops their cards."""
        gone = [t for t in thread_ids if shq.thread_state(clinic.store, t) is None]
        if gone:
            self._on_applied([Applied(0, FOLDED, conv, str(t), t) for t in gone])

    def _publish(self, clinic: Clinic, link: Link) -> None:
        """The holder puts what it ingested on the server, each conversation under its
        holding of the lease; the first refusal ends the holding."""
        for thread_id in shq.threads_to_publish(clinic.store):
            if self._fence is None or self._stop.is_set():
                break
            try:
                conv = publish_conversation(clinic, link, thread_id, None, self._fence)
            except ingest_lease.LeaseLost:
                self._set_fence(None)
                self._remember(clinic, False)
            else:
                self._on_published([conv])
                self._gone(clinic, conv, [thread_id])
        if self._fence is not None and not self._stop.is_set():
            try:  # how far the published mail reaches, for the next holder
                with key_rotation.refusal_said(clinic, link):  # sealed, as the mail is
                    checkpoints.save(clinic, link, self._fence, self._saved_points)
            except ingest_lease.LeaseLost:
                self._set_fence(None)
                self._remember(clinic, False)

    def _presence(self, clinic: Clinic, link: Link, force: bool) -> None:
        with self._presence_lock:
            mine = dict(self._mine) if (self._mine_changed or force) else {}
            self._mine_changed = False
            staff = self._staff
        assert staff is not None
        for staff_id, (thread_id, activity) in mine.items():
            conv = shq.thread_uuid(clinic.store, thread_id) if thread_id else None
            ref = staff.ref_of.get(staff_id)
            if ref is not None:
                presence.announce(link, ref, conv, activity if conv else None)
        seen = presence.current(link)
        with self._presence_lock:
            before = set(self._seen)
        moved = before ^ set(seen)  # rows that came or went: their conversations changed
        convs = {p.conversation for p in seen} | {p.conversation for p in moved}
        conv_of = {tid: uuid for tid, uuid in shq.shared_threads(clinic.store) if uuid in convs}
        touched = {tid for tid, uuid in conv_of.items() if uuid in {p.conversation for p in moved}}
        with self._presence_lock:
            changed = seen != self._seen
            self._seen, self._conv_of = seen, conv_of
        if changed:
            self._on_presence(touched)

    def _sync(self, clinic: Clinic, link: Link) -> None:
        if self._fence is not None:
            self._publish(clinic, link)
        else:
            for thread_id in shq.replies_to_publish(clinic.store):
                conv = publish_conversation(clinic, link, thread_id, None)
                self._on_published([conv])
                self._gone(clinic, conv, [thread_id])
        pushed = push(clinic, link)
        if pushed.applied or pushed.conflicts or pushed.staff_conflicts or pushed.refused:
            self._on_pushed(pushed)
        while True:
            result = pull(clinic, link)
            got = result.applied + result.access  # staff and delegation changes too
            got += [Applied(result.cursor, FOLDED, "", str(t), t) for t in result.folded]
            if got:
                self._on_applied(got)
            if len(result.applied) + result.access_rows < PULL_BATCH:
                break
        if link.notice is not None and link.notice != self._notice_said:
            # what the pull went on without (renewed keys this login may not pass on):
            # shown once per session, not at every pull
            self._notice_said = link.notice
            self._on_error(link.notice)
        now = time.monotonic()
        if now - getattr(self, "_audit_at", 0.0) < SHIP_EVERY:
            return  # the audit trail follows every few seconds, not on every change
        self._audit_at = now
        try:  # its trouble must not stop the queue
            ship_audit(clinic, link, self._custody)  # the keyring this sync was given
        except AuditNotOnServer:
            pass  # an older server: the trail stays here (audit verify --clinic says so)
        except SharedQueueError as exc:
            self._on_error(str(exc))
