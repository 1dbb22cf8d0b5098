"""``gelijk`` → the criteria of :class:`~stuf_fin.store.vraag.Query` (StUF 03.01 §6.3.1, §6.3.2).

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

from stuf_fin.fin import fields
from stuf_fin.fin.model import XS_TRUE, parse_datetime
from stuf_fin.fin.reader import read_value
from stuf_fin.fin.vraag.query import Condition, GroupCondition, Query
from stuf_fin.fin.vraag.schema_facts import NO_VALUE
from stuf_fin.namespaces import BG_BSN, BG_NNP_ID, XSI_NIL, ZKN_IDENTIFICATIE, F, S
from stuf_fin.stuf.faults import StufFault

EXACT = S + "exact"
KEYS = (S + "sleutelVerzendend", S + "sleutelOntvangend", S + "sleutelGegevensbeheer")
#: noValue values a criterion is ignored for (StUF 03.01 §6.3.1).
_IGNORED = frozenset({"waardeOnbekend", "nietGeautoriseerd", "nietOndersteund"})
#: A moment: compared by its value in UTC, not as text.
MOMENT = "moment"


@dataclass(frozen=True)
class Field:
    """A selectable element: its column, its value type, and its table (None: ``vordering``)."""

    column: str
    value_type: Any  # str, int, datetime.date or MOMENT
    table: str | None = None


def _fields_of(
    field_map: fields.FieldMap, columns: dict[str, str] | None = None, group: str | None = None
) -> dict[str, Field]:
    columns = columns or {}
    return {tag: Field(columns.get(name, name), value_type, group)
            for tag, (name, value_type, _element) in field_map.items()}


_STATUS = _fields_of(fields.STATUS, {"opmerkingen": "status_opmerkingen", "datum_en_tijd": "status_tijdstip"})
_STATUS[F + "datumEnTijd"] = Field("status_tijdstip", MOMENT)

#: path of local names under ``gelijk`` → field
FIELDS: dict[tuple[str, ...], Field] = {
    **{(tag,): v for tag, v in _fields_of(fields.VORDERING).items()},
    **{(F + "vorderingsregel", tag): v for tag, v in _fields_of(fields.REGEL, group="vorderingsregel").items()},
    **{(F + "totaalregelsBTW", tag): v for tag, v in _fields_of(fields.TOTAALREGEL, group="btw_totaalregel").items()},
    **{(F + "automatischeIncasso", tag): v for tag, v in _fields_of(fields.INCASSO).items()},
    **{(F + "invorderingsSchema", tag): v for tag, v in _fields_of(fields.SCHEMA).items()},
    **{(F + "invorderingsSchema", F + "termijn", tag): v
       for tag, v in _fields_of(fields.TERMIJN, group="termijn").items()},
    **{(F + "vorderingstatus", tag): v for tag, v in _STATUS.items()},
    (F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur", F + "gerelateerde", BG_BSN): Field("debiteur_bsn", str),
    (F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur", F + "debiteurnummer"): Field("debiteurnummer", str),
    (F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur", F + "gerelateerde", BG_NNP_ID):
        Field("debiteur_nnp_id", str),
    (F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur", F + "debiteurnummer"): Field("debiteurnummer", str),
    (F + "heeftAlsVorderendeOrganisatie", F + "gerelateerde", BG_NNP_ID): Field("organisatie_nnp_id", str),
    (F + "isOntstaanInZaak", F + "gerelateerde", ZKN_IDENTIFICATIE): Field("zaak_identificatie", str),
    (F + "heeftBetrekkingOpVordering", F + "gerelateerde", F + "vorderingnummer"):
        Field("gerelateerde_vorderingnummer", str),
    (F + "heeftBetrekkingOpVordering", F + "gerelateerde", F + "heeftAlsVorderendeOrganisatie", F + "gerelateerde",
     BG_NNP_ID): Field("gerelateerde_organisatie_nnp_id", str),
    (F + "isOpgelegdDoorOrganisatischeEenheid", F + "gerelateerde", ZKN_IDENTIFICATIE):
        Field("oeh_identificatie", str),
}
#: A relation asked to be absent (``xsi:nil`` + ``noValue="geenWaarde"`` on the relation itself).
ABSENT_RELATION: dict[str, Condition] = {
    F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur": Condition("debiteur_soort", "NPS", "niet"),
    F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur": Condition("debiteur_soort", "NNP", "niet"),
    F + "isOntstaanInZaak": Condition("zaak_xml", operator="leeg"),
    F + "heeftBetrekkingOpVordering": Condition("gerelateerde_vordering_xml", operator="leeg"),
    F + "isOpgelegdDoorOrganisatischeEenheid": Condition("oeh_xml", operator="leeg"),
}
#: A criterion inside a debiteur relation also says which kind of debiteur it is.
_DEBITEUR_KIND = {F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur": "NPS",
                   F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur": "NNP"}


@dataclass
class Selection:
    """What ``gelijk`` asks, as the store takes it, plus what was ignored."""

    query: Query = field(default_factory=Query)
    ignored: list[str] = field(default_factory=list)  # local names, for StUF0001
    by_vorderingnummer: bool = False  # an exact vorderingnummer (or key) lookup: the not-found policy applies

    def melding(self) -> str | None:
        """``StUF0001: <element names>`` (≤ 250 characters), or None when nothing was ignored."""
        if not self.ignored:
            return None
        text = "StUF0001: " + " ".join(dict.fromkeys(self.ignored))
        return text if len(text) <= 250 else text[:249] + "…"


def _name(el: etree._Element) -> str:
    return etree.QName(el).localname


def _criterion(el: etree._Element, spec: Field) -> Condition | None:
    """The criterion of a leaf with a value; None when the element cannot be selected on."""
    if el.get(XSI_NIL) in XS_TRUE:
        return None
    exact = el.get(EXACT, "true") in XS_TRUE
    if spec.value_type == MOMENT:
        moment = parse_datetime("".join(el.itertext()))
        return Condition(spec.column, moment) if exact and moment is not None else None
    value = read_value(el, spec.value_type, {}, "")
    if exact:
        return Condition(spec.column, value)
    return Condition(spec.column, value, "begint") if spec.value_type is str else None


def read_selection(gelijk: etree._Element | None) -> Selection:
    """The selection of a ``FIN:gelijk`` (None: no selection, every vordering matches).

    Raises :class:`StufFault` StUF088 (more than one key), StUF091 (a key and criteria) or StUF094 (a key
    of the asking system, which the gateway does not register).
    """
    selection = Selection()
    if gelijk is None:
        return selection
    sleutels = [a for a in KEYS if gelijk.get(a) is not None]
    if sleutels:
        _key(selection, gelijk, sleutels)
        return selection
    groups: dict[tuple[str, int], list[Condition]] = {}
    debiteuren: set[str] = set()

    def visit(el: etree._Element, path: tuple[str, ...], group_el: int | None) -> None:
        children = [c for c in el if isinstance(c.tag, str)]
        if children:
            for child in children:
                visit(child, (*path, str(child.tag)), id(el) if _is_group(path) else group_el)
            return
        _leaf(selection, el, path, groups, debiteuren, group_el)

    for child in gelijk:
        if isinstance(child.tag, str):
            visit(child, (child.tag,), None)
    query = selection.query
    query.groups = [GroupCondition(table, tuple(conditions)) for (table, _), conditions in groups.items()]
    query.conditions += [Condition("debiteur_soort", kind) for kind in sorted(debiteuren)]
    selection.by_vorderingnummer = any(v.column == "vorderingnummer" and v.operator == "gelijk"
                                       for v in query.conditions)
    return selection


def _is_group(path: tuple[str, ...]) -> bool:
    """Whether ``path`` ends at a repeating group (its criteria must hold for one occurrence)."""
    return path in ((F + "vorderingsregel",), (F + "totaalregelsBTW",), (F + "invorderingsSchema", F + "termijn"))


def _leaf(selection: Selection, el: etree._Element, path: tuple[str, ...],
          groups: dict[tuple[str, int], list[Condition]], debiteuren: set[str], group_el: int | None) -> None:
    no_value = el.get(NO_VALUE)
    if no_value in _IGNORED:
        return
    spec = FIELDS.get(path)
    condition: Condition | None = None
    if no_value == "geenWaarde":
        if spec is not None:
            condition = Condition(spec.column, operator="leeg")
        elif len(path) == 1 and path[0] in ABSENT_RELATION:
            selection.query.conditions.append(ABSENT_RELATION[path[0]])
            return
    elif spec is not None and no_value is None:
        condition = _criterion(el, spec)
    if condition is None:
        selection.ignored.append(_name(el))
        return
    if path[0] in _DEBITEUR_KIND:
        debiteuren.add(_DEBITEUR_KIND[path[0]])
    if spec is not None and spec.table is not None:
        groups.setdefault((spec.table, group_el or 0), []).append(condition)
    else:
        selection.query.conditions.append(condition)


def _key(selection: Selection, gelijk: etree._Element, sleutels: list[str]) -> None:
    if len(sleutels) > 1:
        raise StufFault("StUF088", "meer dan één sleutel in gelijk")
    if any(isinstance(c.tag, str) for c in gelijk):
        raise StufFault("StUF091", "een sleutel en andere selectiecriteria in gelijk")
    if sleutels[0] != S + "sleutelOntvangend":
        raise StufFault("StUF094", f"de gateway registreert {_name_attr(sleutels[0])} van het vragende systeem "
                                  "niet; vraag met StUF:sleutelOntvangend (de sleutelVerzendend uit een antwoord)")
    selection.query.sleutel = gelijk.get(sleutels[0])
    selection.by_vorderingnummer = True


def _name_attr(clark: str) -> str:
    return "StUF:" + clark.split("}", 1)[1]

