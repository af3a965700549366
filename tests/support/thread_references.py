"""Every column of the local store that names a conversation (the audit aside: it is
append-only and mapped through folded_threads). The fold tests check that none of them
still names a conversation that was folded away."""

THREAD_REFERENCES = (
    ("messages", "thread_id"),
    ("messages", "claims_thread_id"),
    ("threads", "claims_thread_id"),
    ("thread_notes", "thread_id"),
    ("break_glass", "thread_id"),
    ("presence", "thread_id"),
    ("exports", "thread_id"),
    ("shared_field_versions", "thread_id"),
    ("pending_ops", "thread_id"),
    ("shared_conflicts", "thread_id"),
    ("outbox", "thread_id"),
    ("time_entries", "thread_id"),
    ("shared_link_ops", "thread_id"),
    ("filed_moves", "thread_id"),
)
