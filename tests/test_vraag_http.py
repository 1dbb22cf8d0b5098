"""vrdLv01 → vrdLa01 over real HTTP, on SQLite and on PostgreSQL: selection, AND, meldingen, sort orders,
follow-up questions, keys, scope, not found, status changes.  Every vrdLv01 is checked against our schema
set and release 1.00.04 (tests/support/vraag.py), every answer against our set and both official releases
(tests/support/soap.py).

The expected answers come from the generated specs (stuf_fin.selftest.generator), not from the gateway's code.
"""

from __future__ import annotations

import copy
import dataclasses
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from lxml import etree

from bench import vraag as v
from stuf_fin.fin.model import parse_datetime
from stuf_fin.namespaces import BG, XSI_NIL, F, S, q
from stuf_fin.selftest import generator as g
from tests.support.kit import kit_message, requires_kit, with_unique_ids
from tests.support.soap import post
from tests.support.vraag import (
    NO_VALUE,
    assert_valid,
    gateway,
    la01,
    meldingen,
    numbers,
    objects,
    sleutels,
    vraag,
)

pytestmark = requires_kit
B = q(BG, "")
STUF0002 = "StUF0002: Meer objecten gevraagd dan teruggegeven"


@dataclass
class Data:
    url: str
    tsa: str
    specs: list[g.VorderingSpec]
    status: dict[str, tuple[str, str] | None]  # vorderingnummer -> current (status, datumEnTijd)
    official: dict[str, bytes]  # "min"/"max" -> the Di01 as stored (numbers made unique)
    suffix: str


