"""Domain objects → XML, in the kennisgeving form they were received in.

The exact inverse of :mod:`stuf_fin.fin.reader` (the round-trip tests hold it to that).  A vrdLa01
answer starts from :func:`vordering_element` with ``verwerkingssoort=None`` and then applies the
scope; relations are kept as received, so an answer still has to drop their ``StUF:verwerkingssoort``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lxml import etree

from stuf_fin.fin import fields
from stuf_fin.fin.model import (
    TEXT,
    AutomatischeIncasso,
    Boeking,
    BtwTotaalregel,
    InvorderingsSchema,
    Markup,
    Metagegevens,
    Relatie,
    StatusWijziging,
    Termijn,
    Verantwoording,
    Vordering,
    Vorderingsregel,
    Vorderingstatus,
    parse_stored,
)
from stuf_fin.namespaces import PREFIXES, F, S


def _text(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _attributes(el: etree._Element, attributes: dict[str, str] | None) -> str | None:
    """Set the received attributes on ``el``; return the received lexical form, if any."""
    if not attributes:
        return None
    for name, value in attributes.items():
        if name != TEXT:
            el.set(name, value)
    return attributes.get(TEXT)


def _simple(parent: etree._Element, tag: str, value: Any, markup: Markup, path: str) -> None:
    attributes = markup.get(path)
    if value is None and attributes is None:
        return  # absent
    el = etree.SubElement(parent, tag)
    lexical = _attributes(el, attributes)
    if value is not None:
        el.text = lexical if lexical is not None else _text(value)


def _fields(parent: etree._Element, obj: Any, field_map: fields.FieldMap) -> None:
    """The simple elements of ``obj`` named in ``field_map``, in its order, with their received markup."""
    for tag, (name, _value_type, path) in field_map.items():
        _simple(parent, tag, getattr(obj, name), obj.vorm, path)


def _group(parent: etree._Element, tag: str, obj: Any, field_map: fields.FieldMap) -> etree._Element:
    el = etree.SubElement(parent, tag)
    _attributes(el, obj.vorm.get(""))
    _fields(el, obj, field_map)
    return el


def _xml(parent: etree._Element, data: bytes | None) -> None:
    if data is not None:
        parent.append(parse_stored(data))


def _relatie(parent: etree._Element, relatie: Relatie | None) -> None:
    if relatie is not None:
        _xml(parent, relatie.xml)


def _metagegevens(parent: etree._Element, meta: Metagegevens) -> None:
    _xml(parent, meta.tijdvak_geldigheid)
    _xml(parent, meta.tijdstip_registratie)
    _xml(parent, meta.extra_elementen)


def _object(tag: str, entiteittype: str, obj: Any, field_map: fields.FieldMap,
            verwerkingssoort: str | None) -> etree._Element:
    """An object element (``FIN:object`` ...) with its StUF attributes and its simple elements."""
    el = etree.Element(tag, nsmap=PREFIXES)
    el.set(S + "entiteittype", entiteittype)
    _attributes(el, obj.vorm.get(""))
    if verwerkingssoort:
        el.set(S + "verwerkingssoort", verwerkingssoort)
    _fields(el, obj, field_map)
    return el


def regel_element(parent: etree._Element, regel: Vorderingsregel) -> etree._Element:
    return _group(parent, F + "vorderingsregel", regel, fields.REGEL)


def totaalregel_element(parent: etree._Element, regel: BtwTotaalregel) -> etree._Element:
    return _group(parent, F + "totaalregelsBTW", regel, fields.TOTAALREGEL)


def incasso_element(parent: etree._Element, incasso: AutomatischeIncasso) -> etree._Element:
    return _group(parent, F + "automatischeIncasso", incasso, fields.INCASSO)


def schema_element(parent: etree._Element, schema: InvorderingsSchema) -> etree._Element:
    el = _group(parent, F + "invorderingsSchema", schema, fields.SCHEMA)
    for termijn in schema.termijnen:
        termijn_element(el, termijn)
    return el


def termijn_element(parent: etree._Element, termijn: Termijn) -> etree._Element:
    return _group(parent, F + "termijn", termijn, fields.TERMIJN)


def status_element(parent: etree._Element, status: Vorderingstatus) -> etree._Element:
    return _group(parent, F + "vorderingstatus", status, fields.STATUS)


def vordering_element(v: Vordering, *, tag: str = F + "object",
                      verwerkingssoort: str | None = "T") -> etree._Element:
    """A vordering as the ``FIN:object`` of a ``Di01-verstrekVordering``."""
    el = _object(tag, "VRD", v, fields.VORDERING, verwerkingssoort)
    # indicatorPubliekrechtelijk (last of VORDERING) precedes the groups, as in the schema
    for regel in v.vorderingsregels:
        regel_element(el, regel)
    for totaalregel in v.totaalregels_btw:
        totaalregel_element(el, totaalregel)
    if v.automatische_incasso is not None:
        incasso_element(el, v.automatische_incasso)
    if v.invorderingsschema is not None:
        schema_element(el, v.invorderingsschema)
    if v.vorderingstatus is not None:
        status_element(el, v.vorderingstatus)
    _metagegevens(el, v.metagegevens)
    for relatie in (v.debiteur, v.vorderende_organisatie, v.zaak, v.gerelateerde_vordering,
                    v.organisatorische_eenheid):
        _relatie(el, relatie)
    return el


def statuswijziging_element(w: StatusWijziging, *, tag: str = F + "object") -> etree._Element:
    """A status change as the ``FIN:object`` of a ``Di01-verstrekVorderingStatusWijziging``."""
    el = _object(tag, "VRD", w, fields.STATUSWIJZIGING, "W")
    status_element(el, w.vorderingstatus)
    _metagegevens(el, w.metagegevens)
    _relatie(el, w.vorderende_organisatie)
    return el


def boeking_element(parent: etree._Element, boeking: Boeking) -> etree._Element:
    return _group(parent, F + "boeking", boeking, fields.BOEKING)


def verantwoording_element(fvw: Verantwoording, *, tag: str = F + "object",
                           verwerkingssoort: str | None = "T") -> etree._Element:
    """A verantwoording as the ``FIN:object`` of a ``fvwLk01``."""
    el = _object(tag, "FVW", fvw, fields.VERANTWOORDING, verwerkingssoort)
    for boeking in fvw.boekingen:
        boeking_element(el, boeking)
    _metagegevens(el, fvw.metagegevens)
    _relatie(el, fvw.vorderende_organisatie)
    return el
