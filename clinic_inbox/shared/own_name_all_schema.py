"""The shared server's schema step 16: every call is made in the caller's own name.

Step 14 added `caller_workstation(p_ws)` (own_name_schema): the server works out which
workstation calls from the login that connected, and refuses a call that names another
(SQLSTATE 42501, with the login and the name it gave in the server's log). Only
`claim_auto_reply` (step 14) and `mark_break_glass_reviewed` (step 15) used it; every
other function took the workstation its caller named on trust, so one workstation's
login could take another's ingest lease, publish as it, show presence as it, discard
its held replies, ship audit entries into its chain, and so on. Now each of them first
resolves the name through `caller_workstation` and records the caller's own workstation:

- the ingest lease (`take_ingest_lease`, `release_ingest_lease`, `hold_ingest_lease`)
  and the fetch checkpoint (`save_checkpoint`);
- publications: `publish_conversation`, `publish_message`, `publish_patient_message`,
  `publish_patient`, `publish_purge`;
- queued changes: `apply_op`, `apply_status_op`, `apply_patient_op`, `apply_access_op`,
  `apply_access_edit`, `discard_message`;
- presence (`set_presence`: a row, and the one it replaces, only under the caller's
  workstation);
- keys: `register_seal_holder` (a workstation's receiving key is registered by its own
  login: an enrolled workstation's login for itself alone, another login for no
  enrolled workstation, `caller_may_register`), `rotate_seal_key` (the renewal is
  recorded as made on the caller's workstation);
- the clinic-wide audit, where installed (`audit_register_signer`, `audit_append`,
  `audit_sign_head`: a chain is this workstation's own; AUDIT, run by
  audit_schema.install too when the audit step comes later).

A refused call records nothing (the transaction is undone as a whole). The signatures
are unchanged, so a workstation still on the app of step 15 goes on in its own name (its
live sync is told by the version check to update the app).

Functions that act on another workstation on purpose keep doing so and record who
really called:
- taking the ingest lease over from a holder that stopped renewing it (died, paused,
  cut off) is the lease's purpose: the taker does it in its own name, and the lease
  then names the taker; the old holder is named in nothing new;
- approving and revoking a workstation (`approve_workstation`, `revoke_workstation`)
  are an administrator's decisions about another computer: the target is the one
  named, and the login that decided is now kept beside the author
  (`workstation.decided_login`);
- `rotate_seal_key` renews the key because another workstation was revoked (named in
  `p_revoked`); the workstation that made it is the caller's.

Still taken on trust: which person is signed in at a workstation (the staff reference a
change names: the workstation checked the password; the server checks the account is
on, its role and delegations); computers that share one login (each may act for the
others); the owner login, which can write anything; before a login exists at all,
`request_join` and `join_answer` (a newcomer asks, an administrator compares the
fingerprint); and calls that name no workstation (`add_seal_key_wraps`,
`set_recovery_key`, `audit_keep_store_anchor`: what they write is checked by the
workstations that read it). Kept apart, with no imports; runs again harmlessly.
"""