def _specs(tsa: str, prefix: str) -> list[g.VorderingSpec]:
    """Ten vorderingen with values chosen so that every criterion selects some but not all of them."""
    rng = random.Random(20250301)
    specs = [g.random_vordering(rng, i, tsa=tsa, prefix=prefix, today=date(2025, 3, 1)) for i in range(10)]
    persoon = g.PersoonSpec("111222333", "Jan", "J.", "", "Jansen", "M", "19700101", "Kerkstraat", 1, None,
                            "1234AB", "Utrecht")
    company = g.NnpSpec("004567891", "Bakkerij Van Veen", "besloten vennootschap")
    for i, s in enumerate(specs):
        s.organisatie_nnp_id = ["001234560", "002564440", ""][i % 3]
        s.indicator_factuur_uitgestuurd = "JN"[i % 2]
        s.indicator_publiekrechtelijk = "JJN"[i % 3]
        s.factuurdatum = date(2025, 2, 20 + i % 3)
        s.vervaldatum = date(2025, 4, 1 + i % 4)
        s.creatiedatum = date(2025, 2, 10 + i % 2)
        s.taaknummer = None
        s.zaak_identificatie = None
        s.status = None
        bsn = g.random_eleven_test_number(rng)
        s.debiteur = g.DebiteurSpec(g.PersoonSpec(**{**dataclasses.asdict(persoon), "bsn": bsn}))
        s.sleutel_verzendend = f"tsa-{i}"
        s.incasso = None
    specs[1].factuurnummer = specs[5].factuurnummer = "F-2025-DUBBEL"
    specs[3].factuurnummer = None
    specs[2].taaknummer, specs[6].taaknummer, specs[7].taaknummer = "T-42", "T-42", "T-4711"
    specs[2].debiteur = specs[3].debiteur = g.DebiteurSpec(persoon, "D-1001")
    specs[4].debiteur = g.DebiteurSpec(company, "D-2002")
    specs[8].debiteur = None
    specs[2].zaak_identificatie = specs[9].zaak_identificatie = "ZAAK-2025-0000042"
    specs[0].status = g.StatusSpec("ONV", "2025-03-01T10:00:00Z")
    specs[2].status = g.StatusSpec("VRW", "2025-03-02T10:00:00Z", totaal_betaald=0)
    specs[3].status = g.StatusSpec("ONV", "2025-03-01T11:00:00+01:00")  # the same moment as specs[0]
    specs[5].algemene_factuuromschrijving = "Leges omgevingsvergunning Dorpsstraat 1"
    specs[6].algemene_factuuromschrijving = "Leges rijbewijs"
    specs[5].incasso = g.IncassoSpec("MK-77777", date(2024, 1, 1), g.iban(rng, "RABO"), "RABONL2U")
    specs[5].invorderingsregime = "TV"
    specs[5].termijnen = [g.TermijnSpec(date(2025, 4, 1), specs[5].totaalbedrag_incl_btw, date(2025, 4, 15))]
    specs[1].regels = [g.RegelSpec(1000, 0, 1000, "NUL", 0, "AAN", "OZB", "OZB 2025"),
                       g.RegelSpec(2500, 0, 2500, "NUL", 0, "AAN", "RIO", "Riool 2025")]
    for s in specs:  # totals = sums over the lines (business rule)
        s.totaalbedrag_excl_btw = sum(r.bedrag_excl_btw for r in s.regels)
        s.totaalbedrag_btw = sum(r.bedrag_btw for r in s.regels)
        s.totaalbedrag_incl_btw = sum(r.bedrag_incl_btw for r in s.regels)
        s.totaalregels_btw = []
        if s.termijnen:
            s.termijnen[0].termijnbedrag = s.totaalbedrag_incl_btw
    return specs


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def data(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"vraag-{request.param}")
    with gateway(request.param, workdir, STUF_FIN_REJECT_PAST_VERVALDATUM="false") as server:
        suffix = uuid.uuid4().hex[:8]
        tsa = f"VRAAGTEST-{suffix}"
        specs = _specs(tsa, f"V{suffix}-")
        reply = post(server.url, g.di01_vordering(specs))
        assert reply.status == 200 and not reply.is_fault, reply.text
        status: dict[str, tuple[str, str] | None] = {
            s.vorderingnummer: (s.status.status, s.status.datum_en_tijd) if s.status else None for s in specs}
        # status changes: sortering 1 orders by their moments
        for i, code, moment in ((6, "BET", "2025-03-05T08:00:00Z"), (7, "INV", "2025-03-04T08:00:00Z"),
                                (0, "VRS", "2025-03-03T10:00:00Z")):
            status_change = g.StatusWijzigingSpec(specs[i].vorderingnummer, tsa, specs[i].organisatie_nnp_id,
                                                  g.StatusSpec(code, moment, totaal_betaald=0))
            reply = post(server.url, g.di01_statuswijziging([status_change]))
            assert reply.status == 200 and not reply.is_fault, reply.text
            status[specs[i].vorderingnummer] = (code, moment)
        official = {}
        for name in ("min", "max"):
            message = with_unique_ids(kit_message(f"Di01-verstrekVordering-{name}.xml"), f"-{name}{suffix}")
            reply = post(server.url, message)
            assert reply.status == 200 and not reply.is_fault, reply.text
            official[name] = message
        yield Data(server.url, tsa, specs, status, official, suffix)


def _vraag(data: Data, *criteria: etree._Element, **kw) -> etree._Element:
    kw.setdefault("scope", "kerngegevens")
    kw.setdefault("maximum_aantal", 100)
    return la01(data.url, v.vrdLv01([v.field("tsa", data.tsa), *criteria], **kw))


def _expected(data: Data, predicate: Callable[[g.VorderingSpec], bool]) -> list[str]:
    return [s.vorderingnummer for s in data.specs if predicate(s)]


def _bsn(s: g.VorderingSpec) -> str | None:
    return s.debiteur.who.bsn if s.debiteur and isinstance(s.debiteur.who, g.PersoonSpec) else None


def _nil(el: etree._Element) -> etree._Element:
    el.set(XSI_NIL, "true")
    return el


# -- selection: every element ----------------------------------------------------------------------------------

