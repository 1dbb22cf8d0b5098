"""XML → domain objects, for schema-valid Di01 messages (the ingest hot path).

Every object is read in one pass over its children with a dictionary dispatch on the tag: no XPath
and no lookups per field.  The input must have passed schema validation; element order and
presence are not checked again here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from lxml import etree

from stuf_fin.fin.model import (
    TEKST,
    AutomatischeIncasso,
    Boeking,
    BtwTotaalregel,
    Debiteur,
    GerelateerdeVordering,
    InvorderingsSchema,
    Metagegevens,
    OrganisatorischeEenheid,
    StatusWijziging,
    Termijn,
    Verantwoording,
    VorderendeOrganisatie,
    Vordering,
    Vorderingsregel,
    Vorderingstatus,
    Vorm,
    Zaak,
)
from stuf_fin.fin.velden import (
    BOEKING,
    INCASSO,
    REGEL,
    STATUS,
    STATUSWIJZIGING,
    TERMIJN,
    TOTAALREGEL,
    VERANTWOORDING,
    VORDERING,
    Soort,
    Velden,
)
from stuf_fin.namespaces import BG, FIN, STUF, XSI_NIL, ZKN

if TYPE_CHECKING:
    from stuf_fin.schema.stroom import Stroom

F = f"{{{FIN}}}"
S = f"{{{STUF}}}"
_BG = f"{{{BG}}}"
_ZKN = f"{{{ZKN}}}"
#: Attributes fixed by the schema on every object: not kept in the Vorm.
_VASTE_ATTRIBUTEN = frozenset((S + "entiteittype", S + "verwerkingssoort"))
_NIL = ("true", "1")
T = TypeVar("T")



# -- simple values ----------------------------------------------------------------------------------

def _tekst(el: etree._Element) -> str:
    if len(el):  # only comments or processing instructions can be inside a simple value
        return "".join(el.itertext())
    return el.text or ""


def waarde(el: etree._Element, soort: Soort, vorm: Vorm, pad: str) -> Any:
    """The value of a simple element; attributes and a non-canonical lexical form go to ``vorm``."""
    if el.keys():  # (cheaper than ``el.attrib``, which builds a proxy)
        attributen = dict(el.attrib)
        vorm[pad] = attributen
        if attributen.get(XSI_NIL) in _NIL:
            return None
    text = "".join(el.itertext()) if len(el) else el.text or ""  # (_tekst, inlined)
    if soort is str:
        return text
    if soort is int:
        return _getal(text, vorm, pad)
    if soort is date:
        return _datum(text, vorm, pad)
    raise TypeError(soort)


def _getal(text: str, vorm: Vorm, pad: str) -> int:
    value = int(text)
    if str(value) != text:  # a sign, leading zeros or blanks: another lexical form of the same number
        vorm.setdefault(pad, {})[TEKST] = text
    return value


_DATUM = re.compile(r"\s*(-?)(\d{4,})-(\d\d)-(\d\d)")


def _datum(text: str, vorm: Vorm, pad: str) -> date:
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    # a time zone, blanks, or a year outside 1..9999: keep the lexical form, clamp the date
    vorm.setdefault(pad, {})[TEKST] = text
    m = _DATUM.match(text)
    if m is None:
        raise ValueError(f"not an xs:date: {text!r}")
    year = int(m.group(2)) * (-1 if m.group(1) else 1)
    if year < 1:
        return date.min
    if year > 9999:
        return date.max
    return date(year, int(m.group(3)), int(m.group(4)))


def _velden(el: etree._Element, velden: Velden, vorm: Vorm, waarden: dict[str, Any],
            overige: Callable[[etree._Element, str], None] | None = None) -> None:
    """The values of the simple children of ``el`` named in ``velden``, into ``waarden``; every other child
    element goes to ``overige`` (with its tag), if given.

    The hot loop of the reader (about 40 values per vordering): an element without attributes and
    children (nearly every one) is read inline; anything else goes through :func:`waarde`.
    """
    for child in el:
        tag = child.tag
        spec = velden.get(tag)  # type: ignore[arg-type]  # any tag: a comment's (not a str) is not found
        if spec is None:
            if overige is not None and isinstance(tag, str):
                overige(child, tag)
            continue
        veld, soort, pad = spec
        if child.keys() or len(child):
            waarden[veld] = waarde(child, soort, vorm, pad)
        elif soort is str:
            waarden[veld] = child.text or ""
        elif soort is int:
            waarden[veld] = _getal(child.text or "", vorm, pad)
        else:
            waarden[veld] = _datum(child.text or "", vorm, pad)


def _groep(el: etree._Element, velden: Velden, vorm: Vorm) -> dict[str, Any]:
    """Field values of a group of simple elements."""
    waarden: dict[str, Any] = {}
    _velden(el, velden, vorm, waarden)
    return waarden


def _eigen_attributen(el: etree._Element, vorm: Vorm, pad: str = "") -> bool:
    """Record the attributes of a group/object element; True when it is nil."""
    if not el.keys():
        return False
    attributen = {k: v for k, v in el.attrib.items() if k not in _VASTE_ATTRIBUTEN}
    if attributen:
        vorm[pad] = attributen
    return attributen.get(XSI_NIL) in _NIL


# -- groups ----------------------------------------------------------------------------------------------

def _lees_groep(el: etree._Element, soort: Callable[..., T], velden: Velden) -> T:
    """A group of simple elements (a vorderingsregel, termijn, ...) as a ``soort`` with its own Vorm."""
    vorm: Vorm = {}
    if el.keys():
        _eigen_attributen(el, vorm)
    waarden: dict[str, Any] = {}
    _velden(el, velden, vorm, waarden)
    return soort(**waarden, vorm=vorm)


def _regel(el: etree._Element) -> Vorderingsregel:
    return _lees_groep(el, Vorderingsregel, REGEL)


def _totaalregel(el: etree._Element) -> BtwTotaalregel:
    return _lees_groep(el, BtwTotaalregel, TOTAALREGEL)


def _termijn(el: etree._Element) -> Termijn:
    return _lees_groep(el, Termijn, TERMIJN)


def _incasso(el: etree._Element) -> AutomatischeIncasso:
    return _lees_groep(el, AutomatischeIncasso, INCASSO)


def _boeking(el: etree._Element) -> Boeking:
    return _lees_groep(el, Boeking, BOEKING)


def _schema(el: etree._Element) -> InvorderingsSchema:
    vorm: Vorm = {}
    _eigen_attributen(el, vorm)
    schema = InvorderingsSchema(vorm=vorm)
    for child in el:
        if child.tag == F + "invorderingsregime":
            schema.invorderingsregime = waarde(child, str, vorm, "invorderingsregime")
        elif child.tag == F + "termijn":
            schema.termijnen.append(_termijn(child))
    return schema


def lees_status(el: etree._Element) -> Vorderingstatus:
    """A ``FIN:vorderingstatus`` group."""
    return _lees_groep(el, Vorderingstatus, STATUS)


# -- relations and metadata -------------------------------------------------------------------------

def xml_bytes(el: etree._Element) -> bytes:
    """An element serialized as received (UTF-8, without its tail).

    Serialized as text and encoded: the same bytes as ``encoding="UTF-8"`` (libxml2 writes UTF-8 either way), without
    libxml2's UTF-8 to UTF-8 output conversion (~7 % less per call; tests/test_fin_lezen.py compares the two).
    """
    return etree.tostring(el, encoding="unicode", with_tail=False).encode()


def _waarde_van(parent: etree._Element | None, tag: str) -> str | None:
    """Text of the first child ``tag`` of ``parent`` (None when absent or nil)."""
    if parent is None:
        return None
    for child in parent:
        if child.tag == tag:
            if child.get(XSI_NIL) in _NIL:
                return None
            return _tekst(child)
    return None


def _kind(parent: etree._Element, tag: str) -> etree._Element | None:
    for child in parent:
        if child.tag == tag:
            return child
    return None


def _debiteur(el: etree._Element, soort: str) -> Debiteur:
    gerelateerde = _kind(el, F + "gerelateerde")
    return Debiteur(
        xml_bytes(el), soort=soort,
        bsn=_waarde_van(gerelateerde, _BG + "inp.bsn") if soort == "NPS" else None,
        nnp_id=_waarde_van(gerelateerde, _BG + "inn.nnpId") if soort == "NNP" else None,
        debiteurnummer=_waarde_van(el, F + "debiteurnummer"))


def lees_organisatie(el: etree._Element) -> VorderendeOrganisatie:
    """``heeftAlsVorderendeOrganisatie`` / ``isVanVorderendeOrganisatie``."""
    return VorderendeOrganisatie(xml_bytes(el), nnp_id=_waarde_van(_kind(el, F + "gerelateerde"),
                                                                   _BG + "inn.nnpId"))


def _zaak(el: etree._Element) -> Zaak:
    return Zaak(xml_bytes(el), identificatie=_waarde_van(_kind(el, F + "gerelateerde"), _ZKN + "identificatie"))


def _gerelateerde_vordering(el: etree._Element) -> GerelateerdeVordering:
    gerelateerde = _kind(el, F + "gerelateerde")
    organisatie = _kind(gerelateerde, F + "heeftAlsVorderendeOrganisatie") if gerelateerde is not None else None
    return GerelateerdeVordering(
        xml_bytes(el), vorderingnummer=_waarde_van(gerelateerde, F + "vorderingnummer"),
        organisatie=_waarde_van(_kind(organisatie, F + "gerelateerde") if organisatie is not None else None,
                                _BG + "inn.nnpId"))


def _oeh(el: etree._Element) -> OrganisatorischeEenheid:
    return OrganisatorischeEenheid(
        xml_bytes(el), identificatie=_waarde_van(_kind(el, F + "gerelateerde"), _ZKN + "identificatie"))


_META = {S + "tijdvakGeldigheid": "tijdvak_geldigheid", S + "tijdstipRegistratie": "tijdstip_registratie",
         S + "extraElementen": "extra_elementen"}


# -- objects -----------------------------------------------------------------------------------------------

#: A group or relation child of an object: (field, reader, whether the field is a list).
Groep = tuple[str, Callable[[etree._Element], Any], bool]

_VRD_GROEPEN: dict[str, Groep] = {
    F + "vorderingsregel": ("vorderingsregels", _regel, True),
    F + "totaalregelsBTW": ("totaalregels_btw", _totaalregel, True),
    F + "automatischeIncasso": ("automatische_incasso", _incasso, False),
    F + "invorderingsSchema": ("invorderingsschema", _schema, False),
    F + "vorderingstatus": ("vorderingstatus", lees_status, False),
    F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur": ("debiteur", lambda el: _debiteur(el, "NPS"), False),
    F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur": ("debiteur", lambda el: _debiteur(el, "NNP"), False),
    F + "heeftAlsVorderendeOrganisatie": ("vorderende_organisatie", lees_organisatie, False),
    F + "isOntstaanInZaak": ("zaak", _zaak, False),
    F + "heeftBetrekkingOpVordering": ("gerelateerde_vordering", _gerelateerde_vordering, False),
    F + "isOpgelegdDoorOrganisatischeEenheid": ("organisatorische_eenheid", _oeh, False),
}


def _object(obj: etree._Element, velden: Velden, groepen: dict[str, Groep]
            ) -> tuple[dict[str, Any], Vorm, Metagegevens]:
    """One pass over the children of an object: simple values, groups and relations, StUF metadata."""
    vorm: Vorm = {}
    _eigen_attributen(obj, vorm)
    waarden: dict[str, Any] = {}
    meta = Metagegevens()

    def overige(child: etree._Element, tag: str) -> None:
        groep = groepen.get(tag)
        if groep is not None:
            veld, lees, lijst = groep
            if lijst:
                waarden.setdefault(veld, []).append(lees(child))
            else:
                waarden[veld] = lees(child)
            return
        meta_veld = _META.get(tag)
        if meta_veld is not None:
            setattr(meta, meta_veld, xml_bytes(child))

    _velden(obj, velden, vorm, waarden, overige)
    return waarden, vorm, meta


def lees_vordering(obj: etree._Element) -> Vordering:
    """One ``FIN:object`` of a ``vrdLk01`` in a ``Di01-verstrekVordering``."""
    waarden, vorm, meta = _object(obj, VORDERING, _VRD_GROEPEN)
    return Vordering(**waarden, metagegevens=meta, vorm=vorm)


_STATUS_GROEPEN: dict[str, Groep] = {
    F + "vorderingstatus": ("vorderingstatus", lees_status, False),
    F + "heeftAlsVorderendeOrganisatie": ("vorderende_organisatie", lees_organisatie, False)}
_FVW_GROEPEN: dict[str, Groep] = {
    F + "boeking": ("boekingen", _boeking, True),
    F + "isVanVorderendeOrganisatie": ("vorderende_organisatie", lees_organisatie, False)}


def lees_statuswijziging(obj: etree._Element) -> StatusWijziging:
    """One ``FIN:object`` of a status change."""
    waarden, vorm, meta = _object(obj, STATUSWIJZIGING, _STATUS_GROEPEN)
    return StatusWijziging(**waarden, metagegevens=meta, vorm=vorm)


def lees_verantwoording(obj: etree._Element) -> Verantwoording:
    """One ``FIN:object`` of a ``fvwLk01``."""
    waarden, vorm, meta = _object(obj, VERANTWOORDING, _FVW_GROEPEN)
    return Verantwoording(**waarden, metagegevens=meta, vorm=vorm)


# -- messages ---------------------------------------------------------------------------------------------

def _kennisgevingen(message: etree._Element, tag: str) -> list[list[etree._Element]]:
    """The ``object`` elements of each non-nil kennisgeving (``vrdLk01``/``fvwLk01``) of a message."""
    result = []
    for lk in message:
        if lk.tag != tag or lk.get(XSI_NIL) in _NIL:
            continue
        result.append(list(lk.iterchildren(F + "object")))
    return result


def vorderingen(message: etree._Element) -> list[Vordering]:
    """Every vordering of a ``FIN:Di01-verstrekVordering``, in message order."""
    return [lees_vordering(objecten[0]) for objecten in _kennisgevingen(message, F + "vrdLk01")]


#: Vorderingen per batch when a large message is read as a stream (fewer objects alive at a time).
BATCH = 500


def vordering_batches(bron: etree._Element | Stroom, grootte: int = BATCH) -> Iterator[list[Vordering]]:
    """The vorderingen of a ``Di01-verstrekVordering`` in message order: all at once for a message
    element, in batches of ``grootte`` for a validated :class:`~stuf_fin.schema.stroom.Stroom` (the
    body is parsed again, each ``vrdLk01`` dropped once read, so memory stays flat)."""
    if isinstance(bron, etree._Element):
        yield vorderingen(bron)
        return
    batch: list[Vordering] = []
    for lk in bron.elementen():
        if lk.get(XSI_NIL) not in _NIL:
            batch.append(lees_vordering(next(child for child in lk if child.tag == F + "object")))
        if len(batch) >= grootte:
            yield batch
            batch = []
    if batch:
        yield batch


def statuswijzigingen(message: etree._Element) -> list[StatusWijziging]:
    """The new status (the last object) of each non-nil ``vrdLk01`` of a status change message."""
    return [lees_statuswijziging(objecten[-1]) for objecten in _kennisgevingen(message, F + "vrdLk01")]


def verantwoordingen(message: etree._Element) -> list[Verantwoording]:
    """Every verantwoording of a ``FIN:Di01-verstrekFinancieleVerantwoording`` (nil ``fvwLk01`` skipped)."""
    return [lees_verantwoording(objecten[0]) for objecten in _kennisgevingen(message, F + "fvwLk01")]


__all__ = ["lees_organisatie", "lees_status", "lees_statuswijziging", "lees_verantwoording",
           "lees_vordering", "statuswijzigingen", "verantwoordingen", "vordering_batches", "vorderingen", "waarde",
           "xml_bytes"]
