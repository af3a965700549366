"""The shared server's schema (PostgreSQL 15), version SCHEMA_VERSION.

What the server holds in plain: ids (UUIDs), versions, workflow values (status,
priority, sensitive), keyed HMACs (staff, message identities), times. Everything
else (subjects, bodies, notes, names) is sealed on the workstation (`seal.py`).

Workstations change shared state only through functions (`apply_op`,
`publish_conversation`, `publish_message`, `set_presence`): the workstation role
may read the tables but has no INSERT, UPDATE or DELETE on them. The functions run
as the owner (SECURITY DEFINER) with a fixed search_path.

The change log's cursor is taken from a one-row counter (`change_counter`) by
UPDATE, whose row lock is held until commit: a second writer waits, so change-log
numbers become visible strictly in order and a reader pulling `seq > cursor` never
skips a row that commits late (a `bigserial` would allow that). NOTIFY carries the
number only.
"""

from __future__ import annotations

# 2: the ingest lease, automatic-reply claims; 3: purges (purge_schema); 4: patients,
# patient links, fetch checkpoints; 5: patient edits field by field (patient_edit_schema);
# 6: staff and delegations as operations (staff_schema); 7: a patient's message reopens
# in server order (reopen_schema); 8: display names and delegation scopes edited
# (staff_edit_schema); 9: held replies discarded (discard_schema); 10: seal key versions
# after a revocation (key_rotation_schema); 11: a retired seal key seals nothing new, a
# registered receiving key is never replaced (retired_key_schema); 12: a workflow value
# MACed under a retired key is refused (workflow_mac_schema); 13: a change (conversation
# field, note, patient link, edit of a patient's record) by a turned-off account is
# refused, and a workstation is approved only by an active administrator
# (turned_off_schema); 14: a workstation claims an automatic reply in its own name only,
# the server working it out from the login (own_name_schema); 15: break-glass openings
# marked reviewed, append-only and sealed, pulled by every workstation (glass_review_schema);
# 16: every function that takes a workstation works it out from the login and refuses
# another's name (own_name_all_schema); 17: receiving keys registered for the caller's own
# workstation only, renewed keys sealed only to holders that may receive them now, and
# the calls that named no workstation checked against the login (own_keys_schema)
SCHEMA_VERSION = 17
CHANGES_CHANNEL = "clinic_changes"
PRESENCE_CHANNEL = "clinic_presence"


def workstation_role(clinic_id: str) -> str:
    """The group role of one clinic's workstations. Roles are shared by every database
    of a PostgreSQL cluster, so each clinic has its own: a workstation of one clinic
    gets no rights in another clinic's database on the same server."""
    return "ci_clinic_" + clinic_id.replace("-", "")[:16]


# Fields a workstation may change on a conversation, with their merge rule (see apply_op).
FIELDS = ("status", "assignee", "priority", "sensitive")

