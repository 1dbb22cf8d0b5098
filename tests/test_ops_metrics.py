"""``GET /metrics`` of a real ``stuf-fin serve``: parsed with prometheus_client's parser, counters moving
after real calls, the database-derived gauges, and multiprocess mode with several workers."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import stuf_fin
from stuf_fin.ops import exposition, metrics
from stuf_fin.ops.collectors import StoreCollector
from stuf_fin.selftest import generator
from stuf_fin.store.db import Store
from tests.support.ops import names, scrape, value
from tests.support.security import client_table, clients_config
from tests.support.server import start_server
from tests.support.soap import post

KENNISGEVING = "VerstrekVorderingOfVerantwoording"
VORDERING = "Di01-verstrekVordering"
SCRAPE_PASSWORD = "scrape-geheim-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("metrics"),
                          env={"STUF_FIN_METRICS_DB_INTERVAL": "0", "STUF_FIN_MAX_BODY_BYTES": str(1024 * 1024)})
    yield server
    server.stop()


def _vorderingen(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    specs = [generator.random_vordering(rng, i, prefix=f"M{seed}-") for i in range(n)]
    return generator.di01_vordering(specs)


def test_metrics_are_prometheus_text_with_the_static_families(server):
    response = httpx.get(server.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = scrape(server.url)
    assert value(samples, "stuf_fin_build_info", version=stuf_fin.__version__) == 1
    schema = [dict(labels) for name, labels in samples if name == "stuf_fin_schema_info"]
    assert len(schema) == 1 and schema[0]["kind"] in ("builtin", "official")
    assert value(samples, "stuf_fin_database_up") == 1
    assert "process_cpu_seconds_total" in names(samples)  # one worker: this process's own metrics too
    for gauge in ("stuf_fin_outbox_backlog", "stuf_fin_outbox_oldest_age_seconds", "stuf_fin_outbox_dead_letters"):
        assert value(samples, gauge) == 0 and gauge in names(samples)  # the outbox reader (issue 5), empty


def test_openmetrics_when_asked(server):
    response = httpx.get(server.url + "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


def test_counters_histograms_and_stored_counts_move_after_real_calls(server):
    before = scrape(server.url)

    vordering = _vorderingen(2, seed=1)
    assert post(server.url, vordering).stuurgegeven("berichtcode") == "Bv03"
    assert post(server.url, vordering).stuurgegeven("berichtcode") == "Bv03"  # identical resend: counted again
    fvw = generator.di01_financiele_verantwoording(1, rng=random.Random(2))
    assert post(server.url, fvw).stuurgegeven("berichtcode") == "Bv03"
    invalid = vordering.replace(b"<StUF:berichtcode>Di01<", b"<StUF:berichtcode>Xx01<")
    assert post(server.url, invalid).code == "StUF055"
    garbage = httpx.post(server.url + f"/{KENNISGEVING}", content=b"not xml", headers={"Content-Type": "text/xml"})
    assert garbage.status_code == 500
    too_large = httpx.post(server.url + f"/{KENNISGEVING}", content=b"x" * (2 * 1024 * 1024),
                           headers={"Content-Type": "text/xml"})
    assert too_large.status_code == 413

    after = scrape(server.url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    port = {"port": KENNISGEVING}
    assert delta("stuf_fin_requests_total", **port, operation=VORDERING, outcome="Bv03", fault_code="") == 2
    assert delta("stuf_fin_requests_total", **port, operation="Di01-verstrekFinancieleVerantwoording",
                 outcome="Bv03", fault_code="") == 1
    assert delta("stuf_fin_requests_total", **port, operation=VORDERING, outcome="Fo03", fault_code="StUF055") == 1
    assert delta("stuf_fin_requests_total", **port, operation=metrics.UNKNOWN, outcome="Fo03",
                 fault_code="StUF055") == 1
    assert delta("stuf_fin_request_duration_seconds_count", **port, operation=VORDERING, outcome="Bv03") == 2
    assert delta("stuf_fin_request_duration_seconds_bucket", **port, operation=VORDERING, outcome="Bv03",
                 le="+Inf") == 2
    assert delta("stuf_fin_request_duration_seconds_sum", **port, operation=VORDERING, outcome="Bv03") > 0
    assert delta("stuf_fin_http_rejected_total", reason="body_too_large") == 1
    assert delta("stuf_fin_vorderingen") == 2
    assert delta("stuf_fin_verantwoordingen") == 1


def test_several_workers_report_the_sum_over_all_workers(tmp_path):
    server = start_server(tmp_path, extra_args=("--workers", "2"),
                          env={"STUF_FIN_METRICS_DB_INTERVAL": "0"})
    try:
        messages = [_vorderingen(1, seed=100 + i) for i in range(8)]
        with ThreadPoolExecutor(4) as pool:  # separate connections: uvicorn spreads them over the workers
            replies = list(pool.map(lambda m: post(server.url, m), messages))
        assert [r.stuurgegeven("berichtcode") for r in replies] == ["Bv03"] * 8
        for _ in range(6):  # every scrape, whichever worker answers it, shows all eight
            samples = scrape(server.url)
            assert value(samples, "stuf_fin_requests_total", port=KENNISGEVING, operation=VORDERING,
                         outcome="Bv03", fault_code="") == 8
            assert value(samples, "stuf_fin_vorderingen") == 8
            assert "process_cpu_seconds_total" not in names(samples)  # multiprocess mode
    finally:
        server.stop()
    assert "stuf-fin-metrics-" not in " ".join(p.name for p in tmp_path.iterdir())


# -- the outbox hook and the database gauges, in process ---------------------------------------------------
@pytest.fixture
def sqlite_store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    store.upgrade()
    yield store
    store.dispose()


def _families(collector) -> dict[str, float]:
    return {f.name: f.samples[0].value for f in collector.collect()}


def test_outbox_reader_feeds_the_outbox_gauges(sqlite_store):
    seen = []

    def reader(conn):
        seen.append(conn.exec_driver_sql("SELECT 1").scalar())
        return metrics.OutboxState(backlog=3, oldest_age_seconds=42.5, dead_letters=1)

    metrics.register_outbox_reader(reader)
    try:
        text = exposition.render(exposition.registry_for(sqlite_store, None, 0))[0].decode()
    finally:
        metrics.register_outbox_reader(None)
    assert seen == [1]
    samples = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
    assert samples["stuf_fin_outbox_backlog"] == 3
    assert samples["stuf_fin_outbox_oldest_age_seconds"] == 42.5
    assert samples["stuf_fin_outbox_dead_letters"] == 1


def test_a_failing_outbox_reader_leaves_the_other_gauges(sqlite_store):
    def reader(conn):
        raise RuntimeError("no outbox table yet")

    metrics.register_outbox_reader(reader)
    try:
        found = _families(StoreCollector(sqlite_store, 0))
    finally:
        metrics.register_outbox_reader(None)
    assert found == {"stuf_fin_database_up": 1, "stuf_fin_vorderingen": 0, "stuf_fin_verantwoordingen": 0}


def test_database_gauges_are_cached_for_the_interval(sqlite_store):
    now = [100.0]
    collector = StoreCollector(sqlite_store, 15, clock=lambda: now[0])
    assert _families(collector)["stuf_fin_vorderingen"] == 0
    with sqlite_store.engine.begin() as conn:  # the next query will fail; the cached values hide that
        conn.exec_driver_sql("DROP TABLE verantwoording")
    assert _families(collector)["stuf_fin_database_up"] == 1
    now[0] += 15
    assert _families(collector) == {"stuf_fin_database_up": 0}


def test_refused_requests_are_counted_and_metrics_need_credentials_when_clients_are_configured(tmp_path):
    config = clients_config(tmp_path, client_table("prometheus", "0000/MONITORING", operations=[],
                                                   username="prometheus", password=SCRAPE_PASSWORD))
    server = start_server(tmp_path, env={"STUF_FIN_CONFIG": str(config)})
    try:
        assert httpx.get(server.url + "/metrics").status_code == 401
        before = scrape(server.url, auth=("prometheus", SCRAPE_PASSWORD))
        refused = httpx.post(server.url + f"/{KENNISGEVING}", content=_vorderingen(1, seed=300),
                             headers={"Content-Type": "text/xml"})
        assert refused.status_code == 401
        after = scrape(server.url, auth=("prometheus", SCRAPE_PASSWORD))
    finally:
        server.stop()
    reason = {"reason": "unauthenticated"}  # counted: the scrape without credentials, then the message
    assert value(after, "stuf_fin_http_rejected_total", **reason) - value(
        before, "stuf_fin_http_rejected_total", **reason) == 1
    assert value(after, "stuf_fin_http_rejected_total", **reason) == 2
