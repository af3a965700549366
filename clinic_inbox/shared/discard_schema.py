"""The shared server's schema step 9: a held reply discarded by its author (discard_op.py).

A new change kind, `discard`, whose reference is the message's keyed identity and a MAC
under the clinic keys (the server cannot make one up, so it cannot make workstations
mark an answer as not sent); `message_discard` keeps one row per discarded message (a
replay is a no-op). Kept apart, with no imports; runs again harmlessly.
"""

DDL = """
ALTER TABLE change_log DROP CONSTRAINT IF EXISTS change_log_kind_check;
ALTER TABLE change_log ADD CONSTRAINT change_log_kind_check
    CHECK (kind IN ('conversation', 'message', 'field', 'note', 'purge', 'patient',
                    'patient_field', 'access', 'discard'));

CREATE TABLE IF NOT EXISTS message_discard (
    identity text PRIMARY KEY,
    mac      text NOT NULL,
    ws       uuid NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- 'unknown': the message is not on the server (yet); 'done': discarded now or before.
CREATE OR REPLACE FUNCTION discard_message(p_ws uuid, p_identity text, p_mac text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    c uuid;
BEGIN
    SELECT conv INTO c FROM message WHERE identity = p_identity;
    IF NOT FOUND THEN
        RETURN 'unknown';
    END IF;
    INSERT INTO message_discard (identity, mac, ws) VALUES (p_identity, p_mac, p_ws)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM next_change('discard', c, p_identity || '|' || p_mac, p_ws);
    END IF;
    RETURN 'done';
END $$;
"""

GRANTS = """
REVOKE ALL ON message_discard FROM PUBLIC;
REVOKE ALL ON FUNCTION discard_message(uuid, text, text) FROM PUBLIC;
GRANT SELECT ON message_discard TO @ROLE@;
GRANT EXECUTE ON FUNCTION discard_message(uuid, text, text) TO @ROLE@;
"""
