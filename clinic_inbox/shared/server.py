"""Preparing a clinic's server and connecting workstations to it.

Every check that can refuse (unreachable server, wrong password, not empty, another
clinic's server, an older or newer schema, a wrong clinic code, wrong keys) runs
before anything changes on this computer, and names the server in plain words.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from clinic_inbox.core import access, audit, workstation_identity
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import (
    RECOVERY_KDF,
    KeyCustody,
    WrongPassphraseError,
    new_recovery_code,
    normalise_recovery_code,
    unwrap,
    wrap,
)
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import (
    ServerUnreachable,
    SharedQueueError,
    audit_schema,
    clinic_keys,
    key_rotation,
)
from clinic_inbox.shared.audit_sign import signing_key
from clinic_inbox.shared.clinic_keys import ServerLink
from clinic_inbox.shared.schema import (
    SCHEMA_VERSION,
    ddl,
    grants,
    upgrade_scripts,
    workstation_role,
)
from clinic_inbox.shared.seal import ClinicKeys, check_field, check_not_retired

APP_NAME = "clinic-inbox"
CONNECT_TIMEOUT = 5


def server_label(dsn: str) -> str:
    """host:port/database, for messages: never the password."""
    try:
        d = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the shared server"
    host = d.get("host") or "localhost"
    port = d.get("port") or "5432"
    return f"{host}:{port}/{d.get('dbname') or d.get('user') or ''}"


def connect(dsn: str, *, autocommit: bool = False, app: str = APP_NAME) -> psycopg.Connection:
    label = server_label(dsn)
    try:
        return psycopg.connect(
            dsn,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT,
            application_name=app,
            # a silent network cut is noticed in about 20 s instead of hours
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=2,
        )
    except psycopg.OperationalError as exc:
        why = _reason(str(exc))
        words = _not_connected(label, why)
        # no answer at all (down, cut off, too slow), as against a refusal or a bad address
        raise (ServerUnreachable if why in _UNREACHED else SharedQueueError)(words) from None
    except psycopg.ProgrammingError:
        raise SharedQueueError(
            "The shared server's address is not written correctly (expected something like "
            "`host=server.clinic.lan dbname=clinic user=frontdesk1`). Nothing was changed."
        ) from None


_UNREACHED = ("it could not be reached", "it did not answer in time")


def _reason(detail: str) -> str:
    low = detail.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return "it refused this workstation's user name or password"
    if "not permitted to log in" in low:
        return (
            "it no longer accepts this workstation's login (an administrator may have revoked it)"
        )
    if "does not exist" in low and "database" in low:
        return "it has no such database"
    if "certificate" in low or "ssl" in low:
        return "its secure connection could not be verified (check the clinic's CA file)"
    if "timeout" in low or "timed out" in low:
        return "it did not answer in time"
    return "it could not be reached"


def _not_connected(label: str, why: str) -> str:
    return (
        f"Could not connect to the shared server {label}: {why}. This computer keeps "
        "working on its own copy; nothing here was changed."
    )


@dataclass(frozen=True)
class ServerInfo:
    schema_version: int
    clinic_id: str
    clinic_check: str


def read_info(conn: psycopg.Connection) -> ServerInfo | None:
    exists = conn.execute("SELECT to_regclass('server_info') IS NOT NULL").fetchone()[0]
    if not exists:
        return None
    row = conn.execute("SELECT schema_version, clinic_id, clinic_check FROM server_info").fetchone()
    return ServerInfo(int(row[0]), str(row[1]), row[2]) if row else None


def _version_problem(info: ServerInfo, label: str) -> str | None:
    if info.schema_version > SCHEMA_VERSION:
        return (
            f"The shared server {label} was set up by a newer Clinic Inbox (server schema "
            f"{info.schema_version}, this app knows {SCHEMA_VERSION}). Update the app on this "
            "computer first. Nothing was changed."
        )
    if info.schema_version < SCHEMA_VERSION:
        return (
            f"The shared server {label} has an older schema ({info.schema_version}) than this "
            f"app ({SCHEMA_VERSION}); an administrator upgrades it with `clinic-inbox server "
            "upgrade` and the login that prepared it. Nothing was changed."
        )
    return None


def _require_admin(clinic: Clinic, session: Any) -> None:
    from clinic_inbox.core.store import queries as q

    staff = q.get_staff(clinic.store, session.staff.id)
    access.require(
        staff is not None and access.can_manage_settings(staff),
        "Only an administrator can connect this computer to a shared server.",
    )


def _refuse_if_linked(clinic: Clinic, label: str) -> None:
    linked = shq.linked_clinic(clinic.store)
    if linked is not None:
        raise SharedQueueError(
            f"This computer already works with a shared server ({shq.server_label(clinic.store)}). "
            f"It was not connected to {label}; nothing was changed."
        )


@dataclass(frozen=True)
class InitResult:
    clinic_id: str
    workstation_id: str
    clinic_code: str = field(repr=False)
    server: str


def init_server(
    clinic: Clinic, session: Any, dsn: str, custody: KeyCustody | None = None
) -> InitResult:
    """Prepare an empty database as this clinic's shared server, from the first workstation.

    Creates the schema, the workstation role and the clinic's keys (sealed in this
    computer's store). Returns the clinic code, shown once: other workstations
    connect with it, and it restores the keys if this computer is lost.
    """
    _require_admin(clinic, session)
    custody = custody or KeyCustody(clinic.home)
    label = server_label(dsn)
    _refuse_if_linked(clinic, label)
    keys = ClinicKeys.generate(str(uuid.uuid4()))
    code = new_recovery_code()
    blob = wrap(keys.pack(), normalise_recovery_code(code), keys.clinic_id.encode(), RECOVERY_KDF)
    # the code's own key pair: later seal key versions are sealed to it (key_rotation.py)
    recovery = key_rotation.new_private()
    own = key_rotation.new_private()  # this workstation's, for the same
    ws_id = str(uuid.uuid4())
    with connect(dsn) as conn:
        info = read_info(conn)
        if info is not None:
            problem = _version_problem(info, label)
            raise SharedQueueError(
                problem
                or (
                    f"The server {label} is already a clinic's shared server. To use it from "
                    "this computer, run `clinic-inbox server connect` with that clinic's code. "
                    "Nothing was changed."
                )
            )
        others = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchone()[0]
        if others:
            raise SharedQueueError(
                f"The database {label} is not empty ({others} tables). A clinic's shared "
                "server needs an empty database of its own. Nothing was changed."
            )
        try:
            for script in ddl(conn.execute("SELECT current_schema()").fetchone()[0]):
                conn.execute(script)
            role = workstation_role(keys.clinic_id)
            _ensure_role(conn, role)
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
            conn.execute(grants(role, schema))
            audit_schema.install(conn, role, schema)
            conn.execute(
                "INSERT INTO server_info (schema_version, clinic_id, clinic_check) VALUES (%s, %s, %s)",
                (SCHEMA_VERSION, keys.clinic_id, keys.check_value()),
            )
            conn.execute(
                "INSERT INTO key_wrap (kind, target, blob) VALUES ('clinic-code', 'clinic', %s)",
                (json.dumps(blob),),
            )
            conn.execute(
                "INSERT INTO key_wrap (kind, target, blob) VALUES ('recovery-key', 'clinic', %s)",
                (key_rotation.recovery_blob(recovery, code, keys.clinic_id),),
            )
            key_rotation.register(conn, keys, key_rotation.RECOVERY, recovery)
            key_rotation.register(conn, keys, ws_id, own, signing_key(clinic))
        except psycopg.errors.InsufficientPrivilege:
            user = conn.info.user
            raise SharedQueueError(
                f"The login {user!r} on {label} may not create the clinic's tables and roles. "
                "Prepare the server with the database owner's login (one allowed to create "
                "roles). Nothing was changed."
            ) from None
        conn.commit()
    _keep_link(clinic, session, custody, ServerLink(dsn, keys, own), ws_id, label, "server.init")
    return InitResult(keys.clinic_id, ws_id, code, label)


def upgrade_server(clinic: Clinic, session: Any, dsn: str) -> tuple[int, int]:
    """Bring this clinic's server to this app's schema, with the login that prepared it
    (one allowed to create tables). All steps in one transaction: a failure leaves the
    server as it was. Returns (version before, version after)."""
    _require_admin(clinic, session)
    label = server_label(dsn)
    with connect(dsn) as conn:
        info = read_info(conn)
        if info is None:
            raise SharedQueueError(
                f"The server {label} is not prepared for a clinic: use `server init`. "
                "Nothing was changed."
            )
        mine = shq.linked_clinic(clinic.store)
        if mine is not None and info.clinic_id != mine:
            raise SharedQueueError(
                f"The shared server {label} belongs to another clinic. Nothing was changed."
            )
        if info.schema_version > SCHEMA_VERSION:
            raise SharedQueueError(_version_problem(info, label) or "")
        before = info.schema_version
        if before == SCHEMA_VERSION:
            return before, before
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        role = workstation_role(info.clinic_id)
        try:
            for version in range(before + 1, SCHEMA_VERSION + 1):
                for script in upgrade_scripts(version, role, schema):
                    conn.execute(script)
                conn.execute("UPDATE server_info SET schema_version = %s", (version,))
        except psycopg.errors.InsufficientPrivilege:
            raise SharedQueueError(
                f"The login {conn.info.user!r} on {label} may not change the clinic's tables. "
                "Upgrade with the login that prepared the server. Nothing was changed."
            ) from None
        conn.commit()
    with clinic.store.transaction():
        audit.append(
            clinic.store,
            clinic.audit_key,
            session.staff.id,
            session.staff.username,
            "server.upgrade",
            detail={"server": label, "from": before, "to": SCHEMA_VERSION},
        )
    return before, SCHEMA_VERSION


def _ensure_role(conn: psycopg.Connection, role: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    if exists.fetchone() is None:
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))


def connect_workstation(
    clinic: Clinic, session: Any, dsn: str, code: str, custody: KeyCustody | None = None
) -> str:
    """Join this workstation to a prepared server with the clinic code. Returns the
    workstation id."""
    _require_admin(clinic, session)
    custody = custody or KeyCustody(clinic.home)
    label = server_label(dsn)
    _refuse_if_linked(clinic, label)
    with connect(dsn) as conn:
        info = read_info(conn)
        if info is None:
            raise SharedQueueError(
                f"The server {label} has not been prepared for a clinic yet. Run "
                "`clinic-inbox server init` there from the first workstation. Nothing was changed."
            )
        problem = _version_problem(info, label)
        if problem:
            raise SharedQueueError(problem)
        row = conn.execute(
            "SELECT blob FROM key_wrap WHERE kind = 'clinic-code' AND target = 'clinic'"
        ).fetchone()
        keys = _unlock(info, row, code, label)
        keys = key_rotation.restore_versions(conn, keys, code, label)  # every later version
        ws_id = str(uuid.uuid4())
        own = key_rotation.new_private()
        try:
            key_rotation.register(conn, keys, ws_id, own, signing_key(clinic))  # later versions
        except psycopg.errors.InsufficientPrivilege as exc:
            from clinic_inbox.shared.refusals import is_not_this_workstation

            if not is_not_this_workstation(exc):
                raise
            # schema 16: an enrolled workstation's login speaks for that workstation only
            raise SharedQueueError(
                f"The login given for {label} belongs to another workstation of the clinic. "
                "A computer that joins with the clinic code needs a login of its own: ask "
                "your administrator for one. Nothing was changed."
            ) from None
        conn.commit()
    _keep_link(clinic, session, custody, ServerLink(dsn, keys, own), ws_id, label, "server.connect")
    return ws_id


def _unlock(info: ServerInfo, row: Any, code: str, label: str) -> ClinicKeys:
    """The clinic's first keys from the clinic code."""
    if row is None:
        raise SharedQueueError(
            f"The server {label} holds no clinic key to unlock. Nothing changed."
        )
    try:
        packed = unwrap(json.loads(row[0]), normalise_recovery_code(code), info.clinic_id.encode())
    except WrongPassphraseError:
        raise SharedQueueError(
            f"That clinic code does not unlock the shared server {label}. Check the code "
            "printed when the server was set up. Nothing was changed."
        ) from None
    except (ValueError, KeyError, TypeError):
        raise SharedQueueError(
            f"The clinic key on {label} is damaged or was changed. Nothing was changed here."
        ) from None
    keys = ClinicKeys.unpack(info.clinic_id, packed)
    if keys.check_value() != info.clinic_check:
        raise SharedQueueError(
            f"The clinic key on {label} does not match the server's clinic. Nothing was changed."
        )
    return keys


