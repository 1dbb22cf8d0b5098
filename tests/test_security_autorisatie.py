"""The authorisation hook on its own: zender per identity (StUF013/StUF052), operations, vrdLv01 visibility."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from stuf_fin.security.autorisatie import Autorisatie, autorisatie_voor, beschrijf
from stuf_fin.security.clients import load_clients
from stuf_fin.stuf.exchange import Verzoek
from stuf_fin.stuf.fouten import StufFout
from stuf_fin.stuf.operaties import OPERATIES
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem

OPS = {op.naam: op for op in OPERATIES}


@pytest.fixture(scope="module")
def autorisatie():
    return Autorisatie(load_clients([
        {"name": "tsa", "zenders": ["0363/TSA01", "0363/TSA02/adm"], "operations": ["Di01-verstrekVordering",
                                                                                 "vrdLv01"],
         "tls_subject": "CN=tsa"},
        {"name": "inn", "zenders": ["0363/INN01"], "operations": ["*"], "tls_subject": "CN=inn", "tsa": "*"},
        {"name": "beheer", "zenders": ["0363/BEHEER"], "operations": ["vrdLv01"], "tls_subject": "CN=beheer",
         "tsa": ["TSA01", "TSA03"]},
    ], {}))


def _verzoek(operation: str, identity: str | None) -> Verzoek:
    return Verzoek(OPS[operation], etree.Element("x"), b"", datetime.now(UTC), identiteit=identity)


def _sg(organisatie: str, applicatie: str, administratie: str = "") -> Stuurgegevens:
    return Stuurgegevens(zender=Systeem(organisatie, applicatie, administratie))


def _refused(autorisatie, verzoek, sg) -> str:
    with pytest.raises(StufFout) as info:
        autorisatie(verzoek, sg)
    return info.value.code


def test_allowed(autorisatie):
    verzoek = _verzoek("Di01-verstrekVordering", "tsa")
    autorisatie(verzoek, _sg("0363", "TSA01", "any-administratie"))
    autorisatie(verzoek, _sg("0363", "TSA02", "adm"))
    assert verzoek.zichtbare_tsas == {"TSA01", "TSA02"}


def test_zender_of_another_client_is_stuf052_unknown_zender_stuf013(autorisatie):
    verzoek = _verzoek("Di01-verstrekVordering", "tsa")
    assert _refused(autorisatie, verzoek, _sg("0363", "INN01")) == "StUF052"
    assert _refused(autorisatie, verzoek, _sg("0363", "ONBEKEND")) == "StUF013"
    assert _refused(autorisatie, verzoek, _sg("0599", "TSA01")) == "StUF013"
    assert _refused(autorisatie, verzoek, _sg("0363", "TSA02", "other")) == "StUF013"


def test_operation_not_granted_is_stuf052(autorisatie):
    with pytest.raises(StufFout, match="berichtcode Di01, entiteittype FVW, functie verstrekFinVerantwoording") as info:
        autorisatie(_verzoek("Di01-verstrekFinancieleVerantwoording", "tsa"), _sg("0363", "TSA01"))
    assert info.value.code == "StUF052" and info.value.plek == "client"


def test_no_identity_is_stuf052(autorisatie):
    assert _refused(autorisatie, _verzoek("Di01-verstrekVordering", None), _sg("0363", "TSA01")) == "StUF052"
    assert _refused(autorisatie, _verzoek("Di01-verstrekVordering", "ghost"), _sg("0363", "TSA01")) == "StUF052"


def test_vraag_without_zender_is_judged_by_identity(autorisatie):
    autorisatie(_verzoek("vrdLv01", "beheer"), Stuurgegevens())
    assert _refused(autorisatie, _verzoek("vrdLv01", "beheer"), _sg("0363", "TSA01")) == "StUF052"


def test_visibility(autorisatie):
    assert autorisatie.zichtbare_tsas("tsa") == {"TSA01", "TSA02"}  # default: its own applicaties
    assert autorisatie.zichtbare_tsas("inn") is None  # granted everything
    assert autorisatie.zichtbare_tsas("beheer") == {"TSA01", "TSA03"}
    assert autorisatie.zichtbare_tsas("ghost") == frozenset()
    verzoek = _verzoek("vrdLv01", "inn")
    autorisatie(verzoek, _sg("0363", "INN01"))
    assert verzoek.zichtbare_tsas is None


def test_no_clients_no_hook():
    assert autorisatie_voor(()) is None
    assert beschrijf(OPS["vrdLv01"]) == "berichtcode Lv01, entiteittype VRD"
