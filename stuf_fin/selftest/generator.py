"""Realistic, schema-valid StUF-FIN messages for tests and benchmarks.

The builders return the *bare* message (the SOAP body element) as UTF-8 bytes.  The data is made
from small dataclasses (``VorderingSpec`` ...) so that tests can compare what the gateway stored
with what was sent, and can break one rule on purpose (``dataclasses.replace``).  This module
deliberately shares no logic with ``stuf_fin`` (only its namespaces, SOAP envelope and ``Systeem`` address
type): it is an independent oracle.

Command line::

    python -m stuf_fin.selftest.generator --vorderingen 1000 --messages 100 --out DIR [--seed N]
                              [--kind vordering|status|verantwoording] [--soap]
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lxml import etree

from stuf_fin.envelope import wrap
from stuf_fin.namespaces import BG, BG_BSN, BG_NNP_ID, FIN, STUF, XSI, XSI_NIL, ZKN, ZKN_IDENTIFICATIE, F, S, q
from stuf_fin.stuf.stuurgegevens import SYSTEEM_PARTS, Systeem

NSMAP = {"StUF": STUF, "FIN": FIN, "BG": BG, "ZKN": ZKN, "xsi": XSI}

#: BTW category -> percentage in hundredths of a percent.
BTW = {"HOO": 2100, "LAA": 900, "NUL": 0, "VER": 0}
PRODUCTS = [  # (vorderingtype, vorderingcode, omschrijving, eenheid, stuksPrijsExclBTW in cents, BTW category)
    ("AAN", "AFV", "Afvalstoffenheffing", "jaar", 31250, "NUL"),
    ("AAN", "RIO", "Rioolheffing eigenaren", "jaar", 19875, "NUL"),
    ("AAN", "OZB", "Onroerendezaakbelasting", "aanslag", 48312, "NUL"),
    ("FAC", "LEG-OMG", "Leges omgevingsvergunning", "stuk", 45000, "NUL"),
    ("FAC", "LEG-RIJ", "Leges rijbewijs", "stuk", 4165, "NUL"),
    ("FAC", "HUUR-SPORT", "Huur sportzaal", "uur", 3950, "HOO"),
    ("FAC", "MARKT", "Marktgeld weekmarkt", "dag", 2475, "HOO"),
    ("FAC", "BOEK", "Verkoop gemeentegids", "stuk", 1250, "LAA"),
    ("VRH", "PARK-NAH", "Naheffingsaanslag parkeerbelasting", "stuk", 7420, "NUL"),
    ("VRM", "KINDOPV", "Terugvordering kinderopvangtoeslag", "maand", 28500, "NUL"),
    ("OVE", "BOUW-VER", "Verlegde BTW aanneming", "stuk", 150000, "VER"),
]
FIRST_NAMES = ["Jan", "Anna", "Pieter", "Fatima", "Mohammed", "Sanne", "Daan", "Emma", "Lucas", "Sophie", "Noah",
               "Julia", "Bram", "Fleur", "Mehmet", "Ilse", "Kees", "Marloes", "Youssef", "Hanna"]
SURNAMES = [("", "Jansen"), ("de", "Vries"), ("van", "Dijk"), ("", "Bakker"), ("", "Visser"), ("van der", "Berg"),
            ("", "Smit"), ("de", "Boer"), ("", "Mulder"), ("van den", "Heuvel"), ("", "Yilmaz"),
            ("El", "Amrani"), ("", "Kuipers"), ("ter", "Horst"), ("", "Öztürk")]
STREETS = ["Dorpsstraat", "Kerkstraat", "Stationsweg", "Molenweg", "Julianalaan", "Beatrixstraat", "Schoolstraat",
           "Wilhelminaplein", "Lindenlaan", "Parallelweg"]
PLACES = ["Utrecht", "Amersfoort", "Zwolle", "Ede", "Tilburg", "Leeuwarden", "Assen", "Middelburg",
          "'s-Hertogenbosch"]
LEGAL_FORMS = ["besloten vennootschap", "naamloze vennootschap", "stichting", "vereniging", "coöperatie"]
COMPANIES = ["Bouwbedrijf De Hoeksteen", "Bakkerij Van Veen", "Sportvereniging Vooruit", "Stichting Buurtzorg Oost",
             "Autobedrijf Snel & Zn", "Hoveniersbedrijf Groen", "Coöperatie Zonnepark Noord"]
BANKS = [("RABO", "RABONL2U"), ("INGB", "INGBNL2A"), ("ABNA", "ABNANL2A"), ("SNSB", "SNSBNL2A"), ("TRIO", "TRIONL2U")]


ZENDER = Systeem("1900", "BELASTINGEN", "productie", "generator")
ONTVANGER = Systeem("1900", "INNING", "productie")
FINANCIELE_ADMINISTRATIE = Systeem("1900", "FINADM")  # the ontvanger of a verantwoording


@dataclass
class RegelSpec:
    bedrag_excl_btw: int
    bedrag_btw: int
    bedrag_incl_btw: int
    btw_categorie: str
    btw_percentage: int
    vorderingtype: str
    vorderingcode: str
    vorderingomschrijving: str
    vorderingtoelichting: str | None = None
    aantal: int | None = None
    eenheid: str | None = None
    stuks_prijs_excl_btw: int | None = None


@dataclass
class PersoonSpec:
    bsn: str
    voornamen: str
    voorletters: str
    voorvoegsel: str
    geslachtsnaam: str
    geslachtsaanduiding: str
    geboortedatum: str  # JJJJMMDD
    straat: str
    huisnummer: int
    huisletter: str | None
    postcode: str
    woonplaats: str


@dataclass
class NnpSpec:
    nnp_id: str
    statutaire_naam: str
    rechtsvorm: str


@dataclass
class DebiteurSpec:
    who: PersoonSpec | NnpSpec
    debiteurnummer: str | None = None


@dataclass
class IncassoSpec:
    machtigingskenmerk: str
    afgiftedatum: date
    iban: str
    bic: str | None


@dataclass
class TermijnSpec:
    datum: date | None
    termijnbedrag: int | None
    vervaldatum: date | None = None


@dataclass
class StatusSpec:
    status: str
    datum_en_tijd: str
    totaal_betaald: int | None = None
    deel_bedrag_betaald: int | None = None
    opmerkingen: str | None = None


@dataclass
class VorderingSpec:
    vorderingnummer: str
    tsa: str
    organisatie_nnp_id: str  # "" = vorderende organisatie without inn.nnpId
    creatiedatum: date
    indicator_factuur_uitgestuurd: str
    algemene_factuuromschrijving: str
    regels: list[RegelSpec]
    totaalbedrag_excl_btw: int
    totaalbedrag_btw: int
    totaalbedrag_incl_btw: int
    indicator_publiekrechtelijk: str
    factuurnummer: str | None = None
    factuurdatum: date | None = None
    vervaldatum: date | None = None
    valutacode: str = "EUR"
    taaknummer: str | None = None
    totaalregels_btw: list[tuple[str, int]] = field(default_factory=list)  # (categorie, bedrag)
    incasso: IncassoSpec | None = None
    invorderingsregime: str | None = None  # None: no invorderingsSchema
    termijnen: list[TermijnSpec] = field(default_factory=list)
    status: StatusSpec | None = None
    debiteur: DebiteurSpec | None = None
    zaak_identificatie: str | None = None
    oeh: tuple[str, str] | None = None  # (identificatie, naam)
    gerelateerde_vorderingnummer: str | None = None
    sleutel_verzendend: str | None = None
    metagegevens: bool = False  # tijdvakGeldigheid, tijdstipRegistratie, extraElementen


@dataclass
class StatusWijzigingSpec:
    vorderingnummer: str
    tsa: str
    organisatie_nnp_id: str
    status: StatusSpec
    previous: StatusSpec | None = None  # the old state: a second object before the new one (mutatiesoort W)
    metagegevens: bool = False


@dataclass
class BoekingSpec:
    boekingsleutel: str
    incl: int
    excl: int
    btw: int


@dataclass
class VerantwoordingSpec:
    verantwoordingsnummer: str
    organisatie_nnp_id: str
    datum_en_tijd: str
    begindatum: date
    einddatum: date
    boekingen: list[BoekingSpec]
    boekingperiode_omschrijving: str | None = None


# -- random data ----------------------------------------------------------------------------------------

def random_eleven_test_number(rng: random.Random) -> str:
    """A random 9-digit number passing the 11-test (BSN / RSIN)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        remainder = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if remainder < 10:
            return "".join(map(str, digits)) + str(remainder)


