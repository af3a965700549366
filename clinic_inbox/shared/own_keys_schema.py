"""The shared server's schema step 17: receiving keys, key renewals and the calls that
name no workstation are checked against the caller's login too.

Step 16 (own_name_all_schema) made every function that names a workstation work it out
from the login. Four gaps were left on trust; now:

- **A receiving key is registered for the caller's own workstation only**
  (`caller_may_register`). An enrolled workstation's login registers its own (as in
  step 16). A login no enrolled workstation has, other than the login that prepared
  the server (an administrator made it for a computer joined with the clinic code),
  registers **one** workstation: the first it registered is the one it speaks for,
  and any other name is refused as not its own. Before, such a login could register
  keys under made-up workstation ids, each of which was then sealed every renewed key.
  The clinic code's key (`recovery`) is registered by the login that prepared the
  server (at `server init`) or through `set_recovery_key` (below), not by any
  workstation's login. The login that prepared the server is the database's owner: it
  can write anything anyway, and it keeps registering for the first workstation and
  for whatever it is used by.
- **A renewed key is sealed only to holders that may receive it now**
  (`seal_key_wrap_eligible`, a trigger on `seal_key_wrap`): the clinic code's key, an
  approved workstation's registered by its own login, and a computer joined with the
  clinic code whose login is still allowed to log in (`seal_key_eligible`; an
  administrator who turns such a login off, `ALTER ROLE … NOLOGIN`, or drops it, takes
  that computer out of the next renewal). A wrap for anyone else is left out, by
  `rotate_seal_key`, `add_seal_key_wraps` and any insert alike (the count returned
  says how many were kept).
- **`add_seal_key_wraps`** (sealing versions to a holder that registered later, which
  names no workstation): only a login that itself receives keys may call it (one that
  registered an eligible key for its workstation, or the owner login); another is
  refused (42501) and nothing is kept.
- **`set_recovery_key`** (the clinic code's key, on a server prepared before step 10)
  now names the workstation and the administrator who adds it:
  `set_recovery_key(blob, key, mac, ws, by)`. The workstation is checked against the
  login (`caller_workstation`), and the administrator as for approving a workstation
  (`refuse_workstation_decider`: only an administrator the server holds active, or
  anyone while the clinic's staff are not on the server yet): whoever sets that key is
  sealed every later renewal. The old three-argument form is gone.
- **`audit_keep_store_anchor`** (a store's own audit anchor) names the workstation
  that keeps it: `audit_keep_store_anchor(store, place, epoch, count, record, ws)`,
  checked against the login, and recorded (`audit_store_anchor.ws`). A store's
  anchors are kept by one workstation: another's anchor for it is refused (42501),
  unless the one that kept them was revoked (a computer enrolled again keeps its
  store). Anchors kept before this step name no workstation and bind none.

A refused call records nothing. Still on trust: the owner login; computers that share
one login (keys registered under one login before this step still count); what a wrap
holds (the server cannot open it: the workstation that receives it checks it). Kept
apart, with no imports; runs again harmlessly.
"""

