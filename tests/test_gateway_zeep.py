"""A SOAP client generated from the WSDL the gateway serves (zeep) talks to it unchanged: Di01 operations get
a Bv03, an identical resend gets it again, a refused message raises a SOAP Fault with the Fo03 in ``detail``.

zeep cannot render the generator's debiteur (a choice inside a choice) from parsed values, so these
vorderingen carry none; the debiteur round trip is covered over raw SOAP (tests/test_gateway_kennisgeving.py).
"""

from __future__ import annotations

import dataclasses
import random
import uuid

import pytest
import zeep
from lxml import etree

from stuf_fin.namespaces import STUF
from stuf_fin.selftest import generator as g
from tests.support.server import start_server


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("zeep"))
    yield zeep.Client(f"{server.url}/VerstrekVorderingOfVerantwoording?wsdl")
    server.stop()


def call(client: zeep.Client, operation: str, message: bytes):
    """Call ``operation`` with the values of ``message`` as zeep objects (what a generated client sends)."""
    root = etree.fromstring(message)
    value = client.get_element(root.tag).parse(root, client.wsdl.types)
    return client.service[operation](**{name: value[name] for name in value})


def vordering(seed: int) -> g.VorderingSpec:
    spec = g.random_vordering(random.Random(seed), seed, prefix=f"ZEEP{uuid.uuid4().hex[:10]}")
    return dataclasses.replace(spec, debiteur=None)


def test_di01_operations_answer_bv03(client):
    spec = vordering(1)
    for operation, message in (
        ("Di01-verstrekVordering", g.di01_vordering([spec])),
        ("Di01-verstrekVorderingStatusWijziging", g.di01_statuswijziging([g.status_for(spec, "BET")])),
        ("Di01-verstrekFinancieleVerantwoording", g.di01_financiele_verantwoording(1)),
    ):
        ref = etree.fromstring(message).findtext(f".//{{{STUF}}}referentienummer")
        answer = call(client, operation, message)
        assert answer.berichtcode == "Bv03", operation
        assert answer.crossRefnummer == ref


def test_identical_resend_and_a_refusal_as_a_soap_fault(client):
    message = g.di01_vordering([vordering(2)], referentienummer=uuid.uuid4().hex)
    first = call(client, "Di01-verstrekVordering", message)
    assert call(client, "Di01-verstrekVordering", message).referentienummer == first.referentienummer
    root = etree.fromstring(message)
    root.find(f".//{{{STUF}}}referentienummer").text = uuid.uuid4().hex  # same vordering, new message
    with pytest.raises(zeep.exceptions.Fault) as fault:
        call(client, "Di01-verstrekVordering", etree.tostring(root))
    assert fault.value.code.endswith(":Server")
    fo03 = fault.value.detail[0]
    assert fo03.tag == f"{{{STUF}}}Fo03Bericht"
    assert fo03.findtext(f"{{{STUF}}}body/{{{STUF}}}code") == "StUF058"
