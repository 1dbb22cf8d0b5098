"""The simple elements of each StUF-FIN group and object, in schema order (read and written alike).

Each table maps the Clark name of an element to (model field, value type, element name); the element
name is also the key of the element in a :data:`~stuf_fin.fin.model.Markup`.
"""

from __future__ import annotations

from datetime import date

from stuf_fin.namespaces import F

ValueType = type  # str, int or date: how a simple element's text is read and written
FieldMap = dict[str, tuple[str, ValueType, str]]


def _fields(*specs: tuple[str, str, ValueType]) -> FieldMap:
    return {F + tag: (name, value_type, tag) for tag, name, value_type in specs}


REGEL = _fields(
    ("bedragExclBTW", "bedrag_excl_btw", int), ("bedragInclBTW", "bedrag_incl_btw", int),
    ("bedragBTW", "bedrag_btw", int), ("btwCategorie", "btw_categorie", str),
    ("btwPercentage", "btw_percentage", int), ("vorderingtype", "vorderingtype", str),
    ("vorderingcode", "vorderingcode", str), ("vorderingtoelichting", "vorderingtoelichting", str),
    ("vorderingomschrijving", "vorderingomschrijving", str), ("aantal", "aantal", int),
    ("eenheid", "eenheid", str), ("stuksPrijsExclBTW", "stuks_prijs_excl_btw", int))
TOTAALREGEL = _fields(("totaalbedragBTW", "totaalbedrag_btw", int), ("BTWcategorie", "btw_categorie", str))
TERMIJN = _fields(("datum", "datum", date), ("termijnbedrag", "termijnbedrag", int),
                   ("vervaldatum", "vervaldatum", date))
SCHEMA = _fields(("invorderingsregime", "invorderingsregime", str))  # (its termijnen: TERMIJN)
INCASSO = _fields(("machtigingskenmerk", "machtigingskenmerk", str),
                   ("afgiftedatumIncasso", "afgiftedatum_incasso", date),
                   ("rekeningnummer", "rekeningnummer", str), ("bic", "bic", str))
STATUS = _fields(("totaalBetaald", "totaal_betaald", int), ("deelBedragBetaald", "deel_bedrag_betaald", int),
                  ("opmerkingen", "opmerkingen", str), ("status", "status", str),
                  ("datumEnTijd", "datum_en_tijd", str))
BOEKING = _fields(("boekingsleutel", "boekingsleutel", str),
                   ("boekingbedragInclBTW", "boekingbedrag_incl_btw", int),
                   ("boekingbedragExclBTW", "boekingbedrag_excl_btw", int),
                   ("boekingbedragBTW", "boekingbedrag_btw", int))
VORDERING = _fields(
    ("vorderingnummer", "vorderingnummer", str), ("factuurnummer", "factuurnummer", str),
    ("creatiedatum", "creatiedatum", date), ("factuurdatum", "factuurdatum", date),
    ("vervaldatum", "vervaldatum", date), ("tsa", "tsa", str),
    ("indicatorFactuurUitgestuurd", "indicator_factuur_uitgestuurd", str),
    ("algemeneFactuuromschrijving", "algemene_factuuromschrijving", str), ("valutacode", "valutacode", str),
    ("totaalbedragExclBTW", "totaalbedrag_excl_btw", int), ("totaalbedragBTW", "totaalbedrag_btw", int),
    ("totaalbedragInclBTW", "totaalbedrag_incl_btw", int), ("taaknummer", "taaknummer", str),
    ("indicatorPubliekrechtelijk", "indicator_publiekrechtelijk", str))
STATUSWIJZIGING = _fields(("vorderingnummer", "vorderingnummer", str), ("tsa", "tsa", str))
VERANTWOORDING = _fields(
    ("verantwoordingsnummer", "verantwoordingsnummer", str), ("datumEnTijd", "datum_en_tijd", str),
    ("boekingperiodeOmschrijving", "boekingperiode_omschrijving", str), ("begindatum", "begindatum", date),
    ("einddatum", "einddatum", date))
