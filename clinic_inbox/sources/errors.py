"""Network failures, worded for the front desk. Messages name hosts, never patients."""

from __future__ import annotations

import socket
import ssl


class SourceError(Exception):
    """A source could not be used right now; `offline` means try again later."""

    offline = False


class OfflineError(SourceError):
    offline = True


class AuthFailedError(SourceError):
    pass


class CertificateError(SourceError):
    pass


class ProtocolError(SourceError):
    pass


def explain(exc: BaseException, what: str, where: str) -> SourceError:
    """Turn a low-level exception into a SourceError a receptionist can act on."""
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return CertificateError(
            f"The {what} at {where} presented a security certificate that could not be "
            "verified, so Clinic Inbox did not connect. Ask your IT support to check the "
            "server's certificate (or give the clinic's own CA file with --ca-file)."
        )
    if isinstance(exc, ssl.SSLError):
        return CertificateError(
            f"A secure connection to the {what} at {where} failed ({exc.reason})."
        )
    if isinstance(exc, ConnectionRefusedError):
        return OfflineError(
            f"The {what} at {where} is not answering (connection refused). Everything already "
            "here stays available, and Clinic Inbox will try again."
        )
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return OfflineError(f"The {what} at {where} did not answer in time. Will try again.")
    if isinstance(exc, socket.gaierror):
        return OfflineError(f"The {what} address {where} cannot be found; the network may be down.")
    if isinstance(exc, (ConnectionError, OSError, EOFError)):
        return OfflineError(
            f"The connection to the {what} at {where} was lost ({type(exc).__name__}). "
            "Will try again."
        )
    return ProtocolError(f"The {what} at {where} answered unexpectedly ({type(exc).__name__}).")
