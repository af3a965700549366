"""A small TCP relay between one workstation and the server, to cut its link on demand.

- `cut()`: every open connection is closed at once (the client sees the connection
  reset) and new ones are closed as soon as they arrive, until `heal()`;
- `stall()`: a black hole: connections stay open but nothing passes either way (the
  client's queries hang; new connections are accepted and never answered), until
  `heal()`, when what was waiting flows on;
- `heal()`: back to passing everything.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

PASS, CLOSED, STALLED = "pass", "closed", "stalled"


class LinkCutter:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = PASS
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    # -- control ------------------------------------------------------------------
    def cut(self) -> None:
        with self._lock:
            self.mode = CLOSED
            socks, self._open = list(self._open), set()
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def stall(self) -> None:
        self.mode = STALLED

    def heal(self) -> None:
        self.mode = PASS

    def close(self) -> None:
        self._stopped = True
        self.cut()
        with contextlib.suppress(OSError):
            self._server.close()

    # -- relaying -------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _wait_passable(self, sock: socket.socket) -> bool:
        while self.mode == STALLED and not self._stopped:
            time.sleep(0.05)
        return self.mode == PASS and not self._stopped and sock.fileno() != -1

    def _serve(self, client: socket.socket) -> None:
        if self.mode == CLOSED or not self._wait_passable(client):
            with contextlib.suppress(OSError):
                client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        with self._lock:
            self._open.update((client, upstream))
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                if not self._wait_passable(src):
                    break
                data = src.recv(65536)
                if not data:
                    break
                if not self._wait_passable(dst):  # stalled mid-flight: hold it
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)
