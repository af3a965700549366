"""The shared server's schema step 13: a turned-off account changes nothing on the server.

Up to step 12 only staff operations (apply_access_op, apply_access_edit) checked that
their author's account was on. A workstation that had not yet heard that Nurse Chen's
account was turned off (or was offline with her signed in) still pushed her status
change, assignment, priority, sensitive flag, patient link, note or edit of a
patient's record, and the server applied it on every workstation.

Now a trigger on every table a person's change writes with its author
(AUTHOR_COLUMNS) refuses a row whose author is a staff member the server knows and
holds turned off (`staff_member.active` false), with SQLSTATE 42501 and a message
that says so: the workstation takes the change off its queue and shows a card in
plain words (refusals.py). So every path is covered at once: apply_op and
apply_status_op (through apply_op), a first patient link (an INSERT), a note, an edit
of a patient's record (apply_patient_op).

What is not refused:
- an author the server does not know as staff ('system': an automatic change, the
  server's reopen on a patient's new message; or someone not shared yet);
- a publication (`publish_conversation` inserts the four first values with the
  publishing actor as author): ingest must never stop over who was signed in;
- an UPDATE that leaves value, version and author as they were (a count of the
  patient's messages seen, kept beside the status): it is not a change. A value
  equal to the server's is not written at all (apply_op), so it is not refused;
- anything once the account is turned on again: the check reads the current state.

A refused change leaves no receipt: the transaction is rolled back as a whole.

Deciding on a workstation (DECIDERS, run after schema.GRANTS, which first made these
functions): up to step 12 `approve_workstation` and `revoke_workstation` checked
nothing about who decided, and kept their user name in plain. An administrator whose
account was turned off or demoted on another workstation could still approve a new
computer, which is handed the clinic's keys, from a workstation that had not heard. Now
- an approval is refused (42501) unless its author is a staff member the server holds
  active and an administrator, by keyed reference; except on a server whose staff have
  not been published yet (no `staff_member` at all: the setup flow, where the first
  workstation enrols the next before anyone pushed; apply_access_op likewise lets the
  very first operation on an empty server through);
- a revocation is refused when its author is a staff member the server knows and holds
  turned off or not an administrator, but not when the server does not know the author
  (see `refuse_workstation_decider`);
- `decided_by` holds the author's keyed reference (staff_member.id), as every other
  author column does; rows decided before keep the user name they had.

Kept apart, with no imports; runs again harmlessly.
"""

# (table, column naming the author) of every row a person's change writes
AUTHOR_COLUMNS = (
    ("conversation_field", "changed_by"),
    ("note", "author"),
    ("patient_field", "changed_by"),
)

# the fields `publish_conversation` inserts (a patient link's row is inserted by its
# first link, through apply_op: that one is a person's change and is judged)
PUBLISHED_FIELDS = ("status", "assignee", "priority", "sensitive")


def _trigger(table: str, column: str) -> str:
    # an UPDATE fires it only when what makes a change moves (a note is never updated)
    watched = column if table == "note" else f"v, value, {column}"
    return f"""DROP TRIGGER IF EXISTS {table}_author_on ON {table};
CREATE TRIGGER {table}_author_on BEFORE INSERT OR UPDATE OF {watched} ON {table}
    FOR EACH ROW EXECUTE FUNCTION refuse_turned_off_author();"""


_PUBLISHED = ", ".join(f"'{f}'" for f in PUBLISHED_FIELDS)

DDL = (
    """
-- Each branch reads only its own table's columns (PL/pgSQL plans an expression when it
-- first runs it, per table), with no dynamic SQL: this runs at every workflow write.
CREATE OR REPLACE FUNCTION refuse_turned_off_author() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    who text;
BEGIN
    IF TG_TABLE_NAME = 'note' THEN
        who := NEW.author;
    ELSE
        IF TG_OP = 'UPDATE' AND NEW.v IS NOT DISTINCT FROM OLD.v
           AND NEW.value IS NOT DISTINCT FROM OLD.value
           AND NEW.changed_by IS NOT DISTINCT FROM OLD.changed_by THEN
            RETURN NEW;  -- nothing changed that a person made
        END IF;
        IF TG_TABLE_NAME = 'conversation_field' AND TG_OP = 'INSERT'
           AND NEW.field IN ("""
    + _PUBLISHED
    + """) THEN
            RETURN NEW;  -- a publication: ingest never stops over who was signed in
        END IF;
        who := NEW.changed_by;
    END IF;
    IF EXISTS (SELECT 1 FROM staff_member WHERE id = who AND NOT active) THEN
        RAISE EXCEPTION 'staff account % is turned off', who
            USING ERRCODE = '42501',
                  DETAIL = format('%s.%s from login %s', TG_TABLE_NAME, TG_OP, session_user);
    END IF;
    RETURN NEW;
END $$;

"""
    + "\n".join(_trigger(t, c) for t, c in AUTHOR_COLUMNS)
    + "\n"
)

# Replaced, not created: schema.GRANTS made them (so on a new server too these run after
# it). The same signatures, so the workstation role's EXECUTE right stays.
DECIDERS = """
-- Who may decide on a workstation. A revocation (p_approval false) is not refused for an
-- author the server does not know: revoking a lost or stolen computer must never wait on
-- a staff list, and an author the server does not know is someone not published yet (an
-- administrator added on the revoking workstation since its last exchange); the
-- workstation checked that they are an administrator there. An author the server knows
-- and holds turned off or not an administrator is the clinic's own decision, which every
-- workstation will hear: that one is refused (another administrator revokes), so that an
-- account taken away cannot cut the clinic's computers off from a workstation that had
-- not heard. An approval hands over the clinic's keys: only an administrator the server
-- knows and holds active may approve.
CREATE OR REPLACE FUNCTION refuse_workstation_decider(p_by text, p_approval boolean)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    author staff_member%ROWTYPE;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM staff_member) THEN
        RETURN;  -- the clinic's staff are not on the server yet (its setup)
    END IF;
    -- held until commit: an account turned off meanwhile waits for this decision, or
    -- (committed first) is read here
    SELECT * INTO author FROM staff_member WHERE id = p_by FOR SHARE;
    IF NOT FOUND THEN
        IF p_approval THEN
            RAISE EXCEPTION 'staff account % is not an administrator the server knows', p_by
                USING ERRCODE = '42501';
        END IF;
        RETURN;
    END IF;
    IF NOT author.active THEN
        RAISE EXCEPTION 'staff account % is turned off', p_by USING ERRCODE = '42501';
    END IF;
    IF author.role <> 'admin' THEN
        RAISE EXCEPTION 'staff account % is not an administrator', p_by USING ERRCODE = '42501';
    END IF;
END $$;

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
        decided_by = p_by WHERE id = p_ws;
    RETURN true;
END $$;

-- checked first: a revocation refused renews no key either (the workstation's
-- rotate_seal_key runs after it, in the same transaction)
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
    UPDATE workstation SET state = 'revoked', decided_at = now(), decided_by = p_by
    WHERE id = p_ws;
    DELETE FROM key_wrap WHERE kind = 'workstation' AND target = p_ws::text;
    RETURN true;
END $$;

REVOKE ALL ON FUNCTION refuse_workstation_decider(text, boolean) FROM PUBLIC;
"""

GRANTS = (
    """
REVOKE ALL ON FUNCTION refuse_turned_off_author() FROM PUBLIC;
"""
    + DECIDERS
)