#: name -> (criteria for gelijk, given the specs; the oracle)
SELECTIONS: dict[str, tuple[Callable[[list[g.VorderingSpec]], list[etree._Element]],
                            Callable[[list[g.VorderingSpec], g.VorderingSpec], bool]]] = {
    "vorderingnummer": (lambda ss: [v.field("vorderingnummer", ss[4].vorderingnummer)],
                        lambda ss, s: s is ss[4]),
    "factuurnummer": (lambda ss: [v.field("factuurnummer", "F-2025-DUBBEL")],
                      lambda ss, s: s.factuurnummer == "F-2025-DUBBEL"),
    "tsa": (lambda ss: [], lambda ss, s: True),
    "taaknummer": (lambda ss: [v.field("taaknummer", "T-42")], lambda ss, s: s.taaknummer == "T-42"),
    "creatiedatum": (lambda ss: [v.field("creatiedatum", date(2025, 2, 11))],
                     lambda ss, s: s.creatiedatum == date(2025, 2, 11)),
    "factuurdatum": (lambda ss: [v.field("factuurdatum", date(2025, 2, 22))],
                     lambda ss, s: s.factuurdatum == date(2025, 2, 22)),
    "vervaldatum": (lambda ss: [v.field("vervaldatum", date(2025, 4, 3))],
                    lambda ss, s: s.vervaldatum == date(2025, 4, 3)),
    "indicatorFactuurUitgestuurd": (lambda ss: [v.field("indicatorFactuurUitgestuurd", "N")],
                                    lambda ss, s: s.indicator_factuur_uitgestuurd == "N"),
    "indicatorPubliekrechtelijk": (lambda ss: [v.field("indicatorPubliekrechtelijk", "N")],
                                   lambda ss, s: s.indicator_publiekrechtelijk == "N"),
    "debiteur inp.bsn": (lambda ss: [v.debiteur_bsn("111222333")], lambda ss, s: _bsn(s) == "111222333"),
    "debiteur inn.nnpId": (lambda ss: [v.debiteur_nnp("004567891")], lambda ss, s: s is ss[4]),
    "debiteurnummer": (lambda ss: [v.debiteurnummer("D-1001")],
                       lambda ss, s: s.debiteur is not None and s.debiteur.debiteurnummer == "D-1001"),
    "debiteurnummer NNP": (lambda ss: [v.debiteurnummer("D-2002", natural=False)], lambda ss, s: s is ss[4]),
    "vorderende organisatie inn.nnpId": (lambda ss: [v.organisatie("002564440")],
                                         lambda ss, s: s.organisatie_nnp_id == "002564440"),
    "zaak identificatie": (lambda ss: [v.zaak("ZAAK-2025-0000042")],
                           lambda ss, s: s.zaak_identificatie == "ZAAK-2025-0000042"),
    "totaalbedragInclBTW": (lambda ss: [v.field("totaalbedragInclBTW", ss[1].totaalbedrag_incl_btw)],
                            lambda ss, s: s.totaalbedrag_incl_btw == ss[1].totaalbedrag_incl_btw),
    "algemeneFactuuromschrijving exact=false": (
        lambda ss: [v.field("algemeneFactuuromschrijving", "Leges ", exact=False)],
        lambda ss, s: s.algemene_factuuromschrijving.startswith("Leges ")),
    "taaknummer exact=false": (lambda ss: [v.field("taaknummer", "T-4", exact=False)],
                               lambda ss, s: (s.taaknummer or "").startswith("T-4")),
    "factuurnummer geenWaarde": (lambda ss: [v.field("factuurnummer", nil=True, no_value="geenWaarde")],
                                 lambda ss, s: s.factuurnummer is None),
    "factuurnummer waardeOnbekend is ignored": (
        lambda ss: [v.field("factuurnummer", nil=True, no_value="waardeOnbekend")], lambda ss, s: True),
    "zaak geenWaarde": (lambda ss: [_nil(v.group("isOntstaanInZaak", entiteittype="VRDZAK", noValue="geenWaarde"))],
                        lambda ss, s: s.zaak_identificatie is None),
    "vorderingsregel vorderingcode": (lambda ss: [v.group("vorderingsregel", v.field("vorderingcode", "RIO"))],
                                      lambda ss, s: any(r.vorderingcode == "RIO" for r in s.regels)),
    "vorderingsregel two elements of one regel": (
        lambda ss: [v.group("vorderingsregel", v.field("bedragExclBTW", 2500), v.field("vorderingcode", "RIO"))],
        lambda ss, s: any(r.bedrag_excl_btw == 2500 and r.vorderingcode == "RIO" for r in s.regels)),
    "automatischeIncasso machtigingskenmerk": (
        lambda ss: [v.group("automatischeIncasso", v.field("machtigingskenmerk", "MK-77777"))],
        lambda ss, s: s.incasso is not None and s.incasso.machtigingskenmerk == "MK-77777"),
    "invorderingsSchema termijn vervaldatum": (
        lambda ss: [v.group("invorderingsSchema", v.group("termijn", v.field("vervaldatum", date(2025, 4, 15))))],
        lambda ss, s: any(t.vervaldatum == date(2025, 4, 15) for t in s.termijnen)),
    "vorderingstatus status": (lambda ss: [v.group("vorderingstatus", v.field("status", "ONV"))], None),
    "vorderingstatus datumEnTijd (by moment)": (
        lambda ss: [v.group("vorderingstatus", v.field("datumEnTijd", "2025-03-01T10:00:00Z"))], None),
}


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_every_selection_element(data, name):
    criteria, oracle = SELECTIONS[name]
    if oracle is None:  # on the current status (after the status changes of the fixture)
        value = criteria(data.specs)[0][0]
        if etree.QName(value).localname == "status":
            oracle = lambda ss, s: (data.status[s.vorderingnummer] or ("",))[0] == "ONV"  # noqa: E731
        else:
            moment = parse_datetime(value.text)
            oracle = lambda ss, s: data.status[s.vorderingnummer] is not None and parse_datetime(  # noqa: E731
                data.status[s.vorderingnummer][1]) == moment
    expected = _expected(data, lambda s: oracle(data.specs, s))
    assert expected, name
    la = _vraag(data, *criteria(data.specs))
    assert numbers(la) == expected
    assert meldingen(la) == []