DDL = """
CREATE TABLE server_info (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    schema_version integer NOT NULL,
    clinic_id      uuid NOT NULL,
    clinic_check   text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- The clinic's keys wrapped for someone who may hold them (the clinic code; later, a
-- workstation's public key). Never the keys themselves.
CREATE TABLE key_wrap (
    kind       text NOT NULL,
    target     text NOT NULL,
    blob       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, target)
);

-- Workstations: enrolled by an administrator who compared the fingerprint of the
-- newcomer's public key (X25519) with the one it shows; each logs in with its own role.
CREATE TABLE workstation (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    public_key   bytea NOT NULL,
    fingerprint  text NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'approved', 'revoked')),
    login        text,
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_at   timestamptz,
    decided_by   text
);

CREATE FUNCTION request_join(p_ws uuid, p_name text, p_key bytea, p_fingerprint text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    IF length(p_key) <> 32 OR length(p_name) > 100 THEN
        RAISE EXCEPTION 'bad join request' USING ERRCODE = '22023';
    END IF;
    INSERT INTO workstation (id, name, public_key, fingerprint)
    VALUES (p_ws, p_name, p_key, p_fingerprint)
    ON CONFLICT (id) DO NOTHING;
END $$;

-- The newcomer's answer: its state, and once approved the clinic keys and its login,
-- sealed to its public key (readable by it alone).
CREATE FUNCTION join_answer(p_ws uuid, OUT state text, OUT blob text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
    SELECT w.state, k.blob FROM workstation w
    LEFT JOIN key_wrap k ON k.kind = 'workstation' AND k.target = w.id::text
    WHERE w.id = p_ws
$$;

CREATE TABLE change_counter (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    seq      bigint NOT NULL
);
INSERT INTO change_counter (seq) VALUES (0);

CREATE TABLE change_log (
    seq  bigint PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('conversation', 'message', 'field', 'note')),
    conv uuid NOT NULL,
    ref  text NOT NULL,
    ws   uuid NOT NULL,
    at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE conversation (
    id         uuid PRIMARY KEY,
    number     bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    snapshot   bytea NOT NULL,
    created_ws uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversation_field (
    conv       uuid NOT NULL REFERENCES conversation(id),
    field      text NOT NULL CHECK (field IN ('status', 'assignee', 'priority', 'sensitive')),
    v          integer NOT NULL,
    value      text NOT NULL,
    changed_ws uuid NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- the operation that wrote the value, and the workstation's keyed MAC over
    -- (conversation, field, value, operation): a value changed on the server fails it
    op         uuid NOT NULL,
    mac        text NOT NULL,
    PRIMARY KEY (conv, field)
);

CREATE TABLE message (
    id          uuid PRIMARY KEY,
    conv        uuid NOT NULL REFERENCES conversation(id),
    identity    text NOT NULL UNIQUE,
    received_at timestamptz NOT NULL,
    payload     bytea NOT NULL
);
CREATE INDEX message_conv ON message (conv);

CREATE TABLE note (
    id         uuid PRIMARY KEY,
    conv       uuid NOT NULL REFERENCES conversation(id),
    author     text NOT NULL,
    created_at timestamptz NOT NULL,
    body       bytea NOT NULL
);

-- One receipt per operation, whatever its outcome: a replay after a crash returns it.
CREATE TABLE op_receipt (
    op_id        uuid PRIMARY KEY,
    ws           uuid NOT NULL,
    conv         uuid NOT NULL,
    field        text NOT NULL,
    value        text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('applied', 'conflict')),
    seq          bigint,
    server_v     integer,
    server_value text,
    server_ws    uuid,
    server_by    text,
    server_at    timestamptz,
    server_op    uuid,
    server_mac   text,
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Who has a conversation open: ephemeral, so not written to the WAL.
CREATE UNLOGGED TABLE presence (
    conv       uuid NOT NULL,
    staff      text NOT NULL,
    ws         uuid NOT NULL,
    activity   text NOT NULL CHECK (activity IN ('viewing', 'replying')),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (conv, staff, ws)
);

CREATE FUNCTION next_change(p_kind text, p_conv uuid, p_ref text, p_ws uuid) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE s bigint;
BEGIN
    -- The counter's row lock is held to commit: change numbers commit in order.
    UPDATE change_counter SET seq = seq + 1 RETURNING seq INTO s;
    INSERT INTO change_log (seq, kind, conv, ref, ws) VALUES (s, p_kind, p_conv, p_ref, p_ws);
    PERFORM pg_notify('clinic_changes', s::text);
    RETURN s;
END $$;

CREATE FUNCTION priority_rank(p text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p WHEN 'urgent' THEN 0 WHEN 'same_day' THEN 1 WHEN 'routine' THEN 2
                  WHEN 'admin' THEN 3 END
$$;

-- p_values, p_ops, p_macs: status, assignee, priority, sensitive, in that order.
CREATE FUNCTION publish_conversation(
    p_conv uuid, p_ws uuid, p_by text, p_snapshot bytea,
    p_values text[], p_ops uuid[], p_macs text[]
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    INSERT INTO conversation (id, snapshot, created_ws) VALUES (p_conv, p_snapshot, p_ws)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;  -- published before (a replay): nothing changes
    END IF;
    INSERT INTO conversation_field (conv, field, v, value, changed_ws, changed_by, op, mac)
    SELECT p_conv, f.field, 1, p_values[f.i], p_ws, p_by, p_ops[f.i], p_macs[f.i]
    FROM (VALUES (1, 'status'), (2, 'assignee'), (3, 'priority'), (4, 'sensitive')) AS f (i, field);
    PERFORM next_change('conversation', p_conv, p_conv::text, p_ws);
    RETURN true;
END $$;

CREATE FUNCTION publish_message(
    p_id uuid, p_conv uuid, p_ws uuid, p_identity text, p_received_at timestamptz,
    p_payload bytea
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    INSERT INTO message (id, conv, identity, received_at, payload)
    VALUES (p_id, p_conv, p_identity, p_received_at, p_payload)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;  -- this message is on the server already
    END IF;
    PERFORM next_change('message', p_conv, p_id::text, p_ws);
    RETURN true;
END $$;

-- The one place where a workstation's operation meets the shared state.
--   status, assignee: compare-and-set on the field's version: first to the server wins.
--   priority: a raise (more urgent) always applies; a lowering is compare-and-set.
--   sensitive: setting the flag always applies; lifting it is compare-and-set, so it
--              never undoes a flag its author had not seen.
--   note: add-only; never a conflict.
-- A value equal to the server's applies without a new version. Every op_id gets
-- exactly one receipt; a replay returns the first one unchanged.
CREATE FUNCTION apply_op(
    p_op uuid, p_ws uuid, p_conv uuid, p_field text, p_base_v integer, p_value text,
    p_by text, p_note_at timestamptz DEFAULT NULL, p_note_body bytea DEFAULT NULL,
    p_mac text DEFAULT NULL
) RETURNS SETOF op_receipt
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    cur conversation_field%ROWTYPE;
    r op_receipt%ROWTYPE;
    wins boolean;
    s bigint;
BEGIN
    -- Two pushes of one operation at once: the second waits here, then sees the receipt.
    PERFORM pg_advisory_xact_lock(hashtextextended(p_op::text, 0));
    SELECT * INTO r FROM op_receipt WHERE op_id = p_op;
    IF FOUND THEN
        RETURN NEXT r;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM conversation WHERE id = p_conv) THEN
        RAISE EXCEPTION 'unknown conversation %', p_conv USING ERRCODE = 'P0002';
    END IF;
    IF p_field = 'note' THEN
        s := NULL;
        INSERT INTO note (id, conv, author, created_at, body)
        VALUES (p_value::uuid, p_conv, p_by, p_note_at, p_note_body)
        ON CONFLICT (id) DO NOTHING;
        IF FOUND THEN
            s := next_change('note', p_conv, p_value, p_ws);
        END IF;
        INSERT INTO op_receipt (op_id, ws, conv, field, value, outcome, seq)
        VALUES (p_op, p_ws, p_conv, p_field, p_value, 'applied', s) RETURNING * INTO r;
        RETURN NEXT r;
        RETURN;
    END IF;
    IF p_field NOT IN ('status', 'assignee', 'priority', 'sensitive') THEN
        RAISE EXCEPTION 'unknown field %', p_field USING ERRCODE = '22023';
    END IF;
    IF p_mac IS NULL THEN
        RAISE EXCEPTION 'a field value needs its MAC' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO cur FROM conversation_field WHERE conv = p_conv AND field = p_field FOR UPDATE;
    IF cur.value = p_value THEN
        wins := true;
        s := NULL;
    ELSE
        wins := cur.v = p_base_v
             OR (p_field = 'priority' AND priority_rank(p_value) < priority_rank(cur.value))
             OR (p_field = 'sensitive' AND p_value = 'true');
        IF wins THEN
            UPDATE conversation_field
            SET v = v + 1, value = p_value, changed_ws = p_ws, changed_by = p_by,
                changed_at = clock_timestamp(), op = p_op, mac = p_mac
            WHERE conv = p_conv AND field = p_field
            RETURNING * INTO cur;
            s := next_change('field', p_conv, p_field, p_ws);
        END IF;
    END IF;
    INSERT INTO op_receipt (op_id, ws, conv, field, value, outcome, seq,
                            server_v, server_value, server_ws, server_by, server_at,
                            server_op, server_mac)
    VALUES (p_op, p_ws, p_conv, p_field, p_value,
            CASE WHEN wins THEN 'applied' ELSE 'conflict' END, s,
            cur.v, cur.value, cur.changed_ws, cur.changed_by, cur.changed_at, cur.op, cur.mac)
    RETURNING * INTO r;
    RETURN NEXT r;
END $$;

CREATE FUNCTION set_presence(
    p_conv uuid, p_staff text, p_ws uuid, p_activity text, p_seconds integer
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    DELETE FROM presence WHERE (staff = p_staff AND ws = p_ws) OR expires_at < clock_timestamp();
    IF p_activity IS NOT NULL THEN
        INSERT INTO presence (conv, staff, ws, activity, expires_at)
        VALUES (p_conv, p_staff, p_ws, p_activity,
                clock_timestamp() + make_interval(secs => p_seconds));
    END IF;
    PERFORM pg_notify('clinic_presence', '');
END $$;
"""