def iban(rng: random.Random, bank: str) -> str:
    """A valid Dutch IBAN (mod 97) for ``bank``."""
    account = f"{rng.randint(0, 9_999_999_999):010d}"
    numeric = "".join(str(int(c, 36)) for c in bank + account + "NL00")
    return f"NL{98 - int(numeric) % 97:02d}{bank}{account}"


def random_persoon(rng: random.Random) -> PersoonSpec:
    """A random natural person (a valid BSN, a Dutch name and address)."""
    first = rng.choice(FIRST_NAMES)
    second = rng.choice(FIRST_NAMES) if rng.random() < 0.5 else ""
    voorvoegsel, geslachtsnaam = rng.choice(SURNAMES)
    born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 65))
    return PersoonSpec(
        bsn=random_eleven_test_number(rng), voornamen=f"{first} {second}".strip(),
        voorletters="".join(n[0] + "." for n in f"{first} {second}".split()), voorvoegsel=voorvoegsel,
        geslachtsnaam=geslachtsnaam, geslachtsaanduiding=rng.choice("MVO"), geboortedatum=born.strftime("%Y%m%d"),
        straat=rng.choice(STREETS), huisnummer=rng.randint(1, 250),
        huisletter=rng.choice("ABC") if rng.random() < 0.15 else None,
        postcode=f"{rng.randint(1000, 9999)}{rng.choice('ABCDEFGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEGHJKLNPRSTVXZ')}",
        woonplaats=rng.choice(PLACES))


def random_nnp(rng: random.Random) -> NnpSpec:
    """A random niet-natuurlijk persoon (a valid RSIN, a company name and legal form)."""
    return NnpSpec(random_eleven_test_number(rng), rng.choice(COMPANIES), rng.choice(LEGAL_FORMS))


