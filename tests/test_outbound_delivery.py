"""Delivery over real HTTP to a real StUF receiver (tests/support/receiver.py), by the worker inside
``stuf-fin serve`` and by ``stuf-fin worker`` processes: exactly once, in order, retried unchanged, dead letters,
a worker killed mid-delivery, two workers on one database."""

from __future__ import annotations

import random
import signal
from collections import defaultdict

import httpx
import pytest
from lxml import etree

from stuf_fin.namespaces import FIN, F
from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store
from tests.support.outbound import (
    FAST,
    TSA,
    attempt_count,
    outbox_rows,
    queue_status_changes,
    run_cli,
    start_worker,
    write_config,
)
from tests.support.polling import wait_for
from tests.support.receiver import Receiver
from tests.support.server import start_server
from tests.support.soap import post


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def stopper():
    """Processes to stop at the end of the test."""
    processes = []
    yield processes.append
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except Exception:
                process.kill()


def changes_in(received) -> list[tuple[str, str]]:
    """(vorderingnummer, totaalBetaald) of each status change in the messages, in order."""
    found = []
    for r in received:
        message = etree.fromstring(r.message)
        for obj in message.iter(F + "object"):
            found.append((obj.findtext(F + "vorderingnummer"), obj.findtext(f"{F}vorderingstatus/{F}totaalBetaald")))
    return found


def _metrics_with(base_url: str, line: str) -> str | None:
    text = httpx.get(base_url + "/metrics").text
    return text if line in text else None


def all_delivered(store: Store, ids: list[int]):
    rows = outbox_rows(store)
    return all(rows[i].state == "delivered" for i in ids) and rows


def test_the_gateway_delivers_status_changes_once_and_in_order(tmp_path, receiver, stopper):
    config = write_config(tmp_path, receiver.url)
    server = start_server(tmp_path, env={"STUF_FIN_CONFIG": str(config), "STUF_FIN_METRICS_DB_INTERVAL": "0", **FAST})
    stopper(server.process)
    rng = random.Random(5)
    specs = [g.random_vordering(rng, i, prefix="ORDER-", tsa=tsa) for i, tsa in enumerate([TSA, TSA, "ELDERS"])]
    assert post(server.url, g.di01_vordering(specs)).stuurgegeven("berichtcode") == "Bv03"
    receiver.answer("http503")  # the first status change waits for a retry; the next one for that vordering waits too
    sent = []
    for n, status in enumerate(["VRW", "VRS", "BET"]):
        changes = [g.status_for(s, status, paid=n) for s in (specs if n < 2 else specs[:1])]
        assert post(server.url, g.di01_statuswijziging(changes)).stuurgegeven("berichtcode") == "Bv03"
        sent += [(s.vorderingnummer, str(n)) for s in specs[:2] if n < 2 or s is specs[0]]

    wait_for(lambda: len(receiver.processed) == 5, what="five status changes delivered")
    store = Store(f"sqlite:///{tmp_path / 'gateway.db'}")
    try:
        rows = wait_for(lambda: all_delivered(store, list(outbox_rows(store))), what="outbox delivered")
    finally:
        store.dispose()
    assert len(rows) == 5  # nothing for the tsa without a route, nothing for the vordering (no inningssysteem)
    processed = receiver.processed
    assert sorted(changes_in(processed)) == sorted(sent)
    for number in (specs[0].vorderingnummer, specs[1].vorderingnummer):  # in order per vordering
        assert [b for v, b in changes_in(processed) if v == number] == [b for v, b in sent if v == number]
    assert len({r.referentienummer for r in receiver.received}) == 5  # each message once, resends aside
    assert all(r.answer in ("Bv03", "http503") for r in receiver.received)  # valid: no Fo03 StUF055
    assert {(r.zender, r.ontvanger, r.soap_action) for r in processed} == {
        ("1900/STUFFIN", f"1900/{TSA}", f'"{FIN}/Di01-verstrekVorderingStatusWijziging"')}
    delivered = 'stuf_fin_outbox_deliveries_total{outcome="delivered"} 5.0'
    metrics = wait_for(lambda: _metrics_with(server.url, delivered), what="the last delivery counted")
    assert "stuf_fin_outbox_backlog 0.0" in metrics and "stuf_fin_outbox_dead_letters 0.0" in metrics
    assert 'stuf_fin_outbox_deliveries_total{outcome="retry"} 1.0' in metrics


