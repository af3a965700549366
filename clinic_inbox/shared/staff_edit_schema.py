"""The shared server's schema step 8: a staff member's display name and a delegation's
scope, changed after the fact, as access operations of their own.

`apply_access_edit` takes the two new kinds into the same `access_op` log (so they are
pulled, replayed and answered like the others):
  - `staff.name`: an active administrator's; compare-and-set on `staff_member.name_v`
    (first to the server wins, the other gets a conflict receipt). The name itself
    travels sealed; the server sees only that it changed.
  - `delegation.edit`: an active administrator's or the delegation's own physician's;
    compare-and-set on `delegation.terms_v`; a revoked delegation is never edited back
    into force (revoked wins: a conflict receipt).
Kept apart, with no imports, as staff_schema.py; runs again harmlessly.
"""

DDL = """
ALTER TABLE staff_member ADD COLUMN IF NOT EXISTS name_v integer NOT NULL DEFAULT 0;
ALTER TABLE delegation ADD COLUMN IF NOT EXISTS terms_v integer NOT NULL DEFAULT 0;
ALTER TABLE access_op DROP CONSTRAINT IF EXISTS access_op_kind_check;
ALTER TABLE access_op ADD CONSTRAINT access_op_kind_check
    CHECK (kind IN ('staff.add', 'staff.role', 'staff.disable', 'staff.enable',
                    'staff.password', 'delegation.add', 'delegation.revoke',
                    'staff.name', 'delegation.edit'));

CREATE OR REPLACE FUNCTION apply_access_edit(
    p_op uuid, p_ws uuid, p_kind text, p_target text, p_base_v integer, p_terms jsonb,
    p_by text, p_sealed bytea
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
    PERFORM pg_advisory_xact_lock(hashtextextended('clinic access', 0));
    SELECT * INTO author FROM staff_member WHERE id = p_by;
    is_active := coalesce(author.active, false);
    is_admin := is_active AND coalesce(author.role = 'admin', false);
    IF p_kind = 'staff.name' THEN
        SELECT * INTO cur FROM staff_member WHERE id = p_target FOR UPDATE;
        IF NOT is_admin THEN
            outcome := 'refused';
        ELSIF cur.id IS NULL THEN
            outcome := 'conflict';  -- not on the server (yet)
        ELSIF cur.name_v <> p_base_v THEN
            outcome := 'conflict';
            newv := cur.name_v;
        ELSE
            UPDATE staff_member SET name_v = name_v + 1, changed_by = p_by,
                   changed_at = clock_timestamp()
            WHERE id = p_target RETURNING * INTO cur;
            newv := cur.name_v;
        END IF;
    ELSIF p_kind = 'delegation.edit' THEN
        SELECT * INTO d FROM delegation WHERE id = p_target::uuid FOR UPDATE;
        IF d.id IS NULL THEN
            outcome := 'conflict';
        ELSIF NOT (is_admin OR (is_active AND p_by = d.physician)) THEN
            outcome := 'refused';
        ELSIF d.revoked_at IS NOT NULL THEN
            outcome := 'conflict';  -- revoked wins over any edit
            newv := d.terms_v;
        ELSIF d.terms_v <> p_base_v THEN
            outcome := 'conflict';
            newv := d.terms_v;
        ELSIF p_terms->>'physician' IS DISTINCT FROM d.physician
              OR p_terms->>'delegate' IS DISTINCT FROM d.delegate THEN
            outcome := 'refused';  -- an edit changes the scope, never the people
        ELSE
            UPDATE delegation SET terms = p_terms, terms_v = terms_v + 1
            WHERE id = d.id RETURNING * INTO d;
            newv := d.terms_v;
        END IF;
    ELSE
        RAISE EXCEPTION 'unknown access edit %', p_kind USING ERRCODE = '22023';
    END IF;
    IF outcome = 'applied' THEN
        s := next_change('access', p_op, p_op::text, p_ws);
    END IF;
    INSERT INTO access_op (op_id, ws, kind, target, base_v, role, terms, by_ref, sealed,
                           outcome, seq, v, server_role, server_active, server_by, server_at)
    VALUES (p_op, p_ws, p_kind, p_target, p_base_v, NULL, p_terms, p_by, p_sealed,
            outcome, s, newv, cur.role, cur.active, cur.changed_by, cur.changed_at)
    RETURNING * INTO r;
    RETURN NEXT r;
END $$;
"""

GRANTS = """
REVOKE ALL ON FUNCTION apply_access_edit(uuid, uuid, text, text, integer, jsonb, text, bytea)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_access_edit(uuid, uuid, text, text, integer, jsonb, text,
    bytea) TO @ROLE@;
"""
