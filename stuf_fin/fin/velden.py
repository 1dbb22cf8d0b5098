"""The simple elements of each StUF-FIN group and object, in schema order (read and written alike).

Each table maps the Clark name of an element to (model field, value type, element name); the element
name is also the key of the element in a :data:`~stuf_fin.fin.model.Vorm`.
"""

from __future__ import annotations

from datetime import date

from stuf_fin.namespaces import FIN

F = f"{{{FIN}}}"

Soort = type  # str, int or date: how a simple element's text is read and written
Velden = dict[str, tuple[str, Soort, str]]


def _velden(*specs: tuple[str, str, Soort]) -> Velden:
    return {F + tag: (veld, soort, tag) for tag, veld, soort in specs}


REGEL = _velden(
    ("bedragExclBTW", "bedrag_excl_btw", int), ("bedragInclBTW", "bedrag_incl_btw", int),
    ("bedragBTW", "bedrag_btw", int), ("btwCategorie", "btw_categorie", str),
    ("btwPercentage", "btw_percentage", int), ("vorderingtype", "vorderingtype", str),
    ("vorderingcode", "vorderingcode", str), ("vorderingtoelichting", "vorderingtoelichting", str),
    ("vorderingomschrijving", "vorderingomschrijving", str), ("aantal", "aantal", int),
    ("eenheid", "eenheid", str), ("stuksPrijsExclBTW", "stuks_prijs_excl_btw", int))
TOTAALREGEL = _velden(("totaalbedragBTW", "totaalbedrag_btw", int), ("BTWcategorie", "btw_categorie", str))
TERMIJN = _velden(("datum", "datum", date), ("termijnbedrag", "termijnbedrag", int),
                   ("vervaldatum", "vervaldatum", date))
INCASSO = _velden(("machtigingskenmerk", "machtigingskenmerk", str),
                   ("afgiftedatumIncasso", "afgiftedatum_incasso", date),
                   ("rekeningnummer", "rekeningnummer", str), ("bic", "bic", str))
STATUS = _velden(("totaalBetaald", "totaal_betaald", int), ("deelBedragBetaald", "deel_bedrag_betaald", int),
                  ("opmerkingen", "opmerkingen", str), ("status", "status", str),
                  ("datumEnTijd", "datum_en_tijd", str))
BOEKING = _velden(("boekingsleutel", "boekingsleutel", str),
                   ("boekingbedragInclBTW", "boekingbedrag_incl_btw", int),
                   ("boekingbedragExclBTW", "boekingbedrag_excl_btw", int),
                   ("boekingbedragBTW", "boekingbedrag_btw", int))
VORDERING = _velden(
    ("vorderingnummer", "vorderingnummer", str), ("factuurnummer", "factuurnummer", str),
    ("creatiedatum", "creatiedatum", date), ("factuurdatum", "factuurdatum", date),
    ("vervaldatum", "vervaldatum", date), ("tsa", "tsa", str),
    ("indicatorFactuurUitgestuurd", "indicator_factuur_uitgestuurd", str),
    ("algemeneFactuuromschrijving", "algemene_factuuromschrijving", str), ("valutacode", "valutacode", str),
    ("totaalbedragExclBTW", "totaalbedrag_excl_btw", int), ("totaalbedragBTW", "totaalbedrag_btw", int),
    ("totaalbedragInclBTW", "totaalbedrag_incl_btw", int), ("taaknummer", "taaknummer", str),
    ("indicatorPubliekrechtelijk", "indicator_publiekrechtelijk", str))
STATUSWIJZIGING = _velden(("vorderingnummer", "vorderingnummer", str), ("tsa", "tsa", str))
VERANTWOORDING = _velden(
    ("verantwoordingsnummer", "verantwoordingsnummer", str), ("datumEnTijd", "datum_en_tijd", str),
    ("boekingperiodeOmschrijving", "boekingperiode_omschrijving", str), ("begindatum", "begindatum", date),
    ("einddatum", "einddatum", date))