def test_a_receiver_that_is_down_gets_the_same_message_when_it_is_back(tmp_path, receiver, stopper):
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    store = Store(url)
    store.upgrade()
    row, = queue_status_changes(store, receiver.url, 1, 1)
    receiver.down()
    stopper(start_worker(tmp_path, write_config(tmp_path, receiver.url), url))
    wait_for(lambda: attempt_count(store, row) >= 3, what="three refused attempts")
    receiver.answer("http503", "fo03-server", "drop")  # then Bv03 (the default)
    receiver.up()
    wait_for(lambda: all_delivered(store, [row]), what="delivery after the receiver came back")
    ref = outbox_rows(store)[row].referentienummer
    copies = receiver.received_for(ref)
    assert [c.answer for c in copies] == ["http503", "Fo03 StUF058", "drop", "Bv03 (again)"]
    assert len({(c.referentienummer, c.tijdstip_bericht, c.digest) for c in copies}) == 1  # identical each time
    assert receiver.processed_refs() == [ref]  # processed once: the resend after the lost answer was recognised
    assert attempt_count(store, row) >= 7
    store.dispose()


def test_fo03_client_is_a_dead_letter_and_retry_sends_a_new_message(tmp_path, receiver):
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    store = Store(url)
    store.upgrade()
    row, = queue_status_changes(store, receiver.url, 1, 1)
    config = write_config(tmp_path, receiver.url)
    receiver.answer("fo03-client")
    assert run_cli("--config", str(config), "worker", "--database-url", url, "--once").returncode == 0
    dead = outbox_rows(store)[row]
    assert dead.state == "dead" and dead.attempts == 1 and "StUF013 (client)" in dead.last_error
    assert [c.answer for c in receiver.received] == ["Fo03 StUF013"]  # not retried
    assert run_cli("--config", str(config), "worker", "--database-url", url, "--once").returncode == 0
    assert len(receiver.received) == 1

    listing = run_cli("--config", str(config), "outbox", "dead-letters", "--database-url", url)
    assert listing.returncode == 0 and dead.referentienummer in listing.stdout and "StUF013" in listing.stdout
    retried = run_cli("--config", str(config), "outbox", "retry", str(row), "--database-url", url)
    assert retried.returncode == 0 and "new message" in retried.stdout, retried.stderr
    assert run_cli("--config", str(config), "worker", "--database-url", url, "--once").returncode == 0
    delivered = outbox_rows(store)[row]
    assert delivered.state == "delivered" and delivered.referentienummer != dead.referentienummer
    assert receiver.processed_refs() == [delivered.referentienummer]
    shown = run_cli("--config", str(config), "outbox", "show", str(row), "--database-url", url)
    assert "dead_letter" in shown.stdout and "delivered" in shown.stdout
    store.dispose()


def test_a_worker_killed_during_delivery_delivers_after_restart_without_duplicates(tmp_path, receiver, stopper,
                                                                                   database_url):
    store = Store(database_url)
    store.upgrade()
    ids = queue_status_changes(store, receiver.url, 3, 1)
    config = write_config(tmp_path, receiver.url)
    receiver.answer("hold")
    first = start_worker(tmp_path, config, database_url, env={"STUF_FIN_OUTBOUND_CONCURRENCY": "1"})
    stopper(first)
    wait_for(receiver.held.is_set, what="a delivery in flight")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    receiver.release()  # the receiver stores the message; its Bv03 goes nowhere
    wait_for(lambda: len(receiver.received) == 1, what="the held message recorded")
    stopper(start_worker(tmp_path, config, database_url))
    wait_for(lambda: all_delivered(store, ids), timeout=90, what="delivery after the restart")
    refs = [r.referentienummer for r in outbox_rows(store).values()]
    assert sorted(receiver.processed_refs()) == sorted(refs)  # each processed exactly once
    for ref in refs:
        assert len({c.digest for c in receiver.received_for(ref)}) == 1  # resends identical
    held = receiver.received[0].referentienummer
    assert [c.answer for c in receiver.received_for(held)] == ["Bv03", "Bv03 (again)"]
    store.dispose()