def test_each_selection_selects_some_but_not_all(data):
    """The dataset is such that the selection tests above could fail (except the tsa-only one)."""
    checked = 0
    for name, (_criteria, oracle) in SELECTIONS.items():
        if oracle is not None and name not in ("tsa", "factuurnummer waardeOnbekend is ignored"):
            assert 0 < len(_expected(data, lambda s, o=oracle: o(data.specs, s))) < len(data.specs), name
            checked += 1
    assert checked, "no selection was checked"


def test_elements_of_different_regels_do_not_combine(data):
    # specs[1] has a regel 1000/OZB and a regel 2500/RIO: 1000 with RIO is no single regel
    la = _vraag(data, v.group("vorderingsregel", v.field("bedragExclBTW", 1000), v.field("vorderingcode", "RIO")))
    assert numbers(la) == []
    la = _vraag(data, v.group("vorderingsregel", v.field("bedragExclBTW", 1000), v.field("vorderingcode", "OZB")))
    assert numbers(la) == [data.specs[1].vorderingnummer]


def test_several_criteria_are_combined_with_and(data):
    ss = data.specs
    la = _vraag(data, v.debiteur_bsn("111222333"), v.group("vorderingstatus", v.field("status", "VRW")))
    assert numbers(la) == [ss[2].vorderingnummer]  # ss[3] has the same debiteur, status ONV
    la = _vraag(data, v.field("indicatorFactuurUitgestuurd", "J"), v.field("indicatorPubliekrechtelijk", "J"),
                v.organisatie("001234560"))
    assert numbers(la) == _expected(data, lambda s: s.indicator_factuur_uitgestuurd == "J"
                                    and s.indicator_publiekrechtelijk == "J" and s.organisatie_nnp_id == "001234560")
    assert numbers(la) and len(numbers(la)) < len(_expected(data, lambda s: s.indicator_factuur_uitgestuurd == "J"))


