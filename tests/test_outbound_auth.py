"""The outbound client's credentials against our own secured gateway over HTTPS: HTTP Basic, WS-Security
UsernameToken (text and digest) and a TLS client certificate; wrong credentials are retried, not lost."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.outbound.policy import Policy
from stuf_fin.outbound.routing import load_routing
from stuf_fin.outbound.triggers import Outgoing
from stuf_fin.outbound.worker import Worker
from stuf_fin.pipeline import handlers
from stuf_fin.pipeline.handlers import Receipt
from stuf_fin.schema.validator import get_validator
from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store
from stuf_fin.store.tables import verantwoording
from tests.support.certs import issue, make_ca
from tests.support.outbound import outbox_rows
from tests.support.security import client_table, clients_config, start_https_server

BASIC, WSS = "basic-geheim-0123456789", "wss-geheim-0123456789"


@pytest.fixture(scope="module")
def gateway_b(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gateway-b")
    ca = make_ca(folder, "ca", "Test CA")
    server_cert = issue(folder, "server", ca, "localhost", server=True)
    client_cert = issue(folder, "client", ca, "stuffin.test")
    config = clients_config(
        folder,
        client_table("basic", "1900/STUFFIN", username="gw-basic", password=BASIC),
        client_table("wss", "1900/STUFFIN", username="gw-wss", secret_env="B_WSS_SECRET"),
        client_table("mtls", "1900/STUFFIN", tls_fingerprint=client_cert.fingerprint),
        log_format="text")
    server = start_https_server(folder, config, ca, server_cert, env={"B_WSS_SECRET": WSS})
    store = Store(f"sqlite:///{folder / 'gateway.db'}")
    yield SimpleNamespace(url=server.url, ca=ca, client=client_cert, store=store, folder=folder)
    store.dispose()
    server.stop()


CREDENTIALS = {
    "basic": {"auth": "basic", "username": "gw-basic", "password_env": "PW"},
    "wss-text": {"auth": "wss-text", "username": "gw-wss", "password_env": "PW"},
    "wss-digest": {"auth": "wss-digest", "username": "gw-wss", "password_env": "PW"},
    "mtls": {},
}
PASSWORDS = {"basic": BASIC, "wss-text": WSS, "wss-digest": WSS, "mtls": ""}


def deliver_verantwoording(tmp_path, b, route: dict, password: str) -> tuple[dict, str]:
    settings = SimpleNamespace(config_file=None, outbound_file=None, organisatie="1900", applicatie="STUFFIN")
    routing = load_routing(settings, {"financiele_administratie": {
        "url": f"{b.url}/VerstrekVorderingOfVerantwoording", "ontvanger": "1900/FINADM", "ca": str(b.ca.cert_path),
        **route}}, {"PW": password})
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    store.upgrade()
    number = f"AUTH{random.randrange(10**9)}"
    spec = g.random_verantwoording(random.Random(1), 0, prefix=number)
    with store.begin() as conn:
        handlers.verstrek_financiele_verantwoording(
            conn, etree.fromstring(g.di01_financiele_verantwoording([spec])),
            Receipt(datetime.now(UTC), None, Settings(), Outgoing(routing)))
    worker = Worker(store, routing, get_validator(None), Policy(backoff=60, backoff_max=60, timeout=10, lease=30))
    try:
        assert worker.run_once() == 1
    finally:
        worker.close()
    rows = outbox_rows(store)
    store.dispose()
    return rows, spec.verantwoordingsnummer


@pytest.mark.parametrize("method", sorted(CREDENTIALS))
def test_each_kind_of_credentials_is_accepted(tmp_path, gateway_b, method):
    route = dict(CREDENTIALS[method])
    if method == "mtls":
        route.update(tls_cert=str(gateway_b.client.cert_path), tls_key=str(gateway_b.client.key_path))
    rows, number = deliver_verantwoording(tmp_path, gateway_b, route, PASSWORDS[method])
    row, = rows.values()
    assert (row.state, row.outcome) == ("delivered", "Bv03"), row.last_error
    with gateway_b.store.begin(write=False) as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(verantwoording)
                              .where(verantwoording.c.verantwoordingsnummer == number)).scalar_one()
    assert stored == 1


def test_wrong_credentials_are_retried_not_lost(tmp_path, gateway_b):
    rows, _ = deliver_verantwoording(tmp_path, gateway_b, CREDENTIALS["wss-digest"], "not-the-secret")
    row, = rows.values()
    assert row.state == "pending" and row.attempts == 1
    assert "FailedAuthentication" in row.last_error and "401" in row.last_error
