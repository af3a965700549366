"""A real PostgreSQL for tests, on 127.0.0.1 and a free port, in a temporary folder.

`initdb` and `pg_ctl` come from Debian's `postgresql` package
(/usr/lib/postgresql/<version>/bin). PostgreSQL refuses to run as root, so as root
(CI) every server command runs as the `postgres` user (`runuser -u postgres --`) in
a folder that user owns; as another user it runs as that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

APT_HINT = "Install the Debian package: apt-get install --no-install-recommends postgresql"
SUPERUSER = "clinic_test_admin"


class PostgresUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if not found:
        raise PostgresUnavailable(f"PostgreSQL is not installed. {APT_HINT}")
    return Path(found[0]).parent


class PostgresServer:
    host = "127.0.0.1"

    def __init__(self, tls: bool = False) -> None:
        self.bin = _bindir()
        self.tls = tls
        self.ca_file: str | None = None
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="ci-postgres-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.password = "test-superuser-pw"
        if self.as_root:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    f"There is no `postgres` user to run the server as. {APT_HINT}"
                ) from None
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.running = False

    # -- running server commands as the right user ---------------------------------
    def _cmd(self, tool: str, *args: str) -> list[str]:
        argv = [str(self.bin / tool), *args]
        return ["runuser", "-u", "postgres", "--", *argv] if self.as_root else argv

    def _run(self, tool: str, *args: str, timeout: float = 120, check: bool = True) -> str:
        done = subprocess.run(
            self._cmd(tool, *args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.dir,
        )
        if check and done.returncode != 0:
            raise PostgresUnavailable(
                f"{tool} failed ({done.returncode}): {done.stderr.strip()} {self.log_tail()}"
            )
        return done.stdout

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> PostgresServer:
        if not (self.data / "PG_VERSION").exists():
            pwfile = self.dir / "pw"
            pwfile.write_text(self.password)
            if self.as_root:
                pw = pwd.getpwnam("postgres")
                os.chown(pwfile, pw.pw_uid, pw.pw_gid)
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
            pwfile.unlink()
            if self.tls:
                self._make_tls()
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.dir} -c fsync=off -c max_connections=60"
        )
        if self.tls:
            opts += f" -c ssl=on -c ssl_cert_file={self.dir}/server.pem -c ssl_key_file={self.dir}/server.key"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.running = True
        self._wait_ready()
        return self

    def _make_tls(self) -> None:
        """A clinic CA and a server certificate for 127.0.0.1; the key readable by the
        server's user only (PostgreSQL insists)."""
        from support.tls import make_ca_and_server

        ca, cert, key = make_ca_and_server(self.dir / "tls")
        for src, name in ((cert, "server.pem"), (key, "server.key")):
            dst = self.dir / name
            shutil.copy(src, dst)
            os.chmod(dst, 0o600)
            if self.as_root:
                pw = pwd.getpwnam("postgres")
                os.chown(dst, pw.pw_uid, pw.pw_gid)
        self.ca_file = str(ca)
        os.chmod(self.dir / "tls", 0o755)

    def _wait_ready(self, timeout: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.Error as exc:
                last = exc
                time.sleep(0.1)
        raise PostgresUnavailable(f"PostgreSQL did not accept connections: {last}")

    def stop(self, mode: str = "fast") -> None:
        """`mode="immediate"` is a crash: no checkpoint, recovery at the next start."""
        if not self.running:
            return
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n: int = 10) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    # -- databases -------------------------------------------------------------------
    def dsn(self, dbname: str, user: str = SUPERUSER, password: str | None = None) -> str:
        pw = self.password if password is None else password
        return f"host={self.host} port={self.port} dbname={dbname} user={user} password={pw}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database; returns its superuser DSN."""
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def terminate(self, application_name: str) -> int:
        """Drop every connection a client opened under this application name."""
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (application_name,),
            ).fetchall()
        return len(rows)

    def pg_dump(self, dbname: str) -> bytes:
        env = {**os.environ, "PGPASSWORD": self.password}
        done = subprocess.run(
            [
                str(self.bin / "pg_dump"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                dbname,
            ],
            capture_output=True,
            env=env,
            timeout=120,
        )
        if done.returncode != 0:
            raise PostgresUnavailable(f"pg_dump failed: {done.stderr.decode(errors='replace')}")
        return done.stdout

    def checkpoint(self) -> None:
        """Flush everything to the data files (so a scan of the data directory sees it)."""
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute("CHECKPOINT")
