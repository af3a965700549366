"""Schema 7: a patient's new message reopens a finished conversation in server order.

Before, the rule "a new message reopens a Done (or Waiting) conversation" ran only on
the fetching workstation, against its own copy: a "Done" made elsewhere and not pulled
there yet stayed Done over the patient's new words, on every replica. Now the server
applies it, in the order things reach it:

- `message.from_patient`: the message is the patient's (inbound; never a staff reply
  or an automatic one). Plain, like the other workflow facts the server holds.
- `conversation_field.seen` (status row): how many patient messages the author of the
  status had in the conversation when they set it.
- `publish_patient_message`: under the status row's lock, a patient message the
  status's author had not seen reopens it (Done → New, Waiting → In progress). The
  server holds no key, so the publishing workstation sends the two possible values'
  operations and MACs, and the server picks the one that applies.
- `apply_op` takes `p_seen` for a status: a Done or Waiting whose author had not seen
  every patient message on the server loses (receipt reason 'message'): first to the
  server wins, and its author gets a card that a new message came in.
"""

from __future__ import annotations

DDL = """
ALTER TABLE message ADD COLUMN IF NOT EXISTS from_patient boolean NOT NULL DEFAULT false;
ALTER TABLE conversation_field ADD COLUMN IF NOT EXISTS seen integer;
ALTER TABLE op_receipt ADD COLUMN IF NOT EXISTS reason text;

-- p_reopen_ops, p_reopen_macs: the operation and MAC of 'new' (reopening a Done) and
-- of 'in_progress' (reopening a Waiting), in that order; NULL in the conversation's
-- own publication (its status was set with this message in it).
CREATE OR REPLACE FUNCTION publish_patient_message(
    p_id uuid, p_conv uuid, p_ws uuid, p_identity text, p_received_at timestamptz,
    p_payload bytea, p_reopen_ops uuid[], p_reopen_macs text[]
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    cur conversation_field%ROWTYPE;
    n integer;
    i integer;
BEGIN
    -- first the status row's lock: a status change and this message are then in one order
    SELECT * INTO cur FROM conversation_field
    WHERE conv = p_conv AND field = 'status' FOR UPDATE;
    INSERT INTO message (id, conv, identity, received_at, payload, from_patient)
    VALUES (p_id, p_conv, p_identity, p_received_at, p_payload, true)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;  -- this message is on the server already
    END IF;
    PERFORM next_change('message', p_conv, p_id::text, p_ws);
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
            changed_ws = p_ws, changed_by = 'system', changed_at = clock_timestamp(),
            op = p_reopen_ops[i], mac = p_reopen_macs[i], seen = n
        WHERE conv = p_conv AND field = 'status';
        PERFORM next_change('field', p_conv, 'status', p_ws);
    END IF;
    RETURN true;
END $$;

DROP FUNCTION IF EXISTS
    apply_op(uuid, uuid, uuid, text, integer, text, text, timestamptz, bytea, text);

-- apply_op of schema 4, with p_seen (see above) and the status row's `seen`.
CREATE OR REPLACE FUNCTION apply_op(
    p_op uuid, p_ws uuid, p_conv uuid, p_field text, p_base_v integer, p_value text,
    p_by text, p_note_at timestamptz DEFAULT NULL, p_note_body bytea DEFAULT NULL,
    p_mac text DEFAULT NULL, p_seen integer DEFAULT NULL
) RETURNS SETOF op_receipt
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    cur conversation_field%ROWTYPE;
    r op_receipt%ROWTYPE;
    wins boolean;
    s bigint;
    n integer;
    why text;
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
    IF p_field = 'status' THEN
        -- counted under the status row's lock, which publish_patient_message takes too
        SELECT count(*) INTO n FROM message WHERE conv = p_conv AND from_patient;
    END IF;
    IF cur.value = p_value THEN
        wins := true;
        s := NULL;
    ELSE
        wins := cur.v = p_base_v
             OR (p_field = 'priority' AND priority_rank(p_value) < priority_rank(cur.value))
             OR (p_field = 'sensitive' AND p_value = 'true');
        IF p_field = 'status' AND p_seen IS NOT NULL AND n > p_seen
           AND p_value IN ('done', 'waiting_on_patient') THEN
            -- the patient wrote after what its author saw: it must not close over that
            wins := false;
            why := 'message';
        END IF;
        IF wins AND cur.v = 0 THEN
            INSERT INTO conversation_field (conv, field, v, value, changed_ws, changed_by, op, mac)
            VALUES (p_conv, p_field, 1, p_value, p_ws, p_by, p_op, p_mac)
            RETURNING * INTO cur;
            s := next_change('field', p_conv, p_field, p_ws);
        ELSIF wins THEN
            UPDATE conversation_field
            SET v = v + 1, value = p_value, changed_ws = p_ws, changed_by = p_by,
                changed_at = clock_timestamp(), op = p_op, mac = p_mac,
                seen = CASE WHEN p_field = 'status' THEN greatest(coalesce(p_seen, n), 0)
                            ELSE seen END
            WHERE conv = p_conv AND field = p_field
            RETURNING * INTO cur;
            s := next_change('field', p_conv, p_field, p_ws);
        END IF;
    END IF;
    INSERT INTO op_receipt (op_id, ws, conv, field, value, outcome, seq,
                            server_v, server_value, server_ws, server_by, server_at,
                            server_op, server_mac, reason)
    VALUES (p_op, p_ws, p_conv, p_field, p_value,
            CASE WHEN wins THEN 'applied' ELSE 'conflict' END, s,
            cur.v, cur.value, cur.changed_ws, cur.changed_by, cur.changed_at, cur.op, cur.mac,
            why)
    RETURNING * INTO r;
    RETURN NEXT r;
END $$;
"""

GRANTS = """
REVOKE ALL ON FUNCTION
    publish_patient_message(uuid, uuid, uuid, text, timestamptz, bytea, uuid[], text[]),
    apply_op(uuid, uuid, uuid, text, integer, text, text, timestamptz, bytea, text, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    publish_patient_message(uuid, uuid, uuid, text, timestamptz, bytea, uuid[], text[]),
    apply_op(uuid, uuid, uuid, text, integer, text, text, timestamptz, bytea, text, integer)
    TO @ROLE@;
"""