def _regel(product: tuple[str, str, str, str, int, str], quantity: int, year: int,
           toelichting: str | None) -> RegelSpec:
    """A vorderingsregel of ``quantity`` times a product of :data:`PRODUCTS`, its BTW rounded to the cent."""
    vtype, code, description, unit, price, category = product
    excl = quantity * price
    percentage = BTW[category]
    btw = round(excl * percentage / 10000)
    return RegelSpec(excl, btw, excl + btw, category, percentage, vtype, code, f"{description} {year}",
                     vorderingtoelichting=toelichting, aantal=quantity, eenheid=unit, stuks_prijs_excl_btw=price)


def _random_regel(rng: random.Random) -> RegelSpec:
    product = rng.choice(PRODUCTS)
    quantity = rng.choice([1, 1, 1, 2, 3, 12])
    return _regel(product, quantity, 2025, rng.choice([None, "Conform tarieventabel 2025", "Zie toelichting"]))


def _totals(regels: list[RegelSpec]) -> tuple[int, int, int, list[tuple[str, int]]]:
    """The totals of these regels: excl. BTW, BTW, incl. BTW, and the BTW per category (sorted)."""
    per_category: dict[str, int] = {}
    for r in regels:
        per_category[r.btw_categorie] = per_category.get(r.btw_categorie, 0) + r.bedrag_btw
    return (sum(r.bedrag_excl_btw for r in regels), sum(r.bedrag_btw for r in regels),
            sum(r.bedrag_incl_btw for r in regels), sorted(per_category.items()))


def random_vordering(rng: random.Random, n: int, *, today: date | None = None, prefix: str = "GEN",
                     tsa: str | None = None, organisatie_nnp_id: str | None = None) -> VorderingSpec:
    """Vordering number ``n``: varied, consistent (totals = sums), vervaldatum not before ``today``."""
    today = today or date.today()
    regels = [_random_regel(rng) for _ in range(rng.randint(1, 3))]
    sent_out = rng.choice("JN")
    created = today - timedelta(days=rng.randint(0, 30))
    factuurdatum = created + timedelta(days=rng.randint(0, 3)) if sent_out == "J" or rng.random() < 0.3 else None
    vervaldatum = today + timedelta(days=rng.randint(14, 60)) if sent_out == "J" or rng.random() < 0.5 else None
    excl, btw, incl, per_category = _totals(regels)
    spec = VorderingSpec(
        vorderingnummer=f"{prefix}{n:08d}", tsa=tsa or rng.choice(["BELASTINGEN", "VERGUNNINGEN", "PARKEREN"]),
        organisatie_nnp_id=organisatie_nnp_id if organisatie_nnp_id is not None else rng.choice(
            ["001234560", "002564440", ""]),
        creatiedatum=created, indicator_factuur_uitgestuurd=sent_out,
        algemene_factuuromschrijving=regels[0].vorderingomschrijving if len(regels) == 1
        else "Gemeentelijke heffingen en leges", regels=regels,
        totaalbedrag_excl_btw=excl, totaalbedrag_btw=btw, totaalbedrag_incl_btw=incl,
        indicator_publiekrechtelijk=rng.choice("JN"),
        factuurnummer=f"F{today.year}-{n:07d}" if rng.random() < 0.5 else None,
        factuurdatum=factuurdatum, vervaldatum=vervaldatum,
        taaknummer=f"T-{rng.randint(1, 99999)}" if rng.random() < 0.4 else None,
        totaalregels_btw=per_category if rng.random() < 0.5 else [],
        sleutel_verzendend=f"tsa-{n}" if rng.random() < 0.3 else None, metagegevens=rng.random() < 0.3)
    if rng.random() < 0.35:
        bank, bic = rng.choice(BANKS)
        spec.incasso = IncassoSpec(f"MK-{rng.randint(10000, 99999)}", created - timedelta(days=rng.randint(30, 900)),
                                   iban(rng, bank), bic if rng.random() < 0.7 else None)
    if rng.random() < 0.6:
        spec.invorderingsregime = rng.choice(["EV", "TV"])
        count = rng.choice([0, 1, 2, 3]) if spec.invorderingsregime == "TV" else rng.choice([0, 1])
        for i in range(count):
            day = today + timedelta(days=30 * (i + 1))
            spec.termijnen.append(TermijnSpec(day, incl // count + (incl % count if i == 0 else 0),
                                              day + timedelta(days=14) if spec.invorderingsregime == "TV" else None))
    if rng.random() < 0.2:
        spec.status = StatusSpec("ONV", f"{created.isoformat()}T09:{rng.randint(0, 59):02d}:00Z",
                                 opmerkingen=rng.choice([None, "Nieuw aangemaakt"]))
    if rng.random() < 0.95:
        spec.debiteur = DebiteurSpec(random_persoon(rng) if rng.random() < 0.75 else random_nnp(rng),
                                     f"D{rng.randint(100000, 999999)}" if rng.random() < 0.6 else None)
    if rng.random() < 0.4:
        spec.zaak_identificatie = f"ZAAK-{today.year}-{rng.randint(1, 10**7):07d}"
    if rng.random() < 0.3:
        spec.oeh = (f"OEH{rng.randint(1, 99):02d}", rng.choice(["Belastingen", "Burgerzaken", "Vergunningen"]))
    if n > 0 and rng.random() < 0.05:
        spec.gerelateerde_vorderingnummer = f"{prefix}{rng.randint(0, n - 1):08d}"
    return spec


