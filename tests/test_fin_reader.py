"""Reading Di01 messages into domain objects (stuf_fin.fin.reader) and writing them back (schrijven)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from stuf_fin.fin import reader, writer
from stuf_fin.fin.model import TEXT, parse_datetime
from stuf_fin.namespaces import BG, XSI_NIL, F, S
from stuf_fin.schema import get_validator, parse_bytes
from stuf_fin.selftest import generator as g

NO_VALUE = S + "noValue"


def _objects(message: etree._Element) -> list[etree._Element]:
    return list(message.iter(F + "object"))


def test_generated_vorderingen_read_as_sent() -> None:
    rng = random.Random(21)
    specs = [g.random_vordering(rng, i) for i in range(300)]
    vorderingen = reader.vorderingen(parse_bytes(g.di01_vordering(specs)).getroot())
    assert len(vorderingen) == len(specs)
    for spec, v in zip(specs, vorderingen, strict=True):
        assert (v.vorderingnummer, v.tsa, v.vorderende_organisatie.sleutel) == (
            spec.vorderingnummer, spec.tsa, spec.organisatie_nnp_id)
        assert (v.creatiedatum, v.factuurdatum, v.vervaldatum, v.factuurnummer, v.taaknummer) == (
            spec.creatiedatum, spec.factuurdatum, spec.vervaldatum, spec.factuurnummer, spec.taaknummer)
        assert (v.totaalbedrag_excl_btw, v.totaalbedrag_btw, v.totaalbedrag_incl_btw) == (
            spec.totaalbedrag_excl_btw, spec.totaalbedrag_btw, spec.totaalbedrag_incl_btw)
        assert (v.indicator_factuur_uitgestuurd, v.indicator_publiekrechtelijk, v.valutacode) == (
            spec.indicator_factuur_uitgestuurd, spec.indicator_publiekrechtelijk, spec.valutacode)
        assert v.algemene_factuuromschrijving == spec.algemene_factuuromschrijving
        assert [(r.bedrag_excl_btw, r.bedrag_btw, r.bedrag_incl_btw, r.btw_categorie, r.btw_percentage,
                 r.vorderingtype, r.vorderingcode, r.vorderingomschrijving, r.vorderingtoelichting, r.aantal,
                 r.eenheid, r.stuks_prijs_excl_btw) for r in v.vorderingsregels] == [
            (r.bedrag_excl_btw, r.bedrag_btw, r.bedrag_incl_btw, r.btw_categorie, r.btw_percentage, r.vorderingtype,
             r.vorderingcode, r.vorderingomschrijving, r.vorderingtoelichting, r.aantal, r.eenheid,
             r.stuks_prijs_excl_btw) for r in spec.regels]
        assert [(t.btw_categorie, t.totaalbedrag_btw) for t in v.totaalregels_btw] == spec.totaalregels_btw
        if spec.incasso:
            i = v.automatische_incasso
            assert (i.machtigingskenmerk, i.afgiftedatum_incasso, i.rekeningnummer, i.bic) == (
                spec.incasso.machtigingskenmerk, spec.incasso.afgiftedatum, spec.incasso.iban, spec.incasso.bic)
        else:
            assert v.automatische_incasso is None
        if spec.invorderingsregime:
            assert v.invorderingsschema.invorderingsregime == spec.invorderingsregime
            assert [(t.datum, t.termijnbedrag, t.vervaldatum) for t in v.invorderingsschema.termijnen] == [
                (t.datum, t.termijnbedrag, t.vervaldatum) for t in spec.termijnen]
        else:
            assert v.invorderingsschema is None
        if spec.status:
            assert (v.vorderingstatus.status, v.vorderingstatus.datum_en_tijd, v.vorderingstatus.opmerkingen) == (
                spec.status.status, spec.status.datum_en_tijd, spec.status.opmerkingen)
        else:
            assert v.vorderingstatus is None
        if spec.debiteur is None:
            assert v.debiteur is None
        elif isinstance(spec.debiteur.who, g.PersoonSpec):
            assert (v.debiteur.soort, v.debiteur.bsn, v.debiteur.nnp_id) == ("NPS", spec.debiteur.who.bsn, None)
            assert spec.debiteur.who.geslachtsnaam.encode() in v.debiteur.xml
        else:
            assert (v.debiteur.soort, v.debiteur.bsn, v.debiteur.nnp_id) == ("NNP", None, spec.debiteur.who.nnp_id)
        if spec.debiteur:
            assert v.debiteur.debiteurnummer == spec.debiteur.debiteurnummer
        assert (v.zaak.identificatie if v.zaak else None) == spec.zaak_identificatie
        assert (v.organisatorische_eenheid.identificatie if v.organisatorische_eenheid else None) == (
            spec.oeh[0] if spec.oeh else None)
        assert (v.gerelateerde_vordering.vorderingnummer if v.gerelateerde_vordering else None) == (
            spec.gerelateerde_vorderingnummer)
        assert (v.metagegevens.extra_elementen is not None) == spec.metagegevens
        assert v.vorm.get("", {}).get(S + "sleutelVerzendend") == spec.sleutel_verzendend


def test_written_back_equals_what_was_read(xml_differences) -> None:
    message = parse_bytes(g.di01_vordering(200, rng=random.Random(3))).getroot()
    assert len(_objects(message)) == 200
    for obj in _objects(message):
        assert xml_differences(obj, writer.vordering_element(reader.read_vordering(obj))) == []


def test_relations_are_kept_as_utf8_serialization_of_the_element(odd_vordering_message: bytes) -> None:
    """xml_bytes serializes as text and encodes: the bytes of ``etree.tostring(el, encoding="UTF-8")``, also with
    characters outside ASCII, escaped markup characters, a comment, namespaces declared on an ancestor or the
    element itself, and a carriage return in an attribute."""
    message = parse_bytes(odd_vordering_message).getroot()
    obj = next(message.iter(F + "object"))
    gerelateerde = obj.find(F + "heeftAlsVorderendeOrganisatie/" + F + "gerelateerde")
    name = etree.SubElement(gerelateerde, f"{{{BG}}}statutaireNaam", nsmap={"x": "urn:x"})
    name.text = "Coöperatie \u20ac & <Zon> ]]> \U0001f600 \"q\" \t"
    name.set("{urn:x}a", "é\r\n<&>\"")
    name.append(etree.Comment(" ü "))
    elements = [el for el in message.iter() if isinstance(el.tag, str)]
    assert len(elements) > 50
    for el in elements:
        assert reader.xml_bytes(el) == etree.tostring(el, encoding="UTF-8", with_tail=False)
    assert "Coöperatie €".encode() in reader.xml_bytes(gerelateerde)


def test_official_max_vordering(fin_kit: Path, xml_differences) -> None:
    message = parse_bytes((fin_kit / "testberichten" / "Di01-verstrekVordering-max.xml").read_bytes()).getroot()
    first, second = reader.vorderingen(message)
    assert (first.vorderingnummer, second.vorderingnummer) == ("KING00009999", "1234567890")
    assert first.sleutel.organisatie == "000000000" and first.tsa.startswith("testtest") and len(first.tsa) == 200
    assert (first.totaalbedrag_excl_btw, first.totaalbedrag_btw, first.totaalbedrag_incl_btw) == (200, 42, 242)
    assert first.vervaldatum == date(1957, 8, 13) and first.factuurnummer == "0987654321"
    assert [r.btw_percentage for r in first.vorderingsregels] == [21, 21]
    assert first.debiteur.bsn == "555555112" and first.debiteur.debiteurnummer == "String"
    assert first.zaak.identificatie == "aaaaa" and second.zaak.identificatie == "00009999"
    assert first.gerelateerde_vordering.vorderingnummer == "a"
    assert first.organisatorische_eenheid.identificatie == "a"
    assert first.vorderingstatus.status == "VRW" and first.vorderingstatus.totaal_betaald == 60
    assert first.invorderingsschema.termijnen[0].termijnbedrag == 20
    assert b"20130101" in first.metagegevens.tijdvak_geldigheid
    for obj, v in zip(_objects(message), (first, second), strict=True):
        assert xml_differences(obj, writer.vordering_element(v)) == []


def test_official_min_vordering_has_no_organisation_id(fin_kit: Path) -> None:
    message = parse_bytes((fin_kit / "testberichten" / "Di01-verstrekVordering-min.xml").read_bytes()).getroot()
    (v,) = reader.vorderingen(message)
    assert v.vorderende_organisatie.nnp_id is None and v.sleutel.organisatie == ""
    assert v.debiteur is None and v.factuurdatum is None and v.vorderingstatus is None
    assert v.vorm == {}


def test_nil_attributes_and_lexical_forms_are_kept(odd_vordering_message: bytes, xml_differences) -> None:
    message = parse_bytes(odd_vordering_message).getroot()
    obj = next(message.iter(F + "object"))
    v = reader.read_vordering(obj)
    assert v.factuurnummer is None and v.is_nil("factuurnummer")
    assert v.vorm["factuurnummer"][NO_VALUE] == "geenWaarde"
    assert v.factuurdatum == date.max and v.vorm["factuurdatum"][TEXT] == "12345-06-07"
    assert v.vervaldatum == date(2025, 4, 1) and v.vorm["vervaldatum"][TEXT] == "2025-04-01+01:00"
    assert v.creatiedatum == date(2025, 2, 27) and v.vorm["creatiedatum"][TEXT] == "2025-02-27Z"
    assert v.taaknummer == ""
    assert v.algemene_factuuromschrijving == "Heffing  2025"
    assert v.vorm["totaalbedragBTW"][TEXT].startswith("+")
    assert v.vorderingsregels[0].vorm["eenheid"] == {S + "exact": "false"}
    assert v.totaalregels_btw[0].totaalbedrag_btw is None and v.totaalregels_btw[0].vorm[""][XSI_NIL] == "true"
    assert v.automatische_incasso.bic is None and v.automatische_incasso.vorm["bic"][NO_VALUE] == "waardeOnbekend"
    assert v.vorderingstatus.opmerkingen is None and v.vorderingstatus.datum_en_tijd == "2025-03-01T10:00:00"
    assert v.debiteur.soort == "NNP" and v.debiteur.nnp_id is None and b"waardeOnbekend" in v.debiteur.xml
    assert v.vorm[""] == {S + "sleutelVerzendend": "abc"}
    assert xml_differences(obj, writer.vordering_element(v)) == []


def test_the_odd_vordering_is_schema_valid(official_schema_dir: Path, odd_vordering_message: bytes) -> None:
    """The cases above can really arrive: the message passes the official schema."""
    assert get_validator(official_schema_dir).validate(parse_bytes(odd_vordering_message)) == []


def test_status_change_uses_the_last_object_and_skips_nil(fin_kit: Path, xml_differences) -> None:
    data = (fin_kit / "testberichten" / "Di01-verstrekVorderingStatusWijziging-max.xml").read_bytes()
    message = parse_bytes(data).getroot()
    assert [w.vorderingstatus.status for w in reader.statuswijzigingen(message)] == ["ONV", "VRS"]
    assert [w.sleutel.tsa for w in reader.statuswijzigingen(message)] == ["a", "a"]
    nil = etree.SubElement(message, F + "vrdLk01", {"entiteittype": "VRD", "functie": "update",
                                                    f"{{{g.XSI}}}nil": "true"})
    message.insert(1, nil)
    assert [w.vorderingstatus.status for w in reader.statuswijzigingen(message)] == ["ONV", "VRS"]
    for obj in message.iter(F + "object"):
        assert xml_differences(obj, writer.statuswijziging_element(reader.read_statuswijziging(obj))) == []


def test_verantwoordingen_read_and_write_back(xml_differences) -> None:
    rng = random.Random(4)
    specs = [g.random_verantwoording(rng, i) for i in range(20)]
    message = parse_bytes(g.di01_financiele_verantwoording(specs)).getroot()
    fvws = reader.verantwoordingen(message)
    for spec, fvw in zip(specs, fvws, strict=True):
        assert fvw.sleutel.verantwoordingsnummer == spec.verantwoordingsnummer
        assert fvw.sleutel.organisatie == spec.organisatie_nnp_id
        assert (fvw.begindatum, fvw.einddatum, fvw.datum_en_tijd) == (spec.begindatum, spec.einddatum,
                                                                       spec.datum_en_tijd)
        assert [(b.boekingsleutel, b.boekingbedrag_incl_btw, b.boekingbedrag_excl_btw, b.boekingbedrag_btw)
                for b in fvw.boekingen] == [(b.boekingsleutel, b.incl, b.excl, b.btw) for b in spec.boekingen]
    for obj in _objects(message):
        assert xml_differences(obj, writer.verantwoording_element(reader.read_verantwoording(obj))) == []
    message.insert(1, etree.Element(F + "fvwLk01", {"entiteittype": "FVW", "functie": "update",
                                                    f"{{{g.XSI}}}nil": "true"}))
    assert len(reader.verantwoordingen(message)) == 20


@pytest.mark.parametrize(("lexical", "expected"), [
    ("2001-12-17T09:30:47Z", datetime(2001, 12, 17, 9, 30, 47, tzinfo=UTC)),
    ("2001-12-17T09:30:47.1234567+01:00", datetime(2001, 12, 17, 8, 30, 47, 123456, tzinfo=UTC)),
    ("2001-12-17T09:30:47", datetime(2001, 12, 17, 9, 30, 47, tzinfo=UTC)),
    ("2001-12-17T24:00:00-02:30", datetime(2001, 12, 18, 0, 0, tzinfo=timezone(timedelta(hours=-2, minutes=-30)))),
    ("12001-12-17T09:30:47Z", None),
    (None, None),
])
def test_parse_datetime(lexical: str | None, expected: datetime | None) -> None:
    assert parse_datetime(lexical) == expected
