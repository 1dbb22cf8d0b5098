"""SOAP transport over real HTTP: dispatch, SOAPAction, broken input, WSDL serving."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from stuf_fin.envelope import wrap
from stuf_fin.namespaces import SOAP_ENV, STUF
from stuf_fin.selftest import generator as g
from tests.support.server import start_server
from tests.support.soap import Reply, checked, post

KENNISGEVING = "/VerstrekVorderingOfVerantwoording"
VRAAG = "/BeantwoordVraag"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("soap"))
    yield server
    server.stop()


def raw_post(server, path: str, data: bytes, soap_action: str = '""', timeout: float = 10) -> Reply:
    """POST bytes as they are; a hang fails through the client timeout."""
    response = httpx.post(server.url + path, content=data, timeout=timeout,
                          headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": soap_action})
    return checked(Reply(response.status_code, etree.fromstring(response.content), response.text))


def test_wrong_soap_action_is_a_fault(server):
    reply = post(server.url, g.di01_vordering(1), soap_action="http://www.egem.nl/StUF/sector/fin/0310/vrdLv01")
    assert reply.is_fault and reply.code == "StUF040"
    assert reply.message.tag == f"{{{STUF}}}Fo03Bericht"
    assert "SOAPAction" in reply.details


def test_message_of_the_other_port_is_an_unknown_operation(server):
    reply = post(server.url, g.vrdLv01("X1"), port="VerstrekVorderingOfVerantwoording", soap_action="")
    assert reply.is_fault and reply.code == "StUF022"
    reply = post(server.url, g.di01_vordering(1), port="BeantwoordVraag", soap_action="")
    assert reply.is_fault and reply.code == "StUF022"
    assert reply.message.tag == f"{{{STUF}}}Fo02Bericht"


def test_unknown_element_is_stuf022(server):
    reply = raw_post(server, KENNISGEVING, wrap(b'<x:iets xmlns:x="urn:iets"/>'))
    assert reply.code == "StUF022"


@pytest.mark.parametrize("data", [
    b"",
    b"   ",
    b"<SOAP-ENV:Envelope xmlns:SOAP-ENV=",
    wrap(g.di01_vordering(1))[:-60],
    b"<a><b></a>",
    b"<notsoap/>",
    b'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body/></S:Envelope>',
], ids=["empty", "blank", "truncated-start", "truncated", "malformed", "not-an-envelope", "empty-body"])
@pytest.mark.parametrize("path", [KENNISGEVING, VRAAG])
def test_broken_input_gets_a_stuf055_fault_at_once(server, path, data):
    reply = raw_post(server, path, data, timeout=5)
    assert reply.is_fault and reply.code == "StUF055"
    assert "Traceback" not in reply.text
    expected = "Fo02Bericht" if path == VRAAG else "Fo03Bericht"
    assert reply.message.tag == f"{{{STUF}}}{expected}"


def test_server_keeps_answering_after_broken_input(server):
    raw_post(server, KENNISGEVING, b"<a>", timeout=5)
    assert post(server.url, g.di01_vordering(1)).status == 200


@pytest.mark.parametrize("port", ["VerstrekVorderingOfVerantwoording", "BeantwoordVraag"])
def test_wsdl_is_served_with_the_address_the_client_used(server, port):
    response = httpx.get(f"{server.url}/{port}?wsdl")
    assert response.status_code == 200
    wsdl = etree.fromstring(response.content)
    addresses = wsdl.findall(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert [a.get("location") for a in addresses] == [f"{server.url}/{port}"]
    for imp in wsdl.iter("{http://www.w3.org/2001/XMLSchema}import"):
        location = imp.get("schemaLocation")
        assert location.startswith(server.url + "/xsd/")
        assert httpx.get(location).status_code == 200


def test_get_without_wsdl_is_405(server):
    assert httpx.get(server.url + KENNISGEVING).status_code == 405


def test_fault_envelope_has_no_faultactor(server):
    reply = raw_post(server, KENNISGEVING, b"<a/>")
    assert reply.root.tag == f"{{{SOAP_ENV}}}Envelope"
    assert reply.body.find("faultactor") is None
