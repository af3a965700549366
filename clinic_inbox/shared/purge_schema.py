"""The shared server's schema step for published purges (see purge_op.py): a new
change kind, the table of purged conversations, and `publish_purge`. Kept apart, with
no imports, so that schema.py can register it without an import cycle. Written to run
again harmlessly (IF NOT EXISTS, OR REPLACE): an upgrade may meet part of it."""

DDL = """
ALTER TABLE change_log DROP CONSTRAINT IF EXISTS change_log_kind_check;
ALTER TABLE change_log ADD CONSTRAINT change_log_kind_check
    CHECK (kind IN ('conversation', 'message', 'field', 'note', 'purge'));

CREATE TABLE IF NOT EXISTS conversation_purge (
    conv      uuid PRIMARY KEY REFERENCES conversation(id),
    purged_at text NOT NULL,
    mac       text NOT NULL,
    ws        uuid NOT NULL
);

-- The conversation's messages and notes leave the server; its snapshot becomes the
-- purged one (sealed by the workstation). Once per conversation: a replay is a no-op.
CREATE OR REPLACE FUNCTION publish_purge(
    p_conv uuid, p_ws uuid, p_purged_at text, p_mac text, p_snapshot bytea
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    INSERT INTO conversation_purge (conv, purged_at, mac, ws)
    VALUES (p_conv, p_purged_at, p_mac, p_ws)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM message WHERE conv = p_conv;
    DELETE FROM note WHERE conv = p_conv;
    UPDATE conversation SET snapshot = p_snapshot WHERE id = p_conv;
    PERFORM next_change('purge', p_conv, p_purged_at || '|' || p_mac, p_ws);
    RETURN true;
END $$;
"""

GRANTS = """
REVOKE ALL ON conversation_purge FROM PUBLIC;
REVOKE ALL ON FUNCTION publish_purge(uuid, uuid, text, text, bytea) FROM PUBLIC;
GRANT SELECT ON conversation_purge TO @ROLE@;
GRANT EXECUTE ON FUNCTION publish_purge(uuid, uuid, text, text, bytea) TO @ROLE@;
"""