def random_verantwoording(rng: random.Random, n: int, *, prefix: str = "FVW",
                          organisatie_nnp_id: str | None = None) -> VerantwoordingSpec:
    """Verantwoording number ``n``: 1 to 6 boekingen over last month."""
    end = date.today().replace(day=1) - timedelta(days=1)
    boekingen = []
    for i in range(rng.randint(1, 6)):
        excl = rng.randint(0, 5_000_000)
        btw = round(excl * rng.choice([0, 900, 2100]) / 10000)
        boekingen.append(BoekingSpec(f"GB-{8000 + i}", excl + btw, excl, btw))
    return VerantwoordingSpec(
        f"{prefix}{n:08d}", organisatie_nnp_id if organisatie_nnp_id is not None else rng.choice(["001234560", ""]),
        f"{end.isoformat()}T23:59:59+01:00", end.replace(day=1), end, boekingen,
        f"Boekingen {end:%m-%Y}" if rng.random() < 0.5 else None)


def minimal_vordering(vorderingnummer: str, tsa: str, *, today: date | None = None) -> VorderingSpec:
    """A vordering with only what the schema requires: one line without BTW, no debiteur, no optional group."""
    today = today or date.today()
    regel = RegelSpec(2500, 0, 2500, "NUL", 0, "AAN", "LEG", "Leges")
    return VorderingSpec(vorderingnummer=vorderingnummer, tsa=tsa, organisatie_nnp_id="", creatiedatum=today,
                         indicator_factuur_uitgestuurd="N", algemene_factuuromschrijving="Leges", regels=[regel],
                         totaalbedrag_excl_btw=2500, totaalbedrag_btw=0, totaalbedrag_incl_btw=2500,
                         indicator_publiekrechtelijk="J")


def maximal_vordering(vorderingnummer: str, tsa: str, *, today: date | None = None, rng: random.Random | None = None,
                      organisatie_nnp_id: str = "001234560", gerelateerde_vorderingnummer: str | None = None,
                      sleutel_verzendend: str | None = None) -> VorderingSpec:
    """A vordering with every optional element, group and relation filled (dates relative to ``today``,
    vervaldatum in the future, totals the sums of the lines)."""
    today = today or date.today()
    rng = rng or random.Random()
    regels = [_regel(product, rng.randint(1, 4), today.year, "Conform tarieventabel")
              for product in (PRODUCTS[5], PRODUCTS[7], PRODUCTS[0])]
    excl, btw, incl, per_category = _totals(regels)
    bank, bic = rng.choice(BANKS)
    first = incl // 2
    termijnen = [TermijnSpec(today + timedelta(days=30), first, today + timedelta(days=44)),
                 TermijnSpec(today + timedelta(days=60), incl - first, today + timedelta(days=74))]
    return VorderingSpec(
        vorderingnummer=vorderingnummer, tsa=tsa, organisatie_nnp_id=organisatie_nnp_id,
        creatiedatum=today - timedelta(days=2), indicator_factuur_uitgestuurd="J",
        algemene_factuuromschrijving="Gemeentelijke heffingen en leges", regels=regels,
        totaalbedrag_excl_btw=excl, totaalbedrag_btw=btw, totaalbedrag_incl_btw=incl,
        indicator_publiekrechtelijk="N", factuurnummer=f"F{today.year}-{rng.randint(1, 10**6):07d}",
        factuurdatum=today - timedelta(days=1), vervaldatum=today + timedelta(days=30),
        taaknummer=f"T-{rng.randint(1, 99999)}", totaalregels_btw=per_category,
        incasso=IncassoSpec(f"MK-{rng.randint(10000, 99999)}", today - timedelta(days=400), iban(rng, bank), bic),
        invorderingsregime="TV", termijnen=termijnen,
        status=StatusSpec("ONV", f"{today.isoformat()}T09:00:00Z", totaal_betaald=0, deel_bedrag_betaald=0,
                          opmerkingen="Nieuw aangemaakt"),
        debiteur=DebiteurSpec(random_persoon(rng), f"D{rng.randint(100000, 999999)}"),
        zaak_identificatie=f"ZAAK-{today.year}-{rng.randint(1, 10**7):07d}",
        oeh=("OEH01", "Belastingen"), gerelateerde_vorderingnummer=gerelateerde_vorderingnummer,
        sleutel_verzendend=sleutel_verzendend, metagegevens=True)


def minimal_verantwoording(verantwoordingsnummer: str, *, today: date | None = None) -> VerantwoordingSpec:
    """A verantwoording with only what the schema requires: one boeking, a vorderende organisatie without id."""
    end = (today or date.today()).replace(day=1) - timedelta(days=1)
    return VerantwoordingSpec(verantwoordingsnummer, "", f"{end.isoformat()}T23:59:59+01:00", end.replace(day=1),
                              end, [BoekingSpec("GB-8000", 12100, 10000, 2100)])


def maximal_verantwoording(verantwoordingsnummer: str, *, today: date | None = None,
                           rng: random.Random | None = None) -> VerantwoordingSpec:
    """A verantwoording with every optional element and several boekingen."""
    rng = rng or random.Random()
    spec = random_verantwoording(rng, 0, organisatie_nnp_id="001234560")
    end = (today or date.today()).replace(day=1) - timedelta(days=1)
    spec.verantwoordingsnummer = verantwoordingsnummer
    spec.datum_en_tijd, spec.begindatum, spec.einddatum = (f"{end.isoformat()}T23:59:59+01:00", end.replace(day=1),
                                                           end)
    spec.boekingperiode_omschrijving = f"Boekingen {end:%m-%Y}"
    while len(spec.boekingen) < 3:
        spec.boekingen.append(BoekingSpec(f"GB-{8100 + len(spec.boekingen)}", 12100, 10000, 2100))
    return spec


