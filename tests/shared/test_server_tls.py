"""The connection to the shared server is TLS verified against the clinic's CA
(`sslmode=verify-full`); a server the CA did not sign is refused in plain words,
before anything is exchanged."""

from __future__ import annotations

import pytest
from workstations import login, new_workstation

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared import server as srv


@pytest.fixture()
def tls_postgres():
    from support.postgres import PostgresServer

    server = PostgresServer(tls=True).start()
    yield server
    server.close()


def test_verified_tls_works_and_an_unknown_certificate_is_refused(
    tmp_path, tls_postgres, secret_service
):
    from support.tls import make_ca_and_server

    tls_postgres.create_database("tls_clinic")
    base = tls_postgres.dsn("tls_clinic")
    other_ca, _, _ = make_ca_and_server(tmp_path / "other")
    kr = secret_service.backend()
    a = new_workstation(tmp_path / "a", kr)
    with pytest.raises(SharedQueueError, match="secure connection could not be verified"):
        srv.init_server(
            a,
            login(a, "admin"),
            f"{base} sslmode=verify-full sslrootcert={other_ca}",
            KeyCustody(a.home, backend=kr),
        )
    assert shq.linked_clinic(a.store) is None
    good = f"{base} sslmode=verify-full sslrootcert={tls_postgres.ca_file}"
    srv.init_server(a, login(a, "admin"), good, KeyCustody(a.home, backend=kr))
    link = srv.open_link(a, KeyCustody(a.home, backend=kr))
    assert link.conn.info.pgconn.ssl_in_use