def test_a_stopped_worker_does_not_wait_for_a_held_attempt_and_leaves_its_row_claimed(tmp_path, receiver, stopper,
                                                                                       database_url):
    """SIGTERM (docker stop) while an attempt hangs: the worker exits with 0 after its short grace instead of
    waiting for the attempt (here it could end only after 60 s); the row stays pending, to be sent again after
    the lease exactly as after a killed worker (the test above)."""
    store = Store(database_url)
    store.upgrade()
    [row] = queue_status_changes(store, receiver.url, 1, 1)
    config = write_config(tmp_path, receiver.url)
    receiver.answer("hold")
    worker = start_worker(tmp_path, config, database_url,
                          env={"STUF_FIN_OUTBOUND_TIMEOUT": "60", "STUF_FIN_OUTBOUND_LEASE": "120"})
    stopper(worker)
    wait_for(receiver.held.is_set, what="a delivery in flight")
    worker.send_signal(signal.SIGTERM)
    [log] = tmp_path.glob("worker-*.log")
    try:
        wait_for(lambda: worker.poll() is not None, timeout=30, what="the worker's exit")  # before 60 s
        assert worker.returncode == 0, log.read_text()
        assert receiver.held.is_set()
    finally:
        receiver.release()
    assert "1 delivery attempt(s) still in progress after 5 s abandoned" in log.read_text()
    pending = outbox_rows(store)[row]
    assert pending.state == "pending" and pending.attempts == 1  # claimed: sent again after the lease
    store.dispose()


def test_two_workers_never_deliver_the_same_row_twice(tmp_path, receiver, stopper, database_url):
    store = Store(database_url)
    store.upgrade()
    ids = queue_status_changes(store, receiver.url, 30, 3)  # 90 rows: 30 ordering groups of 3
    config = write_config(tmp_path, receiver.url)
    for _ in range(2):
        stopper(start_worker(tmp_path, config, database_url))
    rows = wait_for(lambda: all_delivered(store, ids), timeout=120, what="90 deliveries")
    per_ref = defaultdict(list)
    for r in receiver.received:
        per_ref[r.referentienummer].append(r)
    assert sorted(per_ref) == sorted(rows[i].referentienummer for i in ids)
    assert all(len(copies) == 1 for copies in per_ref.values())  # no row was sent twice
    assert all(attempt_count(store, i) == 1 for i in ids)
    workers = {a for i in ids for a in _workers(store, i)}
    assert len(workers) == 2, workers  # both took part
    order = {r.referentienummer: n for n, r in enumerate(receiver.processed)}
    groups = defaultdict(list)
    for i in ids:
        groups[rows[i].volgorde].append(order[rows[i].referentienummer])
    assert len(groups) == 30 and all(positions == sorted(positions) for positions in groups.values())
    store.dispose()


def _workers(store: Store, row_id: int) -> set[str]:
    from stuf_fin.outbound import outbox

    with store.begin(write=False) as conn:
        return {a.worker for a in outbox.attempts(conn, row_id)}


def test_a_slow_receiver_times_out_and_gets_the_identical_message_again(tmp_path, receiver):
    from stuf_fin.outbound.policy import Policy
    from stuf_fin.outbound.worker import Worker
    from stuf_fin.schema.validator import get_validator
    from tests.support.outbound import routing_to

    store = Store(f"sqlite:///{tmp_path / 'slow.db'}")
    store.upgrade()
    row, = queue_status_changes(store, receiver.url, 1, 1)
    receiver.answer("slow:3")
    worker = Worker(store, routing_to(receiver.url), get_validator(None),
                    Policy(backoff=0.05, backoff_max=0.1, timeout=1, lease=2))
    try:
        assert worker.run_once() == 1
        waiting = outbox_rows(store)[row]
        assert waiting.state == "pending" and "ReadTimeout" in waiting.last_error
        wait_for(lambda: len(receiver.received) == 1, what="the slow receiver to finish")
        wait_for(lambda: worker.run_once() and all_delivered(store, [row]), what="the retry")
    finally:
        worker.close()
        store.dispose()
    assert [c.answer for c in receiver.received] == ["Bv03", "Bv03 (again)"]
    assert len({c.digest for c in receiver.received}) == 1


def test_serve_can_leave_delivery_to_a_separate_worker(tmp_path, receiver, stopper):
    config = write_config(tmp_path, receiver.url)
    server = start_server(tmp_path, env={"STUF_FIN_CONFIG": str(config), "STUF_FIN_OUTBOUND_WORKER": "false", **FAST})
    stopper(server.process)
    spec = g.random_vordering(random.Random(9), 0, prefix="SEPARATE-", tsa=TSA)
    assert post(server.url, g.di01_vordering([spec])).stuurgegeven("berichtcode") == "Bv03"
    assert post(server.url, g.di01_statuswijziging([g.status_for(spec)])).stuurgegeven("berichtcode") == "Bv03"
    assert "outbox worker not started" in server.log()
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    store = Store(url)
    try:
        assert [r.state for r in outbox_rows(store).values()] == ["pending"]
        assert run_cli("--config", str(config), "worker", "--database-url", url, "--once").returncode == 0
        assert [r.state for r in outbox_rows(store).values()] == ["delivered"]
    finally:
        store.dispose()
    assert len(receiver.processed) == 1
