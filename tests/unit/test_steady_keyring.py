"""A Secret Service that drops a call (gnome-keyring 42 can abort mid-call when a client
goes away; a desktop's session bus starts it again at the next call) is asked again for
about 2 s; any other keyring error is said at once. Pure logic: the backend is a stand-in
that fails the way secretstorage does."""

from __future__ import annotations

import pytest

from clinic_inbox.core import keys
from clinic_inbox.core.keys import SteadyKeyring, backend_name


class NotAvailable(Exception):
    pass


class Flaky:
    """Drops its first `drops` calls the way secretstorage reports a daemon that died."""

    def __init__(self, drops: int, error: Exception | None = None) -> None:
        self.drops = drops
        self.error = error
        self.calls = 0
        self.items: dict[tuple[str, str], str] = {}

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.error is not None:
            raise self.error
        if self.calls <= self.drops:
            try:
                raise RuntimeError(
                    "Message recipient disconnected from message bus without replying"
                )
            except RuntimeError as inner:
                raise NotAvailable("Failed to create the collection") from inner

    def get_password(self, service: str, username: str) -> str | None:
        self._maybe_fail()
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._maybe_fail()
        self.items[(service, username)] = password


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(keys, "KEYRING_RETRY_WAITS", (0.01, 0.01, 0.01, 0.01))


def test_a_dropped_call_is_asked_again():
    inner = Flaky(drops=2)
    steady = SteadyKeyring(inner)
    steady.set_password("clinic-inbox", "k", "v")
    assert inner.items == {("clinic-inbox", "k"): "v"} and inner.calls == 3


def test_a_service_that_stays_gone_is_said_after_the_window():
    inner = Flaky(drops=100)
    with pytest.raises(NotAvailable):
        SteadyKeyring(inner).get_password("clinic-inbox", "k")
    assert inner.calls == 5  # the first call and four more


def test_any_other_error_is_said_at_once():
    inner = Flaky(drops=0, error=PermissionError("the keyring is locked"))
    with pytest.raises(PermissionError):
        SteadyKeyring(inner).get_password("clinic-inbox", "k")
    assert inner.calls == 1


def test_the_custody_record_names_the_real_backend():
    inner = Flaky(drops=0)
    assert backend_name(SteadyKeyring(inner)) == backend_name(inner)
