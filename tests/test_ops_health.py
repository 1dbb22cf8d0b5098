"""``/health`` and ``/ready`` of a real ``stuf-fin serve``: ready turns 503 when its PostgreSQL becomes
unreachable (a TCP proxy in between is cut) and 200 again when it is back."""

from __future__ import annotations

import random

import httpx

from stuf_fin.selftest import generator
from tests.support.ops import scrape, status_of, value
from tests.support.polling import wait_for
from tests.support.server import start_server
from tests.support.soap import post


def _vordering(seed: int) -> bytes:
    rng = random.Random(seed)
    return generator.di01_vordering([generator.random_vordering(rng, 0, prefix=f"H{seed}-")])


def test_health_is_always_200_with_a_status(tmp_path):
    server = start_server(tmp_path)
    try:
        response = httpx.get(server.url + "/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        ready = httpx.get(server.url + "/ready")
        assert ready.status_code == 200
        report = ready.json()
        assert report["status"] == "ready" and report["database"] == "ok" and report["migrations"] == "current"
        assert report["schemas"].startswith(("builtin", "official"))
    finally:
        server.stop()


def test_ready_is_503_while_the_database_is_unreachable_and_200_when_it_is_back(tmp_path, proxied_postgres):
    url, proxy = proxied_postgres
    server = start_server(tmp_path, database_url=url, env={"STUF_FIN_METRICS_DB_INTERVAL": "0"})
    try:
        assert status_of(server.url + "/ready") == 200
        assert post(server.url, _vordering(1)).stuurgegeven("berichtcode") == "Bv03"

        proxy.cut()
        wait_for(lambda: status_of(server.url + "/ready") == 503, "/ready to answer 503")
        report = httpx.get(server.url + "/ready").json()
        assert report["status"] == "not ready" and report["database"].startswith("unreachable")
        assert status_of(server.url + "/health") == 200  # alive, just not ready
        assert value(scrape(server.url), "stuf_fin_database_up") == 0
        down = post(server.url, _vordering(2))
        assert down.status == 500 and down.code == "StUF046"  # Fo03: cannot store the message now

        proxy.restore()
        wait_for(lambda: status_of(server.url + "/ready") == 200, "/ready to answer 200 again")
        assert value(scrape(server.url), "stuf_fin_database_up") == 1
        assert post(server.url, _vordering(2)).stuurgegeven("berichtcode") == "Bv03"  # resent as new (§4.4)
    finally:
        server.stop()
