"""Numbered schema migrations. The schema version is SQLite's `user_version`.

Each step runs in its own transaction together with the version bump, so a
crash mid-upgrade leaves the store at the previous, consistent version.
Add a step by appending a module; never edit a step that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clinic_inbox.core.store.connection import Store


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    upgrade: Callable[[Store], None]


def _load() -> list[Migration]:
    from clinic_inbox.core.store.migrations import (
        m0001_initial,
        m0002_search_index,
        m0003_notes_and_sync_state,
        m0004_delegation_and_break_glass,
        m0005_portal_fields,
        m0006_exports,
        m0007_outbox_sent_copy,
        m0008_clock_pause,
        m0009_shared_queue,
        m0010_sender_checks,
        m0011_sign_in_guard,
        m0012_consent_and_proxies,
        m0013_clinic_writes,
        m0014_proxy_portal,
        m0015_shared_patients,
        m0016_account_secrets,
        m0017_distinct_patients,
        m0018_shared_patient_edits,
        m0019_filed_moves,
        m0020_shared_staff,
        m0021_pending_seen,
        m0022_travelling_slot_keys,
        m0023_folded_threads,
        m0024_break_glass_marks,
    )

    steps = [
        m0001_initial,
        m0002_search_index,
        m0003_notes_and_sync_state,
        m0004_delegation_and_break_glass,
        m0005_portal_fields,
        m0006_exports,
        m0007_outbox_sent_copy,
        m0008_clock_pause,
        m0009_shared_queue,
        m0010_sender_checks,
        m0011_sign_in_guard,
        m0012_consent_and_proxies,
        m0013_clinic_writes,
        m0014_proxy_portal,
        m0015_shared_patients,
        m0016_account_secrets,
        m0017_distinct_patients,
        m0018_shared_patient_edits,
        m0019_filed_moves,
        m0020_shared_staff,
        m0021_pending_seen,
        m0022_travelling_slot_keys,
        m0023_folded_threads,
        m0024_break_glass_marks,
    ]
    return [Migration(m.VERSION, m.__name__.rsplit(".", 1)[-1], m.upgrade) for m in steps]


MIGRATIONS = _load()


class NewerSchemaError(Exception):
    pass


def migrate(store: Store, target: int | None = None) -> list[int]:
    """Bring the store up to `target` (default: latest). Returns the steps applied."""
    target = target if target is not None else MIGRATIONS[-1].version
    current = store.schema_version()
    if current > MIGRATIONS[-1].version:
        raise NewerSchemaError(
            f"This store was written by a newer Clinic Inbox (schema {current}); "
            "please update the app on this computer."
        )
    applied = []
    for step in MIGRATIONS:
        if current < step.version <= target:
            with store.transaction():
                step.upgrade(store)
                store.execute(f"PRAGMA user_version = {int(step.version)}")
            applied.append(step.version)
    return applied