DDL = """
-- Whether the calling login is the one that prepared the server (the database's
-- owner, here the definer of every function) or a superuser: it can write anything.
CREATE OR REPLACE FUNCTION caller_is_owner() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
    SELECT session_user = current_user
        OR coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
$$;

-- Step 16's rule, and: the clinic code's key only by the owner login (set_recovery_key
-- checks the administrator itself); a login no enrolled workstation has, other than
-- the owner's, registers one workstation only.
CREATE OR REPLACE FUNCTION caller_may_register(p_holder text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    own uuid;
    other text;
BEGIN
    IF p_holder = 'recovery' THEN
        IF caller_is_owner() THEN
            RETURN;
        END IF;
        RAISE EXCEPTION 'login % may not register the clinic code''s key', session_user
            USING ERRCODE = '42501';
    END IF;
    SELECT id INTO own FROM workstation WHERE login = session_user AND state = 'approved';
    IF FOUND THEN
        IF own::text IS DISTINCT FROM p_holder THEN
            RAISE EXCEPTION 'login % is the login of workstation %, not of %',
                session_user, own, p_holder USING ERRCODE = '42501';
        END IF;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workstation WHERE login = session_user)
       AND NOT EXISTS (SELECT 1 FROM workstation WHERE id::text = p_holder
                       AND login IS NOT NULL) THEN
        IF caller_is_owner() THEN
            RETURN;
        END IF;
        SELECT holder INTO other FROM seal_key_holder
        WHERE login = session_user AND holder <> 'recovery' AND holder <> p_holder
        ORDER BY registered_at LIMIT 1;
        IF NOT FOUND THEN
            RETURN;  -- its first: the workstation this login speaks for
        END IF;
        RAISE EXCEPTION 'login % is the login of workstation %, not of %',
            session_user, other, p_holder USING ERRCODE = '42501';
    END IF;
    RAISE EXCEPTION 'login % may not act as workstation %', session_user, p_holder
        USING ERRCODE = '42501';
END $$;

-- Who may be sealed new versions now: step 11's rule, and a computer joined with the
-- clinic code only while its login may still log in.
CREATE OR REPLACE VIEW seal_key_eligible AS
SELECT h.* FROM seal_key_holder h
WHERE h.holder = 'recovery'
   OR EXISTS (SELECT 1 FROM workstation w WHERE w.id::text = h.holder
              AND w.state = 'approved' AND w.login = h.login)
   OR (NOT EXISTS (SELECT 1 FROM workstation w WHERE w.id::text = h.holder)
       AND NOT EXISTS (SELECT 1 FROM workstation w WHERE w.login = h.login)
       AND EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = h.login AND r.rolcanlogin));

-- A wrap for a holder that may not receive keys now is not kept (whoever inserts it).
CREATE OR REPLACE FUNCTION seal_key_wrap_eligible() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM seal_key_eligible WHERE holder = NEW.holder) THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS seal_key_wrap_eligible ON seal_key_wrap;
CREATE TRIGGER seal_key_wrap_eligible BEFORE INSERT ON seal_key_wrap
    FOR EACH ROW EXECUTE FUNCTION seal_key_wrap_eligible();

-- Step 10's, by a login that receives keys itself.
CREATE OR REPLACE FUNCTION add_seal_key_wraps(p_key_id integer, p_holders text[], p_blobs text[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    IF NOT caller_is_owner() AND NOT EXISTS (
        SELECT 1 FROM seal_key_eligible WHERE login = session_user AND holder <> 'recovery'
    ) THEN
        RAISE EXCEPTION 'login % receives no clinic keys and may not seal them to others',
            session_user USING ERRCODE = '42501';
    END IF;
    INSERT INTO seal_key_wrap (key_id, holder, blob)
    SELECT p_key_id, u.holder, u.blob FROM unnest(p_holders, p_blobs) AS u (holder, blob)
    WHERE u.holder IN (SELECT holder FROM seal_key_eligible)
      AND EXISTS (SELECT 1 FROM seal_key_version WHERE key_id = p_key_id)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- The clinic code's key, for a server prepared before step 10, by an administrator's
-- workstation in its own name (whoever sets it is sealed every later renewal).
CREATE OR REPLACE FUNCTION set_recovery_key(
    p_blob text, p_key bytea, p_mac text, p_ws uuid, p_by text
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    PERFORM caller_workstation(p_ws);
    PERFORM refuse_workstation_decider(p_by, true);
    IF length(p_key) <> 32 THEN
        RAISE EXCEPTION 'bad holder key' USING ERRCODE = '22023';
    END IF;
    INSERT INTO key_wrap (kind, target, blob) VALUES ('recovery-key', 'clinic', p_blob)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO seal_key_holder (holder, public_key, mac, login)
    VALUES ('recovery', p_key, p_mac, session_user) ON CONFLICT (holder) DO NOTHING;
    PERFORM pg_notify('clinic_changes', '0');  -- wakes a holder to seal it the versions
    RETURN true;
END $$;
"""

# A store's own audit anchor, in the caller's name. The audit step is installed apart
# (audit_schema.install: at `server init` after this step, on an older server later), so
# this runs where both are there: from this step's grants, and from
# audit_schema.install. With @ROLE@ and @SCHEMA@ replaced.
AUDIT = """
DO $guard$
BEGIN
    IF to_regclass('audit_store_anchor') IS NOT NULL
       AND to_regprocedure('caller_is_owner()') IS NOT NULL THEN
        ALTER TABLE audit_store_anchor ADD COLUMN IF NOT EXISTS ws uuid;
        DROP FUNCTION IF EXISTS audit_keep_store_anchor(text, text, integer, bigint, text);
        EXECUTE $audit$
CREATE OR REPLACE FUNCTION audit_keep_store_anchor(
    p_store text, p_place text, p_epoch integer, p_count bigint, p_record text, p_ws uuid
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $fn$
DECLARE
    me uuid;
    keeper uuid;
BEGIN
    me := caller_workstation(p_ws);
    SELECT a.ws INTO keeper FROM audit_store_anchor a
    WHERE a.store_id = p_store AND a.ws IS NOT NULL AND a.ws <> me
      AND NOT EXISTS (SELECT 1 FROM workstation w WHERE w.id = a.ws AND w.state = 'revoked')
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'store % keeps its audit anchors under workstation %, not %',
            p_store, keeper, me USING ERRCODE = '42501';
    END IF;
    INSERT INTO audit_store_anchor (store_id, place, epoch, count, record, ws)
    VALUES (p_store, p_place, p_epoch, p_count, p_record, me)
    ON CONFLICT DO NOTHING;
END $fn$;
$audit$;
        REVOKE ALL ON FUNCTION
            audit_keep_store_anchor(text, text, integer, bigint, text, uuid) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION
            audit_keep_store_anchor(text, text, integer, bigint, text, uuid) TO @ROLE@;
    END IF;
END $guard$;
"""

GRANTS = (
    """
REVOKE ALL ON FUNCTION caller_is_owner(), seal_key_wrap_eligible() FROM PUBLIC;
-- replaced by the five-argument form (schema.GRANTS and step 10's granted the old one:
-- so it goes here, after them, on a new server too)
DROP FUNCTION IF EXISTS set_recovery_key(text, bytea, text);
REVOKE ALL ON FUNCTION set_recovery_key(text, bytea, text, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_recovery_key(text, bytea, text, uuid, text) TO @ROLE@;
"""
    + AUDIT
)
