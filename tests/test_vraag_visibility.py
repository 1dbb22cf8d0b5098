"""Visibility: a client sees in a vrdLa01 only the vorderingen of the ``tsa`` values it is granted
(``[[clients]] tsa``, docs/security.md); the others are left out as if they did not exist, also for the
not-found policy and for a follow-up start object."""

from __future__ import annotations

import base64
import random
import uuid

import pytest
from lxml import etree

from bench import vraag as v
from stuf_fin.namespaces import F, S
from stuf_fin.selftest import generator as g
from tests.support.security import client_table, clients_config
from tests.support.security import post as raw_post
from tests.support.vraag import assert_valid, numbers
from tests.support.vraag import gateway as start_gateway

PASSWORD = "geheim-" + uuid.uuid4().hex[:8]
SUFFIX = uuid.uuid4().hex[:6]
TSA_A, TSA_B = f"ZICHT-A-{SUFFIX}", f"ZICHT-B-{SUFFIX}"
ZENDER_A = g.Systeem("1900", "VAKAPP-A")
ZENDER_INN = g.Systeem("1900", "INNING")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("vraag-visibility")
    config = clients_config(
        workdir,
        client_table("a", "1900/VAKAPP-A", username="a", password=PASSWORD, tsa=[TSA_A]),
        client_table("inning", "1900/INNING", "1900/BELASTINGEN", username="inning", password=PASSWORD, tsa=["*"]),
    )
    with start_gateway("sqlite", workdir, STUF_FIN_CONFIG=str(config)) as s:
        yield s


def _headers(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}


def _post(server, user: str, message: bytes, operation: str):
    port = "BeantwoordVraag" if operation == "vrdLv01" else "VerstrekVorderingOfVerantwoording"
    answer = raw_post(server.url, g.soap(message), port,
                      operation=operation, headers=_headers(user))
    assert answer.reply is not None, answer.text
    return answer.reply


@pytest.fixture(scope="module")
def specs(server):
    rng = random.Random(5)
    specs = [g.random_vordering(rng, i, tsa=tsa, prefix=f"Z{SUFFIX}-{tsa[-8]}-")
             for i, tsa in enumerate([TSA_A, TSA_B, TSA_A, TSA_B])]
    reply = _post(server, "inning", g.di01_vordering(specs), "Di01-verstrekVordering")
    assert not reply.is_fault, reply.text
    return specs


def _vraag(server, user: str, zender: g.Systeem, gelijk, **kw):
    reply = _post(server, user, v.vrdLv01(gelijk, zender=zender, ontvanger=None, scope="kerngegevens", **kw),
                  "vrdLv01")
    if not reply.is_fault:
        assert_valid(reply.message)
    return reply


def test_a_client_sees_only_its_tsa(server, specs):
    selection = [v.field("vorderingnummer", f"Z{SUFFIX}-", exact=False)]
    reply = _vraag(server, "a", ZENDER_A, selection)
    assert numbers(reply.message) == [specs[0].vorderingnummer, specs[2].vorderingnummer]
    reply = _vraag(server, "inning", ZENDER_INN, selection)
    assert numbers(reply.message) == [s.vorderingnummer for s in specs]


def test_an_invisible_vordering_is_not_found(server, specs):
    reply = _vraag(server, "a", ZENDER_A, [v.field("vorderingnummer", specs[1].vorderingnummer)])
    assert reply.is_fault and reply.code == "StUF064"
    reply = _vraag(server, "inning", ZENDER_INN, [v.field("vorderingnummer", specs[1].vorderingnummer)])
    assert numbers(reply.message) == [specs[1].vorderingnummer]


def test_an_invisible_start_object_is_refused(server, specs):
    reply = _vraag(server, "inning", ZENDER_INN, [v.field("vorderingnummer", specs[1].vorderingnummer)])
    sleutel = reply.message.find(f"{F}antwoord/{F}object").get(S + "sleutelVerzendend")
    start = etree.Element(F + "object", {S + "entiteittype": "VRD", S + "sleutelOntvangend": sleutel})
    reply = _vraag(server, "a", ZENDER_A, [v.field("vorderingnummer", f"Z{SUFFIX}-", exact=False)], start=start)
    assert reply.is_fault and reply.code == "StUF058"