def _keep_link(
    clinic: Clinic,
    session: Any,
    custody: KeyCustody,
    link: ServerLink,
    ws_id: str,
    label: str,
    action: str,
) -> None:
    clinic_keys.save(clinic, link)
    from clinic_inbox.shared.audit_ship import register_at_enrolment

    register_at_enrolment(clinic, custody, link.dsn, ws_id)
    with clinic.store.transaction():
        shq.link(clinic.store, link.keys.clinic_id, ws_id, label)
        workstation_identity.remember_place(clinic)
        audit.append(
            clinic.store,
            clinic.audit_key,
            session.staff.id,
            session.staff.username,
            action,
            detail={"server": label, "clinic_id": link.keys.clinic_id, "workstation": ws_id},
        )


@dataclass
class Link:
    """An open, checked connection to this clinic's server."""

    conn: psycopg.Connection
    keys: ClinicKeys
    workstation_id: str
    label: str
    dsn: str = field(repr=False)
    # when each seal key version was retired (`seal.retired_versions`), read at each
    # exchange (`key_rotation.keep_current`): a workflow value MACed under one after
    # that is not applied
    retired: dict[int, datetime] = field(default_factory=dict, repr=False)
    # something the server would not do that the exchange went on without (in words,
    # no patient data), for the app to show: key_rotation.complete_wraps sets it
    notice: str | None = field(default=None, repr=False)

    def check_workflow(
        self, conv: str, field_name: str, value: str, op_id: str, mac: str, written_at: Any
    ) -> None:
        """A workflow value read from the server: its MAC is genuine (`seal.check_field`)
        and was not made under a key retired before it was written (`check_not_retired`)."""
        check_field(self.keys, conv, field_name, value, op_id, mac, self.label)
        what = f"conversation {conv}, {field_name}"
        check_not_retired(self.retired, mac, written_at, what, self.label)


