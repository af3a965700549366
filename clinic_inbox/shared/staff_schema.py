"""The shared server's schema step 6: staff accounts and delegations, shared as operations.

`access_op` is the log of every staff or delegation operation a workstation sent, with
its outcome (applied, conflict, refused): the receipt a replay gets back, and what
other workstations replay in change-log order. Its plain columns are what the server
must compare (the staff member's keyed reference, the role, the on/off state, the
delegation's people, categories, flags and dates); everything else (user name, display
name, password hash) and a copy of the plain columns travel in `sealed`, bound to the
operation, so a workstation opening it sees any change made on the server.

`staff_member` and `delegation` hold the current state the rules are checked against:
  - only an active administrator's operations are applied (a delegation also by its own
    physician, a password also by its owner); the very first, on an empty server, is an administrator adding
    themselves (the first workstation publishing its staff);
  - a role change, an enable and a password change are compare-and-set on their own
    version: first to the server wins, the other gets a conflict receipt;
  - a disable and a revocation always apply (monotone: off wins over a concurrent change).
Kept apart, with no imports, as patient_edit_schema.py; runs again harmlessly.
"""

DDL = """
ALTER TABLE change_log DROP CONSTRAINT IF EXISTS change_log_kind_check;
ALTER TABLE change_log ADD CONSTRAINT change_log_kind_check
    CHECK (kind IN ('conversation', 'message', 'field', 'note', 'purge', 'patient',
                    'patient_field', 'access'));

CREATE TABLE IF NOT EXISTS staff_member (
    id       text PRIMARY KEY,  -- keyed reference of the user name
    role     text NOT NULL CHECK (role IN ('receptionist', 'nurse', 'physician', 'admin')),
    role_v   integer NOT NULL,
    active   boolean NOT NULL,
    active_v integer NOT NULL,
    secret_v integer NOT NULL,
    changed_by text,  -- who made its last change, and when (named on the loser's card)
    changed_at timestamptz
);

CREATE TABLE IF NOT EXISTS delegation (
    id         uuid PRIMARY KEY,
    physician  text NOT NULL REFERENCES staff_member(id),
    delegate   text NOT NULL REFERENCES staff_member(id),
    terms      jsonb NOT NULL,  -- categories, flags, dates: no patient data
    created_by text NOT NULL,
    revoked_at timestamptz,
    revoked_by text
);

CREATE TABLE IF NOT EXISTS access_op (
    op_id      uuid PRIMARY KEY,
    ws         uuid NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('staff.add', 'staff.role', 'staff.disable',
                                             'staff.enable', 'staff.password',
                                             'delegation.add', 'delegation.revoke')),
    target     text NOT NULL,  -- the staff reference, or the delegation's id
    base_v     integer NOT NULL,
    role       text,
    terms      jsonb,
    by_ref     text NOT NULL,
    sealed     bytea NOT NULL,
    outcome    text NOT NULL CHECK (outcome IN ('applied', 'conflict', 'refused')),
    seq        bigint,
    v          integer,        -- the field's version after it (or the server's, on a conflict)
    server_role   text,        -- on a conflict or refusal: what stands on the server
    server_active boolean,
    server_by     text,
    server_at     timestamptz,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS access_op_target ON access_op (target, seq);

CREATE OR REPLACE FUNCTION apply_access_op(
    p_op uuid, p_ws uuid, p_kind text, p_target text, p_base_v integer, p_role text,
    p_terms jsonb, p_by text, p_sealed bytea
) RETURNS SETOF access_op
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    r access_op%ROWTYPE;
    cur staff_member%ROWTYPE;
    d delegation%ROWTYPE;
    author staff_member%ROWTYPE;
    is_admin boolean;
    is_active boolean;
    outcome text := 'applied';
    newv integer;
    s bigint := NULL;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_op::text, 0));
    SELECT * INTO r FROM access_op WHERE op_id = p_op;
    IF FOUND THEN  -- a replay: the first receipt, unchanged
        RETURN NEXT r;
        RETURN;
    END IF;
    -- one access operation at a time: "who is an administrator" holds for the whole op
    PERFORM pg_advisory_xact_lock(hashtextextended('clinic access', 0));
    SELECT * INTO author FROM staff_member WHERE id = p_by;
    -- an unknown author is a row of NULLs: spelled out, so that NULL never passes a check
    is_active := coalesce(author.active, false);
    is_admin := is_active AND coalesce(author.role = 'admin', false);
    IF p_kind LIKE 'staff.%' THEN
        SELECT * INTO cur FROM staff_member WHERE id = p_target FOR UPDATE;
        IF is_admin THEN
            NULL;
        ELSIF p_kind = 'staff.add' AND p_by = p_target AND p_role = 'admin'
              AND NOT EXISTS (SELECT 1 FROM staff_member) THEN
            NULL;  -- the first operation of all: the first administrator adds themselves
        ELSIF p_kind = 'staff.password' AND p_by = p_target AND is_active THEN
            NULL;  -- one's own password
        ELSE
            outcome := 'refused';
        END IF;
        IF outcome = 'applied' THEN
            IF p_kind = 'staff.add' THEN
                IF cur.id IS NOT NULL THEN
                    outcome := 'conflict';  -- that user name is the clinic's already
                ELSE
                    INSERT INTO staff_member (id, role, role_v, active, active_v, secret_v)
                    VALUES (p_target, p_role, 1, true, 1, 1) RETURNING * INTO cur;
                    newv := 1;
                END IF;
            ELSIF cur.id IS NULL THEN
                outcome := 'conflict';  -- not on the server (yet): nothing to change
            ELSIF p_kind = 'staff.disable' THEN  -- monotone: always applies
                UPDATE staff_member SET active = false, active_v = active_v + 1
                WHERE id = p_target RETURNING * INTO cur;
                newv := cur.active_v;
            ELSIF p_kind = 'staff.enable' THEN
                IF cur.active_v <> p_base_v THEN
                    outcome := 'conflict';
                    newv := cur.active_v;
                ELSE
                    UPDATE staff_member SET active = true, active_v = active_v + 1
                    WHERE id = p_target RETURNING * INTO cur;
                    newv := cur.active_v;
                END IF;
            ELSIF p_kind = 'staff.role' THEN
                IF cur.role_v <> p_base_v THEN
                    outcome := 'conflict';
                    newv := cur.role_v;
                ELSE
                    UPDATE staff_member SET role = p_role, role_v = role_v + 1
                    WHERE id = p_target RETURNING * INTO cur;
                    newv := cur.role_v;
                END IF;
            ELSIF p_kind = 'staff.password' THEN
                IF cur.secret_v <> p_base_v THEN
                    outcome := 'conflict';
                    newv := cur.secret_v;
                ELSE
                    UPDATE staff_member SET secret_v = secret_v + 1
                    WHERE id = p_target RETURNING * INTO cur;
                    newv := cur.secret_v;
                END IF;
            END IF;
        END IF;
    ELSIF p_kind = 'delegation.add' THEN
        IF NOT (is_admin OR (is_active AND p_by = coalesce(p_terms->>'physician', '')
                             AND coalesce(author.role = 'physician', false))) THEN
            outcome := 'refused';
        ELSIF NOT EXISTS (SELECT 1 FROM staff_member WHERE id = p_terms->>'physician')
              OR NOT EXISTS (SELECT 1 FROM staff_member WHERE id = p_terms->>'delegate') THEN
            outcome := 'conflict';  -- one of the two is not on the server (yet)
        ELSE
            INSERT INTO delegation (id, physician, delegate, terms, created_by)
            VALUES (p_target::uuid, p_terms->>'physician', p_terms->>'delegate', p_terms, p_by)
            ON CONFLICT (id) DO NOTHING;
            newv := 1;
        END IF;
    ELSIF p_kind = 'delegation.revoke' THEN
        SELECT * INTO d FROM delegation WHERE id = p_target::uuid FOR UPDATE;
        IF d.id IS NULL THEN
            outcome := 'conflict';
        ELSIF NOT (is_admin OR (is_active AND p_by = d.physician)) THEN
            outcome := 'refused';
        ELSIF d.revoked_at IS NULL THEN  -- monotone: once revoked, revoked
            UPDATE delegation SET revoked_at = clock_timestamp(), revoked_by = p_by
            WHERE id = d.id;
            newv := 1;
        ELSE
            newv := 1;
            outcome := 'applied';
        END IF;
    ELSE
        RAISE EXCEPTION 'unknown access operation %', p_kind USING ERRCODE = '22023';
    END IF;
    IF outcome = 'applied' THEN
        s := next_change('access', p_op, p_op::text, p_ws);
        IF p_kind LIKE 'staff.%' THEN
            UPDATE staff_member SET changed_by = p_by, changed_at = clock_timestamp()
            WHERE id = p_target RETURNING * INTO cur;
        END IF;
    END IF;
    INSERT INTO access_op (op_id, ws, kind, target, base_v, role, terms, by_ref, sealed,
                           outcome, seq, v, server_role, server_active, server_by, server_at)
    VALUES (p_op, p_ws, p_kind, p_target, p_base_v, p_role, p_terms, p_by, p_sealed,
            outcome, s, newv, cur.role, cur.active, cur.changed_by, cur.changed_at)
    RETURNING * INTO r;
    RETURN NEXT r;
END $$;
"""

GRANTS = """
REVOKE ALL ON staff_member, delegation, access_op FROM PUBLIC;
REVOKE ALL ON FUNCTION apply_access_op(uuid, uuid, text, text, integer, text, jsonb, text, bytea)
    FROM PUBLIC;
GRANT SELECT ON staff_member, delegation, access_op TO @ROLE@;
GRANT EXECUTE ON FUNCTION apply_access_op(uuid, uuid, text, text, integer, text, jsonb, text,
    bytea) TO @ROLE@;
"""