DDL = """
ALTER TABLE workstation ADD COLUMN IF NOT EXISTS decided_login text;

-- Whether the calling login may register a receiving key under p_holder: the clinic
-- code's (set once, by whoever prepares or upgrades the server); an enrolled
-- workstation's own login, for that workstation alone; another login (the owner login,
-- one made for a computer joined with the clinic code), for no enrolled workstation.
-- This is caller_workstation's rule before the key exists (that rule reads the key).
CREATE OR REPLACE FUNCTION caller_may_register(p_holder text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    own uuid;
BEGIN
    IF p_holder = 'recovery' THEN
        RETURN;
    END IF;
    SELECT id INTO own FROM workstation WHERE login = session_user AND state = 'approved';
    IF FOUND THEN
        IF own::text IS DISTINCT FROM p_holder THEN
            RAISE EXCEPTION 'login % is the login of workstation %, not of %',
                session_user, own, p_holder USING ERRCODE = '42501';
        END IF;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workstation WHERE login = session_user)
       AND NOT EXISTS (SELECT 1 FROM workstation WHERE id::text = p_holder
                       AND login IS NOT NULL) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'login % may not act as workstation %', session_user, p_holder
        USING ERRCODE = '42501';
END $$;

-- The ingest lease, in the caller's name. Taking it over from a holder whose lease ran
-- out (it died, was paused or cut off) is what the lease is for: the taker does so in
-- its own name, and the lease names the taker from then on.
CREATE OR REPLACE FUNCTION take_ingest_lease(p_account text, p_ws uuid, p_seconds integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
    e bigint;
BEGIN
    me := caller_workstation(p_ws);
    INSERT INTO ingest_lease (account, holder, epoch, expires_at)
    VALUES (p_account, me, 1, clock_timestamp() + make_interval(secs => p_seconds))
    ON CONFLICT (account) DO UPDATE SET
        holder = me,
        -- a renewal in time keeps the epoch; anything else is a new holding
        epoch = CASE WHEN ingest_lease.holder = me
                          AND ingest_lease.expires_at > clock_timestamp()
                     THEN ingest_lease.epoch ELSE ingest_lease.epoch + 1 END,
        expires_at = clock_timestamp() + make_interval(secs => p_seconds)
    WHERE ingest_lease.holder = me OR ingest_lease.expires_at <= clock_timestamp()
    RETURNING epoch INTO e;
    RETURN e;  -- NULL: another workstation holds it
END $$;

CREATE OR REPLACE FUNCTION release_ingest_lease(p_account text, p_ws uuid, p_epoch bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_ws);
    UPDATE ingest_lease SET expires_at = clock_timestamp()
    WHERE account = p_account AND holder = me AND epoch = p_epoch;
END $$;

CREATE OR REPLACE FUNCTION hold_ingest_lease(p_account text, p_ws uuid, p_epoch bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_ws);
    PERFORM 1 FROM ingest_lease
    WHERE account = p_account AND holder = me AND epoch = p_epoch
      AND expires_at > clock_timestamp()
    FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ingest lease lost' USING ERRCODE = 'CI001';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION save_checkpoint(
    p_account text, p_ws uuid, p_epoch bigint, p_source text, p_place bytea,
    p_uidvalidity bigint, p_last_uid bigint, p_cursor text
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_ws);
    PERFORM hold_ingest_lease(p_account, me, p_epoch);  -- fenced, like a publication
    INSERT INTO source_checkpoint AS c (source, place, uidvalidity, last_uid, cursor, ws, epoch)
    VALUES (p_source, p_place, p_uidvalidity, p_last_uid, p_cursor, me, p_epoch)
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

-- p_values, p_ops, p_macs: status, assignee, priority, sensitive, in that order.
CREATE OR REPLACE FUNCTION publish_conversation(
    p_conv uuid, p_ws uuid, p_by text, p_snapshot bytea,
    p_values text[], p_ops uuid[], p_macs text[]
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_ws);
    INSERT INTO conversation (id, snapshot, created_ws) VALUES (p_conv, p_snapshot, me)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;  -- published before (a replay): nothing changes
    END IF;
    INSERT INTO conversation_field (conv, field, v, value, changed_ws, changed_by, op, mac)
    SELECT p_conv, f.field, 1, p_values[f.i], me, p_by, p_ops[f.i], p_macs[f.i]
    FROM (VALUES (1, 'status'), (2, 'assignee'), (3, 'priority'), (4, 'sensitive')) AS f (i, field);
    PERFORM next_change('conversation', p_conv, p_conv::text, me);
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION publish_message(
    p_id uuid, p_conv uuid, p_ws uuid, p_identity text, p_received_at timestamptz,
    p_payload bytea
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_ws);
    INSERT INTO message (id, conv, identity, received_at, payload)
    VALUES (p_id, p_conv, p_identity, p_received_at, p_payload)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;  -- this message is on the server already
    END IF;
    PERFORM next_change('message', p_conv, p_id::text, me);
    RETURN true;
END $$;

-- Step 7's, in the caller's name (see reopen_schema).
CREATE OR REPLACE FUNCTION publish_patient_message(
    p_id uuid, p_conv uuid, p_ws uuid, p_identity text, p_received_at timestamptz,
    p_payload bytea, p_reopen_ops uuid[], p_reopen_macs text[]
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
    cur conversation_field%ROWTYPE;
    n integer;
    i integer;
BEGIN
    me := caller_workstation(p_ws);
    -- first the status row's lock: a status change and this message are then in one order
    SELECT * INTO cur FROM conversation_field
    WHERE conv = p_conv AND field = 'status' FOR UPDATE;
    INSERT INTO message (id, conv, identity, received_at, payload, from_patient)
    VALUES (p_id, p_conv, p_identity, p_received_at, p_payload, true)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;  -- this message is on the server already
    END IF;
    PERFORM next_change('message', p_conv, p_id::text, me);
    SELECT count(*) INTO n FROM message WHERE conv = p_conv AND from_patient;
    IF p_reopen_ops IS NULL THEN
        UPDATE conversation_field SET seen = greatest(coalesce(seen, 0), n)
        WHERE conv = p_conv AND field = 'status';
        RETURN true;
    END IF;
    IF cur.value IN ('done', 'waiting_on_patient') AND n > coalesce(cur.seen, 0) THEN
        i := CASE cur.value WHEN 'done' THEN 1 ELSE 2 END;
        UPDATE conversation_field
        SET v = v + 1, value = CASE i WHEN 1 THEN 'new' ELSE 'in_progress' END,
            changed_ws = me, changed_by = 'system', changed_at = clock_timestamp(),
            op = p_reopen_ops[i], mac = p_reopen_macs[i], seen = n
        WHERE conv = p_conv AND field = 'status';
        PERFORM next_change('field', p_conv, 'status', me);
    END IF;
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION publish_patient(p_id uuid, p_ws uuid, p_keys text[], p_payload bytea)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
    found_id uuid;
BEGIN
    me := caller_workstation(p_ws);
    PERFORM pg_advisory_xact_lock(hashtextextended('clinic-inbox patient registration', 0));
    SELECT k.patient INTO found_id
    FROM unnest(p_keys) WITH ORDINALITY AS u (key, i) JOIN patient_key k ON k.key = u.key
    ORDER BY u.i LIMIT 1;
    IF found_id IS NOT NULL THEN
        RETURN found_id;
    END IF;
    INSERT INTO patient (id, payload, created_ws) VALUES (p_id, p_payload, me)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN p_id;  -- a replay
    END IF;
    INSERT INTO patient_key (key, patient) SELECT DISTINCT unnest(p_keys), p_id
    ON CONFLICT (key) DO NOTHING;
    PERFORM next_change('patient', p_id, p_id::text, me);
    RETURN p_id;
END $$;

CREATE OR REPLACE FUNCTION publish_purge(
    p_conv uuid, p_ws uuid, p_purged_at text, p_mac text, p_snapshot bytea
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_ws);
    INSERT INTO conversation_purge (conv, purged_at, mac, ws)
    VALUES (p_conv, p_purged_at, p_mac, me)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM message WHERE conv = p_conv;
    DELETE FROM note WHERE conv = p_conv;
    UPDATE conversation SET snapshot = p_snapshot WHERE id = p_conv;
    PERFORM next_change('purge', p_conv, p_purged_at || '|' || p_mac, me);
    RETURN true;
END $$;

-- Step 4's apply_op, in the caller's name: checked before anything, a replay of a
-- receipt included (the receipt is the caller's own operation's, or nobody's business).
CREATE OR REPLACE FUNCTION apply_op(
    p_op uuid, p_ws uuid, p_conv uuid, p_field text, p_base_v integer, p_value text,
    p_by text, p_note_at timestamptz DEFAULT NULL, p_note_body bytea DEFAULT NULL,
    p_mac text DEFAULT NULL
) RETURNS SETOF op_receipt
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
    cur conversation_field%ROWTYPE;
    r op_receipt%ROWTYPE;
    wins boolean;
    s bigint;
BEGIN
    me := caller_workstation(p_ws);
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
            s := next_change('note', p_conv, p_value, me);
        END IF;
        INSERT INTO op_receipt (op_id, ws, conv, field, value, outcome, seq)
        VALUES (p_op, me, p_conv, p_field, p_value, 'applied', s) RETURNING * INTO r;
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
            VALUES (p_conv, p_field, 1, p_value, me, p_by, p_op, p_mac)
            RETURNING * INTO cur;
            s := next_change('field', p_conv, p_field, me);
        ELSIF wins THEN
            UPDATE conversation_field
            SET v = v + 1, value = p_value, changed_ws = me, changed_by = p_by,
                changed_at = clock_timestamp(), op = p_op, mac = p_mac
            WHERE conv = p_conv AND field = p_field
            RETURNING * INTO cur;
            s := next_change('field', p_conv, p_field, me);
        END IF;
    END IF;
    INSERT INTO op_receipt (op_id, ws, conv, field, value, outcome, seq,
                            server_v, server_value, server_ws, server_by, server_at,
                            server_op, server_mac)
    VALUES (p_op, me, p_conv, p_field, p_value,
            CASE WHEN wins THEN 'applied' ELSE 'conflict' END, s,
            cur.v, cur.value, cur.changed_ws, cur.changed_by, cur.changed_at, cur.op, cur.mac)
    RETURNING * INTO r;
    RETURN NEXT r;
END $$;

-- Step 7's, in the caller's name (see reopen_schema).
CREATE OR REPLACE FUNCTION apply_status_op(
    p_op uuid, p_ws uuid, p_conv uuid, p_base_v integer, p_value text, p_by text,
    p_mac text, p_seen integer
) RETURNS SETOF op_receipt
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
    cur conversation_field%ROWTYPE;
    r op_receipt%ROWTYPE;
    n integer;
BEGIN
    me := caller_workstation(p_ws);
    -- the same lock as apply_op's (taken again there, in this transaction: no wait)
    PERFORM pg_advisory_xact_lock(hashtextextended(p_op::text, 0));
    SELECT * INTO r FROM op_receipt WHERE op_id = p_op;
    IF FOUND THEN
        RETURN NEXT r;  -- a replay: its first answer
        RETURN;
    END IF;
    -- counted under the status row's lock, which publish_patient_message takes too
    SELECT * INTO cur FROM conversation_field
    WHERE conv = p_conv AND field = 'status' FOR UPDATE;
    SELECT count(*) INTO n FROM message WHERE conv = p_conv AND from_patient;
    IF cur.conv IS NOT NULL AND p_seen IS NOT NULL AND n > p_seen AND cur.value <> p_value
       AND p_value IN ('done', 'waiting_on_patient') THEN
        -- the patient wrote after what its author saw: it must not close over that
        INSERT INTO op_receipt (op_id, ws, conv, field, value, outcome, server_v,
                                server_value, server_ws, server_by, server_at, server_op,
                                server_mac, reason)
        VALUES (p_op, me, p_conv, 'status', p_value, 'conflict', cur.v, cur.value,
                cur.changed_ws, cur.changed_by, cur.changed_at, cur.op, cur.mac, 'message')
        RETURNING * INTO r;
        RETURN NEXT r;
        RETURN;
    END IF;
    SELECT * INTO r
    FROM apply_op(p_op, me, p_conv, 'status', p_base_v, p_value, p_by, NULL, NULL, p_mac);
    IF r.outcome = 'applied' AND r.seq IS NOT NULL THEN
        UPDATE conversation_field SET seen = coalesce(p_seen, n)
        WHERE conv = p_conv AND field = 'status';
    END IF;
    RETURN NEXT r;
END $$;

CREATE OR REPLACE FUNCTION discard_message(p_ws uuid, p_identity text, p_mac text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
    c uuid;
BEGIN
    me := caller_workstation(p_ws);
    SELECT conv INTO c FROM message WHERE identity = p_identity;
    IF NOT FOUND THEN
        RETURN 'unknown';
    END IF;
    INSERT INTO message_discard (identity, mac, ws) VALUES (p_identity, p_mac, me)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM next_change('discard', c, p_identity || '|' || p_mac, me);
    END IF;
    RETURN 'done';
END $$;

-- Presence: only the caller's workstation's rows are replaced (and expired ones cleared).
CREATE OR REPLACE FUNCTION set_presence(
    p_conv uuid, p_staff text, p_ws uuid, p_activity text, p_seconds integer
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_ws);
    DELETE FROM presence WHERE (staff = p_staff AND ws = me) OR expires_at < clock_timestamp();
    IF p_activity IS NOT NULL THEN
        INSERT INTO presence (conv, staff, ws, activity, expires_at)
        VALUES (p_conv, p_staff, me, p_activity,
                clock_timestamp() + make_interval(secs => p_seconds));
    END IF;
    PERFORM pg_notify('clinic_presence', '');
END $$;
"""

