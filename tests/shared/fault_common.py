"""What the two shared-queue fault harnesses have in common: the workstation process's
staff at work (fault_ws.py, fault_ws_mail.py) and the faults the harness strikes
(tests/shared_fault_harness.py, fault_harness_mail.py).

Staff act through real service calls only, each audited and queued for the server in
its own transaction; refusals (access, a value the service turns down) are part of the
game and pass silently.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from workstations import ADMIN_PASSWORD, STAFF_PASSWORD

from clinic_inbox.core import services
from clinic_inbox.core import services_compose as compose
from clinic_inbox.core import services_cover as cover
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role, Status
from clinic_inbox.core.services_common import NotFound
from clinic_inbox.core.staff_keys import open_signed_in
from clinic_inbox.core.store import queries as q

NOTE_WORDS = "Called Zoë Quennell about her levothyroxine"  # never on the server in plain
COVER = ("dr.okafor", "Dr Chinedu Okafor")
AWAY_SECONDS = 20  # an absence marked by the harness's staff: short, it ends in the run


def _no_passphrase(prompt: str, confirm: bool) -> str:
    raise SystemExit("this workstation's key should be in its keyring")


def open_workstation(home: str) -> Clinic:
    """The clinic in HOME: its store key released by a staff password (core.staff_keys),
    the keyring named by the environment holding the rest."""
    clinic, _admin = open_signed_in(
        Path(home), "admin", ADMIN_PASSWORD, ask_passphrase=_no_passphrase
    )
    return clinic


@dataclass
class Staff:
    """Dr Patel at one workstation, and whom she may hand a conversation to."""

    clinic: Clinic
    rng: random.Random
    doc: services.Session
    nurse_id: int

    @classmethod
    def sign_in(cls, clinic: Clinic, rng: random.Random) -> Staff:
        doc = services.login(clinic, "dr.patel", STAFF_PASSWORD)
        nurse_id = q.staff_login_row(clinic.store, "nurse.chen")[0].id
        return cls(clinic, rng, doc, nurse_id)

    def act(self, t: int, kind: str, note: str | None = None) -> None:
        """One action on conversation t: "view", "assign", "status", "note" (with its
        text), "follow_up" (waiting on the patient until today: it comes due at the next
        sync), "physician" (the conversation's patient becomes Dr Patel's) or "away" (Dr
        Patel away for a few seconds, Dr Okafor covering)."""
        c, doc = self.clinic, self.doc
        try:
            if kind == "view":
                services.show_thread(c, doc, t)
            elif kind == "assign":
                services.assign(c, doc, t, self.rng.choice((self.nurse_id, doc.staff.id, None)))
            elif kind == "status":
                services.set_status(c, doc, t, self.rng.choice(list(Status)))
            elif kind == "note":
                services.add_note(c, doc, t, note or NOTE_WORDS)
            elif kind == "follow_up":
                services.set_status(c, doc, t, Status.WAITING)
                compose.set_follow_up(c, doc, t, datetime.now(c.config.tz).date())
            elif kind == "physician":
                # the administrator makes a portal patient Dr Patel's (a shared patient
                # edit): her absences then hand that patient's conversations to the cover
                row = q.get_thread(c.store, t)
                if row is not None and row.patient_id is not None:
                    admin = services.login(c, "admin", ADMIN_PASSWORD)
                    patel = q.staff_login_row(c.store, "dr.patel")[0].id
                    services.set_responsible_physician(c, admin, row.patient_id, patel)
            elif kind == "away":
                now = datetime.now(UTC)
                cover.mark_away(
                    c,
                    doc,
                    physician="dr.patel",
                    starts_at=now - timedelta(seconds=1),
                    ends_at=now + timedelta(seconds=AWAY_SECONDS),
                    cover=COVER[0],
                )
            else:
                raise ValueError(f"no such staff action: {kind}")
        except (AccessDenied, NotFound, ValueError):
            pass


def prepare_staff(clinic: Clinic, admin: services.Session) -> None:
    """Before the run, on every workstation: the covering physician (as a clinic's
    staff are the same everywhere)."""
    services.add_staff(clinic, admin, *COVER, Role.PHYSICIAN, STAFF_PASSWORD)


def strike(
    kind: str,
    who: str | None,
    *,
    fleet: Any,
    pg: Any,
    relays: dict[str, Any],
    servers: dict[str, Any] | None = None,
) -> Callable[[], None]:
    """One fault now; returns what heals it. kind: "kill" (or "kill-holder": who is
    the holder), "postgres" (or "crash"), "cut", "stall", or the name of one of
    `servers` (stopped, started again by the healing)."""
    if kind in ("kill", "kill-holder"):
        assert who is not None
        fleet.kill(who)
        return lambda: fleet.start(who)
    if kind in ("postgres", "crash"):
        pg.stop("immediate")
        return pg.start
    if kind in ("cut", "stall"):
        assert who is not None
        relay = relays[who]
        relay.cut() if kind == "cut" else relay.stall()
        return relay.heal
    server = (servers or {})[kind]
    server.stop()
    return server.start
