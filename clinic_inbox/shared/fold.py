"""A local conversation emptied by the shared queue's moves is folded into the
conversation its messages went to, instead of staying on the board as an empty card.

Every workstation files each message where the server does (replica.place_message on a
pull, publish asking the server first). A conversation this workstation made for a
message the server files elsewhere (a holder killed before it published, a patient's
new message threaded before the conversation it continues had arrived) can be left
with no message. When the server never had it, nothing else refers to it anywhere, and
what people did on it here goes with its message, as a receptionist expects:

- its notes become notes of the target (and go to the server, notes only add);
- a status, assignee, priority or sensitive flag a person set on it is set on the
  target here and goes to the server as their change, through the ordinary conflict
  rules (shared.provisional: the server's value may have changed since; then its
  author gets a conflict card); a patient link made on it likewise;
- break-glass openings, time entries, chart exports, outbox items, conflict cards, a
  legal hold or follow-up move to the target (core.store.fold_queries);
- its audit entries stay (append-only); `folded_threads` makes them read as the
  target's (audit shipping names the target's clinic-wide id), and one entry
  `thread.fold` on the target records the fold.
"""

from __future__ import annotations

from clinic_inbox.core import audit
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import fold_queries as fq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import provisional
from clinic_inbox.shared.replica import StaffMap, apply_field

ACTION = "thread.fold"


def fold_emptied(clinic: Clinic, src: int, into: int, staff: StaffMap) -> bool:
    """Fold `src` into `into` when a move left it with no message and the server never
    had it (no clinic-wide id, or one the caller knows the server never accepted).
    Inside the caller's transaction. Returns whether it was folded."""
    store = clinic.store
    if src == into or not fq.is_empty(store, src) or shq.thread_uuid(store, into) is None:
        return False
    before = provisional.before_adoption(store, src)
    target = shq.thread_state(store, into)
    held = fq.fold(store, src, into)
    changed: dict[str, str] = {}
    if before is not None and target is not None:
        now = provisional._values(target)
        changed = {
            f: before.values[f]
            for f in before.actors
            if before.values[f] != now[f] and not shq.has_pending(store, into, f)
        }
    queued = provisional.carry_over(store, into, before)
    for f, value in changed.items():  # here at once, as a person's change made offline
        if f == "assignee":
            value = staff.ref_of.get(int(value), "") if value else ""
        apply_field(clinic, into, f, value, staff)
    audit.append(
        store,
        clinic.audit_key,
        None,
        "system",
        ACTION,
        thread_id=into,
        detail={"from": src, **held, "carried": sorted(changed), "queued": queued},
    )
    return True