# Schema 2 (added to a schema-1 server by `server upgrade`, or with the rest by `init`).
DDL_2 = """
-- One workstation at a time ingests (and publishes) new mail: the holder of the lease
-- of a source (`account` is a keyed HMAC, never its name). It is taken when free or
-- expired, renewed by its holder, on the server's clock. Each new holding gets a new
-- epoch; a publication first re-checks holder and epoch and keeps the row share-locked
-- to its commit, so a holder that was paused or cut off past the expiry publishes
-- nothing, and a taker waits for a publication already under way.
CREATE TABLE ingest_lease (
    account    text PRIMARY KEY,
    holder     uuid NOT NULL,
    epoch      bigint NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE FUNCTION take_ingest_lease(p_account text, p_ws uuid, p_seconds integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    e bigint;
BEGIN
    INSERT INTO ingest_lease (account, holder, epoch, expires_at)
    VALUES (p_account, p_ws, 1, clock_timestamp() + make_interval(secs => p_seconds))
    ON CONFLICT (account) DO UPDATE SET
        holder = p_ws,
        -- a renewal in time keeps the epoch; anything else is a new holding
        epoch = CASE WHEN ingest_lease.holder = p_ws
                          AND ingest_lease.expires_at > clock_timestamp()
                     THEN ingest_lease.epoch ELSE ingest_lease.epoch + 1 END,
        expires_at = clock_timestamp() + make_interval(secs => p_seconds)
    WHERE ingest_lease.holder = p_ws OR ingest_lease.expires_at <= clock_timestamp()
    RETURNING epoch INTO e;
    RETURN e;  -- NULL: another workstation holds it
END $$;

CREATE FUNCTION release_ingest_lease(p_account text, p_ws uuid, p_epoch bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
    UPDATE ingest_lease SET expires_at = clock_timestamp()
    WHERE account = p_account AND holder = p_ws AND epoch = p_epoch;
$$;

CREATE FUNCTION hold_ingest_lease(p_account text, p_ws uuid, p_epoch bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    PERFORM 1 FROM ingest_lease
    WHERE account = p_account AND holder = p_ws AND epoch = p_epoch
      AND expires_at > clock_timestamp()
    FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ingest lease lost' USING ERRCODE = 'CI001';
    END IF;
END $$;

-- A receipt or safety reply is sent by the one workstation whose claim this is
-- (`key`: keyed HMAC of the incoming message's identity and the reply's purpose).
CREATE TABLE auto_reply_claim (
    key        text PRIMARY KEY,
    ws         uuid NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION claim_auto_reply(p_key text, p_ws uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    owner uuid;
BEGIN
    INSERT INTO auto_reply_claim (key, ws) VALUES (p_key, p_ws) ON CONFLICT (key) DO NOTHING;
    IF FOUND THEN
        RETURN true;
    END IF;
    SELECT ws INTO owner FROM auto_reply_claim WHERE key = p_key;
    RETURN owner = p_ws;  -- its own claim, asked again after a restart
END $$;
"""

