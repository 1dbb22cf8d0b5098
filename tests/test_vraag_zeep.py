"""vrdLv01 through a SOAP client that zeep generates from our WSDL as served (``/BeantwoordVraag?wsdl``):
zeep builds the request from the WSDL; the gateway's vrdLa01 and Fo02 must come back as zeep reads them.

Known zeep 4.3 limits (docs/vraag.md): it cannot load the official VNG WSDL (an unresolved QName in the
release's schemas), and it cannot parse a natural-person debiteur with a ``verblijfsadres`` (two
``xs:choice maxOccurs="2"`` in ``NPSNINING-basis``), although the answer is schema-valid.  The tests use a
vordering with an NNP debiteur."""

from __future__ import annotations

import random
import uuid

import pytest
import zeep

from stuf_fin.namespaces import STUF
from stuf_fin.selftest import generator as g
from tests.support.soap import post
from tests.support.vraag import assert_valid, gateway


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gateway("sqlite", tmp_path_factory.mktemp("vraag-zeep")) as s:
        yield s


@pytest.fixture(scope="module")
def vordering(server) -> g.VorderingSpec:
    spec = g.random_vordering(random.Random(11), 1, prefix=f"ZEEP{uuid.uuid4().hex[:6]}-")
    spec.status = g.StatusSpec("VRW", "2025-03-01T10:00:00Z", totaal_betaald=500)
    spec.debiteur = g.DebiteurSpec(g.NnpSpec("004567891", "Bakkerij Van Veen", "besloten vennootschap"), "D-9")
    spec.zaak_identificatie = "ZAAK-2025-0000001"
    reply = post(server.url, g.di01_vordering([spec]))
    assert not reply.is_fault, reply.text
    return spec


@pytest.fixture(scope="module")
def service(server):
    return zeep.Client(f"{server.url}/BeantwoordVraag?wsdl").service


def _vraag(service, vorderingnummer: str, scope: str | dict = "alles"):
    return service.vrdLv01(
        stuurgegevens={"berichtcode": "Lv01", "zender": {"applicatie": "ZEEPCLIENT"}, "entiteittype": "VRD"},
        parameters={"sortering": 1, "maximumAantal": 5},
        gelijk={"entiteittype": "VRD", "vorderingnummer": {"_value_1": vorderingnummer}},
        scope={"object": {"entiteittype": "VRD", "scope": scope} if isinstance(scope, str) else scope})


def test_zeep_client_gets_the_vordering_and_its_status(service, vordering):
    antwoord = _vraag(service, vordering.vorderingnummer)
    assert antwoord.stuurgegevens.berichtcode == "La01"
    assert antwoord.stuurgegevens.ontvanger.applicatie == "ZEEPCLIENT"
    [obj] = antwoord.antwoord.object
    assert obj.vorderingnummer._value_1 == vordering.vorderingnummer
    assert obj.tsa._value_1 == vordering.tsa
    assert obj.totaalbedragInclBTW._value_1 == vordering.totaalbedrag_incl_btw
    assert obj.vorderingstatus.status._value_1 == "VRW" and obj.vorderingstatus.totaalBetaald._value_1 == 500
    assert [r.vorderingcode._value_1 for r in obj.vorderingsregel] == [r.vorderingcode for r in vordering.regels]
    debiteur = obj.wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur
    assert debiteur.debiteurnummer._value_1 == "D-9"
    assert obj.isOntstaanInZaak.gerelateerde.identificatie._value_1 == "ZAAK-2025-0000001"
    assert obj.sleutelVerzendend.isdigit()


def test_zeep_client_kerngegevens(service, vordering):
    [obj] = _vraag(service, vordering.vorderingnummer, "kerngegevens").antwoord.object
    assert obj.vorderingnummer._value_1 == vordering.vorderingnummer
    assert obj.vorderingstatus is None and obj.vorderingsregel == []


def test_zeep_client_with_an_explicit_scope(service, vordering):
    wanted = {"entiteittype": "VRD", "vorderingnummer": zeep.xsd.Nil, "taaknummer": zeep.xsd.Nil,
              "vorderingstatus": {"status": zeep.xsd.Nil, "datumEnTijd": zeep.xsd.Nil}}
    [obj] = _vraag(service, vordering.vorderingnummer, wanted).antwoord.object
    assert obj.vorderingnummer._value_1 == vordering.vorderingnummer
    assert obj.vorderingstatus.status._value_1 == "VRW" and obj.vorderingstatus.totaalBetaald is None
    assert obj.tsa is None and obj.vorderingsregel == []
    if vordering.taaknummer is None:
        assert obj.taaknummer.noValue == "waardeOnbekend"


def test_zeep_client_gets_fo02_stuf064_as_a_soap_fault(service):
    with pytest.raises(zeep.exceptions.Fault) as raised:
        _vraag(service, "ONBEKEND-" + uuid.uuid4().hex[:8])
    fault = raised.value
    assert fault.code.split(":")[-1] == "Server" and fault.message == "Object niet gevonden"
    fo02 = fault.detail[0]
    assert fo02.tag == f"{{{STUF}}}Fo02Bericht"
    assert fo02.findtext(f"{{{STUF}}}body/{{{STUF}}}code") == "StUF064"
    assert_valid(fo02)
