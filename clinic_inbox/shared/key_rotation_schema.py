"""The shared server's schema step 10: seal key versions after a revocation (key_rotation.py).

- `seal_key_version`: each seal key version after the first (whose check is
  server_info.clinic_check), with its keyed check value and the revocation that made it;
- `seal_key_holder`: who receives new versions: each workstation's X25519 public key,
  and the clinic code's (`recovery`), with a keyed MAC made by a holder of the clinic
  keys (the server cannot add a holder of its own) and the login that registered it;
- `seal_key_wrap`: a version sealed to one holder's public key. Never a key in plain.

`rotate_seal_key` runs in the revoking transaction, after `revoke_workstation`: the
revoked workstation's holder rows (by id, and any its login registered) go, the new
version and its wraps come, all or nothing. `add_seal_key_wraps` lets any holder of a
version wrap it for a holder that registered later (idempotent). Kept apart, with no
imports; runs again harmlessly.
"""

DDL = """
CREATE TABLE IF NOT EXISTS seal_key_version (
    key_id     integer PRIMARY KEY CHECK (key_id BETWEEN 2 AND 255),
    key_check  text NOT NULL,
    revoked_ws uuid,
    created_ws uuid NOT NULL,
    created_by text NOT NULL,  -- the administrator's keyed reference (a user name before)
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS seal_key_holder (
    holder        text PRIMARY KEY,
    public_key    bytea NOT NULL CHECK (length(public_key) = 32),
    mac           text NOT NULL,
    login         text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS seal_key_wrap (
    key_id     integer NOT NULL REFERENCES seal_key_version(key_id),
    holder     text NOT NULL,
    blob       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (key_id, holder)
);

-- A workstation registers (or replaces) its own public key; the clinic code's is set
-- once and never replaced. A revoked workstation's login cannot register.
CREATE OR REPLACE FUNCTION register_seal_holder(p_holder text, p_key bytea, p_mac text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    old bytea;
BEGIN
    IF length(p_key) <> 32 THEN
        RAISE EXCEPTION 'bad holder key' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM workstation WHERE state = 'revoked'
               AND (login = session_user OR id::text = p_holder)) THEN
        RAISE EXCEPTION 'a revoked workstation receives no keys' USING ERRCODE = '42501';
    END IF;
    IF p_holder = 'recovery' THEN
        INSERT INTO seal_key_holder (holder, public_key, mac, login)
        VALUES (p_holder, p_key, p_mac, session_user) ON CONFLICT DO NOTHING;
        RETURN FOUND;
    END IF;
    PERFORM p_holder::uuid;  -- a workstation id, nothing else
    SELECT public_key INTO old FROM seal_key_holder WHERE holder = p_holder FOR UPDATE;
    IF FOUND AND old = p_key THEN
        RETURN false;
    END IF;
    INSERT INTO seal_key_holder AS h (holder, public_key, mac, login)
    VALUES (p_holder, p_key, p_mac, session_user)
    ON CONFLICT (holder) DO UPDATE SET public_key = excluded.public_key, mac = excluded.mac,
        registered_at = clock_timestamp()
    WHERE h.login = session_user;  -- another login's workstation is not taken over
    IF NOT FOUND THEN
        RAISE EXCEPTION 'holder registered by another login' USING ERRCODE = '42501';
    END IF;
    DELETE FROM seal_key_wrap WHERE holder = p_holder;  -- sealed to the key it replaced
    PERFORM pg_notify('clinic_changes', '0');  -- wakes a holder to seal it the versions
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION rotate_seal_key(
    p_revoked uuid, p_ws uuid, p_by text, p_key_id integer, p_check text,
    p_holders text[], p_blobs text[]
) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    l text;
    newest integer;
    n integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('clinic-inbox seal key rotation', 0));
    SELECT login INTO l FROM workstation WHERE id = p_revoked AND state = 'revoked';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'rotation without a revocation' USING ERRCODE = '22023';
    END IF;
    SELECT coalesce(max(key_id), 1) INTO newest FROM seal_key_version;
    IF p_key_id <> newest + 1 THEN
        RAISE EXCEPTION 'seal key rotated meanwhile' USING ERRCODE = 'CI002';
    END IF;
    DELETE FROM seal_key_holder
    WHERE holder = p_revoked::text OR (l IS NOT NULL AND login = l AND holder <> 'recovery');
    INSERT INTO seal_key_version (key_id, key_check, revoked_ws, created_ws, created_by)
    VALUES (p_key_id, p_check, p_revoked, p_ws, p_by);
    INSERT INTO seal_key_wrap (key_id, holder, blob)
    SELECT p_key_id, u.holder, u.blob FROM unnest(p_holders, p_blobs) AS u (holder, blob)
    WHERE u.holder IN (SELECT holder FROM seal_key_holder);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM pg_notify('clinic_changes', '0');  -- wakes the others to fetch it
    RETURN n;
END $$;

CREATE OR REPLACE FUNCTION add_seal_key_wraps(p_key_id integer, p_holders text[], p_blobs text[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO seal_key_wrap (key_id, holder, blob)
    SELECT p_key_id, u.holder, u.blob FROM unnest(p_holders, p_blobs) AS u (holder, blob)
    WHERE u.holder IN (SELECT holder FROM seal_key_holder)
      AND EXISTS (SELECT 1 FROM seal_key_version WHERE key_id = p_key_id)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- The clinic code's private key, sealed under the code, for a server prepared before
-- this step (init writes it itself). Set once.
CREATE OR REPLACE FUNCTION set_recovery_key(p_blob text, p_key bytea, p_mac text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    INSERT INTO key_wrap (kind, target, blob) VALUES ('recovery-key', 'clinic', p_blob)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    RETURN register_seal_holder('recovery', p_key, p_mac);
END $$;
"""

GRANTS = """
REVOKE ALL ON seal_key_version, seal_key_holder, seal_key_wrap FROM PUBLIC;
REVOKE ALL ON FUNCTION register_seal_holder(text, bytea, text),
    rotate_seal_key(uuid, uuid, text, integer, text, text[], text[]),
    add_seal_key_wraps(integer, text[], text[]), set_recovery_key(text, bytea, text) FROM PUBLIC;
GRANT SELECT ON seal_key_version, seal_key_holder, seal_key_wrap TO @ROLE@;
GRANT EXECUTE ON FUNCTION register_seal_holder(text, bytea, text),
    rotate_seal_key(uuid, uuid, text, integer, text, text[], text[]),
    add_seal_key_wraps(integer, text[], text[]), set_recovery_key(text, bytea, text) TO @ROLE@;
"""