# Run after the DDL, with the role's name filled in.
GRANTS = """
-- Approving and revoking a workstation create and disable its login: done by these
-- functions with the rights of the login that prepared the server, so that an
-- administrator may approve from any enrolled workstation (whose own login may not
-- create roles). Workstations already hold the clinic's keys: they are trusted to
-- hand them on, after the fingerprint check a person makes. (Since step 13 both are
-- replaced by turned_off_schema.DECIDERS: the server checks who decides.)
CREATE FUNCTION approve_workstation(
    p_ws uuid, p_fingerprint text, p_login text, p_password text, p_blob text, p_by text
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    PERFORM 1 FROM workstation
    WHERE id = p_ws AND state = 'pending' AND fingerprint = p_fingerprint FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF p_login !~ '^ci_ws_[0-9a-f]{16}$' THEN
        RAISE EXCEPTION 'bad login name' USING ERRCODE = '22023';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', p_login, p_password, '@ROLE@');
    INSERT INTO key_wrap (kind, target, blob) VALUES ('workstation', p_ws::text, p_blob);
    UPDATE workstation SET state = 'approved', login = p_login, decided_at = now(),
        decided_by = p_by WHERE id = p_ws;
    RETURN true;
END $$;

CREATE FUNCTION revoke_workstation(p_ws uuid, p_by text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE l text;
BEGIN
    SELECT login INTO l FROM workstation WHERE id = p_ws AND state <> 'revoked' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF l IS NOT NULL THEN
        EXECUTE format('ALTER ROLE %I NOLOGIN', l);
        BEGIN  -- close its open connections (needs the right to signal them)
            PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = l;
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;
        END;
    END IF;
    UPDATE workstation SET state = 'revoked', decided_at = now(), decided_by = p_by
    WHERE id = p_ws;
    DELETE FROM key_wrap WHERE kind = 'workstation' AND target = p_ws::text;
    RETURN true;
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA @SCHEMA@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @SCHEMA@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @SCHEMA@ TO @ROLE@;
GRANT SELECT ON server_info, key_wrap, change_log, conversation, conversation_field,
    message, note, op_receipt, presence TO @ROLE@;
GRANT SELECT ON workstation TO @ROLE@;
-- Asking to join needs no more than a connection: approval is the administrator's.
GRANT EXECUTE ON FUNCTION request_join(uuid, text, bytea, text) TO PUBLIC;
GRANT USAGE ON SCHEMA @SCHEMA@ TO PUBLIC;
GRANT EXECUTE ON FUNCTION join_answer(uuid) TO PUBLIC;
GRANT EXECUTE ON FUNCTION
    apply_op(uuid, uuid, uuid, text, integer, text, text, timestamptz, bytea, text),
    publish_conversation(uuid, uuid, text, bytea, text[], uuid[], text[]),
    publish_message(uuid, uuid, uuid, text, timestamptz, bytea),
    set_presence(uuid, text, uuid, text, integer),
    approve_workstation(uuid, text, text, text, text, text),
    revoke_workstation(uuid, text),
    priority_rank(text) TO @ROLE@;
"""

