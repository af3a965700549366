"""The shared server's schema step 5: edits of a patient's record, field by field.

Each field of a patient (family name, given name, birth date, chart number, physician,
e-mail addresses) has a version and a sealed value (the server never reads it; the seal
is bound to the patient, the field and the operation). `apply_patient_op` is the
compare-and-set: first to the server wins, the other workstation gets a receipt that
names the value kept and who kept it. Kept apart, with no imports, as purge_schema.py;
written to run again harmlessly (an upgrade may meet part of it)."""

DDL = """
ALTER TABLE change_log DROP CONSTRAINT IF EXISTS change_log_kind_check;
ALTER TABLE change_log ADD CONSTRAINT change_log_kind_check
    CHECK (kind IN ('conversation', 'message', 'field', 'note', 'purge', 'patient',
                    'patient_field'));

CREATE TABLE IF NOT EXISTS patient_field (
    patient    uuid NOT NULL REFERENCES patient(id),
    field      text NOT NULL CHECK (field IN ('family_name', 'given_name', 'birth_date',
                                              'chart_number', 'physician', 'emails')),
    v          integer NOT NULL,
    value      bytea NOT NULL,  -- sealed
    op         uuid NOT NULL,
    changed_ws uuid NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (patient, field)
);

CREATE TABLE IF NOT EXISTS patient_op_receipt (
    op_id        uuid PRIMARY KEY,
    ws           uuid NOT NULL,
    patient      uuid NOT NULL,
    field        text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('applied', 'conflict')),
    seq          bigint,
    server_v     integer NOT NULL,
    server_value bytea,
    server_op    uuid,
    server_by    text,
    server_at    timestamptz
);

-- A change-log row of kind 'patient_field' names the patient in `conv`, the field in `ref`.
CREATE OR REPLACE FUNCTION apply_patient_op(
    p_op uuid, p_ws uuid, p_patient uuid, p_field text, p_base_v integer, p_value bytea,
    p_by text
) RETURNS SETOF patient_op_receipt
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    cur patient_field%ROWTYPE;
    r patient_op_receipt%ROWTYPE;
    s bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_op::text, 0));
    SELECT * INTO r FROM patient_op_receipt WHERE op_id = p_op;
    IF FOUND THEN  -- a replay: the first receipt, unchanged
        RETURN NEXT r;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM patient WHERE id = p_patient) THEN
        RAISE EXCEPTION 'unknown patient %', p_patient USING ERRCODE = 'P0002';
    END IF;
    -- the row may not exist yet: two first edits of one field wait for each other here
    PERFORM pg_advisory_xact_lock(hashtextextended(p_patient::text || '|' || p_field, 0));
    SELECT * INTO cur FROM patient_field WHERE patient = p_patient AND field = p_field
    FOR UPDATE;
    IF NOT FOUND THEN
        cur.v := 0;
    END IF;
    IF cur.v <> p_base_v THEN
        INSERT INTO patient_op_receipt (op_id, ws, patient, field, outcome, seq, server_v,
                                        server_value, server_op, server_by, server_at)
        VALUES (p_op, p_ws, p_patient, p_field, 'conflict', NULL, cur.v, cur.value, cur.op,
                cur.changed_by, cur.changed_at)
        RETURNING * INTO r;
        RETURN NEXT r;
        RETURN;
    END IF;
    IF cur.v = 0 THEN
        INSERT INTO patient_field (patient, field, v, value, op, changed_ws, changed_by)
        VALUES (p_patient, p_field, 1, p_value, p_op, p_ws, p_by)
        RETURNING * INTO cur;
    ELSE
        UPDATE patient_field
        SET v = v + 1, value = p_value, op = p_op, changed_ws = p_ws, changed_by = p_by,
            changed_at = clock_timestamp()
        WHERE patient = p_patient AND field = p_field
        RETURNING * INTO cur;
    END IF;
    s := next_change('patient_field', p_patient, p_field, p_ws);
    INSERT INTO patient_op_receipt (op_id, ws, patient, field, outcome, seq, server_v,
                                    server_value, server_op, server_by, server_at)
    VALUES (p_op, p_ws, p_patient, p_field, 'applied', s, cur.v, cur.value, cur.op,
            cur.changed_by, cur.changed_at)
    RETURNING * INTO r;
    RETURN NEXT r;
END $$;
"""

GRANTS = """
REVOKE ALL ON patient_field, patient_op_receipt FROM PUBLIC;
REVOKE ALL ON FUNCTION apply_patient_op(uuid, uuid, uuid, text, integer, bytea, text) FROM PUBLIC;
GRANT SELECT ON patient_field TO @ROLE@;
GRANT EXECUTE ON FUNCTION apply_patient_op(uuid, uuid, uuid, text, integer, bytea, text)
    TO @ROLE@;
"""