# -- XML ---------------------------------------------------------------------------------------------------

def _el(parent: etree._Element, tag: str, text: object = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {(S + k if not k.startswith("{") else k): v for k, v in attrib.items()})
    if text is not None:
        el.text = text.isoformat() if isinstance(text, date) else str(text)
    return el


def _opt(parent: etree._Element, tag: str, text: object) -> None:
    if text is not None:
        _el(parent, tag, text)


def _systeem(parent: etree._Element, tag: str, s: Systeem) -> None:
    el = _el(parent, S + tag)
    for part in SYSTEEM_PARTS:
        _opt(el, S + part, getattr(s, part) or None)


def _stuurgegevens(root: etree._Element, functie: str, zender: Systeem, ontvanger: Systeem,
                   referentienummer: str | None, tijdstip: str | None) -> None:
    sg = _el(root, F + "stuurgegevens")
    _el(sg, S + "berichtcode", "Di01")
    _systeem(sg, "zender", zender)
    _systeem(sg, "ontvanger", ontvanger)
    _el(sg, S + "referentienummer", referentienummer or uuid.uuid4().hex)
    _el(sg, S + "tijdstipBericht", tijdstip or datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17])
    _el(sg, S + "functie", functie)


def _kennisgeving(root: etree._Element, tag: str, entiteittype: str, mutatiesoort: str = "T") -> etree._Element:
    lk = etree.SubElement(root, F + tag, {"entiteittype": entiteittype, "functie": "update"})  # unqualified
    parameters = _el(lk, F + "parameters")
    _el(parameters, S + "mutatiesoort", mutatiesoort)
    _el(parameters, S + "indicatorOvername", "V")
    return lk


def _adres(parent: etree._Element, tag: str, p: PersoonSpec) -> None:
    adres = _el(parent, q(BG, tag))
    _el(adres, q(BG, "wpl.woonplaatsNaam"), p.woonplaats)
    _el(adres, q(BG, "gor.openbareRuimteNaam"), p.straat)
    _el(adres, q(BG, "gor.straatnaam"), p.straat)
    _el(adres, q(BG, "aoa.postcode"), p.postcode)
    _el(adres, q(BG, "aoa.huisnummer"), p.huisnummer)
    _opt(adres, q(BG, "aoa.huisletter"), p.huisletter)


def _organisatie(parent: etree._Element, tag: str, entiteittype: str, nnp_id: str) -> None:
    relation = _el(parent, F + tag, entiteittype=entiteittype, verwerkingssoort="T")
    gerelateerde = _el(relation, F + "gerelateerde", entiteittype="NNP", verwerkingssoort="I")
    if nnp_id:
        _el(gerelateerde, BG_NNP_ID, nnp_id)
        _el(gerelateerde, q(BG, "authentiek"), "J", metagegeven="true")
        _el(gerelateerde, q(BG, "statutaireNaam"), "Gemeente Voorbeeld")
        _el(gerelateerde, q(BG, "inn.rechtsvorm"), "publiekrechtelijke rechtspersoon")


def _debiteur(parent: etree._Element, d: DebiteurSpec) -> None:
    who = d.who
    if isinstance(who, PersoonSpec):
        relation = _el(parent, F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur", entiteittype="VRDNPSDEB",
                       verwerkingssoort="T")
        g = _el(relation, F + "gerelateerde", entiteittype="NPS", verwerkingssoort="I")
        _el(g, BG_BSN, who.bsn)
        _el(g, q(BG, "authentiek"), "J", metagegeven="true")
        _el(g, q(BG, "geslachtsnaam"), who.geslachtsnaam)
        _opt(g, q(BG, "voorvoegselGeslachtsnaam"), who.voorvoegsel or None)
        _el(g, q(BG, "voorletters"), who.voorletters)
        _el(g, q(BG, "voornamen"), who.voornamen)
        _el(g, q(BG, "geslachtsaanduiding"), who.geslachtsaanduiding)
        _el(g, q(BG, "geboortedatum"), who.geboortedatum)
        _adres(g, "verblijfsadres", who)
    else:
        relation = _el(parent, F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur", entiteittype="VRDNNPDEB",
                       verwerkingssoort="T")
        g = _el(relation, F + "gerelateerde", entiteittype="NNP", verwerkingssoort="I")
        _el(g, BG_NNP_ID, who.nnp_id)
        _el(g, q(BG, "authentiek"), "J", metagegeven="true")
        _el(g, q(BG, "statutaireNaam"), who.statutaire_naam)
        _el(g, q(BG, "inn.rechtsvorm"), who.rechtsvorm)
    _opt(relation, F + "debiteurnummer", d.debiteurnummer)


def _status(parent: etree._Element, s: StatusSpec) -> None:
    el = _el(parent, F + "vorderingstatus")
    _opt(el, F + "totaalBetaald", s.totaal_betaald)
    _opt(el, F + "deelBedragBetaald", s.deel_bedrag_betaald)
    _opt(el, F + "opmerkingen", s.opmerkingen)
    _el(el, F + "status", s.status)
    _el(el, F + "datumEnTijd", s.datum_en_tijd)


