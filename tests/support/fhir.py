"""A real FHIR R4 server for tests: tests/support/fhir_server/server.js under Node."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent / "fhir_server"
HINT = "Node.js and npm are needed (Debian: apt-get install nodejs npm)."


class FhirUnavailable(RuntimeError):
    pass


def ensure_installed() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise FhirUnavailable(f"node or npm is missing. {HINT}")
    if not (HERE / "node_modules" / "@medplum" / "fhir-router").exists():
        cmd = (
            ["npm", "ci", "--no-audit", "--no-fund"]
            if (HERE / "package-lock.json").exists()
            else ["npm", "install", "--no-audit", "--no-fund"]
        )
        done = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise FhirUnavailable(
                f"npm could not install the FHIR test server: {done.stderr[-500:]}"
            )


class FhirServer:
    def __init__(self, token: str | None = None) -> None:
        ensure_installed()
        self.dir = Path(tempfile.mkdtemp(prefix="ci-fhir-"))
        self.dump = self.dir / "dump.json"
        self.token = token
        self.port = 0
        self._proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir/R4"

    def start(self) -> FhirServer:
        env = {**os.environ, "FHIR_DUMP": str(self.dump)}
        if self.token:
            env["FHIR_TOKEN"] = self.token
        self._proc = subprocess.Popen(
            ["node", "server.js", str(self.port)],
            cwd=HERE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("LISTENING"):
            raise FhirUnavailable(
                f"the FHIR server did not start: {self._proc.stderr.read()[-800:] if self._proc.stderr else ''}"
            )
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        """Stop like an outage; the data is kept (dumped) for the next start."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            self._proc.wait(15)
        self._proc = None
        time.sleep(0.1)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        headers = {"Content-Type": "application/fhir+json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return httpx.Client(base_url=self.base_url + "/", headers=headers, timeout=30)

    def create(self, resource: dict[str, Any]) -> dict[str, Any]:
        with self._client() as c:
            r = c.post(resource["resourceType"], json=resource)
            r.raise_for_status()
            return r.json()

    def create_many(self, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with self._client() as c:
            out = []
            for res in resources:
                r = c.post(res["resourceType"], json=res)
                r.raise_for_status()
                out.append(r.json())
            return out

    def update(self, resource: dict[str, Any]) -> dict[str, Any]:
        with self._client() as c:
            r = c.put(f"{resource['resourceType']}/{resource['id']}", json=resource)
            r.raise_for_status()
            return r.json()

    def search(self, resource_type: str, params: dict[str, str]) -> list[dict[str, Any]]:
        out, url, query = [], resource_type, dict(params)
        with self._client() as c:
            while url:
                bundle = c.get(url, params=query).json()
                out += [e["resource"] for e in bundle.get("entry", [])]
                url = next(
                    (lk["url"] for lk in bundle.get("link", []) if lk["relation"] == "next"), None
                )
                query = None
        return out

    def transaction(self, bundle: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._client() as c:
            r = c.post("", json=bundle)
            return r.status_code, r.json()

    def _test(self, what: str, **params: Any) -> None:
        httpx.post(
            f"http://127.0.0.1:{self.port}/__test__/{what}",
            params=params,
            json=params.pop("body", None) if "body" in params else None,
            timeout=10,
        )

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def reset(self) -> None:
        """Back to an empty server, as if just started: no resources, no faults armed,
        no dump for the next start (one process serves a file's tests: starting Node
        and indexing the FHIR definitions took 2-7 s a test)."""
        if not self.running:
            self.start()
        self.dump.unlink(missing_ok=True)
        httpx.post(f"http://127.0.0.1:{self.port}/__test__/reset", timeout=10).raise_for_status()

    def fail_next(self, count: int, status: int = 500) -> None:
        self._test("fail", count=count, status=status)

    def plant_raw(self, resource: dict[str, Any]) -> None:
        httpx.post(
            f"http://127.0.0.1:{self.port}/__test__/raw", json=resource, timeout=10
        ).raise_for_status()
