"""The shared server's schema step 11: a retired seal key seals nothing new, and a
workstation's registered receiving key is never replaced.

Step 10 renews the seal key when a workstation is revoked, but the server still took
values sealed under the old version: the revoked computer (which keeps the old keys)
could write through any login that still works, and every workstation would read what
it wrote as genuine. Now:

- `seal_key_floor()`: the oldest version a new sealed value may name. A version
  becomes the floor (`enforced_at`, set once and kept, by the transaction that adds
  the last wrap or revokes the last workstation without one) as soon as every remaining
  holder has it sealed to them: every approved workstation, and every other eligible
  holder (`seal_key_eligible`, the rule step 10 kept in key_rotation.py); at the
  latest after `seal_key_grace()`, 10 minutes after it was made. The grace is only
  for a workstation that has no receiving key registered yet (joined before step 10):
  it can go on writing under the old version until it is sealed the new one, usually
  within a second of its next exchange. Nothing written offline is lost either way:
  queued changes are sealed when they are sent, under the newest version held then.
- `refuse_retired_seal()`: a trigger on every column that receives a sealed value
  from a workstation (conversation snapshots, messages, notes, patients and their
  fields, fetch checkpoints, staff operations, audit entries). A new value whose
  version (its second byte) is below the floor is refused (SQLSTATE CI003); the
  whole call is undone, and the refusal, with the login that tried, is in the
  server's log. Values already there are left alone (an UPDATE that keeps them is
  not checked).
- `register_seal_holder`: a workstation's public key is registered once; the same key
  again is a no-op, another one is refused (CI004). Before, a login could replace
  the key registered under its own name, so the revoked computer, with another
  workstation's stolen login, could put its own key there and be sealed the next
  versions. A workstation that really needs another key is revoked and enrolled
  again (an administrator's action, audited on both sides).
- `sign_seal_holder`: the registered key signed with the workstation's Ed25519 key
  from enrolment; a key registered in a workstation's name by someone else (its
  stolen login, before it registered its own) is not signed by it, and the
  workstations that seal new versions leave it out.

Kept apart, with no imports; runs again harmlessly.
"""

# (table, column) of every value a workstation seals for the server
SEALED_COLUMNS = (
    ("conversation", "snapshot"),
    ("message", "payload"),
    ("note", "body"),
    ("patient", "payload"),
    ("patient_field", "value"),
    ("source_checkpoint", "place"),
    ("access_op", "sealed"),
    ("audit_entry", "sealed"),  # only where the audit step is installed
    ("break_glass_review", "sealed"),  # from step 15, which adds its trigger itself
)

_TRIGGERS = "\n".join(
    f"""    IF to_regclass('{table}') IS NOT NULL THEN
        DROP TRIGGER IF EXISTS {table}_sealed_current ON {table};
        CREATE TRIGGER {table}_sealed_current BEFORE INSERT OR UPDATE OF {column} ON {table}
            FOR EACH ROW EXECUTE FUNCTION refuse_retired_seal('{column}');
    END IF;"""
    for table, column in SEALED_COLUMNS
)

