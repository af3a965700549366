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

GRANTS = """
REVOKE ALL ON FUNCTION refuse_turned_off_author() FROM PUBLIC;
"""
