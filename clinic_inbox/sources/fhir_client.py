"""FHIR REST transport: TLS, bearer token, timeouts, paging, plain-worded errors.

The adapter (fhir_portal) speaks "Communications since X"; this module only
speaks HTTP. Links from the server are followed only on the same origin, so a
hostile `next` link cannot send the token elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlparse

import httpx

from clinic_inbox.sources.errors import AuthFailedError, OfflineError, ProtocolError, SourceError
from clinic_inbox.sources.imap import tls_context

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_PAGES = 10_000
MAX_BINARY = 25 * 1024 * 1024


class FhirClient:
    def __init__(self, base_url: str, token: str | None, ca_file: str | None = None) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._origin = urlparse(self.base_url)
        headers = {"Accept": "application/fhir+json", "User-Agent": "clinic-inbox"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        verify: Any = tls_context(ca_file) if self._origin.scheme == "https" else False
        self._http = httpx.Client(
            headers=headers, timeout=TIMEOUT, verify=verify, follow_redirects=False
        )
        self.where = self._origin.netloc

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers ----------------------------------------------------------------
    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    def same_origin(self, url: str) -> bool:
        u = urlparse(url)
        return (u.scheme, u.hostname, u.port) == (
            self._origin.scheme,
            self._origin.hostname,
            self._origin.port,
        )

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        if not self.same_origin(url):
            raise ProtocolError(
                f"The portal at {self.where} pointed to another server; not followed."
            )
        try:
            resp = self._http.request(method, url, **kw)
        except httpx.ConnectError as exc:
            raise _connect_error(exc, self.where) from None
        except httpx.TimeoutException:
            raise OfflineError(
                f"The patient portal at {self.where} did not answer in time. Will try again."
            ) from None
        except httpx.HTTPError as exc:
            raise OfflineError(
                f"The connection to the patient portal at {self.where} failed ({type(exc).__name__})."
            ) from None
        if resp.status_code in (401, 403):
            raise AuthFailedError(
                f"The patient portal at {self.where} refused the access token (HTTP {resp.status_code}). "
                "Ask the portal's administrator for a new token."
            )
        if resp.status_code >= 500 or resp.status_code == 429:
            raise OfflineError(
                f"The patient portal at {self.where} has a problem of its own (HTTP {resp.status_code}). "
                "Will try again."
            )
        return resp

    def get_json(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        resp = self._send("GET", url, params=params)
        if resp.status_code == 404:
            raise ProtocolError(f"The portal does not have {urlparse(url).path}.")
        if resp.status_code >= 400:
            raise ProtocolError(f"The portal refused a request (HTTP {resp.status_code}).")
        try:
            data = resp.json()
        except ValueError:
            raise ProtocolError(
                f"The portal at {self.where} answered with something that is not JSON."
            ) from None
        if not isinstance(data, dict):
            raise ProtocolError(f"The portal at {self.where} answered with unexpected JSON.")
        return data

    def get_bytes(self, url: str) -> tuple[bytes, str]:
        resp = self._send("GET", url, headers={"Accept": "*/*"})
        if resp.status_code >= 400:
            raise ProtocolError(
                f"The portal could not give an attachment (HTTP {resp.status_code})."
            )
        if len(resp.content) > MAX_BINARY:
            raise ProtocolError("An attachment on the portal is larger than 25 MB; not downloaded.")
        return resp.content, resp.headers.get("content-type", "application/octet-stream")

    # -- FHIR --------------------------------------------------------------------
    def search(self, resource_type: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Bundles of a search, page after page, following only same-origin `next` links."""
        url: str | None = self.url(resource_type)
        query: dict[str, str] | None = params
        for _ in range(MAX_PAGES):
            assert url is not None
            bundle = self.get_json(url, query)
            if bundle.get("resourceType") != "Bundle":
                raise ProtocolError(
                    f"The portal at {self.where} answered a search with a "
                    f"{bundle.get('resourceType') or 'non-FHIR document'} instead of a Bundle."
                )
            yield bundle
            url = next(
                (lk.get("url") for lk in bundle.get("link", []) if lk.get("relation") == "next"),
                None,
            )
            query = None
            if not url:
                return
        raise ProtocolError("The portal kept returning more pages than expected; stopped.")

    def read(self, reference: str) -> dict[str, Any]:
        return self.get_json(self.url(reference))

    def create_once(self, resource: dict[str, Any], identifier: tuple[str, str]) -> dict[str, Any]:
        """Conditional create: the server creates it only if no resource has this identifier."""
        system, value = identifier
        resp = self._send(
            "POST",
            self.url(resource["resourceType"]),
            json=resource,
            headers={
                "Content-Type": "application/fhir+json",
                "If-None-Exist": f"identifier={system}|{value}",
            },
        )
        if resp.status_code >= 400:
            detail = ""
            try:
                issues = resp.json().get("issue", [])
                detail = "; ".join(
                    str(i.get("diagnostics") or i.get("details", {}).get("text", ""))
                    for i in issues
                )[:300]
            except ValueError:
                pass
            raise ProtocolError(
                f"The portal refused the reply (HTTP {resp.status_code}). {detail}".strip()
            )
        try:
            return resp.json()
        except ValueError:
            return {}

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        resp = self._send(
            "POST", self.base_url, json=bundle, headers={"Content-Type": "application/fhir+json"}
        )
        if resp.status_code >= 400:
            raise ProtocolError(
                f"The FHIR server refused the transaction (HTTP {resp.status_code})."
            )
        return resp.json()


def _connect_error(exc: Exception, where: str) -> SourceError:
    text = str(exc).lower()
    if "certificate" in text or "ssl" in text:
        from clinic_inbox.sources.errors import CertificateError

        return CertificateError(
            f"The patient portal at {where} presented a security certificate that could not be "
            "verified, so Clinic Inbox did not connect (give the clinic's CA with --ca-file)."
        )
    return OfflineError(
        f"The patient portal at {where} cannot be reached. Everything already here stays "
        "available, and Clinic Inbox will try again."
    )