def _metagegevens(parent: etree._Element) -> None:
    tijdvak = _el(parent, S + "tijdvakGeldigheid")
    _el(tijdvak, S + "beginGeldigheid", "20250101")
    _el(tijdvak, S + "eindGeldigheid", "20251231")
    _el(parent, S + "tijdstipRegistratie", "20250102093000000")
    extra = _el(parent, S + "extraElementen")
    extra_el = _el(extra, S + "extraElement", "proef")
    extra_el.set("naam", "bron")


def vordering_element(spec: VorderingSpec) -> etree._Element:
    """The ``FIN:object`` of a vrdLk01 (elements in schema order)."""
    attrib = {S + "entiteittype": "VRD"}
    if spec.sleutel_verzendend:
        attrib[S + "sleutelVerzendend"] = spec.sleutel_verzendend
    attrib[S + "verwerkingssoort"] = "T"
    obj = etree.Element(F + "object", attrib, nsmap=NSMAP)
    _el(obj, F + "vorderingnummer", spec.vorderingnummer)
    _opt(obj, F + "factuurnummer", spec.factuurnummer)
    _el(obj, F + "creatiedatum", spec.creatiedatum)
    _opt(obj, F + "factuurdatum", spec.factuurdatum)
    _opt(obj, F + "vervaldatum", spec.vervaldatum)
    _el(obj, F + "tsa", spec.tsa)
    _el(obj, F + "indicatorFactuurUitgestuurd", spec.indicator_factuur_uitgestuurd)
    _el(obj, F + "algemeneFactuuromschrijving", spec.algemene_factuuromschrijving)
    _el(obj, F + "valutacode", spec.valutacode)
    _el(obj, F + "totaalbedragExclBTW", spec.totaalbedrag_excl_btw)
    _el(obj, F + "totaalbedragBTW", spec.totaalbedrag_btw)
    _el(obj, F + "totaalbedragInclBTW", spec.totaalbedrag_incl_btw)
    _opt(obj, F + "taaknummer", spec.taaknummer)
    _el(obj, F + "indicatorPubliekrechtelijk", spec.indicator_publiekrechtelijk)
    for r in spec.regels:
        regel = _el(obj, F + "vorderingsregel")
        for tag, value in (("bedragExclBTW", r.bedrag_excl_btw), ("bedragInclBTW", r.bedrag_incl_btw),
                           ("bedragBTW", r.bedrag_btw), ("btwCategorie", r.btw_categorie),
                           ("btwPercentage", r.btw_percentage), ("vorderingtype", r.vorderingtype),
                           ("vorderingcode", r.vorderingcode), ("vorderingtoelichting", r.vorderingtoelichting),
                           ("vorderingomschrijving", r.vorderingomschrijving), ("aantal", r.aantal),
                           ("eenheid", r.eenheid), ("stuksPrijsExclBTW", r.stuks_prijs_excl_btw)):
            _opt(regel, F + tag, value)
    for category, amount in spec.totaalregels_btw:
        total = _el(obj, F + "totaalregelsBTW")
        _el(total, F + "totaalbedragBTW", amount)
        _el(total, F + "BTWcategorie", category)
    if spec.incasso:
        incasso = _el(obj, F + "automatischeIncasso")
        _el(incasso, F + "machtigingskenmerk", spec.incasso.machtigingskenmerk)
        _el(incasso, F + "afgiftedatumIncasso", spec.incasso.afgiftedatum)
        _el(incasso, F + "rekeningnummer", spec.incasso.iban)
        _opt(incasso, F + "bic", spec.incasso.bic)
    if spec.invorderingsregime:
        schema = _el(obj, F + "invorderingsSchema")
        _el(schema, F + "invorderingsregime", spec.invorderingsregime)
        for t in spec.termijnen:
            termijn = _el(schema, F + "termijn")
            _opt(termijn, F + "datum", t.datum)
            _opt(termijn, F + "termijnbedrag", t.termijnbedrag)
            _opt(termijn, F + "vervaldatum", t.vervaldatum)
    if spec.status:
        _status(obj, spec.status)
    if spec.metagegevens:
        _metagegevens(obj)
    if spec.debiteur:
        _debiteur(obj, spec.debiteur)
    _organisatie(obj, "heeftAlsVorderendeOrganisatie", "VRDNNPVOR", spec.organisatie_nnp_id)
    if spec.zaak_identificatie:
        zaak = _el(obj, F + "isOntstaanInZaak", entiteittype="VRDZAK", verwerkingssoort="I")
        g = _el(zaak, F + "gerelateerde", entiteittype="ZAK", verwerkingssoort="I")
        _el(g, ZKN_IDENTIFICATIE, spec.zaak_identificatie)
        _el(g, q(ZKN, "omschrijving"), "Aanvraag " + spec.regels[0].vorderingomschrijving.lower()[:60])
    if spec.gerelateerde_vorderingnummer:
        relation = _el(obj, F + "heeftBetrekkingOpVordering", entiteittype="VRDVRD", verwerkingssoort="T")
        g = _el(relation, F + "gerelateerde", entiteittype="VRD", verwerkingssoort="I")
        _el(g, F + "vorderingnummer", spec.gerelateerde_vorderingnummer)
    if spec.oeh:
        relation = _el(obj, F + "isOpgelegdDoorOrganisatischeEenheid", entiteittype="VRDOEH", verwerkingssoort="T")
        g = _el(relation, F + "gerelateerde", entiteittype="OEH", verwerkingssoort="I")
        _el(g, ZKN_IDENTIFICATIE, spec.oeh[0])
        _el(g, q(ZKN, "naam"), spec.oeh[1])
    return obj


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def di01_vordering(vorderingen: list[VorderingSpec] | int, *, zender: Systeem = ZENDER,
                   ontvanger: Systeem = ONTVANGER, referentienummer: str | None = None,
                   tijdstip: str | None = None, rng: random.Random | None = None, start: int = 0,
                   today: date | None = None) -> bytes:
    """A ``FIN:Di01-verstrekVordering`` with these vorderingen (or that many random ones)."""
    if isinstance(vorderingen, int):
        rng = rng or random.Random()
        vorderingen = [random_vordering(rng, start + i, today=today) for i in range(vorderingen)]
    root = etree.Element(F + "Di01-verstrekVordering", nsmap=NSMAP)
    _stuurgegevens(root, "verstrekVordering", zender, ontvanger, referentienummer, tijdstip)
    for spec in vorderingen:
        _kennisgeving(root, "vrdLk01", "VRD").append(vordering_element(spec))
    return _bytes(root)


