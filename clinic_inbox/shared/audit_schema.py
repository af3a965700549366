"""The server's clinic-wide audit: a schema step of its own (`audit`, version 1).

Kept apart from `schema.py` (its own versioned step, recorded in `schema_step`) so
that the queue's schema and the audit's can change independently.

- `audit_signer`: each workstation's Ed25519 public key, registered once (at
  enrolment, or at its first shipment), never replaced.
- `audit_entry`: the workstations' audit chains, shipped as append-only rows. A
  trigger checks that each entry links to the one before it in its chain (no key is
  needed for that), numbers it in arrival order and extends the clinic-wide anchor
  chain: anchor(n) = SHA-256(anchor(n-1) | chain | epoch | seq | mac).
- `audit_head`: the heads each workstation signed when it pushed (its last entry and
  the anchor it saw then).
- `audit_store_anchor`: the per-store anchors of `core.audit_anchor` (an `AnchorSink`).

Workstation roles may read these tables and call the two append functions; no
INSERT, UPDATE or DELETE is granted, and triggers refuse UPDATE and DELETE to
everyone who has not first disabled them (which only the owner can do, and which
`audit verify --clinic` then finds in the chains).
"""

from __future__ import annotations

import psycopg

STEP = "audit"
STEP_VERSION = 1
GENESIS = "0" * 64

DDL = """
CREATE TABLE IF NOT EXISTS schema_step (
    name    text PRIMARY KEY,
    version integer NOT NULL
);

CREATE TABLE audit_signer (
    ws            uuid PRIMARY KEY,
    name          text NOT NULL,
    public_key    bytea NOT NULL CHECK (length(public_key) = 32),
    login         text NOT NULL DEFAULT session_user,
    registered_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- One row: the last arrival number and anchor; its row lock orders arrivals.
CREATE TABLE audit_anchor_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    pos      bigint NOT NULL,
    hash     text NOT NULL
);
INSERT INTO audit_anchor_head (pos, hash) VALUES (0, repeat('0', 64));

CREATE TABLE audit_entry (
    chain       uuid NOT NULL,
    epoch       integer NOT NULL CHECK (epoch >= 0),
    seq         bigint NOT NULL CHECK (seq > 0),
    at          text NOT NULL,
    action      text NOT NULL,
    actor       text NOT NULL,
    patient     text,
    conv        uuid,
    message     text,
    sealed      bytea NOT NULL,
    prev_mac    text NOT NULL,
    mac         text NOT NULL,
    arrival     bigint NOT NULL UNIQUE,
    anchor      text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (chain, epoch, seq)
);
CREATE INDEX audit_entry_patient ON audit_entry (patient) WHERE patient IS NOT NULL;

CREATE TABLE audit_head (
    chain       uuid NOT NULL,
    epoch       integer NOT NULL,
    seq         bigint NOT NULL,
    mac         text NOT NULL,
    anchor_pos  bigint NOT NULL,
    anchor_hash text NOT NULL,
    signed_at   text NOT NULL,
    signature   bytea NOT NULL,
    -- a forged head for the same entry cannot crowd out the real one: both are kept
    -- (and the forged one is reported)
    PRIMARY KEY (chain, epoch, seq, signature)
);

CREATE TABLE audit_store_anchor (
    store_id    text NOT NULL,
    place       text NOT NULL,
    epoch       integer NOT NULL,
    count       bigint NOT NULL,
    record      text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (store_id, place, epoch, count)
);

CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the clinic audit trail is append-only' USING ERRCODE = '42501';
END $$;

CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_append_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_signer_append_only BEFORE UPDATE OR DELETE ON audit_signer
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_store_anchor_append_only BEFORE UPDATE OR DELETE ON audit_store_anchor
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

-- Every insert, whoever makes it: the link to the previous entry of the same chain,
-- then the next arrival number and anchor (the head row's lock is held to commit, so
-- arrivals commit in order and a reader never sees a gap fill in later).
CREATE FUNCTION audit_entry_arrive() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    expected text;
    h audit_anchor_head%ROWTYPE;
BEGIN
    IF NEW.seq = 1 THEN
        expected := repeat('0', 64);
    ELSE
        SELECT mac INTO expected FROM audit_entry
        WHERE chain = NEW.chain AND epoch = NEW.epoch AND seq = NEW.seq - 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'audit entry % of chain % follows a missing entry', NEW.seq, NEW.chain
                USING ERRCODE = '23514';
        END IF;
    END IF;
    IF NEW.prev_mac IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'audit entry % of chain % does not link to the entry before it',
            NEW.seq, NEW.chain USING ERRCODE = '23514';
    END IF;
    UPDATE audit_anchor_head
    SET pos = pos + 1,
        hash = encode(sha256(convert_to(
            hash || '|' || NEW.chain::text || '|' || NEW.epoch::text || '|' || NEW.seq::text
            || '|' || NEW.mac, 'UTF8')), 'hex')
    RETURNING * INTO h;
    NEW.arrival := h.pos;
    NEW.anchor := h.hash;
    NEW.received_at := clock_timestamp();
    RETURN NEW;
END $$;

CREATE TRIGGER audit_entry_links BEFORE INSERT ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_arrive();

-- Registered once; a second call with the same key is a no-op, another key is refused.
CREATE FUNCTION audit_register_signer(p_ws uuid, p_name text, p_key bytea) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE k bytea;
BEGIN
    IF length(p_key) <> 32 OR length(p_name) > 100 THEN
        RAISE EXCEPTION 'bad signing key' USING ERRCODE = '22023';
    END IF;
    INSERT INTO audit_signer (ws, name, public_key) VALUES (p_ws, p_name, p_key)
    ON CONFLICT (ws) DO NOTHING;
    SELECT public_key INTO k FROM audit_signer WHERE ws = p_ws;
    RETURN k = p_key;
END $$;

CREATE FUNCTION audit_append(
    p_chain uuid, p_epoch integer, p_seq bigint, p_at text, p_action text, p_actor text,
    p_patient text, p_conv uuid, p_message text, p_sealed bytea, p_prev text, p_mac text
) RETURNS TABLE (arrival bigint, anchor text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_signer WHERE ws = p_chain) THEN
        RAISE EXCEPTION 'workstation % has no registered signing key', p_chain
            USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    INSERT INTO audit_entry (chain, epoch, seq, at, action, actor, patient, conv, message,
                             sealed, prev_mac, mac, arrival, anchor)
    VALUES (p_chain, p_epoch, p_seq, p_at, p_action, p_actor, p_patient, p_conv, p_message,
            p_sealed, p_prev, p_mac, 0, '')
    RETURNING audit_entry.arrival, audit_entry.anchor;
END $$;

CREATE FUNCTION audit_sign_head(
    p_chain uuid, p_epoch integer, p_seq bigint, p_mac text, p_anchor_pos bigint,
    p_anchor_hash text, p_signed_at text, p_signature bytea
) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
    INSERT INTO audit_head (chain, epoch, seq, mac, anchor_pos, anchor_hash, signed_at, signature)
    VALUES (p_chain, p_epoch, p_seq, p_mac, p_anchor_pos, p_anchor_hash, p_signed_at, p_signature)
    ON CONFLICT DO NOTHING
$$;

CREATE FUNCTION audit_keep_store_anchor(
    p_store text, p_place text, p_epoch integer, p_count bigint, p_record text
) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
    INSERT INTO audit_store_anchor (store_id, place, epoch, count, record)
    VALUES (p_store, p_place, p_epoch, p_count, p_record)
    ON CONFLICT DO NOTHING
$$;

INSERT INTO schema_step (name, version) VALUES ('audit', 1);
"""