# apply_patient_op, apply_access_op and apply_access_edit keep their bodies: each is
# renamed into a private function that takes the resolved workstation, and the public one
# (same signature, same grants) resolves the caller first. Their rules are unchanged.
_WRAPPED = (
    (
        "apply_patient_op",
        "p_op uuid, p_ws uuid, p_patient uuid, p_field text, p_base_v integer, "
        "p_value bytea, p_by text",
        "uuid, uuid, uuid, text, integer, bytea, text",
        "p_op, me, p_patient, p_field, p_base_v, p_value, p_by",
        "patient_op_receipt",
    ),
    (
        "apply_access_op",
        "p_op uuid, p_ws uuid, p_kind text, p_target text, p_base_v integer, p_role text, "
        "p_terms jsonb, p_by text, p_sealed bytea",
        "uuid, uuid, text, text, integer, text, jsonb, text, bytea",
        "p_op, me, p_kind, p_target, p_base_v, p_role, p_terms, p_by, p_sealed",
        "access_op",
    ),
    (
        "apply_access_edit",
        "p_op uuid, p_ws uuid, p_kind text, p_target text, p_base_v integer, p_terms jsonb, "
        "p_by text, p_sealed bytea",
        "uuid, uuid, text, text, integer, jsonb, text, bytea",
        "p_op, me, p_kind, p_target, p_base_v, p_terms, p_by, p_sealed",
        "access_op",
    ),
)


