"""Cutting a complete answer object down to what a question asks (StUF 03.01 §6.3.3, §6.4.2).

A :class:`Gevraagd` says, per child element, whether and how deep it is wanted.  :func:`projecteer`
walks the stored element along its schema type (:mod:`~stuf_fin.fin.vraag.schemakennis`), so that the
result keeps schema order, keeps elements the schema requires, and, for an explicit scope, writes a
requested element the store does not have as ``xsi:nil="true"`` with ``StUF:noValue="waardeOnbekend"``
(only ``xsi:nil`` when its type has no ``StUF:noValue``; nothing when it is not nillable, nillable only since
release 1.00.04 (:data:`NIL_ONLY_SINCE_1_00_04`), or another branch of its ``xs:choice`` is present).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable

from lxml import etree

from stuf_fin.fin.vraag.schemakennis import NO_VALUE, Kind, TypeRef, schemakennis
from stuf_fin.namespaces import FIN, STUF, XSI_NIL

S, F = f"{{{STUF}}}", f"{{{FIN}}}"
METAGEGEVEN = S + "metagegeven"
#: Metadata (StUF 03.01 §3.3): left out by the ``allesZonderMetagegevens*`` scopes.
META_ELEMENTEN = frozenset({S + "tijdvakGeldigheid", S + "tijdstipRegistratie", S + "tijdvakRelatie",
                            S + "tijdvakObject"})
META_NAMEN = frozenset({"authentiek", "inOnderzoek", "inBewerking", "brondocument", "gebeurtenis",
                        "historieMaterieel", "historieFormeel"})
#: (parent, child) elements that release 1.00.04 lets be nil and release 1.00.03 does not (ERR489944: the
#: ``debiteurnummer`` of both debiteur relations).  An answer never holds them nil, so that it is valid under
#: both releases: a receiver on 1.00.03 rejects a nil one, and leaving the element out tells it the same (no
#: value).  Questions may ask for them with ``xsi:nil``, as StUF 03.01 prescribes for a scope.
NIL_ONLY_SINCE_1_00_04 = frozenset({
    (F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur", F + "debiteurnummer"),
    (F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur", F + "debiteurnummer"),
})


def is_metagegeven(tag: str, el: etree._Element | None) -> bool:
    """Whether an element is StUF metadata (history, status of data, source documents)."""
    if tag in META_ELEMENTEN or etree.QName(tag).localname in META_NAMEN:
        return True
    return el is not None and el.get(METAGEGEVEN) in ("true", "1")


class Gevraagd:
    """What is wanted below one element.  This base class wants everything, as stored."""

    heel = True  # copy the stored subtree unchanged
    plaatshouders = False  # write requested but unknown elements as xsi:nil + StUF:noValue

    def kind(self, tag: str, el: etree._Element | None) -> Gevraagd | None:
        """What is wanted of child ``tag`` (``el``: the stored child, None when absent); None: nothing."""
        return self


HEEL = Gevraagd()


class Scope(Gevraagd):
    """An explicit ``scope/object``: every element in it is requested, with or without xsi:nil or a value."""

    heel = False
    plaatshouders = True

    def __init__(self, element: etree._Element):
        self.kinderen: dict[str, etree._Element] = {}
        for child in element:
            if isinstance(child.tag, str):
                self.kinderen.setdefault(child.tag, child)

    def kind(self, tag: str, el: etree._Element | None) -> Gevraagd | None:
        gevraagd = self.kinderen.get(tag)
        if gevraagd is None:
            return None
        # a group or relation asked without naming any of its elements: all of it (StUF wants ≥ 1 named)
        return Scope(gevraagd) if any(isinstance(c.tag, str) for c in gevraagd) else HEEL


class Alles(Gevraagd):
    """The ``StUF:scope`` values other than ``kerngegevens``: everything stored, optionally without
    metadata, and optionally with only the kerngegevens of each gerelateerde."""

    def __init__(self, zonder_metagegevens: bool, kern_van_relatie: Callable[[str], Gevraagd | None] | None,
                 relatie: str | None = None):
        self.zonder_metagegevens = zonder_metagegevens
        self.kern_van_relatie = kern_van_relatie
        self.relatie = relatie
        self.heel = not zonder_metagegevens and kern_van_relatie is None

    def kind(self, tag: str, el: etree._Element | None) -> Gevraagd | None:
        if self.zonder_metagegevens and is_metagegeven(tag, el):
            return None
        if self.kern_van_relatie is not None:
            if self.relatie is not None and etree.QName(tag).localname == "gerelateerde":
                kern = self.kern_van_relatie(self.relatie)
                if kern is not None:
                    return kern.zonder_metagegevens() if self.zonder_metagegevens and isinstance(kern, Kern) \
                        else kern
            if self.relatie is None:
                return Alles(self.zonder_metagegevens, self.kern_van_relatie, relatie=tag)
            return Alles(self.zonder_metagegevens, None)
        return self


class Kern(Gevraagd):
    """A fixed selection of elements, e.g. the kerngegevens of an entity (from its ``*-kerngegevens`` type)."""

    heel = False

    def __init__(self, kinderen: dict[str, Gevraagd], zonder_meta: bool = False):
        self.kinderen = kinderen
        self.zonder_meta = zonder_meta

    def kind(self, tag: str, el: etree._Element | None) -> Gevraagd | None:
        if not self.zonder_meta:
            return self.kinderen.get(tag)
        if is_metagegeven(tag, el):
            return None
        sub = self.kinderen.get(tag)
        if sub is HEEL and el is not None and any(isinstance(c.tag, str) for c in el):
            return Alles(zonder_metagegevens=True, kern_van_relatie=None)  # a whole group, without metadata
        return sub.zonder_metagegevens() if isinstance(sub, Kern) else sub

    def zonder_metagegevens(self) -> Kern:
        return Kern(self.kinderen, zonder_meta=True)

    @classmethod
    def van_type(cls, ref: TypeRef, _bezig: frozenset[TypeRef] = frozenset()) -> Kern:
        """The elements of a (kerngegevens) type, nested groups and relations by their own types."""
        kennis = schemakennis()
        kinderen: dict[str, Gevraagd] = {}
        for k in kennis.kinderen(ref) or ():
            genest = k.type is not None and k.type not in _bezig and kennis.kinderen(k.type)
            kinderen.setdefault(k.tag, cls.van_type(k.type, _bezig | {ref}) if genest else HEEL)  # type: ignore[arg-type]
        return cls(kinderen)


def _uniek(kinderen: Iterable[Kind]) -> list[Kind]:
    gezien: set[str] = set()
    result = []
    for k in kinderen:
        if k.tag not in gezien:
            gezien.add(k.tag)
            result.append(k)
    return result


def plaatshouder(parent: etree._Element, kind: Kind) -> None:
    """A requested element without a known value: ``xsi:nil`` (+ ``StUF:noValue="waardeOnbekend"``), with
    the fixed attributes its type requires; nothing when a required attribute has no fixed value."""
    kennis = schemakennis()
    attributen = kennis.vaste_attributen(kind.type)
    if attributen is None:
        return
    el = etree.SubElement(parent, kind.tag, attributen)
    el.set(XSI_NIL, "true")
    if kennis.heeft_novalue(kind.type):
        el.set(NO_VALUE, "waardeOnbekend")


def projecteer(el: etree._Element, gevraagd: Gevraagd, type_ref: TypeRef | None,
               parent: etree._Element | None = None) -> etree._Element:
    """A copy of ``el`` with only what ``gevraagd`` wants (appended to ``parent`` when given)."""
    kinderen = [c for c in el if isinstance(c.tag, str)]
    if gevraagd.heel or not kinderen or el.get(XSI_NIL) in ("true", "1"):  # a value, or nil: as stored
        kopie = copy.deepcopy(el)
        kopie.tail = None
        if parent is not None:
            parent.append(kopie)
        return kopie
    uit = etree.Element(el.tag, dict(el.attrib)) if parent is None else etree.SubElement(parent, el.tag,
                                                                                          dict(el.attrib))
    kennis = schemakennis()
    declaraties = kennis.kinderen(type_ref)
    if declaraties is None:  # open or unknown content: stored order, nothing added
        for child in kinderen:
            sub = gevraagd.kind(str(child.tag), child)
            if sub is not None:
                projecteer(child, sub, None, uit)
        return uit
    aanwezig: dict[str, list[etree._Element]] = {}
    for child in kinderen:
        aanwezig.setdefault(str(child.tag), []).append(child)
    uniek = _uniek(declaraties)
    opgeslagen = [k for k in uniek if k.tag in aanwezig]
    for k in uniek:
        gevonden = aanwezig.get(k.tag)
        if gevonden:
            for child in gevonden:
                sub = gevraagd.kind(k.tag, child)
                if sub is None and k.verplicht:
                    sub = HEEL
                if sub is not None:
                    projecteer(child, sub, k.type, uit)
        elif gevraagd.plaatshouders and k.nillable and (el.tag, k.tag) not in NIL_ONLY_SINCE_1_00_04 \
                and gevraagd.kind(k.tag, None) is not None and not any(k.botst_met(ander) for ander in opgeslagen):
            plaatshouder(uit, k)
    return uit
