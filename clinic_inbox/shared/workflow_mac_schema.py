"""The shared server's schema step 12: a workflow value MACed under a retired key is refused.

Workflow values (status, assignee, priority, sensitive flag, patient link) stay plain
on the server so that it can merge them, and so do a published purge and a discarded
held reply; each carries a MAC made by the workstation that wrote it. Up to step 11
that MAC was made under the clinic's HMAC key, which is never renewed: the revoked
computer, with another workstation's stolen login, could still set a status, an
assignee, a priority or the sensitive flag (or purge a conversation, or mark a reply
as discarded) on every workstation. Now the MAC is made under a key derived from the
newest seal key version (`seal.field_mac`), written `k<version>:<hex>`, and:

- `workflow_mac_version(mac)`: the version a MAC names; one without the prefix (made
  under the HMAC key, before this step) counts as version 1.
- `refuse_retired_mac()`: a trigger on every column that receives such a MAC
  (conversation_field, conversation_purge, message_discard). A new MAC whose version
  is below the floor (`seal_key_floor()`, step 11) is refused with the same SQLSTATE
  as a retired seal (CI003), the login in the server's log. A MAC already there is
  left alone (an UPDATE that keeps it is not judged), so old rows stay as they are.

A workstation's queued changes hold plain values and are MACed when sent, under the
newest version held then: a change made offline before a revocation goes out under
the new key. The server cannot check the MAC itself (it holds no key): a made-up MAC
that names the newest version is taken here and refused by every workstation that
pulls it, like a made-up sealed value.

Kept apart, with no imports; runs again harmlessly.
"""

# (table, column) of every MAC of a plain value a workstation writes to the server (the
# trigger reads the column as `mac`)
MAC_COLUMNS = (
    ("conversation_field", "mac"),
    ("conversation_purge", "mac"),
    ("message_discard", "mac"),
)

_TRIGGERS = "\n".join(
    f"""    IF to_regclass('{table}') IS NOT NULL THEN
        DROP TRIGGER IF EXISTS {table}_mac_current ON {table};
        CREATE TRIGGER {table}_mac_current BEFORE INSERT OR UPDATE OF {column} ON {table}
            FOR EACH ROW EXECUTE FUNCTION refuse_retired_mac();
    END IF;"""
    for table, column in MAC_COLUMNS
)

DDL = (
    """
CREATE OR REPLACE FUNCTION workflow_mac_version(p_mac text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(substring(p_mac FROM '^k([0-9]{1,3}):')::integer, 1)
$$;

-- Every guarded column is named `mac`: read as NEW.mac, with no dynamic SQL (this
-- runs at every workflow write).
CREATE OR REPLACE FUNCTION refuse_retired_mac() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    k integer;
    f integer;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.mac IS NOT DISTINCT FROM OLD.mac THEN
        RETURN NEW;  -- a MAC already there is not judged again
    END IF;
    k := workflow_mac_version(NEW.mac);
    IF k >= (SELECT coalesce(max(key_id), 1) FROM seal_key_version) THEN
        RETURN NEW;  -- the newest: the usual case
    END IF;
    f := seal_key_floor();
    IF k < f THEN
        RAISE EXCEPTION 'a workflow value MACed under retired seal key % was refused', k
            USING ERRCODE = 'CI003',
                  DETAIL = format('%s.mac from login %s; the oldest key accepted is %s',
                                  TG_TABLE_NAME, session_user, f);
    END IF;
    RETURN NEW;
END $$;

DO $$
BEGIN
"""
    + _TRIGGERS
    + """
END $$;
"""
)

GRANTS = """
REVOKE ALL ON FUNCTION refuse_retired_mac() FROM PUBLIC;
"""