def open_link(clinic: Clinic, custody: KeyCustody | None = None, app: str = APP_NAME) -> Link:
    """Connect and check that the server is this clinic's, at this schema version.
    (`custody` is no longer needed: the keys are in the open store.)"""
    workstation_identity.check_place(clinic)  # a copy never connects as its original
    clinic_id = shq.linked_clinic(clinic.store)
    ws_id = shq.workstation_id(clinic.store)
    if clinic_id is None or ws_id is None:
        raise SharedQueueError(
            workstation_identity.retired_notice(clinic.store)
            or "This computer does not work with a shared server (single-workstation mode)."
        )
    found = clinic_keys.load(clinic)
    if found is None:
        raise SharedQueueError(
            "The shared server's keys are missing from this computer's store. Connect again "
            "with `clinic-inbox server connect` and the clinic code."
        )
    label = server_label(found.dsn)
    conn = connect(found.dsn, app=app)
    try:
        check_server(conn, found.keys, clinic_id, label)
    except BaseException:
        conn.close()
        raise
    return Link(conn, found.keys, ws_id, label, found.dsn)


def check_server(conn: psycopg.Connection, keys: ClinicKeys, clinic_id: str, label: str) -> None:
    info = read_info(conn)
    conn.rollback()
    if info is None:
        raise SharedQueueError(
            f"The shared server {label} is not prepared for a clinic (or was emptied). "
            "Nothing here was changed."
        )
    if info.clinic_id != clinic_id or keys.clinic_id != clinic_id:
        raise SharedQueueError(
            f"The shared server {label} belongs to another clinic. This computer did not "
            "exchange anything with it; nothing here was changed."
        )
    problem = _version_problem(info, label)
    if problem:
        raise SharedQueueError(problem)
    if keys.check_value() != info.clinic_check:
        raise SharedQueueError(
            f"The clinic keys on this computer do not match the shared server {label}. "
            "Nothing was exchanged; nothing here was changed."
        )