GRANTS_2 = """
REVOKE ALL ON ingest_lease, auto_reply_claim FROM PUBLIC;
REVOKE ALL ON FUNCTION take_ingest_lease(text, uuid, integer),
    release_ingest_lease(text, uuid, bigint), hold_ingest_lease(text, uuid, bigint),
    claim_auto_reply(text, uuid) FROM PUBLIC;
GRANT SELECT ON ingest_lease, auto_reply_claim TO @ROLE@;
GRANT EXECUTE ON FUNCTION take_ingest_lease(text, uuid, integer),
    release_ingest_lease(text, uuid, bigint), hold_ingest_lease(text, uuid, bigint),
    claim_auto_reply(text, uuid) TO @ROLE@;
"""

# Schema 4: patients shared (sealed; found again by keyed HMACs of what identifies them),
# a conversation's patient link as a fifth compare-and-set field, and where the ingest
# lease holder's fetching stopped. Written so that running it twice changes nothing.
DDL_4 = """
CREATE TABLE IF NOT EXISTS patient (
    id         uuid PRIMARY KEY,
    payload    bytea NOT NULL,  -- sealed: names, birth date, chart number, addresses
    created_ws uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Keyed HMACs of a chart number, a portal id, or a name with a birth date: the same
-- patient registered on two workstations is one patient on the server.
CREATE TABLE IF NOT EXISTS patient_key (
    key     text PRIMARY KEY,
    patient uuid NOT NULL REFERENCES patient(id)
);

-- A change-log row of kind 'patient' names the patient in `conv` and `ref`.
ALTER TABLE change_log DROP CONSTRAINT IF EXISTS change_log_kind_check;
ALTER TABLE change_log ADD CONSTRAINT change_log_kind_check
    CHECK (kind IN ('conversation', 'message', 'field', 'note', 'purge', 'patient'));
ALTER TABLE conversation_field DROP CONSTRAINT IF EXISTS conversation_field_field_check;
ALTER TABLE conversation_field ADD CONSTRAINT conversation_field_field_check
    CHECK (field IN ('status', 'assignee', 'priority', 'sensitive', 'patient'));

-- Returns the server's patient: an existing one when any key matches (the first of
-- p_keys that does, strongest first), else this new one. One registration at a time,
-- so two workstations registering one patient at once end with one patient.
CREATE OR REPLACE FUNCTION publish_patient(p_id uuid, p_ws uuid, p_keys text[], p_payload bytea)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    found_id uuid;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('clinic-inbox patient registration', 0));
    SELECT k.patient INTO found_id
    FROM unnest(p_keys) WITH ORDINALITY AS u (key, i) JOIN patient_key k ON k.key = u.key
    ORDER BY u.i LIMIT 1;
    IF found_id IS NOT NULL THEN
        RETURN found_id;
    END IF;
    INSERT INTO patient (id, payload, created_ws) VALUES (p_id, p_payload, p_ws)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN p_id;  -- a replay
    END IF;
    INSERT INTO patient_key (key, patient) SELECT DISTINCT unnest(p_keys), p_id
    ON CONFLICT (key) DO NOTHING;
    PERFORM next_change('patient', p_id, p_id::text, p_ws);
    RETURN p_id;
END $$;

-- apply_op of schema 1, with the patient link: compare-and-set, first to the server
-- wins (a conflict is shown to its author: a wrong patient is not merged). A
-- conversation published before links were shared has no patient row yet: its
-- version is 0 and its value empty; the first link inserts it.
CREATE OR REPLACE FUNCTION apply_op(
    p_op uuid, p_ws uuid, p_conv uuid, p_field text, p_base_v integer, p_value text,
    p_by text, p_note_at timestamptz DEFAULT NULL, p_note_body bytea DEFAULT NULL,
    p_mac text DEFAULT NULL
) RETURNS SETOF op_receipt
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    cur conversation_field%ROWTYPE;
    r op_receipt%ROWTYPE;
    wins boolean;
    s bigint;
BEGIN
    -- Two pushes of one operation at once: the second waits here, then sees the receipt.
    PERFORM pg_advisory_xact_lock(hashtextextended(p_op::text, 0));
    SELECT * INTO r FROM op_receipt WHERE op_id = p_op;
    IF FOUND THEN
        RETURN NEXT r;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM conversation WHERE id = p_conv) THEN
        RAISE EXCEPTION 'unknown conversation %', p_conv USING ERRCODE = 'P0002';
    END IF;
    IF p_field = 'note' THEN
        s := NULL;
        INSERT INTO note (id, conv, author, created_at, body)
        VALUES (p_value::uuid, p_conv, p_by, p_note_at, p_note_body)
        ON CONFLICT (id) DO NOTHING;
        IF FOUND THEN
            s := next_change('note', p_conv, p_value, p_ws);
        END IF;
        INSERT INTO op_receipt (op_id, ws, conv, field, value, outcome, seq)
        VALUES (p_op, p_ws, p_conv, p_field, p_value, 'applied', s) RETURNING * INTO r;
        RETURN NEXT r;
        RETURN;
    END IF;
    IF p_field NOT IN ('status', 'assignee', 'priority', 'sensitive', 'patient') THEN
        RAISE EXCEPTION 'unknown field %', p_field USING ERRCODE = '22023';
    END IF;
    IF p_mac IS NULL THEN
        RAISE EXCEPTION 'a field value needs its MAC' USING ERRCODE = '22023';
    END IF;
    IF p_field = 'patient' THEN
        IF p_value <> '' AND NOT EXISTS (SELECT 1 FROM patient WHERE id::text = p_value) THEN
            RAISE EXCEPTION 'unknown patient %', p_value USING ERRCODE = 'P0002';
        END IF;
        -- the row may not exist yet: two first links wait for each other here
        PERFORM pg_advisory_xact_lock(hashtextextended(p_conv::text || '|patient', 0));
    END IF;
    SELECT * INTO cur FROM conversation_field WHERE conv = p_conv AND field = p_field FOR UPDATE;
    IF NOT FOUND THEN
        cur.v := 0;
        cur.value := '';
    END IF;
    IF cur.value = p_value THEN
        wins := true;
        s := NULL;
    ELSE
        wins := cur.v = p_base_v
             OR (p_field = 'priority' AND priority_rank(p_value) < priority_rank(cur.value))
             OR (p_field = 'sensitive' AND p_value = 'true');
        IF wins AND cur.v = 0 THEN
            INSERT INTO conversation_field (conv, field, v, value, changed_ws, changed_by, op, mac)
            VALUES (p_conv, p_field, 1, p_value, p_ws, p_by, p_op, p_mac)
            RETURNING * INTO cur;
            s := next_change('field', p_conv, p_field, p_ws);
        ELSIF wins THEN
            UPDATE conversation_field
            SET v = v + 1, value = p_value, changed_ws = p_ws, changed_by = p_by,
                changed_at = clock_timestamp(), op = p_op, mac = p_mac
            WHERE conv = p_conv AND field = p_field
            RETURNING * INTO cur;
            s := next_change('field', p_conv, p_field, p_ws);
        END IF;
    END IF;
    INSERT INTO op_receipt (op_id, ws, conv, field, value, outcome, seq,
                            server_v, server_value, server_ws, server_by, server_at,
                            server_op, server_mac)
    VALUES (p_op, p_ws, p_conv, p_field, p_value,
            CASE WHEN wins THEN 'applied' ELSE 'conflict' END, s,
            cur.v, cur.value, cur.changed_ws, cur.changed_by, cur.changed_at, cur.op, cur.mac)
    RETURNING * INTO r;
    RETURN NEXT r;
END $$;

-- Where fetching stopped, per source (`source`: keyed HMAC of account and mailbox;
-- `place`: the same, sealed, for the next holder to read): only what the holder has
-- published, written under its holding of the lease, so a new holder continues there
-- instead of reading the mailbox again. UIDs and times only: no patient data.
CREATE TABLE IF NOT EXISTS source_checkpoint (
    source      text PRIMARY KEY,
    place       bytea NOT NULL,
    uidvalidity bigint,
    last_uid    bigint,
    cursor      text,
    ws          uuid NOT NULL,
    epoch       bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE OR REPLACE FUNCTION save_checkpoint(
    p_account text, p_ws uuid, p_epoch bigint, p_source text, p_place bytea,
    p_uidvalidity bigint, p_last_uid bigint, p_cursor text
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    PERFORM hold_ingest_lease(p_account, p_ws, p_epoch);  -- fenced, like a publication
    INSERT INTO source_checkpoint AS c (source, place, uidvalidity, last_uid, cursor, ws, epoch)
    VALUES (p_source, p_place, p_uidvalidity, p_last_uid, p_cursor, p_ws, p_epoch)
    ON CONFLICT (source) DO UPDATE SET
        -- never backwards within one mailbox generation
        last_uid = CASE WHEN c.uidvalidity IS NOT DISTINCT FROM excluded.uidvalidity
                        THEN greatest(c.last_uid, excluded.last_uid) ELSE excluded.last_uid END,
        uidvalidity = excluded.uidvalidity,
        cursor = CASE WHEN c.cursor IS NULL OR excluded.cursor > c.cursor
                      THEN excluded.cursor ELSE c.cursor END,
        place = excluded.place, ws = excluded.ws, epoch = excluded.epoch,
        updated_at = clock_timestamp();
END $$;
"""

