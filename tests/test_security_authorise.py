"""The authorisation hook on its own: zender per identity (StUF013/StUF052), operations, vrdLv01 visibility."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from stuf_fin.security.authorise import Authorisation, authorisation_for, describe
from stuf_fin.security.clients import load_clients
from stuf_fin.stuf.exchange import Request
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.operations import OPERATIONS
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem

OPS = {op.name: op for op in OPERATIONS}


@pytest.fixture(scope="module")
def authorisation():
    return Authorisation(load_clients([
        {"name": "tsa", "zenders": ["0363/TSA01", "0363/TSA02/adm"], "operations": ["Di01-verstrekVordering",
                                                                                 "vrdLv01"],
         "tls_subject": "CN=tsa"},
        {"name": "inn", "zenders": ["0363/INN01"], "operations": ["*"], "tls_subject": "CN=inn", "tsa": "*"},
        {"name": "beheer", "zenders": ["0363/BEHEER"], "operations": ["vrdLv01"], "tls_subject": "CN=beheer",
         "tsa": ["TSA01", "TSA03"]},
    ], {}))


def _request(operation: str, identity: str | None) -> Request:
    return Request(OPS[operation], etree.Element("x"), b"", datetime.now(UTC), identity=identity)


def _sg(organisatie: str, applicatie: str, administratie: str = "") -> Stuurgegevens:
    return Stuurgegevens(zender=Systeem(organisatie, applicatie, administratie))


def _refused(authorisation, request, sg) -> str:
    with pytest.raises(StufFault) as info:
        authorisation(request, sg)
    return info.value.code


def test_allowed(authorisation):
    request = _request("Di01-verstrekVordering", "tsa")
    authorisation(request, _sg("0363", "TSA01", "any-administratie"))
    authorisation(request, _sg("0363", "TSA02", "adm"))
    assert request.visible_tsas == {"TSA01", "TSA02"}


def test_zender_of_another_client_is_stuf052_unknown_zender_stuf013(authorisation):
    request = _request("Di01-verstrekVordering", "tsa")
    assert _refused(authorisation, request, _sg("0363", "INN01")) == "StUF052"
    assert _refused(authorisation, request, _sg("0363", "ONBEKEND")) == "StUF013"
    assert _refused(authorisation, request, _sg("0599", "TSA01")) == "StUF013"
    assert _refused(authorisation, request, _sg("0363", "TSA02", "other")) == "StUF013"


def test_operation_not_granted_is_stuf052(authorisation):
    with pytest.raises(StufFault,
                       match="berichtcode Di01, entiteittype FVW, functie verstrekFinVerantwoording") as info:
        authorisation(_request("Di01-verstrekFinancieleVerantwoording", "tsa"), _sg("0363", "TSA01"))
    assert info.value.code == "StUF052" and info.value.plek == "client"


def test_no_identity_is_stuf052(authorisation):
    assert _refused(authorisation, _request("Di01-verstrekVordering", None), _sg("0363", "TSA01")) == "StUF052"
    assert _refused(authorisation, _request("Di01-verstrekVordering", "ghost"), _sg("0363", "TSA01")) == "StUF052"


def test_vraag_without_zender_is_judged_by_identity(authorisation):
    authorisation(_request("vrdLv01", "beheer"), Stuurgegevens())
    assert _refused(authorisation, _request("vrdLv01", "beheer"), _sg("0363", "TSA01")) == "StUF052"


def test_visibility(authorisation):
    assert authorisation.visible_tsas("tsa") == {"TSA01", "TSA02"}  # default: its own applicaties
    assert authorisation.visible_tsas("inn") is None  # granted everything
    assert authorisation.visible_tsas("beheer") == {"TSA01", "TSA03"}
    assert authorisation.visible_tsas("ghost") == frozenset()
    request = _request("vrdLv01", "inn")
    authorisation(request, _sg("0363", "INN01"))
    assert request.visible_tsas is None


def test_no_clients_no_hook():
    assert authorisation_for(()) is None
    assert describe(OPS["vrdLv01"]) == "berichtcode Lv01, entiteittype VRD"
