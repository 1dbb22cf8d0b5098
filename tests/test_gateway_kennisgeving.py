"""The Di01 port over real HTTP: Bv03 on success, Fo03 for business and schema errors, StUF016, atomicity."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from lxml import etree

from stuf_fin.namespaces import FIN, STUF
from stuf_fin.selftest import generator as g
from stuf_fin.store import vorderingen as vorderingen_store
from stuf_fin.store.db import Store
from stuf_fin.store.tables import bericht, vordering, vorderingsregel, vorderingstatus
from tests.support.server import gateway_and_store
from tests.support.soap import post


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with gateway_and_store(tmp_path_factory.mktemp("gateway")) as gateway:
        yield gateway


def _ref() -> str:
    return uuid.uuid4().hex


def _vordering(rng_seed: int, **changes) -> g.VorderingSpec:
    import dataclasses
    import random

    spec = g.random_vordering(random.Random(rng_seed), rng_seed, prefix=f"T{uuid.uuid4().hex[:10]}")
    return dataclasses.replace(spec, **changes)


def _stored(store: Store, spec: g.VorderingSpec) -> int | None:
    with store.begin(write=False) as conn:
        return vorderingen_store.find_vordering(conn, spec.organisatie_nnp_id or "", spec.tsa, spec.vorderingnummer)


def test_vordering_is_acknowledged_with_a_bv03_built_from_the_request(gateway):
    server, store = gateway
    spec = _vordering(1)
    ref = _ref()
    reply = post(server.url, g.di01_vordering([spec], referentienummer=ref))
    assert reply.status == 200 and not reply.is_fault, reply.text
    assert reply.message.tag == f"{{{STUF}}}Bv03Bericht"
    assert reply.stuurgegeven("crossRefnummer") == ref
    assert reply.stuurgegeven("referentienummer") not in (None, "", ref)
    assert len(reply.stuurgegeven("tijdstipBericht")) == 17
    sg = reply.message.find(f"{{{STUF}}}stuurgegevens")
    # zender and ontvanger are the request's, swapped
    assert sg.findtext(f"{{{STUF}}}zender/{{{STUF}}}applicatie") == g.ONTVANGER.applicatie
    assert sg.findtext(f"{{{STUF}}}ontvanger/{{{STUF}}}applicatie") == g.ZENDER.applicatie
    assert _stored(store, spec) is not None


def test_status_change_and_verantwoording_are_acknowledged(gateway):
    server, store = gateway
    spec = _vordering(2)
    assert post(server.url, g.di01_vordering([spec])).status == 200
    reply = post(server.url, g.di01_statuswijziging([g.status_for(spec, "BET")]))
    assert reply.status == 200 and reply.message.tag == f"{{{STUF}}}Bv03Bericht", reply.text
    with store.begin(write=False) as conn:
        history = vorderingen_store.status_history(conn, _stored(store, spec))
    assert [h.status.status for h in history][-1] == "BET"
    reply = post(server.url, g.di01_financiele_verantwoording(1, start=int(uuid.uuid4().int % 10**8)))
    assert reply.status == 200 and reply.message.tag == f"{{{STUF}}}Bv03Bericht", reply.text


def test_status_change_for_an_unknown_vordering_is_a_fo03(gateway):  # scenario 5
    server, _ = gateway
    spec = _vordering(3)  # never sent
    reply = post(server.url, g.di01_statuswijziging([g.status_for(spec, "BET")]))
    assert reply.status == 500 and reply.is_fault
    assert reply.message.tag == f"{{{STUF}}}Fo03Bericht"
    assert reply.code == "StUF058"
    assert spec.vorderingnummer in reply.details


def test_known_vorderingnummer_with_a_new_referentienummer_is_a_fo03(gateway):  # scenario 10
    server, _ = gateway
    spec = _vordering(4)
    assert post(server.url, g.di01_vordering([spec])).status == 200
    reply = post(server.url, g.di01_vordering([spec], referentienummer=_ref()))
    assert reply.is_fault and reply.code == "StUF058"
    assert spec.vorderingnummer in reply.details
    assert reply.body.findtext("faultcode").endswith(":Server")


def test_vervaldatum_in_the_past_is_a_fo03(gateway):  # scenario 11
    server, store = gateway
    spec = _vordering(5, vervaldatum=(date.today() - timedelta(days=3)).isoformat())
    reply = post(server.url, g.di01_vordering([spec]))
    assert reply.is_fault and reply.code == "StUF058"
    assert "vervaldatum" in reply.details
    assert _stored(store, spec) is None


def test_duplicate_verantwoordingsnummer_is_a_fo03(gateway):  # scenario 14
    server, _ = gateway
    import random

    fvw = g.random_verantwoording(random.Random(14), int(uuid.uuid4().int % 10**8))
    assert post(server.url, g.di01_financiele_verantwoording([fvw])).status == 200
    reply = post(server.url, g.di01_financiele_verantwoording([fvw], referentienummer=_ref()))
    assert reply.is_fault and reply.code == "StUF058"
    assert re.search(rf"verantwoording {re.escape(fvw.verantwoordingsnummer)}\b.* is al eerder aangeleverd",
                     reply.details), reply.details


def test_identical_resend_gets_the_earlier_bv03_and_is_stored_once(gateway):
    server, store = gateway
    spec, ref = _vordering(6), _ref()
    message = g.di01_vordering([spec], referentienummer=ref)
    first = post(server.url, message)
    again = post(server.url, message)
    assert first.status == again.status == 200
    assert etree.tostring(again.message) == etree.tostring(first.message)  # the same Bv03, byte for byte
    vid = _stored(store, spec)
    with store.begin(write=False) as conn:
        def count(table, where):
            return conn.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar()

        assert count(vordering, vordering.c.vorderingnummer == spec.vorderingnummer) == 1
        assert count(vorderingsregel, vorderingsregel.c.vordering_id == vid) == len(spec.regels)
        assert count(vorderingstatus, vorderingstatus.c.vordering_id == vid) == (1 if spec.status else 0)
        archived = conn.execute(sa.select(bericht.c.id, bericht.c.resend_of)
                                .where(bericht.c.referentienummer == ref).order_by(bericht.c.id)).all()
    # both archived; the second as a resend of the first, not as a message of its own
    assert [row.resend_of for row in archived] == [None, archived[0].id]


def test_same_referentienummer_with_other_content_is_stuf016(gateway):
    server, store = gateway
    ref = _ref()
    assert post(server.url, g.di01_vordering([_vordering(7)], referentienummer=ref)).status == 200
    other = _vordering(8)
    reply = post(server.url, g.di01_vordering([other], referentienummer=ref))
    assert reply.is_fault and reply.code == "StUF016"
    assert reply.body.findtext("faultcode").endswith(":Client")
    assert _stored(store, other) is None


def test_a_message_answered_with_fo03_may_be_resent_corrected_with_the_same_referentienummer(gateway):
    server, store = gateway
    ref = _ref()
    spec = _vordering(9, vervaldatum=(date.today() - timedelta(days=1)).isoformat())
    assert post(server.url, g.di01_vordering([spec], referentienummer=ref)).code == "StUF058"
    import dataclasses

    fixed = dataclasses.replace(spec, vervaldatum=(date.today() + timedelta(days=30)).isoformat())
    reply = post(server.url, g.di01_vordering([fixed], referentienummer=ref))
    assert reply.status == 200, reply.text
    assert _stored(store, fixed) is not None


def test_a_message_is_all_or_nothing(gateway):
    server, store = gateway
    stored = _vordering(10)
    assert post(server.url, g.di01_vordering([stored])).status == 200
    first, second = _vordering(11), _vordering(12)
    reply = post(server.url, g.di01_vordering([first, second, stored], referentienummer=_ref()))
    assert reply.is_fault and reply.code == "StUF058"
    assert _stored(store, first) is None and _stored(store, second) is None


def test_schema_error_is_stuf055_with_a_location(gateway):
    server, _ = gateway
    root = etree.fromstring(g.di01_vordering([_vordering(13)]))
    root.find(f".//{{{FIN}}}valutacode").text = "XXX"
    reply = post(server.url, root)
    assert reply.is_fault and reply.code == "StUF055"
    assert "valutacode" in reply.details and "line" in reply.details
    assert len(reply.details) <= 1000


def test_bv03_and_fo03_received_are_correlated_with_what_the_gateway_sent(gateway):
    """A Bv03/Fo03 received answers one of our outbound messages (crossRefnummer); an unknown one is StUF043."""
    server, store = gateway
    from datetime import UTC, datetime

    from stuf_fin.outbound import outbox
    from stuf_fin.stuf import answers as stuf_answers
    from stuf_fin.stuf.faults import StufFault
    from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem

    sent = [_ref(), _ref()]
    with store.begin() as conn:
        for ref in sent:
            outbox.enqueue(conn, route="tsa:TSA", operation="Di01-verstrekVorderingStatusWijziging", message=b"<x/>",
                           referentienummer=ref, tijdstip_bericht="20260101", now=datetime.now(UTC))
    answers = [Stuurgegevens(zender=Systeem("1900", "TSA"), ontvanger=Systeem("1900", "INN"), referentienummer=ref)
               for ref in sent]
    for message in (stuf_answers.bv03(answers[0]), stuf_answers.fo03(answers[1], StufFault("StUF013", "test"))):
        reply = post(server.url, message)
        assert reply.status == 200 and reply.message.tag == f"{{{STUF}}}Bv03Bericht", reply.text
        assert reply.stuurgegeven("crossRefnummer") == message.findtext(f".//{{{STUF}}}referentienummer")
    with store.begin(write=False) as conn:
        assert [outbox.by_referentienummer(conn, ref).state for ref in sent] == ["delivered", "dead"]
    unknown = Stuurgegevens(zender=Systeem("1900", "TSA"), ontvanger=Systeem("1900", "INN"), referentienummer=_ref())
    for message in (stuf_answers.bv03(unknown), stuf_answers.fo03(unknown, StufFault("StUF058", "test"))):
        reply = post(server.url, message)
        assert reply.is_fault and reply.code == "StUF043", reply.text
