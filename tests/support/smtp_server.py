"""A real SMTP server for tests: aiosmtpd in its own process, spooling to files,
so it can be stopped and started on the same port like a real outage."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from support.dovecot import free_port

_SERVER = r"""
import asyncio, json, sys, os
from pathlib import Path
from aiosmtpd.controller import Controller
spool, port = Path(sys.argv[1]), int(sys.argv[2])
class Spool:
    # numbered by a counter that survives restarts (read once): counting the spool per
    # message took tens of milliseconds at 10,000 messages, and that time before "250"
    # is exactly when a killed client cannot know the message was taken
    count = len(list(spool.glob("*.eml")))

    async def handle_DATA(self, server, session, envelope):
        Spool.count += 1
        n = Spool.count
        tmp = spool / f".{n:06d}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        (spool / f"{n:06d}.json").write_text(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos}))
        tmp.rename(spool / f"{n:06d}.eml")
        return "250 OK queued"
c = Controller(Spool(), hostname="127.0.0.1", port=port)
c.start()
print("READY", flush=True)
try:
    sys.stdin.read()
finally:
    c.stop()
"""


class SmtpServer:
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ci-smtp-"))
        self.spool = self.dir / "spool"
        self.spool.mkdir()
        self.port = free_port()
        self._proc: subprocess.Popen | None = None

    def start(self) -> SmtpServer:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(self.spool), str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if "READY" not in line:
            raise RuntimeError(
                f"the SMTP server did not start: {self._proc.stderr.read() if self._proc.stderr else ''}"
            )
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(5)
        self._proc = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                return

    def close(self) -> None:
        self.stop()

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(p.read_bytes(), policy=default)
            for p in sorted(self.spool.glob("*.eml"))
        ]

    def envelopes(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted(self.spool.glob("*.json"))]

    def clear(self) -> None:
        for p in self.spool.iterdir():
            p.unlink()
