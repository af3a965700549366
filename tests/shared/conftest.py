"""A real PostgreSQL for the shared-queue tests: started once per session, stopped after."""

from __future__ import annotations

import itertools
import os

import pytest

ALLOW_SKIP = os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1"
_names = itertools.count(1)


@pytest.fixture(autouse=True, scope="module")
def _cheap_password_stretching():
    """Staff passwords and key slots are stretched with Argon2 at a small fraction of the
    product's cost in these tests (module by module, restored after): they set up
    three or more workstations with five people each, and the stretching was 40% of
    that set-up. Nothing here tests the cost itself (tests/security does, at full
    cost); a hash or slot made here keeps its own parameters, so a workstation
    process started by a test opens it as any other."""
    from argon2 import PasswordHasher

    from clinic_inbox.core import keyslots, passwords

    saved = keyslots.COST, passwords._hasher
    keyslots.COST = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    try:
        yield
    finally:
        keyslots.COST, passwords._hasher = saved


@pytest.fixture(scope="session")
def postgres():
    from support.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        if ALLOW_SKIP:
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    yield server
    # its data goes with it: no shutdown checkpoint of every test's database (a fast
    # stop at the end of a whole run took over a minute on a loaded machine)
    server.stop("immediate")
    server.close()


@pytest.fixture()
def empty_db(postgres) -> str:
    """The superuser DSN of a new, empty database (one per test)."""
    return postgres.create_database(f"clinic_{os.getpid()}_{next(_names)}")


@pytest.fixture()
def keyring_factory():
    """A keyring of its own for each workstation, stopped after the test. gnome-keyring
    sometimes fails to create its first collection on a loaded machine ("Prompt
    dismissed"): a fresh daemon is tried again, up to three times, before the test fails."""
    from support.secret_service import SecretService, SecretServiceUnavailable

    started: list = []

    def one():  # noqa: ANN202
        for attempt in range(3):
            try:
                service = SecretService().start()
            except SecretServiceUnavailable:
                if attempt == 2:
                    raise
            else:
                started.append(service)
                return service
        raise AssertionError("unreachable")

    try:
        yield one
    finally:
        for s in started:
            s.stop()