def status_for(spec: VorderingSpec, status: str = "BET", *, paid: int | None = None,
               moment: datetime | None = None) -> StatusWijzigingSpec:
    """A status change for a generated vordering; ``paid``: its totaalBetaald (default: all of it for BET, else
    nothing)."""
    moment = moment or datetime.now(UTC)
    return StatusWijzigingSpec(spec.vorderingnummer, spec.tsa, spec.organisatie_nnp_id, StatusSpec(
        status, moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        totaal_betaald=paid if paid is not None else (spec.totaalbedrag_incl_btw if status == "BET" else 0),
        opmerkingen=f"Status {status}"))


def di01_statuswijziging(changes: list[StatusWijzigingSpec], *, zender: Systeem = ONTVANGER,
                         ontvanger: Systeem = ZENDER, referentienummer: str | None = None,
                         tijdstip: str | None = None) -> bytes:
    """A ``FIN:Di01-verstrekVorderingStatusWijziging``: one vrdLk01 per change, holding one object (the new
    state, mutatiesoort T) or, with ``previous``, the old and the new state (mutatiesoort W)."""
    root = etree.Element(F + "Di01-verstrekVorderingStatusWijziging", nsmap=NSMAP)
    _stuurgegevens(root, "verstrekVorderngStatusWijzigng", zender, ontvanger, referentienummer, tijdstip)
    for w in changes:
        lk = _kennisgeving(root, "vrdLk01", "VRD", "W" if w.previous else "T")
        for status in ((w.previous, w.status) if w.previous else (w.status,)):
            obj = _el(lk, F + "object", entiteittype="VRD", verwerkingssoort="W")
            _el(obj, F + "vorderingnummer", w.vorderingnummer)
            _el(obj, F + "tsa", w.tsa)
            _status(obj, status)
            if w.metagegevens:
                _metagegevens(obj)
            _organisatie(obj, "heeftAlsVorderendeOrganisatie", "VRDNNPVOR", w.organisatie_nnp_id)
    return _bytes(root)


def di01_financiele_verantwoording(verantwoordingen: list[VerantwoordingSpec] | int, *,
                                   zender: Systeem = ONTVANGER, ontvanger: Systeem = FINANCIELE_ADMINISTRATIE,
                                   referentienummer: str | None = None, tijdstip: str | None = None,
                                   rng: random.Random | None = None, start: int = 0) -> bytes:
    """A ``FIN:Di01-verstrekFinancieleVerantwoording``."""
    if isinstance(verantwoordingen, int):
        rng = rng or random.Random()
        verantwoordingen = [random_verantwoording(rng, start + i) for i in range(verantwoordingen)]
    root = etree.Element(F + "Di01-verstrekFinancieleVerantwoording", nsmap=NSMAP)
    _stuurgegevens(root, "verstrekFinVerantwoording", zender, ontvanger, referentienummer, tijdstip)
    for fvw in verantwoordingen:
        lk = _kennisgeving(root, "fvwLk01", "FVW")
        obj = _el(lk, F + "object", entiteittype="FVW", verwerkingssoort="T")
        _el(obj, F + "verantwoordingsnummer", fvw.verantwoordingsnummer)
        _el(obj, F + "datumEnTijd", fvw.datum_en_tijd)
        _opt(obj, F + "boekingperiodeOmschrijving", fvw.boekingperiode_omschrijving)
        _el(obj, F + "begindatum", fvw.begindatum)
        _el(obj, F + "einddatum", fvw.einddatum)
        for b in fvw.boekingen:
            boeking = _el(obj, F + "boeking")
            _el(boeking, F + "boekingsleutel", b.boekingsleutel)
            _el(boeking, F + "boekingbedragInclBTW", b.incl)
            _el(boeking, F + "boekingbedragExclBTW", b.excl)
            _el(boeking, F + "boekingbedragBTW", b.btw)
        _organisatie(obj, "isVanVorderendeOrganisatie", "FVWNNPVOR", fvw.organisatie_nnp_id)
    return _bytes(root)