def test_unsupported_criteria_are_ignored_and_named_in_stuf0001(data):
    bsn_and_name = v.group("wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur", v.group(
        "gerelateerde", v.field("inp.bsn", "111222333", ns=B), v.field("geslachtsnaam", "Pietersen", ns=B),
        entiteittype="NPS"), entiteittype="VRDNPSDEB")
    la = _vraag(data, bsn_and_name)
    assert numbers(la) == _expected(data, lambda s: _bsn(s) == "111222333")  # the name was not applied
    assert meldingen(la) == ["StUF0001: geslachtsnaam"]
    la = _vraag(data, v.field("creatiedatum", date(2025, 2, 11), exact=False),
                v.field("factuurnummer", nil=True, no_value="vastgesteldOnbekend"))
    assert numbers(la) == _expected(data, lambda s: True)
    assert meldingen(la) == ["StUF0001: factuurnummer creatiedatum"]


# -- maximumAantal ------------------------------------------------------------------------------------------

def test_maximum_aantal_and_stuf0002(data):
    every = _expected(data, lambda s: True)
    la = _vraag(data, maximum_aantal=3)
    assert numbers(la) == every[:3] and meldingen(la) == [STUF0002]
    la = _vraag(data, maximum_aantal=len(every))
    assert numbers(la) == every and meldingen(la) == []
    la = _vraag(data, maximum_aantal=0)
    assert objects(la) == [] and la.find(F + "antwoord") is None and meldingen(la) == [STUF0002]


def test_maximum_aantal_defaults_to_15(data):
    la = la01(data.url, v.vrdLv01([v.field("tsa", data.tsa)], scope="kerngegevens"))
    assert len(objects(la)) == len(data.specs) == 10 and meldingen(la) == []
    tsa = f"VIJFTIEN-{data.suffix}"
    extra = [dataclasses.replace(s, vorderingnummer=f"{s.vorderingnummer}-{n}", tsa=tsa)
             for n in range(2) for s in data.specs[:8]]
    assert not post(data.url, g.di01_vordering(extra)).is_fault
    la = la01(data.url, v.vrdLv01([v.field("tsa", tsa)], scope="kerngegevens"))
    assert numbers(la) == [s.vorderingnummer for s in extra[:15]] and meldingen(la) == [STUF0002]


# -- sort orders and follow-up questions -------------------------------------------------------------------------

def _in_sortering_1_order(data: Data) -> list[str]:
    """Sortering 1: moment of the current status descending, without status last, then storage order."""
    def sleutel(item: tuple[int, g.VorderingSpec]):
        i, s = item
        status = data.status[s.vorderingnummer]
        if status is None:
            return (1, 0.0, i)
        return (0, -parse_datetime(status[1]).timestamp(), i)
    return [s.vorderingnummer for _, s in sorted(enumerate(data.specs), key=sleutel)]


def test_sortering_0_is_the_order_of_storage(data):
    la = _vraag(data, sortering=0)
    assert numbers(la) == [s.vorderingnummer for s in data.specs]
    assert sleutels(la) == sorted(sleutels(la))


def test_sortering_1_is_status_moment_descending(data):
    la = _vraag(data, sortering=1)
    assert numbers(la) == _in_sortering_1_order(data)
    assert numbers(la) != [s.vorderingnummer for s in data.specs]


@pytest.mark.parametrize("sortering", [0, 1])
def test_follow_up_questions_continue_after_the_start_object(data, sortering):
    expected = [s.vorderingnummer for s in data.specs] if sortering == 0 else _in_sortering_1_order(data)
    seen: list[str] = []
    start = None
    for _ in range(10):
        la = _vraag(data, sortering=sortering, maximum_aantal=3, start=start)
        seen += numbers(la)
        if STUF0002 not in meldingen(la):
            break
        last = objects(la)[-1]
        start = etree.Element(F + "object", {S + "entiteittype": "VRD",
                                             S + "sleutelOntvangend": last.get(S + "sleutelVerzendend")})
    assert seen == expected


def test_follow_up_by_vorderingnummer_and_tsa(data):
    start = v.group("object", v.field("vorderingnummer", data.specs[6].vorderingnummer), v.field("tsa", data.tsa),
                    entiteittype="VRD")
    la = _vraag(data, start=start)
    assert numbers(la) == [s.vorderingnummer for s in data.specs[7:]]
    unknown = v.group("object", v.field("vorderingnummer", "BESTAAT-NIET"), entiteittype="VRD")
    reply = vraag(data.url, v.vrdLv01([v.field("tsa", data.tsa)], start=unknown))
    assert reply.is_fault and reply.code == "StUF058" and "start" in reply.details


