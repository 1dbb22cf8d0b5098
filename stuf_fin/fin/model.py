"""Domain objects of StUF-FIN: vordering, statuswijziging, verantwoording.

They keep everything a message said, so that the XML can be written again (vrdLa01):

* ``xs:string`` values exactly as received (``""`` for an empty element, ``None`` when absent or nil);
* integers (BedragInCenten in cents, Honderdstenprocenten, Aantal) as ``int``;
* ``xs:date`` as :class:`datetime.date`; ``xs:dateTime`` as its lexical form (``str``), because a
  datetime cannot carry "no time zone", leap seconds or more than six decimals;
  :func:`parse_datetime` gives the moment;
* :data:`Markup`: the rare markup a typed value cannot carry, per element path: its attributes as
  received (``xsi:nil``, ``StUF:noValue``, ``StUF:exact``, the StUF:sleutel* of the object under
  ``""``) and under :data:`TEXT` the lexical form when it differs from the canonical one (a date with a
  time zone or blanks around it);
* relations (debiteur, vorderende organisatie, zaak, ...) and the StUF metadata elements as the
  serialized element (UTF-8 bytes) exactly as received, plus the identifying values as fields.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from lxml import etree

from stuf_fin.namespaces import XSI_NIL, F

#: element path -> {attribute (Clark name) or TEXT: value}
Markup = dict[str, dict[str, str]]
#: Key in a :data:`Markup` entry for the received lexical form of a value.
TEXT = "#text"
#: The lexical forms of ``xs:boolean`` true (``xsi:nil``, ``StUF:exact``, ``StUF:metagegeven``).
XS_TRUE = ("true", "1")
_local = threading.local()


def parse_stored(data: bytes) -> etree._Element:
    """Parse XML that we serialized ourselves (a relation, metadata); one parser per thread."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


@dataclass(frozen=True)
class VorderingSleutel:
    """The key of a vordering: vorderende organisatie (``inn.nnpId`` or ""), tsa, vorderingnummer."""

    organisatie: str
    tsa: str
    vorderingnummer: str

    def __str__(self) -> str:
        tsa = self.tsa if len(self.tsa) <= 40 else self.tsa[:39] + "…"
        org = f", organisatie {self.organisatie}" if self.organisatie else ""
        return f"vordering {self.vorderingnummer} (tsa {tsa}{org})"


@dataclass
class Relatie:
    """A relation element (``heeftAlsVorderendeOrganisatie``, ...) serialized exactly as received."""

    xml: bytes

    def element(self) -> etree._Element:
        """The relation element (parsed again from what we stored ourselves)."""
        return parse_stored(self.xml)

    def gerelateerde(self) -> etree._Element | None:
        """Its ``FIN:gerelateerde`` child, if any."""
        return self.element().find(F + "gerelateerde")


@dataclass
class Debiteur(Relatie):
    """``wordtBetaaldDoor(Niet)NatuurlijkPersoonAlsDebiteur``."""

    soort: str = "NPS"  # "NPS" (natuurlijk persoon) or "NNP" (niet-natuurlijk persoon)
    bsn: str | None = None  # BG:inp.bsn of an NPS
    nnp_id: str | None = None  # BG:inn.nnpId of an NNP
    debiteurnummer: str | None = None


@dataclass
class VorderendeOrganisatie(Relatie):
    """``heeftAlsVorderendeOrganisatie`` / ``isVanVorderendeOrganisatie`` (an NNP)."""

    nnp_id: str | None = None

    @property
    def sleutel(self) -> str:
        """The organisation part of a key: ``inn.nnpId``, or "" when empty or nil."""
        return self.nnp_id or ""


@dataclass
class Zaak(Relatie):
    """``isOntstaanInZaak``."""

    identificatie: str | None = None


@dataclass
class GerelateerdeVordering(Relatie):
    """``heeftBetrekkingOpVordering`` (a credit note pointing at the original vordering)."""

    vorderingnummer: str | None = None
    organisatie: str | None = None


@dataclass
class OrganisatorischeEenheid(Relatie):
    """``isOpgelegdDoorOrganisatischeEenheid`` (sic)."""

    identificatie: str | None = None


@dataclass
class Metagegevens:
    """The StUF metadata elements of an object, each serialized as received (None when absent)."""

    tijdvak_geldigheid: bytes | None = None
    tijdstip_registratie: bytes | None = None
    extra_elementen: bytes | None = None


@dataclass
class Vorderingsregel:
    bedrag_excl_btw: int | None = None
    bedrag_incl_btw: int | None = None
    bedrag_btw: int | None = None
    btw_categorie: str | None = None
    btw_percentage: int | None = None  # hundredths of a percent (2100 = 21 %)
    vorderingtype: str | None = None
    vorderingcode: str | None = None
    vorderingtoelichting: str | None = None
    vorderingomschrijving: str | None = None
    aantal: int | None = None
    eenheid: str | None = None
    stuks_prijs_excl_btw: int | None = None
    vorm: Markup = field(default_factory=dict)


@dataclass
class BtwTotaalregel:
    totaalbedrag_btw: int | None = None
    btw_categorie: str | None = None
    vorm: Markup = field(default_factory=dict)


@dataclass
class Termijn:
    datum: date | None = None
    termijnbedrag: int | None = None
    vervaldatum: date | None = None
    vorm: Markup = field(default_factory=dict)


