"""Schema 10: who really sent an email, and conversations that belong to their patient.

Messages keep the result of the sender check made when they arrived
(`sender_check`: 'verified', 'unverified', 'confirmed' by a person, or NULL: not
an email, or stored before schema 10, when no check was made and the raw message
was not kept to make one) and its reason in plain words. A message whose
In-Reply-To/References named a conversation its sender may not write into keeps
that conversation's id in `claims_thread_id` and starts a conversation of its own.

Threads carry what the board shows on the card: an unconfirmed sender, the claim,
and the patient the sender's address suggests (never linked until a person does).
`held_for_review` marks a conversation held for a person because its address is
shared by several patients or its sender is not verified: the access policy treats
it as a patient's conversation (header only at the front desk; read by the
suggested patient's physician), not as an unknown sender's.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 10

SCHEMA = """
ALTER TABLE messages ADD COLUMN sender_check TEXT;
ALTER TABLE messages ADD COLUMN sender_check_detail TEXT;
ALTER TABLE messages ADD COLUMN claims_thread_id INTEGER;
ALTER TABLE threads ADD COLUMN sender_unverified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE threads ADD COLUMN claims_thread_id INTEGER;
ALTER TABLE threads ADD COLUMN suggested_patient_id INTEGER;
ALTER TABLE threads ADD COLUMN held_for_review INTEGER NOT NULL DEFAULT 0;
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