# -- keys -----------------------------------------------------------------------------------------------------

def test_lookup_by_our_key(data):
    la = _vraag(data, v.field("vorderingnummer", data.specs[3].vorderingnummer))
    sleutel = str(sleutels(la)[0])
    la = la01(data.url, v.vrdLv01(None, sleutel={"sleutelOntvangend": sleutel}, scope="kerngegevens"))
    assert numbers(la) == [data.specs[3].vorderingnummer] and sleutels(la) == [int(sleutel)]
    reply = vraag(data.url, v.vrdLv01(None, sleutel={"sleutelOntvangend": "999999999"}))
    assert reply.is_fault and reply.code == "StUF064"


@pytest.mark.parametrize(("sleutel", "criteria", "code"), [
    ({"sleutelOntvangend": "1", "sleutelVerzendend": "a"}, False, "StUF088"),
    ({"sleutelOntvangend": "1"}, True, "StUF091"),
    ({"sleutelVerzendend": "tsa-1"}, False, "StUF094"),
])
def test_key_errors(data, sleutel, criteria, code):
    reply = vraag(data.url, v.vrdLv01([v.field("tsa", data.tsa)] if criteria else None, sleutel=sleutel))
    assert reply.status == 500 and reply.is_fault and reply.code == code
    assert reply.message.tag == f"{S}Fo02Bericht"


# -- not found -------------------------------------------------------------------------------------------------

def test_unknown_vorderingnummer_is_fo02_stuf064(data):  # scenario 12
    reply = vraag(data.url, with_unique_ids(kit_message("vrdLv01-min.xml"), f"-min{data.suffix}"))  # asks 1234567890…
    assert reply.status == 500 and reply.is_fault
    assert reply.message.tag == f"{S}Fo02Bericht"
    assert reply.code == "StUF064"
    assert reply.message.findtext(f"{S}body/{S}plek") == "server"
    assert reply.message.findtext(f"{S}body/{S}omschrijving") == "Object niet gevonden"
    assert_valid(reply.message)


def test_other_questions_without_match_get_a_la01_without_antwoord(data):
    la = la01(data.url, v.vrdLv01([v.field("tsa", "BESTAAT-NIET")]))
    assert la.find(F + "antwoord") is None and meldingen(la) == []
    assert la.find(F + "parameters") is not None and len(la.find(F + "parameters")) == 0


# -- scope -----------------------------------------------------------------------------------------------------

def _di01_object(message: bytes) -> etree._Element:
    return next(etree.fromstring(message).iter(F + "object"))


def _without_keys(el: etree._Element) -> etree._Element:
    el = copy.deepcopy(el)
    for d in el.iter():
        for name in ("verwerkingssoort", "sleutelVerzendend", "sleutelOntvangend", "sleutelGegevensbeheer"):
            d.attrib.pop(S + name, None)
    return el


def _max(data: Data, scope) -> etree._Element:
    number = _di01_object(data.official["max"]).findtext(F + "vorderingnummer")
    la = la01(data.url, v.vrdLv01([v.field("vorderingnummer", number)], scope=scope))
    [obj] = objects(la)
    return obj


def _names(el: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in el if isinstance(c.tag, str)]


def test_scope_alles_is_everything_stored(data, xml_differences):
    obj = _max(data, "alles")
    assert obj.get(S + "sleutelVerzendend", "").isdigit()
    assert xml_differences(_without_keys(obj), _without_keys(_di01_object(data.official["max"]))) == []


def test_no_scope_is_the_default_alles(data, xml_differences):
    assert xml_differences(_max(data, None), _max(data, "alles")) == []


META = {"tijdvakGeldigheid", "tijdstipRegistratie", "tijdvakRelatie", "authentiek", "inOnderzoek", "brondocument"}
NPS_KERN = {"inp.bsn", "authentiek", "anp.identificatie", "inp.a-nummer", "geslachtsnaam", "voorvoegselGeslachtsnaam",
            "voorletters", "voornamen", "geslachtsaanduiding", "geboortedatum", "verblijfsadres",
            "sub.verblijfBuitenland"}