def vrdLv01(vorderingnummer: str | None = None, *, tsa: str | None = None,
            scope: str | etree._Element | None = "alles",
            sortering: int = 0, maximum_aantal: int | None = None, zender: Systeem | None = ZENDER,
            ontvanger: Systeem | None = ONTVANGER) -> bytes:
    """A ``FIN:vrdLv01``: ``gelijk`` on vorderingnummer (and tsa); ``scope``: a ``StUF:scope`` value or a
    ``FIN:object`` naming the wanted elements (e.g. :func:`status_scope`)."""
    root = etree.Element(F + "vrdLv01", nsmap=NSMAP)
    sg = _el(root, F + "stuurgegevens")
    _el(sg, S + "berichtcode", "Lv01")
    if zender:
        _systeem(sg, "zender", zender)
    if ontvanger:
        _systeem(sg, "ontvanger", ontvanger)
    _el(sg, S + "entiteittype", "VRD")
    parameters = _el(root, F + "parameters")
    _el(parameters, S + "sortering", sortering)
    _opt(parameters, S + "maximumAantal", maximum_aantal)
    if vorderingnummer is not None or tsa is not None:
        gelijk = _el(root, F + "gelijk", entiteittype="VRD")
        _opt(gelijk, F + "vorderingnummer", vorderingnummer)
        _opt(gelijk, F + "tsa", tsa)
    if isinstance(scope, etree._Element):
        _el(root, F + "scope").append(copy.deepcopy(scope))
    elif scope:
        _el(_el(root, F + "scope"), F + "object", entiteittype="VRD", scope=scope)
    return _bytes(root)


vrdlv01 = vrdLv01


def status_scope() -> etree._Element:
    """The ``scope/object`` of a minimal question: the vorderingnummer and the status group (as the official
    minimal vrdLv01 asks), the values to fill in as ``xsi:nil``."""
    obj = etree.Element(F + "object", {S + "entiteittype": "VRD"}, nsmap=NSMAP)
    etree.SubElement(obj, F + "vorderingnummer")
    status = etree.SubElement(obj, F + "vorderingstatus")
    for name in ("totaalBetaald", "deelBedragBetaald", "opmerkingen", "status", "datumEnTijd"):
        etree.SubElement(status, F + name, {XSI_NIL: "true"})
    return obj


def answer_object(spec: VorderingSpec) -> etree._Element:
    """The vordering as a ``FIN:object`` of a vrdLa01 (no ``StUF:verwerkingssoort`` in an answer)."""
    obj = vordering_element(spec)
    for el in obj.iter():
        el.attrib.pop(S + "verwerkingssoort", None)
    return obj


def vrdLa01(objects: list[etree._Element], *, zender: Systeem | None = ONTVANGER,
            ontvanger: Systeem | None = ZENDER) -> bytes:
    """A ``FIN:vrdLa01`` answering with these ``FIN:object`` elements (none: no ``antwoord``)."""
    root = etree.Element(F + "vrdLa01", nsmap=NSMAP)
    sg = _el(root, F + "stuurgegevens")
    _el(sg, S + "berichtcode", "La01")
    if zender:
        _systeem(sg, "zender", zender)
    if ontvanger:
        _systeem(sg, "ontvanger", ontvanger)
    _el(sg, S + "entiteittype", "VRD")
    _el(root, F + "parameters")
    if objects:
        antwoord = _el(root, F + "antwoord")
        for obj in objects:
            antwoord.append(copy.deepcopy(obj))
    return _bytes(root)




def soap(body: bytes) -> bytes:
    """``body`` (a bare message) in a SOAP 1.1 envelope (the gateway's own :func:`wrap`)."""
    return wrap(body)


# -- command line --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stuf_fin.selftest.generator", description=__doc__.split("\n")[0])
    parser.add_argument("--vorderingen", type=int, default=100, help="objects per message (default 100)")
    parser.add_argument("--messages", type=int, default=1, help="number of messages (default 1)")
    parser.add_argument("--out", required=True, type=Path, help="output folder (created)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--prefix", default="GEN", help="vorderingnummer prefix (default GEN)")
    parser.add_argument("--kind", "--soort", dest="kind", choices=("vordering", "status", "verantwoording"),
                        default="vordering", help="the message to write (--soort: the old name, still accepted)")
    parser.add_argument("--soap", action="store_true", help="wrap each message in a SOAP 1.1 envelope")
    args = parser.parse_args(argv)
    if args.vorderingen < 1 or args.messages < 1:
        parser.error("--vorderingen and --messages must be at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    for m in range(args.messages):
        start = m * args.vorderingen
        referentienummer = f"{args.prefix}-{args.kind}-{args.seed}-{m:06d}"
        if args.kind == "verantwoording":
            data = di01_financiele_verantwoording(
                [random_verantwoording(rng, start + i, prefix=args.prefix + "F") for i in range(args.vorderingen)],
                referentienummer=referentienummer)
        else:
            specs = [random_vordering(rng, start + i, prefix=args.prefix) for i in range(args.vorderingen)]
            data = di01_vordering(specs, referentienummer=referentienummer) if args.kind == "vordering" else \
                di01_statuswijziging([status_for(s, rng.choice(["VRW", "VRS", "BET", "INV"])) for s in specs],
                                     referentienummer=referentienummer)
        (args.out / f"di01-{args.kind}-{m:06d}.xml").write_bytes(soap(data) if args.soap else data)
    print(f"{args.messages} {args.kind} message(s) of {args.vorderingen} object(s) written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
