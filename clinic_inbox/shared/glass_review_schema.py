"""The shared server's schema step 15: break-glass openings marked reviewed, clinic-wide.

Up to step 14 whether an opening was reviewed was kept only on the computer where it
was made. Now a review is a mark on the server (glass_review_op.py sends and pulls them):

- `break_glass_review`: one row per mark, append-only (a trigger refuses UPDATE,
  DELETE and TRUNCATE to everyone, the owner too unless it first drops the trigger;
  workstation logins may only read it and call the function below). Plain: the mark's
  id, the opening as a keyed HMAC of the workstation it was made on and its number
  there, the reviewer's keyed reference (`staff_member.id`), the workstation it was
  marked on, when. Sealed: the same (who by user name and full name, which opening,
  when, where), so a plain column changed on the server is seen by every workstation.
  No patient, no conversation, no reason: those stay in the sealed audit trail.
- `mark_break_glass_reviewed(...)`: the workstation is the caller's, from its login
  (step 14's `caller_workstation`: a mark in another workstation's name is refused);
  the reviewer must be a physician or an administrator the server holds active (while
  the clinic's staff are not on the server yet, at setup, it is taken: the workstation
  checked; a reviewer the server does not know yet is answered with P0002, and the mark
  waits on its workstation until its staff change arrives); a replay of the same mark is a no-op; each new mark is a change-log row of
  kind `glass_review` (its id in `conv` and `ref`), which the others pull.
- A sealed value under a retired seal key is refused as everywhere (step 11's trigger).

The server cannot check that a physician reviews only their own patients' openings
(it knows no patient of an opening): the workstation checks that, from the clinic's
trail. Kept apart, with no imports; runs again harmlessly.
"""

KIND = "glass_review"

DDL = """
ALTER TABLE change_log DROP CONSTRAINT IF EXISTS change_log_kind_check;
ALTER TABLE change_log ADD CONSTRAINT change_log_kind_check
    CHECK (kind IN ('conversation', 'message', 'field', 'note', 'purge', 'patient',
                    'patient_field', 'access', 'discard', 'glass_review'));

CREATE TABLE IF NOT EXISTS break_glass_review (
    id          uuid PRIMARY KEY,
    opening     text NOT NULL,   -- keyed HMAC of (the opening's workstation, its number)
    reviewer    text NOT NULL,   -- the reviewer's keyed reference
    ws          uuid NOT NULL,   -- the workstation it was marked on (the caller's)
    reviewed_at timestamptz NOT NULL,
    sealed      bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS break_glass_review_opening ON break_glass_review (opening);

CREATE OR REPLACE FUNCTION break_glass_review_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'break-glass reviews are append-only' USING ERRCODE = '42501';
END $$;

DROP TRIGGER IF EXISTS break_glass_review_append_only ON break_glass_review;
CREATE TRIGGER break_glass_review_append_only BEFORE UPDATE OR DELETE ON break_glass_review
    FOR EACH ROW EXECUTE FUNCTION break_glass_review_refuse_change();
DROP TRIGGER IF EXISTS break_glass_review_no_truncate ON break_glass_review;
CREATE TRIGGER break_glass_review_no_truncate BEFORE TRUNCATE ON break_glass_review
    FOR EACH STATEMENT EXECUTE FUNCTION break_glass_review_refuse_change();

DO $$
BEGIN
    IF to_regproc('refuse_retired_seal') IS NOT NULL THEN
        DROP TRIGGER IF EXISTS break_glass_review_sealed_current ON break_glass_review;
        CREATE TRIGGER break_glass_review_sealed_current BEFORE INSERT ON break_glass_review
            FOR EACH ROW EXECUTE FUNCTION refuse_retired_seal('sealed');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION mark_break_glass_reviewed(
    p_id uuid, p_ws uuid, p_opening text, p_reviewer text, p_reviewed_at timestamptz,
    p_sealed bytea
) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
    who staff_member%ROWTYPE;
BEGIN
    me := caller_workstation(p_ws);
    -- two sends of one mark at once: the second waits here, then finds it
    PERFORM pg_advisory_xact_lock(hashtextextended(p_id::text, 0));
    IF EXISTS (SELECT 1 FROM break_glass_review WHERE id = p_id) THEN
        RETURN 'done';
    END IF;
    IF EXISTS (SELECT 1 FROM staff_member) THEN
        -- held until commit: an account turned off meanwhile waits, or is read here
        SELECT * INTO who FROM staff_member WHERE id = p_reviewer FOR SHARE;
        IF NOT FOUND THEN  -- added on its workstation, not on the server yet: it waits
            RAISE EXCEPTION 'staff account % is not on the server yet', p_reviewer
                USING ERRCODE = 'P0002';
        END IF;
        IF NOT who.active THEN
            RAISE EXCEPTION 'staff account % is turned off', p_reviewer USING ERRCODE = '42501';
        END IF;
        IF who.role NOT IN ('physician', 'admin') THEN
            RAISE EXCEPTION 'staff account % may not review break-glass openings', p_reviewer
                USING ERRCODE = '42501';
        END IF;
    END IF;
    INSERT INTO break_glass_review (id, opening, reviewer, ws, reviewed_at, sealed)
    VALUES (p_id, p_opening, p_reviewer, me, p_reviewed_at, p_sealed);
    PERFORM next_change('glass_review', p_id, p_id::text, me);
    RETURN 'done';
END $$;
"""

GRANTS = """
REVOKE ALL ON break_glass_review FROM PUBLIC;
REVOKE ALL ON FUNCTION break_glass_review_refuse_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION mark_break_glass_reviewed(uuid, uuid, text, text, timestamptz, bytea)
    FROM PUBLIC;
GRANT SELECT ON break_glass_review TO @ROLE@;
GRANT EXECUTE ON FUNCTION mark_break_glass_reviewed(uuid, uuid, text, text, timestamptz, bytea)
    TO @ROLE@;
"""