def test_scope_alles_zonder_metagegevens(data):
    obj = _max(data, "allesZonderMetagegevens")
    alles = _max(data, "alles")
    names = {etree.QName(el).localname for el in obj.iter() if isinstance(el.tag, str)}
    assert not names & META
    assert {etree.QName(el).localname for el in alles.iter() if isinstance(el.tag, str)} & META
    assert obj.find(f"{F}wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur/{F}gerelateerde/{B}sub.telefoonnummer") \
        is not None


def test_scope_alles_maar_kerngegevens_gerelateerden(data):
    obj = _max(data, "allesMaarKerngegevensGerelateerden")
    debiteur = obj.find(f"{F}wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur")
    assert set(_names(debiteur.find(F + "gerelateerde"))) <= NPS_KERN
    assert "geslachtsnaam" in _names(debiteur.find(F + "gerelateerde"))
    assert debiteur.findtext(F + "debiteurnummer") == "String"  # the relation itself: everything
    assert obj.find(f"{F}isOntstaanInZaak/{S}tijdvakRelatie") is not None
    assert obj.find(f"{S}tijdvakGeldigheid") is not None and obj.find(F + "automatischeIncasso") is not None
    without = _max(data, "allesZonderMetagegevensMaarKerngegevensGerelateerden")
    assert set(_names(without.find(f"{F}wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur/{F}gerelateerde"))) <= \
        NPS_KERN - META
    assert not {etree.QName(el).localname for el in without.iter() if isinstance(el.tag, str)} & META


def test_scope_kerngegevens(data):
    obj = _max(data, "kerngegevens")
    assert _names(obj) == ["vorderingnummer", "tsa", "heeftAlsVorderendeOrganisatie"]
    nnp = obj.find(f"{F}heeftAlsVorderendeOrganisatie/{F}gerelateerde")
    assert nnp.findtext(B + "inn.nnpId") == "000000000" and set(_names(nnp)) <= {
        "inn.nnpId", "authentiek", "ann.identificatie", "statutaireNaam", "inn.rechtsvorm", "bezoekadres",
        "sub.verblijfBuitenland"}


def test_scope_attribute_with_content_is_stuf097(data):
    scope = v.scope_object(v.field("vorderingnummer"))
    scope.set(S + "scope", "alles")
    reply = vraag(data.url, v.vrdLv01([v.field("tsa", data.tsa)], scope=scope))
    assert reply.status == 500 and reply.is_fault and reply.code == "StUF097"
    assert reply.message.findtext(f"{S}body/{S}plek") == "client"


def test_explicit_scope_with_unknown_elements(data):
    scope = v.scope_object(v.field("vorderingnummer"), v.field("taaknummer", nil=True),
                           v.group("automatischeIncasso", v.field("bic", nil=True)),
                           v.group("vorderingstatus", v.field("opmerkingen"), v.field("status", nil=True)))
    la = _vraag(data, v.field("vorderingnummer", data.specs[8].vorderingnummer), scope=scope)
    [obj] = objects(la)
    assert _names(obj) == ["vorderingnummer", "taaknummer", "automatischeIncasso", "vorderingstatus"]
    task = obj.find(F + "taaknummer")  # specs[8] has none
    assert task.get(XSI_NIL) == "true" and task.get(NO_VALUE) == "waardeOnbekend" and not task.text
    assert obj.find(F + "automatischeIncasso").get(XSI_NIL) == "true"  # a group: no StUF:noValue in the schema
    assert obj.find(F + "automatischeIncasso").get(NO_VALUE) is None
    assert obj.find(F + "vorderingstatus").get(XSI_NIL) == "true"


# -- the official examples --------------------------------------------------------------------------------------

