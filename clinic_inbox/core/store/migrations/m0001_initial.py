"""Schema 1: clinic, staff, patients, accounts, threads, messages, attachments, outbox, audit."""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 1

SCHEMA = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE staff (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('receptionist','nurse','physician','admin')),
    password_hash  TEXT NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    last_failed_at TEXT,
    created_at     TEXT NOT NULL
);

CREATE TABLE patients (
    id                       INTEGER PRIMARY KEY,
    family_name              TEXT NOT NULL,
    given_name               TEXT NOT NULL,
    birth_date               TEXT,
    chart_number             TEXT UNIQUE,
    portal_id                TEXT UNIQUE,
    responsible_physician_id INTEGER REFERENCES staff(id),
    created_at               TEXT NOT NULL
);

CREATE TABLE patient_emails (
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    address    TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (address, patient_id)
);

-- Connection settings only: passwords and tokens live in the OS keyring.
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('imap','fhir','demo')),
    config     TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);

-- Workflow state lives on the thread; each message keeps its own triage result.
CREATE TABLE threads (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER REFERENCES patients(id),
    subject         TEXT NOT NULL,
    category        TEXT NOT NULL,
    priority        TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'new',
    assigned_to     INTEGER REFERENCES staff(id),
    sensitive       INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_message_at TEXT NOT NULL,
    due_at          TEXT,
    filed_at        TEXT,
    filed_document_id TEXT
);
CREATE INDEX threads_board ON threads (status, priority, last_message_at);
CREATE INDEX threads_patient ON threads (patient_id);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY,
    thread_id         INTEGER NOT NULL REFERENCES threads(id),
    source            TEXT NOT NULL CHECK (source IN ('email','portal')),
    direction         TEXT NOT NULL CHECK (direction IN ('in','out')),
    account_id        INTEGER REFERENCES accounts(id),
    -- email identity, kept exactly as the server gave it
    imap_mailbox      TEXT,
    imap_uidvalidity  INTEGER,
    imap_uid          INTEGER,
    message_id_header TEXT,
    in_reply_to       TEXT,
    references_header TEXT,
    -- portal identity
    fhir_resource_id  TEXT,
    fhir_version      TEXT,
    content_hash      TEXT,
    patient_id        INTEGER REFERENCES patients(id),
    sender            TEXT NOT NULL DEFAULT '',
    sender_name       TEXT,
    recipients        TEXT NOT NULL DEFAULT '',
    subject           TEXT NOT NULL DEFAULT '',
    body_text         TEXT NOT NULL DEFAULT '',
    body_html         TEXT,
    category          TEXT NOT NULL DEFAULT 'other',
    priority          TEXT NOT NULL DEFAULT 'routine',
    triage_reason     TEXT,
    sensitive         INTEGER NOT NULL DEFAULT 0,
    needs_review      INTEGER NOT NULL DEFAULT 0,
    review_reason     TEXT,
    raw_source        BLOB,
    author_staff_id   INTEGER REFERENCES staff(id),
    received_at       TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (account_id, imap_mailbox, imap_uidvalidity, imap_uid),
    UNIQUE (account_id, fhir_resource_id)
);
CREATE INDEX messages_thread ON messages (thread_id, received_at);
CREATE INDEX messages_msgid ON messages (message_id_header);
CREATE INDEX messages_received ON messages (received_at);

-- Attachments stay inside the encrypted store; nothing is written beside it.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    declared_type TEXT,
    content_id   TEXT,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    thread_id       INTEGER REFERENCES threads(id),
    message_id      INTEGER REFERENCES messages(id),
    account_id      INTEGER REFERENCES accounts(id),
    kind            TEXT NOT NULL CHECK (kind IN ('email','portal')),
    purpose         TEXT NOT NULL DEFAULT 'reply',
    idempotency_key TEXT NOT NULL UNIQUE,
    payload         BLOB NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending','sending','sent','failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_state ON outbox (state, next_attempt_at);

-- Append-only, HMAC-chained. Detail names ids, never message contents.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor_id   INTEGER,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    patient_id INTEGER,
    thread_id  INTEGER,
    message_id INTEGER,
    reason     TEXT,
    detail     TEXT NOT NULL DEFAULT '{}',
    prev_mac   TEXT NOT NULL,
    mac        TEXT NOT NULL
);
CREATE INDEX audit_patient ON audit (patient_id, at);
CREATE INDEX audit_at ON audit (at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


def upgrade(store) -> None:  # noqa: ANN001 - Store, kept loose to avoid an import cycle
    run_script(store, SCHEMA)