DDL = (
    """
ALTER TABLE seal_key_version ADD COLUMN IF NOT EXISTS enforced_at timestamptz;
-- the holder's key signed with its workstation's Ed25519 key (see sign_seal_holder)
ALTER TABLE seal_key_holder ADD COLUMN IF NOT EXISTS signature bytea;

-- Who may be sealed new versions (the rule of step 10, now in one place): the clinic
-- code's key; an approved workstation's, registered by its own login; or one not
-- enrolled by approval (joined with the clinic code) registered by a login no
-- enrolled workstation has.
CREATE OR REPLACE VIEW seal_key_eligible AS
SELECT h.* FROM seal_key_holder h
WHERE h.holder = 'recovery'
   OR EXISTS (SELECT 1 FROM workstation w WHERE w.id::text = h.holder
              AND w.state = 'approved' AND w.login = h.login)
   OR (NOT EXISTS (SELECT 1 FROM workstation w WHERE w.id::text = h.holder)
       AND NOT EXISTS (SELECT 1 FROM workstation w WHERE w.login = h.login));

CREATE OR REPLACE FUNCTION seal_key_grace() RETURNS interval
LANGUAGE sql IMMUTABLE AS $$ SELECT interval '10 minutes' $$;

-- Whether every remaining holder has version p_key_id sealed to it.
CREATE OR REPLACE FUNCTION seal_key_everywhere(p_key_id integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
    SELECT NOT EXISTS (
        SELECT 1 FROM workstation w WHERE w.state = 'approved'
        AND NOT EXISTS (SELECT 1 FROM seal_key_wrap x
                        WHERE x.key_id = p_key_id AND x.holder = w.id::text))
    AND NOT EXISTS (
        SELECT 1 FROM seal_key_eligible h
        WHERE NOT EXISTS (SELECT 1 FROM seal_key_wrap x
                          WHERE x.key_id = p_key_id AND x.holder = h.holder))
$$;

-- The oldest seal key version a new sealed value may name (1 before any renewal).
-- A version that reached everyone, or whose grace is over, is marked once and stays
-- the floor (a workstation enrolled later does not reopen the old versions).
CREATE OR REPLACE FUNCTION seal_key_floor() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    floor_id integer;
    v record;
BEGIN
    SELECT coalesce(max(key_id), 1) INTO floor_id FROM seal_key_version
    WHERE enforced_at IS NOT NULL;
    FOR v IN SELECT key_id, created_at FROM seal_key_version
             WHERE key_id > floor_id ORDER BY key_id DESC LOOP
        IF v.created_at <= clock_timestamp() - seal_key_grace()
           OR seal_key_everywhere(v.key_id) THEN
            UPDATE seal_key_version SET enforced_at = clock_timestamp()
            WHERE key_id <= v.key_id AND enforced_at IS NULL;
            RETURN v.key_id;
        END IF;
    END LOOP;
    RETURN floor_id;
END $$;

-- The floor is worked out, and kept, whenever it may move: when wraps are added (a
-- renewal, a latecomer sealed it) and when a workstation is revoked. Marked only at a
-- write that is undone, it would fall back once a workstation enrolled later.
CREATE OR REPLACE FUNCTION seal_key_floor_moves() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    PERFORM seal_key_floor();
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS seal_key_wrap_floor ON seal_key_wrap;
CREATE TRIGGER seal_key_wrap_floor AFTER INSERT ON seal_key_wrap
    FOR EACH STATEMENT EXECUTE FUNCTION seal_key_floor_moves();
DROP TRIGGER IF EXISTS workstation_floor ON workstation;
CREATE TRIGGER workstation_floor AFTER UPDATE ON workstation
    FOR EACH STATEMENT EXECUTE FUNCTION seal_key_floor_moves();

-- A trigger on a sealed column (its name the trigger's argument): a new value sealed
-- under a version below the floor is refused, with the login in the server's log.
CREATE OR REPLACE FUNCTION refuse_retired_seal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    blob bytea;
    was bytea;
    k integer;
    f integer;
BEGIN
    EXECUTE format('SELECT ($1).%I', TG_ARGV[0]) USING NEW INTO blob;
    IF TG_OP = 'UPDATE' THEN
        EXECUTE format('SELECT ($1).%I', TG_ARGV[0]) USING OLD INTO was;
        IF blob IS NOT DISTINCT FROM was THEN
            RETURN NEW;  -- a value already there is not judged again
        END IF;
    END IF;
    IF blob IS NULL OR length(blob) < 2 THEN
        RETURN NEW;  -- not a sealed value: its reader refuses it
    END IF;
    k := get_byte(blob, 1);
    IF k >= (SELECT coalesce(max(key_id), 1) FROM seal_key_version) THEN
        RETURN NEW;  -- the newest: the usual case, one index lookup
    END IF;
    f := seal_key_floor();
    IF k < f THEN
        RAISE EXCEPTION 'a value sealed under retired seal key % was refused', k
            USING ERRCODE = 'CI003',
                  DETAIL = format('%s.%s from login %s; the oldest key accepted is %s',
                                  TG_TABLE_NAME, TG_ARGV[0], session_user, f);
    END IF;
    RETURN NEW;
END $$;

DO $$
BEGIN
"""
    + _TRIGGERS
    + """
END $$;

-- A workstation's receiving key is registered once and never replaced (see above);
-- the clinic code's, too. A revoked workstation's login cannot register.
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
    IF p_holder <> 'recovery' THEN
        PERFORM p_holder::uuid;  -- a workstation id, nothing else
    END IF;
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

-- A workstation signs the key it registered with its own Ed25519 key (the one
-- registered at enrolment for its audit trail, `audit_signer`). The server cannot
-- check an Ed25519 signature; the workstations that seal new versions do, and seal
-- nothing to a key whose signature is not its workstation's. Set by the login that
-- registered the key; signed again by its workstation if changed.
CREATE OR REPLACE FUNCTION sign_seal_holder(p_holder text, p_signature bytea)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
BEGIN
    IF length(p_signature) <> 64 THEN
        RAISE EXCEPTION 'bad signature' USING ERRCODE = '22023';
    END IF;
    UPDATE seal_key_holder SET signature = p_signature
    WHERE holder = p_holder AND holder <> 'recovery' AND login = session_user;
    RETURN FOUND;
END $$;
"""
)

GRANTS = """
REVOKE ALL ON seal_key_eligible FROM PUBLIC;
REVOKE ALL ON FUNCTION seal_key_grace(), seal_key_everywhere(integer), seal_key_floor(),
    seal_key_floor_moves(), refuse_retired_seal() FROM PUBLIC;
GRANT SELECT ON seal_key_eligible TO @ROLE@;
REVOKE ALL ON FUNCTION sign_seal_holder(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seal_key_floor(), sign_seal_holder(text, bytea) TO @ROLE@;
"""

# The audit step may be installed after this one (`server init` adds it last, an older
# server by `audit verify --clinic`): it runs this then.
AUDIT_TRIGGER = """
DO $$
BEGIN
    IF to_regproc('refuse_retired_seal') IS NOT NULL THEN
        DROP TRIGGER IF EXISTS audit_entry_sealed_current ON audit_entry;
        CREATE TRIGGER audit_entry_sealed_current BEFORE INSERT OR UPDATE OF sealed
            ON audit_entry FOR EACH ROW EXECUTE FUNCTION refuse_retired_seal('sealed');
    END IF;
END $$;
"""
