"""``gelijk`` → the criteria of :class:`~stuf_fin.store.vraag.Zoekvraag` (StUF 03.01 §6.3.1, §6.3.2).

Every criterion holds at once (AND).  Per leaf element of ``gelijk``:

* a value: equal, or with ``StUF:exact="false"`` the stored text starts with it (strings only);
* ``StUF:noValue="geenWaarde"`` (with ``xsi:nil``): the element has no value;
* ``StUF:noValue`` ``waardeOnbekend``/``nietGeautoriseerd``/``nietOndersteund``: ignored, as StUF prescribes;
* anything the gateway cannot select on (BG/ZKN elements other than the identifying ones, metadata,
  ``vastgesteldOnbekend``, ``exact="false"`` on a number or date, ``xsi:nil`` without ``noValue``):
  ignored and named in the melding ``StUF0001: <element names>``.

A group element (``vorderingsregel``, ``totaalregelsBTW``, ``termijn``) matches when one of its
occurrences meets all criteria given inside it.  A key (``StUF:sleutelOntvangend`` on ``gelijk``) is
our own key from an earlier answer: the vordering id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from stuf_fin.fin import velden
from stuf_fin.fin.lezen import waarde
from stuf_fin.fin.model import parse_datum_tijd
from stuf_fin.fin.vraag.query import GroepVoorwaarde, Voorwaarde, Zoekvraag
from stuf_fin.namespaces import BG, FIN, STUF, XSI_NIL, ZKN
from stuf_fin.stuf.fouten import StufFout

F, S, B, Z = (f"{{{ns}}}" for ns in (FIN, STUF, BG, ZKN))
NO_VALUE = S + "noValue"
EXACT = S + "exact"
SLEUTELS = (S + "sleutelVerzendend", S + "sleutelOntvangend", S + "sleutelGegevensbeheer")
#: noValue values a criterion is ignored for (StUF 03.01 §6.3.1).
_GENEGEERD = frozenset({"waardeOnbekend", "nietGeautoriseerd", "nietOndersteund"})
#: A moment: compared by its value in UTC, not as text.
MOMENT = "moment"


@dataclass(frozen=True)
class Veld:
    """A selectable element: its column, its value type, and its table (None: ``vordering``)."""

    kolom: str
    soort: Any  # str, int, datetime.date or MOMENT
    tabel: str | None = None


def _uit(tabel: velden.Velden, kolommen: dict[str, str] | None = None, groep: str | None = None) -> dict[str, Veld]:
    kolommen = kolommen or {}
    return {tag: Veld(kolommen.get(veld, veld), soort, groep) for tag, (veld, soort, _naam) in tabel.items()}


_STATUS = _uit(velden.STATUS, {"opmerkingen": "status_opmerkingen", "datum_en_tijd": "status_tijdstip"})
_STATUS[F + "datumEnTijd"] = Veld("status_tijdstip", MOMENT)

#: path of local names under ``gelijk`` → field
VELDEN: dict[tuple[str, ...], Veld] = {
    **{(tag,): v for tag, v in _uit(velden.VORDERING).items()},
    **{(F + "vorderingsregel", tag): v for tag, v in _uit(velden.REGEL, groep="vorderingsregel").items()},
    **{(F + "totaalregelsBTW", tag): v for tag, v in _uit(velden.TOTAALREGEL, groep="btw_totaalregel").items()},
    **{(F + "automatischeIncasso", tag): v for tag, v in _uit(velden.INCASSO).items()},
    (F + "invorderingsSchema", F + "invorderingsregime"): Veld("invorderingsregime", str),
    **{(F + "invorderingsSchema", F + "termijn", tag): v
       for tag, v in _uit(velden.TERMIJN, groep="termijn").items()},
    **{(F + "vorderingstatus", tag): v for tag, v in _STATUS.items()},
    (F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur", F + "gerelateerde", B + "inp.bsn"): Veld("debiteur_bsn", str),
    (F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur", F + "debiteurnummer"): Veld("debiteurnummer", str),
    (F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur", F + "gerelateerde", B + "inn.nnpId"):
        Veld("debiteur_nnp_id", str),
    (F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur", F + "debiteurnummer"): Veld("debiteurnummer", str),
    (F + "heeftAlsVorderendeOrganisatie", F + "gerelateerde", B + "inn.nnpId"): Veld("organisatie_nnp_id", str),
    (F + "isOntstaanInZaak", F + "gerelateerde", Z + "identificatie"): Veld("zaak_identificatie", str),
    (F + "heeftBetrekkingOpVordering", F + "gerelateerde", F + "vorderingnummer"):
        Veld("gerelateerde_vorderingnummer", str),
    (F + "heeftBetrekkingOpVordering", F + "gerelateerde", F + "heeftAlsVorderendeOrganisatie", F + "gerelateerde",
     B + "inn.nnpId"): Veld("gerelateerde_organisatie_nnp_id", str),
    (F + "isOpgelegdDoorOrganisatischeEenheid", F + "gerelateerde", Z + "identificatie"):
        Veld("oeh_identificatie", str),
}
#: A relation asked to be absent (``xsi:nil`` + ``noValue="geenWaarde"`` on the relation itself).
RELATIE_AFWEZIG: dict[str, Voorwaarde] = {
    F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur": Voorwaarde("debiteur_soort", "NPS", "niet"),
    F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur": Voorwaarde("debiteur_soort", "NNP", "niet"),
    F + "isOntstaanInZaak": Voorwaarde("zaak_xml", soort="leeg"),
    F + "heeftBetrekkingOpVordering": Voorwaarde("gerelateerde_vordering_xml", soort="leeg"),
    F + "isOpgelegdDoorOrganisatischeEenheid": Voorwaarde("oeh_xml", soort="leeg"),
}
#: A criterion inside a debiteur relation also says which kind of debiteur it is.
_DEBITEUR_SOORT = {F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur": "NPS",
                   F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur": "NNP"}


@dataclass
class Selectie:
    """What ``gelijk`` asks, as the store takes it, plus what was ignored."""

    zoekvraag: Zoekvraag = field(default_factory=Zoekvraag)
    genegeerd: list[str] = field(default_factory=list)  # local names, for StUF0001
    op_vorderingnummer: bool = False  # an exact vorderingnummer (or key) lookup: the not-found policy applies

    def melding(self) -> str | None:
        """``StUF0001: <element names>`` (≤ 250 characters), or None when nothing was ignored."""
        if not self.genegeerd:
            return None
        tekst = "StUF0001: " + " ".join(dict.fromkeys(self.genegeerd))
        return tekst if len(tekst) <= 250 else tekst[:249] + "…"


def _naam(el: etree._Element) -> str:
    return etree.QName(el).localname


def _criterium(el: etree._Element, veld: Veld) -> Voorwaarde | None:
    """The criterion of a leaf with a value; None when the element cannot be selected on."""
    if el.get(XSI_NIL) in ("true", "1"):
        return None
    exact = el.get(EXACT, "true") in ("true", "1")
    if veld.soort == MOMENT:
        moment = parse_datum_tijd("".join(el.itertext()))
        return Voorwaarde(veld.kolom, moment) if exact and moment is not None else None
    value = waarde(el, veld.soort, {}, "")
    if exact:
        return Voorwaarde(veld.kolom, value)
    return Voorwaarde(veld.kolom, value, "begint") if veld.soort is str else None


def lees_selectie(gelijk: etree._Element | None) -> Selectie:
    """The selection of a ``FIN:gelijk`` (None: no selection, every vordering matches).

    Raises :class:`StufFout` StUF088 (more than one key), StUF091 (a key and criteria) or StUF094 (a key
    of the asking system, which the gateway does not register).
    """
    selectie = Selectie()
    if gelijk is None:
        return selectie
    sleutels = [a for a in SLEUTELS if gelijk.get(a) is not None]
    if sleutels:
        _sleutel(selectie, gelijk, sleutels)
        return selectie
    groepen: dict[tuple[str, int], list[Voorwaarde]] = {}
    debiteuren: set[str] = set()

    def bezoek(el: etree._Element, pad: tuple[str, ...], groep_el: int | None) -> None:
        kinderen = [c for c in el if isinstance(c.tag, str)]
        if kinderen:
            for child in kinderen:
                bezoek(child, (*pad, str(child.tag)), id(el) if _is_groep(pad) else groep_el)
            return
        _blad(selectie, el, pad, groepen, debiteuren, groep_el)

    for child in gelijk:
        if isinstance(child.tag, str):
            bezoek(child, (child.tag,), None)
    zv = selectie.zoekvraag
    zv.groepen = [GroepVoorwaarde(tabel, tuple(vw)) for (tabel, _), vw in groepen.items()]
    zv.voorwaarden += [Voorwaarde("debiteur_soort", soort) for soort in sorted(debiteuren)]
    selectie.op_vorderingnummer = any(v.kolom == "vorderingnummer" and v.soort == "gelijk" for v in zv.voorwaarden)
    return selectie


def _is_groep(pad: tuple[str, ...]) -> bool:
    """Whether ``pad`` ends at a repeating group (its criteria must hold for one occurrence)."""
    return pad in ((F + "vorderingsregel",), (F + "totaalregelsBTW",), (F + "invorderingsSchema", F + "termijn"))


def _blad(selectie: Selectie, el: etree._Element, pad: tuple[str, ...],
          groepen: dict[tuple[str, int], list[Voorwaarde]], debiteuren: set[str], groep_el: int | None) -> None:
    no_value = el.get(NO_VALUE)
    if no_value in _GENEGEERD:
        return
    veld = VELDEN.get(pad)
    voorwaarde: Voorwaarde | None = None
    if no_value == "geenWaarde":
        if veld is not None:
            voorwaarde = Voorwaarde(veld.kolom, soort="leeg")
        elif len(pad) == 1 and pad[0] in RELATIE_AFWEZIG:
            selectie.zoekvraag.voorwaarden.append(RELATIE_AFWEZIG[pad[0]])
            return
    elif veld is not None and no_value is None:
        voorwaarde = _criterium(el, veld)
    if voorwaarde is None:
        selectie.genegeerd.append(_naam(el))
        return
    if pad[0] in _DEBITEUR_SOORT:
        debiteuren.add(_DEBITEUR_SOORT[pad[0]])
    if veld is not None and veld.tabel is not None:
        groepen.setdefault((veld.tabel, groep_el or 0), []).append(voorwaarde)
    else:
        selectie.zoekvraag.voorwaarden.append(voorwaarde)


def _sleutel(selectie: Selectie, gelijk: etree._Element, sleutels: list[str]) -> None:
    if len(sleutels) > 1:
        raise StufFout("StUF088", "meer dan één sleutel in gelijk")
    if any(isinstance(c.tag, str) for c in gelijk):
        raise StufFout("StUF091", "een sleutel en andere selectiecriteria in gelijk")
    if sleutels[0] != S + "sleutelOntvangend":
        raise StufFout("StUF094", f"de gateway registreert {_naam_attr(sleutels[0])} van het vragende systeem "
                                  "niet; vraag met StUF:sleutelOntvangend (de sleutelVerzendend uit een antwoord)")
    selectie.zoekvraag.sleutel = gelijk.get(sleutels[0])
    selectie.op_vorderingnummer = True


def _naam_attr(clark: str) -> str:
    return "StUF:" + clark.split("}", 1)[1]

