"""Email policies with parsed headers shared between reads (see RememberingHeaders)."""

from __future__ import annotations

import functools
from email import headerregistry, policy


class RememberingHeaders(headerregistry.HeaderRegistry):
    """`policy.default` parses a header again on every read (a part's Content-Type is
    read a dozen times while walking a message: two thirds of ingest time). Parsed
    headers are immutable, so the same (name, value) can share one parse."""

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one registry lives for the process
    def __call__(self, name: str, value: str) -> headerregistry.BaseHeader:
        return super().__call__(name, value)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - the stdlib makes a new class per call
    def __getitem__(self, name: str) -> type:
        return super().__getitem__(name)


_REGISTRY = RememberingHeaders()
READING = policy.default.clone(header_factory=_REGISTRY)
SENDING = policy.SMTP.clone(header_factory=_REGISTRY)