@dataclass
class InvorderingsSchema:
    invorderingsregime: str | None = None  # EV or TV
    termijnen: list[Termijn] = field(default_factory=list)
    vorm: Markup = field(default_factory=dict)


@dataclass
class AutomatischeIncasso:
    machtigingskenmerk: str | None = None
    afgiftedatum_incasso: date | None = None
    rekeningnummer: str | None = None  # IBAN
    bic: str | None = None
    vorm: Markup = field(default_factory=dict)


@dataclass
class Vorderingstatus:
    status: str | None = None
    datum_en_tijd: str | None = None  # xs:dateTime, lexical form as received
    totaal_betaald: int | None = None
    deel_bedrag_betaald: int | None = None
    opmerkingen: str | None = None
    vorm: Markup = field(default_factory=dict)

    def moment(self) -> datetime | None:
        """The moment of ``datum_en_tijd`` (:func:`parse_datetime`)."""
        return parse_datetime(self.datum_en_tijd)


@dataclass
class Vordering:
    """One ``FIN:object`` of a ``Di01-verstrekVordering``."""

    vorderingnummer: str
    creatiedatum: date
    tsa: str
    indicator_factuur_uitgestuurd: str  # J/N
    algemene_factuuromschrijving: str
    valutacode: str
    totaalbedrag_excl_btw: int
    totaalbedrag_btw: int
    totaalbedrag_incl_btw: int
    indicator_publiekrechtelijk: str  # J/N
    vorderende_organisatie: VorderendeOrganisatie
    factuurnummer: str | None = None
    factuurdatum: date | None = None
    vervaldatum: date | None = None
    taaknummer: str | None = None
    vorderingsregels: list[Vorderingsregel] = field(default_factory=list)
    totaalregels_btw: list[BtwTotaalregel] = field(default_factory=list)
    automatische_incasso: AutomatischeIncasso | None = None
    invorderingsschema: InvorderingsSchema | None = None
    vorderingstatus: Vorderingstatus | None = None
    metagegevens: Metagegevens = field(default_factory=Metagegevens)
    debiteur: Debiteur | None = None
    zaak: Zaak | None = None
    gerelateerde_vordering: GerelateerdeVordering | None = None
    organisatorische_eenheid: OrganisatorischeEenheid | None = None
    vorm: Markup = field(default_factory=dict)
    id: int | None = None  # set by the store

    @property
    def sleutel(self) -> VorderingSleutel:
        return VorderingSleutel(self.vorderende_organisatie.sleutel, self.tsa, self.vorderingnummer)

    def is_nil(self, path: str) -> bool:
        """Whether the element at ``path`` was sent with ``xsi:nil="true"``."""
        return is_nil(self.vorm, path)


@dataclass
class StatusWijziging:
    """The new state (last ``FIN:object``) of one ``vrdLk01`` of a status change message."""

    vorderingnummer: str
    tsa: str
    vorderingstatus: Vorderingstatus
    vorderende_organisatie: VorderendeOrganisatie
    metagegevens: Metagegevens = field(default_factory=Metagegevens)
    vorm: Markup = field(default_factory=dict)

    @property
    def sleutel(self) -> VorderingSleutel:
        return VorderingSleutel(self.vorderende_organisatie.sleutel, self.tsa, self.vorderingnummer)


@dataclass
class Boeking:
    boekingsleutel: str | None = None
    boekingbedrag_incl_btw: int | None = None
    boekingbedrag_excl_btw: int | None = None
    boekingbedrag_btw: int | None = None
    vorm: Markup = field(default_factory=dict)


@dataclass(frozen=True)
class VerantwoordingSleutel:
    organisatie: str
    verantwoordingsnummer: str

    def __str__(self) -> str:
        org = f" (organisatie {self.organisatie})" if self.organisatie else ""
        return f"verantwoording {self.verantwoordingsnummer}{org}"


@dataclass
class Verantwoording:
    """One ``FIN:object`` of a ``Di01-verstrekFinancieleVerantwoording``."""

    verantwoordingsnummer: str
    datum_en_tijd: str  # xs:dateTime, lexical form as received
    begindatum: date
    einddatum: date
    vorderende_organisatie: VorderendeOrganisatie
    boekingperiode_omschrijving: str | None = None
    boekingen: list[Boeking] = field(default_factory=list)
    metagegevens: Metagegevens = field(default_factory=Metagegevens)
    vorm: Markup = field(default_factory=dict)
    id: int | None = None

    @property
    def sleutel(self) -> VerantwoordingSleutel:
        return VerantwoordingSleutel(self.vorderende_organisatie.sleutel, self.verantwoordingsnummer)


def is_nil(markup: Markup, path: str) -> bool:
    return markup.get(path, {}).get(XSI_NIL) in XS_TRUE


_DATETIME = re.compile(
    r"\s*(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?\s*$")


def parse_datetime(lexical: str | None) -> datetime | None:
    """The moment of an ``xs:dateTime`` (UTC); no time zone is read as UTC.

    None for None and for years outside 1..9999.
    """
    if lexical is None:
        return None
    m = _DATETIME.match(lexical)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not 1 <= year <= 9999:
        return None
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    extra = timedelta(0)
    if hour == 24:  # 24:00:00 is the end of the day
        hour, extra = 0, timedelta(days=1)
    zone = m.group(8)
    tz = UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=tz) + extra
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