def _wrapper(name: str, params: str, types: str, args: str, returns: str) -> str:
    # The old body is kept as `<name>_as`: renamed when `<name>` is not the wrapper yet
    # (the first run of this step, or after an earlier step made it again); a second run
    # finds the wrapper and leaves both as they are.
    return f"""
DO $$
BEGIN
    IF (SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure('{name}({types})'))
       NOT LIKE '%{name}_as(%' THEN
        DROP FUNCTION IF EXISTS {name}_as({types});
        ALTER FUNCTION {name}({types}) RENAME TO {name}_as;
        REVOKE ALL ON FUNCTION {name}_as({types}) FROM PUBLIC;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION {name}({params}) RETURNS SETOF {returns}
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_ws);
    RETURN QUERY SELECT * FROM {name}_as({args});
END $$;
"""


DDL += "\n".join(_wrapper(*w) for w in _WRAPPED)

DDL += """
-- Step 11's registration (see retired_key_schema), by a login allowed to speak for the
-- holder: a key squatted under another workstation's id would never be replaced, and
-- that workstation would never be sealed a renewed key.
CREATE OR REPLACE FUNCTION register_seal_holder(p_holder text, p_key bytea, p_mac text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    old bytea;
BEGIN
    IF length(p_key) <> 32 THEN
        RAISE EXCEPTION 'bad holder key' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM workstation WHERE state = 'revoked'
               AND (login = session_user OR id::text = p_holder)) THEN
        RAISE EXCEPTION 'a revoked workstation receives no keys' USING ERRCODE = '42501';
    END IF;
    IF p_holder <> 'recovery' THEN
        PERFORM p_holder::uuid;  -- a workstation id, nothing else
    END IF;
    PERFORM caller_may_register(p_holder);
    INSERT INTO seal_key_holder (holder, public_key, mac, login)
    VALUES (p_holder, p_key, p_mac, session_user) ON CONFLICT (holder) DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('clinic_changes', '0');  -- wakes a holder to seal it the versions
        RETURN true;
    END IF;
    SELECT public_key INTO old FROM seal_key_holder WHERE holder = p_holder;
    IF old = p_key OR p_holder = 'recovery' THEN
        RETURN false;
    END IF;
    RAISE EXCEPTION 'the receiving key of % is registered already and is never replaced',
        p_holder USING ERRCODE = 'CI004',
        DETAIL = format('asked by login %s', session_user);
END $$;

-- Step 10's renewal: made because another workstation (p_revoked) was revoked, which is
-- an administrator's decision about another computer; the workstation it was made on is
-- the caller's own.
CREATE OR REPLACE FUNCTION rotate_seal_key(
    p_revoked uuid, p_ws uuid, p_by text, p_key_id integer, p_check text,
    p_holders text[], p_blobs text[]
) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
    l text;
    newest integer;
    n integer;
BEGIN
    me := caller_workstation(p_ws);
    PERFORM pg_advisory_xact_lock(hashtextextended('clinic-inbox seal key rotation', 0));
    SELECT login INTO l FROM workstation WHERE id = p_revoked AND state = 'revoked';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'rotation without a revocation' USING ERRCODE = '22023';
    END IF;
    SELECT coalesce(max(key_id), 1) INTO newest FROM seal_key_version;
    IF p_key_id <> newest + 1 THEN
        RAISE EXCEPTION 'seal key rotated meanwhile' USING ERRCODE = 'CI002';
    END IF;
    DELETE FROM seal_key_holder
    WHERE holder = p_revoked::text OR (l IS NOT NULL AND login = l AND holder <> 'recovery');
    INSERT INTO seal_key_version (key_id, key_check, revoked_ws, created_ws, created_by)
    VALUES (p_key_id, p_check, p_revoked, me, p_by);
    INSERT INTO seal_key_wrap (key_id, holder, blob)
    SELECT p_key_id, u.holder, u.blob FROM unnest(p_holders, p_blobs) AS u (holder, blob)
    WHERE u.holder IN (SELECT holder FROM seal_key_holder);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM pg_notify('clinic_changes', '0');  -- wakes the others to fetch it
    RETURN n;
END $$;
"""

