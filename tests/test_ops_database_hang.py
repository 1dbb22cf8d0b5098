"""A PostgreSQL that stops answering while its connections stay open (a TCP proxy in between stops forwarding:
what a network partition, a failover or a stuck primary looks like).  Every request still gets its answer
within the gateway's ``database_timeout`` (a Fo03 StUF046 / Fo02 StUF049, plek server; ``/ready`` 503), nothing
is half-stored, no thread or connection stays stuck, the outbox worker and the console keep going, and once the proxy
forwards again every resent message gets its Bv03 and is stored once.

The time limits below are generous deadlines for an answer, not benchmarks: without them a request waited for
minutes (docs/operator.md, faults under load)."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store
from stuf_fin.store.postgres import DatabaseTimeout
from stuf_fin.store.tables import bericht, vordering
from tests.support.ops import scrape, status_of, value
from tests.support.outbound import FAST, TSA, outbox_rows, write_config
from tests.support.polling import wait_for
from tests.support.receiver import Receiver
from tests.support.server import start_server
from tests.support.soap import Reply, post

TIMEOUT = 3  # the gateway's database_timeout in these tests
ANSWER_WITHIN = TIMEOUT + 30  # a client that gets no answer by then would have given up: the fault we prevent


def _stored(url: str, vorderingnummer: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(vordering)
                                .where(vordering.c.vorderingnummer == vorderingnummer)).scalar_one()
    finally:
        engine.dispose()


def _is_server_fault(reply: Reply, code: str) -> bool:
    plek = reply.message.findtext(f"{{{g.STUF}}}body/{{{g.STUF}}}plek")
    return reply.status == 500 and reply.code == code and plek == "server"


def test_the_store_gives_up_on_a_statement_the_database_does_not_answer(proxied_postgres) -> None:
    url, proxy = proxied_postgres
    store = Store(url, timeout=TIMEOUT)
    store.upgrade()
    try:
        with pytest.raises(sa.exc.OperationalError) as caught, store.begin() as conn:
            conn.execute(sa.insert(bericht).values(port="p", operation="o", direction="in", request=b"half",
                                                   received_at=sa.func.now()))
            proxy.blackhole()  # mid-transaction: the next statement's answer never comes
            conn.execute(sa.select(sa.func.count()).select_from(bericht))
        assert isinstance(caught.value.orig, DatabaseTimeout)
        assert store.engine.pool.checkedout() == 0  # the connection was not kept
        with pytest.raises(sa.exc.OperationalError):  # a new connection does not get through either
            store.ping()
        proxy.restore()
        wait_for(lambda: _can_read(store), "the store to work again")
        with store.begin(write=False) as conn:  # the interrupted transaction left nothing behind
            assert conn.execute(sa.select(sa.func.count()).select_from(bericht)).scalar_one() == 0
    finally:
        proxy.restore()
        store.dispose()


def _can_read(store: Store) -> bool:
    try:
        with store.begin(write=False) as conn:
            conn.exec_driver_sql("SELECT 1")
        return True
    except sa.exc.OperationalError:
        return False


def test_requests_get_their_fault_in_time_while_the_database_does_not_answer_and_then_bv03(
        tmp_path, proxied_postgres, postgres_url) -> None:
    url, proxy = proxied_postgres
    receiver = Receiver()
    config = write_config(tmp_path, receiver.url)
    server = start_server(tmp_path, database_url=url, env={
        "STUF_FIN_DATABASE_TIMEOUT": str(TIMEOUT), "STUF_FIN_METRICS_DB_INTERVAL": "0",
        "STUF_FIN_CONFIG": str(config), **FAST})
    run = uuid.uuid4().hex[:8]
    routed = g.random_vordering(random.Random(1), 0, prefix=f"OUT{run}-", tsa=TSA)
    specs = [g.random_vordering(random.Random(i), i, prefix=f"HANG{run}-") for i in range(12)]
    messages = [g.di01_vordering([spec]) for spec in specs]
    try:
        assert post(server.url, g.di01_vordering([routed])).stuurgegeven("berichtcode") == "Bv03"
        receiver.answer("http503")  # its status change stays in the outbox, retried while the database hangs
        status_change = g.di01_statuswijziging([g.status_for(routed, "BET")])
        assert post(server.url, status_change).stuurgegeven("berichtcode") == "Bv03"
        wait_for(lambda: receiver.received, "the outbox worker's first attempt")
        assert status_of(server.url + "/ready") == 200

        proxy.blackhole()
        first = post(server.url, messages[0], timeout=ANSWER_WITHIN)
        assert _is_server_fault(first, "StUF046"), first.text
        with ThreadPoolExecutor(len(messages) - 1) as pool:  # more than the connection pool holds
            others = list(pool.map(lambda m: post(server.url, m, timeout=ANSWER_WITHIN), messages[1:]))
        assert [_is_server_fault(r, "StUF046") for r in others] == [True] * len(others)
        vraag = post(server.url, g.vrdLv01(specs[0].vorderingnummer), timeout=ANSWER_WITHIN)
        assert _is_server_fault(vraag, "StUF049"), vraag.text  # the vraag port: Fo02
        assert httpx.get(server.url + "/ready", timeout=ANSWER_WITHIN).status_code == 503
        assert value(scrape(server.url), "stuf_fin_database_up") == 0
        assert httpx.get(server.url + "/health", timeout=ANSWER_WITHIN).status_code == 200

        receiver.answer("bv03")
        proxy.restore()
        wait_for(lambda: status_of(server.url + "/ready") == 200, "/ready to answer 200 again")
        resent = [post(server.url, m, timeout=ANSWER_WITHIN) for m in messages]
        assert [r.stuurgegeven("berichtcode") for r in resent] == ["Bv03"] * len(messages)
        assert [_stored(postgres_url, s.vorderingnummer) for s in specs] == [1] * len(specs)
        again = post(server.url, messages[0], timeout=ANSWER_WITHIN)  # an identical resend: the same Bv03
        assert again.text == resent[0].text

        store = Store(postgres_url)
        try:  # the outbox worker lived through it and delivered the waiting status change
            delivered = wait_for(lambda: [r for r in outbox_rows(store).values() if r.state == "delivered"],
                                 "the outbox row to be delivered")
        finally:
            store.dispose()
        assert len(delivered) == 1 and delivered[0].operation == "Di01-verstrekVorderingStatusWijziging"
    finally:
        proxy.restore()
        server.stop()
        receiver.close()
    assert "Application shutdown complete" in server.log()  # stopped cleanly: the outbox worker joined in time


def test_the_console_answers_in_time_while_the_database_does_not_answer(tmp_path, proxied_postgres) -> None:
    from tests.support.console import BEHEERDER, console_config

    url, proxy = proxied_postgres
    server = start_server(tmp_path, database_url=url, env={
        "STUF_FIN_CONFIG": str(console_config(tmp_path, BEHEERDER)), "STUF_FIN_DATABASE_TIMEOUT": str(TIMEOUT)})
    auth = (BEHEERDER.username, BEHEERDER.password)
    pages = ("/console/", "/console/messages", "/console/outbox")
    try:
        assert [httpx.get(server.url + p, auth=auth, timeout=ANSWER_WITHIN).status_code for p in pages] == [200] * 3
        proxy.blackhole()
        during = [httpx.get(server.url + p, auth=auth, timeout=ANSWER_WITHIN) for p in pages]
        assert [r.status_code for r in during] == [503] * 3, [r.text[:300] for r in during]
        assert all("database" in r.text.lower() for r in during)
        proxy.restore()
        wait_for(lambda: httpx.get(server.url + "/console/", auth=auth, timeout=ANSWER_WITHIN).status_code == 200,
                 "the console to answer again")
    finally:
        proxy.restore()
        server.stop()
