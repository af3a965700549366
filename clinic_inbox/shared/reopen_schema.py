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
- `apply_status_op` (a status change, with `p_seen`, around `apply_op`): a Done or
  Waiting whose author had not seen every patient message on the server loses (receipt
  reason 'message'): first to the server wins, and its author gets a card that says
  the patient's new message reopened it.
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

-- A status change, through apply_op (schema 4, unchanged), with what its author had
-- seen: a Done or Waiting made without the patient's newest message is refused (reason
-- 'message'), whatever its base; one applied keeps its `seen` on the status row.
CREATE OR REPLACE FUNCTION apply_status_op(
    p_op uuid, p_ws uuid, p_conv uuid, p_base_v integer, p_value text, p_by text,
    p_mac text, p_seen integer
) RETURNS SETOF op_receipt
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    cur conversation_field%ROWTYPE;
    r op_receipt%ROWTYPE;
    n integer;
BEGIN
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
        VALUES (p_op, p_ws, p_conv, 'status', p_value, 'conflict', cur.v, cur.value,
                cur.changed_ws, cur.changed_by, cur.changed_at, cur.op, cur.mac, 'message')
        RETURNING * INTO r;
        RETURN NEXT r;
        RETURN;
    END IF;
    SELECT * INTO r
    FROM apply_op(p_op, p_ws, p_conv, 'status', p_base_v, p_value, p_by, NULL, NULL, p_mac);
    IF r.outcome = 'applied' AND r.seq IS NOT NULL THEN
        UPDATE conversation_field SET seen = coalesce(p_seen, n)
        WHERE conv = p_conv AND field = 'status';
    END IF;
    RETURN NEXT r;
END $$;
"""

GRANTS = """
REVOKE ALL ON FUNCTION
    publish_patient_message(uuid, uuid, uuid, text, timestamptz, bytea, uuid[], text[]),
    apply_status_op(uuid, uuid, uuid, integer, text, text, text, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    publish_patient_message(uuid, uuid, uuid, text, timestamptz, bytea, uuid[], text[]),
    apply_status_op(uuid, uuid, uuid, integer, text, text, text, integer)
    TO @ROLE@;
"""