# The clinic-wide audit's functions, in the caller's name: its chain is its own. The
# audit step is installed apart (audit_schema.install: at `server init` after this
# step, on an older server by `audit enable-server`), so this runs when both are there:
# from this step, and from audit_schema.install.
AUDIT = """
CREATE OR REPLACE FUNCTION audit_register_signer(p_ws uuid, p_name text, p_key bytea)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $fn$
DECLARE
    me uuid;
    k bytea;
BEGIN
    me := caller_workstation(p_ws);
    IF length(p_key) <> 32 OR length(p_name) > 100 THEN
        RAISE EXCEPTION 'bad signing key' USING ERRCODE = '22023';
    END IF;
    INSERT INTO audit_signer (ws, name, public_key) VALUES (me, p_name, p_key)
    ON CONFLICT (ws) DO NOTHING;
    SELECT public_key INTO k FROM audit_signer WHERE ws = me;
    RETURN k = p_key;
END $fn$;

CREATE OR REPLACE FUNCTION audit_append(
    p_chain uuid, p_epoch integer, p_seq bigint, p_at text, p_action text, p_actor text,
    p_patient text, p_conv uuid, p_message text, p_sealed bytea, p_prev text, p_mac text
) RETURNS TABLE (arrival bigint, anchor text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $fn$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_chain);
    IF NOT EXISTS (SELECT 1 FROM audit_signer WHERE ws = me) THEN
        RAISE EXCEPTION 'workstation % has no registered signing key', me
            USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    INSERT INTO audit_entry (chain, epoch, seq, at, action, actor, patient, conv, message,
                             sealed, prev_mac, mac, arrival, anchor)
    VALUES (me, p_epoch, p_seq, p_at, p_action, p_actor, p_patient, p_conv, p_message,
            p_sealed, p_prev, p_mac, 0, '')
    RETURNING audit_entry.arrival, audit_entry.anchor;
END $fn$;

CREATE OR REPLACE FUNCTION audit_sign_head(
    p_chain uuid, p_epoch integer, p_seq bigint, p_mac text, p_anchor_pos bigint,
    p_anchor_hash text, p_signed_at text, p_signature bytea
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $fn$
DECLARE
    me uuid;
BEGIN
    me := caller_workstation(p_chain);
    INSERT INTO audit_head (chain, epoch, seq, mac, anchor_pos, anchor_hash, signed_at, signature)
    VALUES (me, p_epoch, p_seq, p_mac, p_anchor_pos, p_anchor_hash, p_signed_at, p_signature)
    ON CONFLICT DO NOTHING;
END $fn$;
"""

