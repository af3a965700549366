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
  anchors are kept by one workstation (`audit_store_keeper`): another's anchor for it
  is refused (CI005), unless the keeper may no longer receive keys (revoked, login
  turned off, no eligible key: a computer enrolled again keeps its store); the owner
  login resets it (`audit_reset_store_keeper`). Anchors kept before this step name no
  workstation and bind none.
- Registrations under one login are serialised (an advisory lock); the owner login is
  a member of the role owning the clinic's tables (whoever ran this step); a renewal
  wrap for the caller's own workstation that may not receive keys is refused (CI006),
  not dropped; a non-owner login's keys beyond its first get no renewal.

A refused call records nothing. Still on trust: the owner login; computers that share
one login (of a non-owner login's keys only its first counts); what a wrap
holds (the server cannot open it: the workstation that receives it checks it). Kept
apart, with no imports; runs again harmlessly.
"""

DDL = """
-- Whether the calling login is the one that prepared the server or a member of its
-- role (the owner of the clinic's tables), or a superuser: it can write anything.
-- Not compared with the definer: a function belongs to whoever ran the step that made
-- it, and a `server upgrade` run by another login must not take owner rights away.
CREATE OR REPLACE FUNCTION caller_is_owner() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
    SELECT pg_has_role(session_user,
                       (SELECT relowner FROM pg_class WHERE oid = 'workstation'::regclass),
                       'MEMBER')
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
-- clinic code only while its login may still log in, and (unless that login is the
-- owner's, which registers for whatever it is used by) only the first workstation its
-- login registered: the one it speaks for (caller_may_register). Keys a login
-- registered under made-up names before this step (step 16 let it) are left out.
CREATE OR REPLACE VIEW seal_key_eligible AS
SELECT h.* FROM seal_key_holder h
WHERE h.holder = 'recovery'
   OR EXISTS (SELECT 1 FROM workstation w WHERE w.id::text = h.holder
              AND w.state = 'approved' AND w.login = h.login)
   OR (NOT EXISTS (SELECT 1 FROM workstation w WHERE w.id::text = h.holder)
       AND NOT EXISTS (SELECT 1 FROM workstation w WHERE w.login = h.login)
       AND EXISTS (
           SELECT 1 FROM pg_roles r WHERE r.rolname = h.login AND r.rolcanlogin
           AND (r.rolsuper
                OR pg_has_role(r.oid, (SELECT relowner FROM pg_class
                                       WHERE oid = 'workstation'::regclass), 'MEMBER')
                OR NOT EXISTS (SELECT 1 FROM seal_key_holder o
                               WHERE o.login = h.login AND o.holder <> 'recovery'
                                 AND (o.registered_at, o.holder)
                                     < (h.registered_at, h.holder)))));

-- A wrap for a holder that may not receive keys now is not kept (whoever inserts it).
-- The caller's own workstation's is refused instead of dropped: a renewal that left out
-- the workstation making it would lock that workstation out of the new key unseen.
CREATE OR REPLACE FUNCTION seal_key_wrap_eligible() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM seal_key_eligible WHERE holder = NEW.holder) THEN
        RETURN NEW;
    END IF;
    IF NEW.holder <> 'recovery' AND (
        EXISTS (SELECT 1 FROM workstation
                WHERE id::text = NEW.holder AND login = session_user AND state = 'approved')
        OR EXISTS (SELECT 1 FROM seal_key_holder
                   WHERE holder = NEW.holder AND login = session_user)
    ) THEN
        RAISE EXCEPTION 'the receiving key of workstation % may not receive clinic keys now',
            NEW.holder USING ERRCODE = 'CI006',
            HINT = 'the renewal would leave out the workstation making it';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS seal_key_wrap_eligible ON seal_key_wrap;
CREATE TRIGGER seal_key_wrap_eligible BEFORE INSERT ON seal_key_wrap
    FOR EACH ROW EXECUTE FUNCTION seal_key_wrap_eligible();

-- Step 16's, one login at a time: two first registrations under one login at once
-- would each pass caller_may_register's "one workstation" rule (neither sees the
-- other's row); the second now waits, then sees the first and is refused.
CREATE OR REPLACE FUNCTION register_seal_holder(p_holder text, p_key bytea, p_mac text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    old bytea;
BEGIN
    IF length(p_key) <> 32 THEN
        RAISE EXCEPTION 'bad holder key' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('seal holder|' || session_user, 0));
    IF EXISTS (SELECT 1 FROM workstation WHERE state = 'revoked'
               AND (login = session_user OR id::text = p_holder)) THEN
        RAISE EXCEPTION 'a revoked workstation receives no keys' USING ERRCODE = '42501';
    END IF;
    IF p_holder <> 'recovery' THEN
        PERFORM p_holder::uuid;  -- a workstation id, nothing else
    END IF;
    PERFORM caller_may_register(p_holder);
    INSERT INTO seal_key_holder (holder, public_key, mac, login)
    VALUES (p_holder, p_key, p_mac, session_user) ON CONFLICT (holder) DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('clinic_changes', '0');  -- wakes a holder to seal it the versions
        RETURN true;
    END IF;
    SELECT public_key INTO old FROM seal_key_holder WHERE holder = p_holder;
    IF old = p_key OR p_holder = 'recovery' THEN
        RETURN false;
    END IF;
    RAISE EXCEPTION 'the receiving key of % is registered already and is never replaced',
        p_holder USING ERRCODE = 'CI004',
        DETAIL = format('asked by login %s', session_user);
END $$;

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
#
# Which workstation keeps a store's anchors is kept apart (`audit_store_keeper`: the
# anchors themselves are append-only). Anchors kept before this step name none, so the
# first workstation to write one after the upgrade keeps the store: one that may no
# longer receive keys (revoked, its login turned off, no eligible key) hands it to the
# next that writes, and the owner login can reset it (`audit_reset_store_keeper`), so an
# insider who anchored another computer's store first cannot lock it out for good.
# The refusal has its own SQLSTATE (CI005): the app tells it from a missing grant.
AUDIT = """
DO $guard$
BEGIN
    IF to_regclass('audit_store_anchor') IS NOT NULL
       AND to_regprocedure('caller_is_owner()') IS NOT NULL THEN
        ALTER TABLE audit_store_anchor ADD COLUMN IF NOT EXISTS ws uuid;
        CREATE TABLE IF NOT EXISTS audit_store_keeper (
            store_id text PRIMARY KEY,
            ws       uuid NOT NULL,
            since    timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        REVOKE ALL ON audit_store_keeper FROM PUBLIC;
        -- anchors kept in a workstation's name before the keeper table: the latest binds
        INSERT INTO audit_store_keeper (store_id, ws)
        SELECT DISTINCT ON (store_id) store_id, ws FROM audit_store_anchor
        WHERE ws IS NOT NULL ORDER BY store_id, received_at DESC
        ON CONFLICT (store_id) DO NOTHING;
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
    -- one writer per store at a time: two first anchors both see no keeper
    PERFORM pg_advisory_xact_lock(hashtextextended('store anchor|' || p_store, 0));
    SELECT k.ws INTO keeper FROM audit_store_keeper k WHERE k.store_id = p_store;
    IF FOUND AND keeper <> me
       AND EXISTS (SELECT 1 FROM seal_key_eligible e WHERE e.holder = keeper::text) THEN
        RAISE EXCEPTION 'store % keeps its audit anchors under workstation %, not %',
            p_store, keeper, me USING ERRCODE = 'CI005';
    END IF;
    -- the caller keeps it from now on (the one before, if any, may no longer)
    INSERT INTO audit_store_keeper (store_id, ws) VALUES (p_store, me)
    ON CONFLICT (store_id) DO UPDATE SET ws = me, since = clock_timestamp()
    WHERE audit_store_keeper.ws <> me;
    INSERT INTO audit_store_anchor (store_id, place, epoch, count, record, ws)
    VALUES (p_store, p_place, p_epoch, p_count, p_record, me)
    ON CONFLICT DO NOTHING;
END $fn$;
$audit$;
        -- the owner login names who keeps a store's anchors (NULL: the next to write)
        EXECUTE $audit$
CREATE OR REPLACE FUNCTION audit_reset_store_keeper(p_store text, p_ws uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $fn$
BEGIN
    IF NOT caller_is_owner() THEN
        RAISE EXCEPTION 'login % may not reset who keeps a store''s audit anchors',
            session_user USING ERRCODE = '42501';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('store anchor|' || p_store, 0));
    IF p_ws IS NULL THEN
        DELETE FROM audit_store_keeper WHERE store_id = p_store;
    ELSE
        INSERT INTO audit_store_keeper (store_id, ws) VALUES (p_store, p_ws)
        ON CONFLICT (store_id) DO UPDATE SET ws = p_ws, since = clock_timestamp();
    END IF;
END $fn$;
$audit$;
        REVOKE ALL ON FUNCTION
            audit_keep_store_anchor(text, text, integer, bigint, text, uuid),
            audit_reset_store_keeper(text, uuid) FROM PUBLIC;
        -- the reset is the owner login's (checked inside): granted to the owner of the
        -- clinic's tables too, which need not be the login running this step
        GRANT EXECUTE ON FUNCTION
            audit_keep_store_anchor(text, text, integer, bigint, text, uuid),
            audit_reset_store_keeper(text, uuid) TO @ROLE@;
        EXECUTE format('GRANT EXECUTE ON FUNCTION audit_reset_store_keeper(text, uuid) TO %I',
            (SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
             WHERE c.oid = 'workstation'::regclass));
    END IF;
END $guard$;
"""

GRANTS = (
    """
REVOKE ALL ON FUNCTION caller_is_owner(), seal_key_wrap_eligible() FROM PUBLIC;
-- the functions that ask it run as whoever made them: the owner of the clinic's tables,
-- or another login that ran `server upgrade` (then owning this one)
DO $owner$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION caller_is_owner() TO %I',
        (SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
         WHERE c.oid = 'workstation'::regclass));
END $owner$;
-- replaced by the five-argument form (schema.GRANTS and step 10's granted the old one:
-- so it goes here, after them, on a new server too)
DROP FUNCTION IF EXISTS set_recovery_key(text, bytea, text);
REVOKE ALL ON FUNCTION set_recovery_key(text, bytea, text, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_recovery_key(text, bytea, text, uuid, text) TO @ROLE@;
"""
    + AUDIT
)
