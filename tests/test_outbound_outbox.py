"""The outbox in the database (SQLite and PostgreSQL): queued in the inbound transaction, claimed, ordered and
finished; Bv03/Fo03 received correlated by crossRefnummer; operator retry."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.fin.errors import BusinessError
from stuf_fin.namespaces import F
from stuf_fin.outbound import admin, correlation, outbox
from stuf_fin.outbound.routing import Routing, load_routing
from stuf_fin.outbound.triggers import Outgoing
from stuf_fin.pipeline import handlers
from stuf_fin.pipeline.handlers import Receipt
from stuf_fin.schema.validator import get_validator
from stuf_fin.selftest import generator as g
from stuf_fin.stuf import answers
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem, read_stuurgegevens

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def routing(**tables) -> Routing:
    settings = SimpleNamespace(config_file=None, outbound_file=None, organisatie="1900", applicatie="STUFFIN")
    table = tables or {
        "tsa": {"BELASTINGEN": {"url": "http://127.0.0.1:9/tsa", "ontvanger": "1900/BELASTINGEN"}},
        "financiele_administratie": {"url": "http://127.0.0.1:9/fa", "ontvanger": "1900/FINADM"},
        "inningssysteem": {"url": "http://127.0.0.1:9/inn", "ontvanger": "1900/INNING"},
    }
    return load_routing(settings, table, {})


def receipt(routes: Routing | None = None) -> Receipt:
    return Receipt(received_at=datetime.now(UTC), bericht_id=None, settings=Settings(outbound_backoff=1.0),
                   outgoing=Outgoing(routes if routes is not None else routing()))


def vorderingen(n: int, tsa: str = "BELASTINGEN") -> list[g.VorderingSpec]:
    rng = random.Random(n)
    prefix = f"O{random.randrange(10**8)}-"
    return [g.random_vordering(rng, i, prefix=prefix, tsa=tsa) for i in range(n)]


def handle(store, handler, message: bytes, context: Receipt) -> None:
    with store.begin() as conn:
        handler(conn, etree.fromstring(message), context)


def queued(store) -> list:
    with store.begin(write=False) as conn:
        return [outbox.get(conn, r.id) for r in outbox.rows(conn, limit=1000)]


def test_accepted_messages_queue_what_the_routing_asks_for(store):
    validator = get_validator(None)
    specs = vorderingen(2) + vorderingen(1, tsa="ONBEKEND")
    handle(store, handlers.verstrek_vordering, g.di01_vordering(specs), receipt())
    changes = [g.status_for(specs[0], "VRW"), g.status_for(specs[1], "VRS"), g.status_for(specs[0], "BET"),
               g.status_for(specs[2], "BET")]
    handle(store, handlers.verstrek_status_wijziging, g.di01_statuswijziging(changes), receipt())
    handle(store, handlers.verstrek_financiele_verantwoording, g.di01_financiele_verantwoording(2), receipt())

    rows = queued(store)
    assert [(r.route, r.operation) for r in rows] == [
        ("inningssysteem", "Di01-verstrekVordering"),
        ("tsa:BELASTINGEN", "Di01-verstrekVorderingStatusWijziging"),  # specs[0]: VRW then BET, one message
        ("tsa:BELASTINGEN", "Di01-verstrekVorderingStatusWijziging"),  # specs[1]
        ("financiele_administratie", "Di01-verstrekFinancieleVerantwoording"),
    ]  # specs[2]: tsa ONBEKEND has no route, nothing queued
    assert len({r.referentienummer for r in rows}) == 4
    assert [r.tijdstip_bericht for r in rows] == sorted(r.tijdstip_bericht for r in rows)
    assert rows[0].volgorde is None and rows[3].volgorde is None
    assert rows[1].volgorde != rows[2].volgorde and rows[1].volgorde.startswith("tsa:BELASTINGEN|vordering ")
    for row in rows:
        message = etree.fromstring(row.message)
        assert validator.validate(message) == [], row.operation
        sg = read_stuurgegevens(message)
        assert sg.zender == Systeem("1900", "STUFFIN") and sg.referentienummer == row.referentienummer
        assert sg.tijdstip_bericht == row.tijdstip_bericht and row.state == "pending" and row.attempts == 0
    first = etree.fromstring(rows[1].message)
    assert read_stuurgegevens(first).ontvanger == Systeem("1900", "BELASTINGEN")
    assert [s.text for s in first.iter(F + "status")] == ["VRW", "BET"]
    assert [n.text for n in first.iter(F + "vorderingnummer")] == [specs[0].vorderingnummer] * 2
    assert len(etree.fromstring(rows[0].message).findall(F + "vrdLk01")) == 3  # every vordering, tsa or not


def test_a_refused_message_queues_nothing(store):
    spec = vorderingen(1)[0]
    with pytest.raises(BusinessError):
        handle(store, handlers.verstrek_status_wijziging, g.di01_statuswijziging([g.status_for(spec)]),
               receipt())
    assert queued(store) == []


def test_nothing_is_queued_without_a_route(store):
    specs = vorderingen(1)
    only_fa = routing(financiele_administratie={"url": "http://127.0.0.1:9/fa", "ontvanger": "1900/FINADM"})
    handle(store, handlers.verstrek_vordering, g.di01_vordering(specs), receipt(only_fa))
    handle(store, handlers.verstrek_status_wijziging, g.di01_statuswijziging([g.status_for(specs[0])]),
           receipt(only_fa))
    assert queued(store) == []


def enqueue(store, volgorde: str | None, n: int = 1, now: datetime = NOW) -> list[int]:
    with store.begin() as conn:
        return [outbox.enqueue(conn, route="tsa:X", operation="Di01-verstrekVorderingStatusWijziging", message=b"<x/>",
                               referentienummer=answers.new_referentienummer(), tijdstip_bericht="20260105",
                               now=now, ordering_group=volgorde) for _ in range(n)]


def claim(store, now: datetime = NOW, limit: int = 10, lease: float = 60) -> tuple[str, list[int]]:
    with store.begin() as conn:
        token, rows = outbox.claim(conn, now=now, limit=limit, lease=lease)
    return token, [r.id for r in rows]


def test_only_the_oldest_pending_row_of_a_volgorde_can_be_claimed(store):
    a1, a2 = enqueue(store, "a", 2)
    b1, = enqueue(store, "b")
    free = enqueue(store, None, 2)
    token, ids = claim(store)
    assert ids == [a1, b1, *free]
    with store.begin() as conn:
        assert outbox.finish(conn, a1, token, state=outbox.DELIVERED, finished_at=NOW)
        assert outbox.finish(conn, b1, token, next_attempt_at=NOW + timedelta(seconds=30))  # b1 waits to retry
    assert claim(store)[1] == [a2]  # a2 follows a1; b2 would wait for b1
    later = enqueue(store, "b")
    assert claim(store, NOW + timedelta(seconds=31))[1] == [b1]  # the retry comes first ...
    with store.begin() as conn:
        outbox.update(conn, b1, state=outbox.DEAD, claimed_by=None)  # ... a dead letter no longer blocks
    assert claim(store, NOW + timedelta(seconds=31))[1] == later


def test_a_claim_holds_until_its_lease_runs_out_and_a_lost_claim_changes_nothing(store):
    row, = enqueue(store, None)
    first, ids = claim(store, lease=60)
    assert ids == [row]
    assert claim(store, NOW + timedelta(seconds=59))[1] == []
    second, ids = claim(store, NOW + timedelta(seconds=61))
    assert ids == [row]
    with store.begin() as conn:
        assert not outbox.finish(conn, row, first, state=outbox.DELIVERED)  # the first worker lost its claim
        assert outbox.finish(conn, row, second, state=outbox.DELIVERED)
        assert outbox.get(conn, row).attempts == 2 and outbox.get(conn, row).state == "delivered"


def test_stand_counts_backlog_oldest_age_and_dead_letters(store):
    enqueue(store, None, 2, NOW - timedelta(seconds=100))
    dead, = enqueue(store, None)
    with store.begin() as conn:
        outbox.update(conn, dead, state=outbox.DEAD)
        outbox_state = outbox.outbox_state(conn, NOW)
    assert (outbox_state.backlog, outbox_state.oldest_age_seconds, outbox_state.dead_letters) == (2, 100.0, 1)


def answer(kind: str, cross: str, fault: StufFault | None = None) -> etree._Element:
    request = Stuurgegevens(zender=Systeem("1900", "STUFFIN"), ontvanger=Systeem("1900", "BELASTINGEN"),
                            referentienummer=cross)
    return answers.bv03(request) if kind == "Bv03" else answers.fo03(request, fault)


def test_bv03_and_fo03_received_settle_our_messages(store):
    delivered, client, server = enqueue(store, None, 3)
    context = receipt()
    with store.begin() as conn:
        refs = {i: outbox.get(conn, i).referentienummer for i in (delivered, client, server)}
        correlation.receive_bv03(conn, answer("Bv03", refs[delivered]), context)
        correlation.receive_fo03(conn, answer("Fo03", refs[client], StufFault("StUF013")), context)
        correlation.receive_fo03(conn, answer("Fo03", refs[server], StufFault("StUF058", "later")), context)
        with pytest.raises(StufFault) as unknown:
            correlation.receive_bv03(conn, answer("Bv03", "not-ours"), context)
        rows = {i: outbox.get(conn, i) for i in refs}
        history = outbox.attempts(conn, client)
    assert unknown.value.code == "StUF043" and unknown.value.plek == "client"
    assert rows[delivered].state == "delivered" and rows[delivered].outcome == "Bv03"
    assert rows[client].state == "dead" and "StUF013" in rows[client].last_error
    assert rows[server].state == "pending" and rows[server].fault_code == "StUF058"
    assert rows[server].next_attempt_at > datetime.now(UTC)
    assert [(a.worker, a.result, a.fault_code) for a in history] == [("asynchroon", "dead_letter", "StUF013")]


def test_retry_sends_a_client_refusal_as_a_new_message_and_a_server_one_unchanged(store):
    specs = vorderingen(2)
    handle(store, handlers.verstrek_vordering, g.di01_vordering(specs), receipt())
    handle(store, handlers.verstrek_status_wijziging, g.di01_statuswijziging([g.status_for(s) for s in specs]),
           receipt())
    client_row, server_row = [r for r in queued(store) if r.route.startswith("tsa:")]
    with store.begin() as conn:
        outbox.update(conn, client_row.id, state=outbox.DEAD, fault_plek="client", attempts=1)
        outbox.update(conn, server_row.id, state=outbox.DEAD, fault_plek="server", attempts=50)
        print(admin.retry(conn, outbox.get(conn, client_row.id), routing()))
        print(admin.retry(conn, outbox.get(conn, server_row.id), routing()))
        renewed, unchanged = outbox.get(conn, client_row.id), outbox.get(conn, server_row.id)
        delivered = outbox.get(conn, next(r.id for r in queued(store) if r.route == "inningssysteem"))
        outbox.update(conn, delivered.id, state=outbox.DELIVERED)
        with pytest.raises(ValueError):
            admin.retry(conn, outbox.get(conn, delivered.id), routing())
    assert renewed.state == "pending" and renewed.attempts == 0
    assert renewed.referentienummer != client_row.referentienummer
    assert renewed.tijdstip_bericht > client_row.tijdstip_bericht
    sg = read_stuurgegevens(etree.fromstring(renewed.message))
    assert (sg.referentienummer, sg.tijdstip_bericht) == (renewed.referentienummer, renewed.tijdstip_bericht)
    assert get_validator(None).validate(etree.fromstring(renewed.message)) == []
    assert unchanged.message == server_row.message and unchanged.referentienummer == server_row.referentienummer
    assert unchanged.state == "pending" and unchanged.attempts == 0


def test_purge_deletes_only_delivered_messages_older_than_the_cutoff(store):
    old, recent, dead, pending = enqueue(store, None, 4)
    with store.begin() as conn:
        outbox.update(conn, old, state=outbox.DELIVERED, finished_at=NOW - timedelta(days=40))
        outbox.record_attempt(conn, outbox_id=old, attempt=1, worker="w", started_at=NOW, duration_ms=5,
                              result="delivered", outcome="Bv03")
        outbox.update(conn, recent, state=outbox.DELIVERED, finished_at=NOW - timedelta(days=1))
        outbox.update(conn, dead, state=outbox.DEAD, finished_at=NOW - timedelta(days=40))
        assert outbox.purge(conn, NOW - timedelta(days=30), dry_run=True) == 1
        assert outbox.purge(conn, NOW - timedelta(days=30)) == 1
        assert sorted(r.id for r in outbox.rows(conn)) == [recent, dead, pending]
        assert outbox.attempts(conn, old) == []