def _paths(el: etree._Element, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """The tag paths in a scope tree."""
    result = set()
    for child in el:
        if isinstance(child.tag, str):
            result.add((*path, child.tag))
            result |= _paths(child, (*path, child.tag))
    return result


def _browse(el: etree._Element, path: tuple[tuple[str, int], ...] = ()):
    """(indexed path, element) of every leaf."""
    counters: dict[str, int] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        n = counters[child.tag] = counters.get(child.tag, -1) + 1
        sub = (*path, (child.tag, n))
        if any(isinstance(c.tag, str) for c in child):
            yield from _browse(child, sub)
        else:
            yield sub, child


def _find(el: etree._Element, path: tuple[tuple[str, int], ...]) -> etree._Element | None:
    for tag, n in path:
        children = [c for c in el if c.tag == tag]
        if n >= len(children):
            return None
        el = children[n]
    return el


def test_official_vrdlv01_max_against_the_stored_official_max(data):
    lv = with_unique_ids(kit_message("vrdLv01-max.xml"), f"-max{data.suffix}")
    la = la01(data.url, lv)
    [obj] = objects(la)
    stored = _di01_object(data.official["max"])
    wanted = _paths(etree.fromstring(lv).find(f"{F}scope/{F}object"))
    values = placeholders = 0
    for path, el in _browse(obj):
        assert tuple(t for t, _ in path) in wanted, path  # nothing that was not asked
        source = _find(stored, path)
        if el.get(XSI_NIL) == "true" and source is None:  # asked, not stored: unknown (noValue if the type has it)
            assert el.get(NO_VALUE) in ("waardeOnbekend", None) and not el.text, path
            placeholders += 1
        else:
            assert source is not None and (source.text or "") == (el.text or ""), path
            values += 1
    for path, _el in _browse(stored):  # everything stored and asked is there
        if tuple(t for t, _ in path) in wanted:
            assert _find(obj, path) is not None, path
    assert values > 50 and placeholders > 5


def test_official_vrdlv01_min_against_the_stored_official_min(data):
    lv = etree.fromstring(with_unique_ids(kit_message("vrdLv01-min.xml"), f"-min{data.suffix}"))
    number = _di01_object(data.official["min"]).findtext(F + "vorderingnummer")
    lv.find(f"{F}gelijk/{F}vorderingnummer").text = number
    la = la01(data.url, etree.tostring(lv))
    [obj] = objects(la)
    assert _names(obj) == ["vorderingnummer", "vorderingstatus"]
    assert obj.findtext(F + "vorderingnummer") == number  # the stored one, not the scope's value
    assert obj.find(F + "vorderingstatus").get(XSI_NIL) == "true"  # the official min has no status


# -- status changes -------------------------------------------------------------------------------------------

def test_a_status_change_shows_in_the_next_answer(data):
    spec = dataclasses.replace(data.specs[0], vorderingnummer=f"ST{uuid.uuid4().hex[:12]}", tsa=f"ST-{data.suffix}",
                               status=g.StatusSpec("ONV", "2025-03-01T09:00:00Z"))
    assert not post(data.url, g.di01_vordering([spec])).is_fault
    scope = v.scope_object(v.group("vorderingstatus", v.field("totaalBetaald", nil=True), v.field("status", nil=True),
                                   v.field("datumEnTijd", nil=True)))

    def status() -> tuple[str | None, str | None, str | None]:
        [obj] = objects(la01(data.url, v.vrdLv01([v.field("vorderingnummer", spec.vorderingnummer)], scope=scope)))
        s = obj.find(F + "vorderingstatus")
        return s.findtext(F + "status"), s.findtext(F + "totaalBetaald"), s.findtext(F + "datumEnTijd")

    assert status() == ("ONV", "", "2025-03-01T09:00:00Z")  # totaalBetaald: asked, unknown (xsi:nil)
    for code, paid, moment in (("BET", spec.totaalbedrag_incl_btw, "2025-03-10T12:00:00Z"),
                               ("INV", 0, "2025-03-11T12:00:00+01:00")):
        reply = post(data.url, g.di01_statuswijziging([g.status_for(spec, code, paid=paid,
                                                                      moment=parse_datetime(moment))]))
        assert not reply.is_fault, reply.text
        assert status()[:2] == (code, str(paid))
