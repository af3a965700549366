"""The shared server's schema step 14: a workstation claims in its own name only.

Up to step 13 `claim_auto_reply(key, ws)` recorded the claim under whatever workstation
its caller named, so one workstation's login could claim a receipt in another's name
(the Sent-folder check, reply_claims.py, kept that from silencing a receipt, not from
delaying it). Now the server works out who calls from the login
(`caller_workstation`), as step 11 does to decide who is sealed a new key
(`seal_key_eligible`):

- an enrolled workstation's own login (made when it was approved) speaks for that
  workstation only;
- a login that no enrolled workstation has (the owner login the first workstation
  keeps; a login an administrator gave a computer joined with the clinic code) speaks
  for the workstations whose receiving key it registered (`seal_key_holder.login`),
  none of them an enrolled workstation.

A call naming any other workstation is refused (SQLSTATE 42501, with the login and the
name it gave in the server's log) and records nothing; an honest call is recorded, as
before, under its own workstation. `claim_auto_reply` keeps its signature, so a
workstation still on the app of step 13 claims as before in its own name (its live
sync is told by the version check to update the app).

What it cannot do: tell apart workstations that share one login (each computer joined
with the clinic code under the same login may claim for any of them: give each its own
login, or enrol it by approval), or stop the owner login, which can do anything on the
server. Kept apart, with no imports; runs again harmlessly.
"""

DDL = """
-- The workstation a call comes from. A SECURITY DEFINER function runs as the owner
-- (current_user), but session_user stays the login that connected.
CREATE OR REPLACE FUNCTION caller_workstation(p_ws uuid) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    own uuid;
BEGIN
    SELECT id INTO own FROM workstation WHERE login = session_user AND state = 'approved';
    IF FOUND THEN
        IF own IS DISTINCT FROM p_ws THEN
            RAISE EXCEPTION 'login % is the login of workstation %, not of %',
                session_user, own, p_ws USING ERRCODE = '42501';
        END IF;
        RETURN own;
    END IF;
    IF p_ws IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM workstation WHERE login = session_user)
       AND NOT EXISTS (SELECT 1 FROM workstation WHERE id = p_ws AND login IS NOT NULL)
       AND EXISTS (SELECT 1 FROM seal_key_holder
                   WHERE holder = p_ws::text AND login = session_user) THEN
        RETURN p_ws;
    END IF;
    RAISE EXCEPTION 'login % may not act as workstation %', session_user, p_ws
        USING ERRCODE = '42501';
END $$;

CREATE OR REPLACE FUNCTION claim_auto_reply(p_key text, p_ws uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @SCHEMA@, pg_temp AS $$
DECLARE
    me uuid;
    owner uuid;
BEGIN
    me := caller_workstation(p_ws);
    INSERT INTO auto_reply_claim (key, ws) VALUES (p_key, me) ON CONFLICT (key) DO NOTHING;
    IF FOUND THEN
        RETURN true;
    END IF;
    SELECT ws INTO owner FROM auto_reply_claim WHERE key = p_key;
    RETURN owner = me;  -- its own claim, asked again after a restart
END $$;
"""

GRANTS = """
REVOKE ALL ON FUNCTION caller_workstation(uuid) FROM PUBLIC;
"""