GRANTS_4 = """
REVOKE ALL ON patient, patient_key, source_checkpoint FROM PUBLIC;
REVOKE ALL ON FUNCTION publish_patient(uuid, uuid, text[], bytea),
    save_checkpoint(text, uuid, bigint, text, bytea, bigint, bigint, text) FROM PUBLIC;
GRANT SELECT ON patient, patient_key, source_checkpoint TO @ROLE@;
GRANT EXECUTE ON FUNCTION publish_patient(uuid, uuid, text[], bytea),
    save_checkpoint(text, uuid, bigint, text, bytea, bigint, bigint, text) TO @ROLE@;
"""

# What `server upgrade` adds to reach each version: (DDL, grants).
# steps of their own modules
from clinic_inbox.shared import (  # noqa: E402
    discard_schema,
    glass_review_schema,
    key_rotation_schema,
    own_keys_schema,
    own_name_all_schema,
    own_name_schema,
    patient_edit_schema,
    purge_schema,
    reopen_schema,
    retired_key_schema,
    staff_edit_schema,
    staff_schema,
    turned_off_schema,
    workflow_mac_schema,
)

UPGRADES = {
    2: (DDL_2, GRANTS_2),
    3: (purge_schema.DDL, purge_schema.GRANTS),
    4: (DDL_4, GRANTS_4),
    5: (patient_edit_schema.DDL, patient_edit_schema.GRANTS),
    6: (staff_schema.DDL, staff_schema.GRANTS),
    7: (reopen_schema.DDL, reopen_schema.GRANTS),
    8: (staff_edit_schema.DDL, staff_edit_schema.GRANTS),
    9: (discard_schema.DDL, discard_schema.GRANTS),
    10: (key_rotation_schema.DDL, key_rotation_schema.GRANTS),
    11: (retired_key_schema.DDL, retired_key_schema.GRANTS),
    12: (workflow_mac_schema.DDL, workflow_mac_schema.GRANTS),
    13: (turned_off_schema.DDL, turned_off_schema.GRANTS),
    14: (own_name_schema.DDL, own_name_schema.GRANTS),
    15: (glass_review_schema.DDL, glass_review_schema.GRANTS),
    16: (own_name_all_schema.DDL, own_name_all_schema.GRANTS),
    17: (own_keys_schema.DDL, own_keys_schema.GRANTS),
}


