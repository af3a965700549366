"""A real Dovecot IMAP server for tests, on 127.0.0.1 and a free port.

Runs from a private config in a temporary folder (no system service). As root
(CI), login processes run as Dovecot's own unprivileged users and mail is owned
by uid/gid 65534; as another user everything runs as that user.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

APT_HINT = "Install the Debian package: apt-get install --no-install-recommends dovecot-imapd"


class DovecotUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, up: bool, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                if up and s.recv(64).startswith(b"* OK"):
                    return True
        except OSError:
            if not up:
                return True
        time.sleep(0.1)
    return False


class DovecotServer:
    host = "127.0.0.1"

    def __init__(self, tls: bool = False) -> None:
        if shutil.which("dovecot") is None or shutil.which("doveadm") is None:
            raise DovecotUnavailable(f"Dovecot is not installed. {APT_HINT}")
        self.dir = Path(tempfile.mkdtemp(prefix="ci-dovecot-"))
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.mail = self.dir / "mail"
        self.mail.mkdir()
        self.passwd = self.dir / "passwd"
        self.passwd.write_text("")
        self.config = self.dir / "dovecot.conf"
        self.tls_port = free_port() if tls else 0
        self.ca_file: str | None = None
        ssl = "ssl = no"
        if tls:
            from support.tls import make_ca_and_server

            ca, cert, key = make_ca_and_server(self.dir / "tls")
            self.ca_file = str(ca)
            ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
        self._users: dict[str, str] = {}
        root = os.geteuid() == 0
        me = os.environ.get("USER") or str(os.geteuid())
        if root:
            os.chown(self.mail, 65534, 65534)
            os.chown(self.passwd, 0, 0)
            users = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
            uid = "uid=65534 gid=65534"
        else:
            users = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
            uid = f"uid={os.geteuid()} gid={os.getegid()}"
        self.config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
info_log_path = {self.dir}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
{users}first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = {self.passwd}
}}
userdb {{
  driver = static
  args = {uid} home={self.mail}/%u
}}
mail_location = maildir:{self.mail}/%u/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
""")
        self.running = False

    # -- lifecycle --------------------------------------------------------------
    def start(self) -> DovecotServer:
        # The master daemonises and its children inherit stdio: never pipe them, or the
        # wait for end-of-file lasts as long as the server.
        errors = self.dir / "start.err"
        with open(errors, "w") as err:
            done = subprocess.run(
                ["dovecot", "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                timeout=30,
            )
        if done.returncode != 0 or not _wait_port(self.port, up=True):
            raise DovecotUnavailable(
                f"Dovecot did not start: {errors.read_text()} {self.log_tail()}"
            )
        self.running = True
        return self

    def _master_pid(self) -> int | None:
        try:
            return int((self.dir / "run" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _children(self, pid: int) -> list[int]:
        """The master's processes (imap, imap-login, auth, log, ...): all its children."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
        return found

    def stop(self) -> None:
        """Stop the server as `doveadm stop` does (SIGTERM to the master, which ends its
        processes and removes its pid file), without waiting, as doveadm does, for the
        ended master to be reaped by init (over a second where init reaps slowly)."""
        if not self.running:
            return
        pid = self._master_pid()
        if pid is None:
            subprocess.run(
                ["doveadm", "-c", str(self.config), "stop"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
            )
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        _wait_port(self.port, up=False)
        deadline = time.monotonic() + 10
        while (self.dir / "run" / "master.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """The end of a test: nothing will use this server again, so its processes are
        killed outright (a graceful stop spends a second waiting for its log process)."""
        pid = self._master_pid() if self.running else None
        if pid is None:
            self.stop()
        else:
            for each in [pid, *self._children(pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(each, signal.SIGKILL)
            _wait_port(self.port, up=False)
            self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n: int = 10) -> str:
        log = self.dir / "dovecot.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:]) if log.exists() else ""

    def kick(self, user: str) -> None:
        """Drop every open connection of a user (a flaky network, seen from the client)."""
        subprocess.run(
            ["doveadm", "-c", str(self.config), "kick", user],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )

    # -- users and mail ------------------------------------------------------------
    def add_user(self, user: str, password: str) -> None:
        self._users[user] = password
        self.passwd.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self._users.items()))

    def _login(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port)
        conn.login(user, self._users[user])
        return conn

    def append_many(
        self,
        user: str,
        messages: list[bytes],
        mailbox: str = "INBOX",
        arrived=None,  # noqa: ANN001
    ) -> None:
        """`arrived` (an aware datetime) sets the messages' INTERNALDATE: mail from the past."""
        conn = self._login(user)
        when = imaplib.Time2Internaldate(arrived) if arrived is not None else None
        try:
            if mailbox != "INBOX":
                conn.create(mailbox)
            for raw in messages:
                typ, data = conn.append(mailbox, None, when, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {data}")
        finally:
            conn.logout()

    def deliver_many(self, user: str, messages: list[bytes], arrived=None) -> None:  # noqa: ANN001
        """Put messages straight into the user's Maildir `new/`, as a delivery agent does
        (Dovecot indexes them at the next SELECT). For benchmark-sized mailboxes: one
        APPEND per message grows slower with every message Dovecot already holds (over
        a quarter of an hour for 100,000). `arrived` sets the file time, which Dovecot
        reports as INTERNALDATE."""
        conn = self._login(user)  # the first login creates the Maildir
        try:
            conn.select("INBOX")
        finally:
            conn.logout()
        box = self.mail / user / "Maildir"
        stamp = arrived.timestamp() if arrived is not None else time.time()
        owner = (65534, 65534) if os.geteuid() == 0 else None
        for i, raw in enumerate(messages):
            name = f"{int(stamp)}.M{i}P{os.getpid()}.bench,S={len(raw)}"
            tmp = box / "tmp" / name
            tmp.write_bytes(raw)
            os.utime(tmp, (stamp, stamp))
            if owner:
                os.chown(tmp, *owner)
            tmp.rename(box / "new" / name)

    def message_count(self, user: str, mailbox: str = "INBOX") -> int:
        conn = self._login(user)
        try:
            typ, data = conn.select(f'"{mailbox}"', readonly=True)
            return int(data[0]) if typ == "OK" else 0
        finally:
            conn.logout()

    def uidvalidity(self, user: str, mailbox: str = "INBOX") -> int:
        conn = self._login(user)
        try:
            typ, data = conn.status(f'"{mailbox}"', "(UIDVALIDITY)")
            return int(data[0].decode().split("UIDVALIDITY")[1].strip(" )"))
        finally:
            conn.logout()

    def reset_uidvalidity(self, user: str, mailbox: str = "INBOX") -> None:
        """Make Dovecot forget the mailbox's UIDs: same messages, new UIDVALIDITY."""
        old = self.uidvalidity(user, mailbox)
        self.stop()
        box = self.mail / user / "Maildir"
        if mailbox != "INBOX":
            box = box / f".{mailbox}"
        for name in os.listdir(box):
            if name.startswith("dovecot-uidlist") or name.startswith("dovecot.index"):
                os.unlink(box / name)
        self.start()
        deadline = time.monotonic() + 5
        while self.uidvalidity(user, mailbox) == old and time.monotonic() < deadline:
            time.sleep(1.1)  # UIDVALIDITY is a timestamp: a new second gives a new value
            self.stop()
            for name in os.listdir(box):
                if name.startswith("dovecot-uidlist") or name.startswith("dovecot.index"):
                    os.unlink(box / name)
            self.start()