GRANTS = """
REVOKE ALL ON audit_signer, audit_anchor_head, audit_entry, audit_head, audit_store_anchor,
    schema_step FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_register_signer(uuid, text, bytea),
    audit_append(uuid, integer, bigint, text, text, text, text, uuid, text, bytea, text, text),
    audit_sign_head(uuid, integer, bigint, text, bigint, text, text, bytea),
    audit_keep_store_anchor(text, text, integer, bigint, text),
    audit_entry_arrive(), audit_refuse_change() FROM PUBLIC;
GRANT SELECT ON audit_signer, audit_anchor_head, audit_entry, audit_head, audit_store_anchor,
    schema_step TO @ROLE@;
GRANT EXECUTE ON FUNCTION audit_register_signer(uuid, text, bytea),
    audit_append(uuid, integer, bigint, text, text, text, text, uuid, text, bytea, text, text),
    audit_sign_head(uuid, integer, bigint, text, bigint, text, text, bytea),
    audit_keep_store_anchor(text, text, integer, bigint, text) TO @ROLE@;
"""


def installed(conn: psycopg.Connection) -> int:
    """The audit step's version on this server (0: not installed)."""
    if not conn.execute("SELECT to_regclass('schema_step') IS NOT NULL").fetchone()[0]:
        return 0
    row = conn.execute("SELECT version FROM schema_step WHERE name = %s", (STEP,)).fetchone()
    return int(row[0]) if row else 0


def install(conn: psycopg.Connection, role: str, schema: str) -> bool:
    """Add the audit step inside the caller's transaction (the login that prepared the
    server). Returns False when it was there already."""
    if installed(conn) >= STEP_VERSION:
        return False
    conn.execute(DDL.replace("@SCHEMA@", schema))
    conn.execute(GRANTS.replace("@ROLE@", role))
    # audit entries sealed under a retired key are refused too (server schema step 11)
    from clinic_inbox.shared.retired_key_schema import AUDIT_TRIGGER

    conn.execute(AUDIT_TRIGGER)
    # and shipped in the shipping workstation's own name only (server schema step 16),
    # where that step's caller check is there
    from clinic_inbox.shared.own_name_all_schema import AUDIT_GUARDED

    conn.execute(AUDIT_GUARDED.replace("@SCHEMA@", schema))
    # and a store's anchor kept in its own workstation's name (server schema step 17)
    from clinic_inbox.shared.own_keys_schema import AUDIT as OWN_ANCHOR

    conn.execute(OWN_ANCHOR.replace("@SCHEMA@", schema).replace("@ROLE@", role))
    return True