def upgrade_scripts(version: int, role: str, schema: str = "public") -> list[str]:
    ddl_v, grants_v = UPGRADES[version]
    return [
        ddl_v.replace("@SCHEMA@", schema),
        grants_v.replace("@SCHEMA@", schema).replace("@ROLE@", role),
    ]


def ddl(schema: str = "public") -> list[str]:
    """The DDL as one script (psycopg runs a multi-statement string without parameters)."""
    steps = (
        DDL,
        DDL_2,
        purge_schema.DDL,
        DDL_4,
        patient_edit_schema.DDL,
        staff_schema.DDL,
        reopen_schema.DDL,
        staff_edit_schema.DDL,
        discard_schema.DDL,
        key_rotation_schema.DDL,
        retired_key_schema.DDL,
        workflow_mac_schema.DDL,
        turned_off_schema.DDL,
        own_name_schema.DDL,
        glass_review_schema.DDL,
        own_name_all_schema.DDL,
        own_keys_schema.DDL,
    )
    return [d.replace("@SCHEMA@", schema) for d in steps]


def grants(role: str, schema: str = "public") -> str:
    grants_all = (
        GRANTS
        + GRANTS_2
        + purge_schema.GRANTS
        + GRANTS_4
        + patient_edit_schema.GRANTS
        + staff_schema.GRANTS
        + reopen_schema.GRANTS
        + staff_edit_schema.GRANTS
        + discard_schema.GRANTS
        + key_rotation_schema.GRANTS
        + retired_key_schema.GRANTS
        + workflow_mac_schema.GRANTS
        + turned_off_schema.GRANTS
        + own_name_schema.GRANTS
        + glass_review_schema.GRANTS
        + own_name_all_schema.GRANTS
        + own_keys_schema.GRANTS
    )
    return grants_all.replace("@SCHEMA@", schema).replace("@ROLE@", role)
