"""The message archive over real HTTP: every message and its answer, kept as received."""

from __future__ import annotations

import random
import uuid

import pytest
import sqlalchemy as sa

from stuf_fin.envelope import wrap
from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store
from stuf_fin.store.tables import bericht
from tests.support.polling import wait_for
from tests.support.server import gateway_and_store
from tests.support.soap import post


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with gateway_and_store(tmp_path_factory.mktemp("archief")) as gateway:
        yield gateway


def rows(store: Store, **where) -> list[sa.Row]:
    with store.begin(write=False) as conn:
        query = sa.select(bericht)
        for column, value in where.items():
            query = query.where(bericht.c[column] == value)
        return list(conn.execute(query))


def test_an_accepted_di01_is_archived_with_its_bv03_before_the_answer(gateway):
    server, store = gateway
    ref = uuid.uuid4().hex
    message = g.di01_vordering(1, referentienummer=ref)
    reply = post(server.url, message)
    [row] = rows(store, referentienummer=ref)  # same transaction as the effect: there at once
    assert row.outcome == "Bv03" and row.operation == "Di01-verstrekVordering"
    assert row.request == wrap(message)  # the body as received, byte for byte
    assert reply.text.encode().find(row.reply) > 0


def test_a_refused_di01_is_archived_with_its_fo03(gateway):
    server, store = gateway
    ref = uuid.uuid4().hex
    never_stored = g.random_vordering(random.Random(3), 3, prefix=f"ARCH{uuid.uuid4().hex[:10]}")
    post(server.url, g.di01_statuswijziging([g.status_for(never_stored)], referentienummer=ref))
    [row] = rows(store, referentienummer=ref)
    assert (row.outcome, row.fault_code) == ("Fo03", "StUF058")


def _archived_question(store: Store, number: str) -> list[sa.Row]:
    """The archive rows of the vrdLv01 about ``nummer`` (written after the answer: poll for them)."""
    return wait_for(lambda: [r for r in rows(store, operation="vrdLv01") if number.encode() in r.request],
                    f"the archived vrdLv01 about {number}", 30)


def test_an_answered_vrdlv01_is_archived_with_its_la01(gateway):
    server, store = gateway
    spec = g.random_vordering(random.Random(4), 4, prefix=f"ARCH{uuid.uuid4().hex[:10]}")
    assert post(server.url, g.di01_vordering([spec])).status == 200
    reply = post(server.url, g.vrdLv01(spec.vorderingnummer))
    assert reply.status == 200
    [row] = _archived_question(store, spec.vorderingnummer)
    assert row.outcome == "La01" and row.fault_code is None
    assert spec.vorderingnummer.encode() in row.reply


def test_an_unanswerable_vrdlv01_is_archived_with_its_fo02(gateway):
    server, store = gateway
    number = f"ARCH{uuid.uuid4().hex[:12]}"
    assert post(server.url, g.vrdLv01(number)).code == "StUF064"
    [row] = _archived_question(store, number)
    assert (row.outcome, row.fault_code) == ("Fo02", "StUF064")