# AUDIT, where the audit step and caller_workstation are both there (a second run
# replaces the same bodies): one EXECUTE a function
_AUDIT_PARTS = ["CREATE OR REPLACE" + part for part in AUDIT.split("CREATE OR REPLACE")[1:]]
AUDIT_GUARDED = (
    """
DO $guard$
BEGIN
    IF to_regclass('audit_entry') IS NOT NULL
       AND to_regprocedure('caller_workstation(uuid)') IS NOT NULL THEN
"""
    + "".join(f"        EXECUTE $audit${part}$audit$;\n" for part in _AUDIT_PARTS)
    + """    END IF;
END $guard$;
"""
)

DDL += AUDIT_GUARDED

GRANTS = """
REVOKE ALL ON FUNCTION caller_may_register(text) FROM PUBLIC;
-- the bodies kept under their old rules are the owner's alone (renamed, they kept the
-- workstations' right to run them)
REVOKE ALL ON FUNCTION
    apply_patient_op_as(uuid, uuid, uuid, text, integer, bytea, text),
    apply_access_op_as(uuid, uuid, text, text, integer, text, jsonb, text, bytea),
    apply_access_edit_as(uuid, uuid, text, text, integer, jsonb, text, bytea)
    FROM PUBLIC, @ROLE@;
GRANT EXECUTE ON FUNCTION apply_patient_op(uuid, uuid, uuid, text, integer, bytea, text)
    TO @ROLE@;
GRANT EXECUTE ON FUNCTION apply_access_op(uuid, uuid, text, text, integer, text, jsonb, text,
    bytea) TO @ROLE@;
GRANT EXECUTE ON FUNCTION apply_access_edit(uuid, uuid, text, text, integer, jsonb, text,
    bytea) TO @ROLE@;

-- Approving and revoking another workstation stay an administrator's decisions (the
-- target is the one named); the login that decided is kept beside the author. Replaced,
-- not created (schema.GRANTS made them, turned_off_schema.DECIDERS replaced them): so on
-- a new server too these run after both.
CREATE OR REPLACE FUNCTION approve_workstation(
    p_ws uuid, p_fingerprint text, p_login text, p_password text, p_blob text, p_by text
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    PERFORM refuse_workstation_decider(p_by, true);
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
        decided_by = p_by, decided_login = session_user WHERE id = p_ws;
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION revoke_workstation(p_ws uuid, p_by text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE l text;
BEGIN
    PERFORM refuse_workstation_decider(p_by, false);
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
    UPDATE workstation SET state = 'revoked', decided_at = now(), decided_by = p_by,
        decided_login = session_user
    WHERE id = p_ws;
    DELETE FROM key_wrap WHERE kind = 'workstation' AND target = p_ws::text;
    RETURN true;
END $$;
"""
