"""Cutting a complete answer object down to what a question asks (StUF 03.01 §6.3.3, §6.4.2).

A :class:`Wanted` says, per child element, whether and how deep it is wanted.  :func:`project`
walks the stored element along its schema type (:mod:`~stuf_fin.fin.vraag.schema_facts`), so that the
result keeps schema order, keeps elements the schema requires, and, for an explicit scope, writes a
requested element the store does not have as ``xsi:nil="true"`` with ``StUF:noValue="waardeOnbekend"``
(only ``xsi:nil`` when its type has no ``StUF:noValue``; nothing when it is not nillable, nillable only since
release 1.00.04 (:data:`NIL_ONLY_SINCE_1_00_04`), or another branch of its ``xs:choice`` is present).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable

from lxml import etree

from stuf_fin.fin.model import XS_TRUE
from stuf_fin.fin.vraag.schema_facts import NO_VALUE, Child, TypeRef, schema_facts
from stuf_fin.namespaces import XSI_NIL, F, S

METAGEGEVEN = S + "metagegeven"
#: Metadata (StUF 03.01 §3.3): left out by the ``allesZonderMetagegevens*`` scopes.
META_ELEMENTS = frozenset({S + "tijdvakGeldigheid", S + "tijdstipRegistratie", S + "tijdvakRelatie",
                           S + "tijdvakObject"})
META_NAMES = frozenset({"authentiek", "inOnderzoek", "inBewerking", "brondocument", "gebeurtenis",
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
    if tag in META_ELEMENTS or etree.QName(tag).localname in META_NAMES:
        return True
    return el is not None and el.get(METAGEGEVEN) in XS_TRUE


class Wanted:
    """What is wanted below one element.  This base class wants everything, as stored."""

    whole = True  # copy the stored subtree unchanged
    placeholders = False  # write requested but unknown elements as xsi:nil + StUF:noValue

    def child(self, tag: str, el: etree._Element | None) -> Wanted | None:
        """What is wanted of child ``tag`` (``el``: the stored child, None when absent); None: nothing."""
        return self


WHOLE = Wanted()


class Scope(Wanted):
    """An explicit ``scope/object``: every element in it is requested, with or without xsi:nil or a value."""

    whole = False
    placeholders = True

    def __init__(self, element: etree._Element):
        self.children: dict[str, etree._Element] = {}
        for child in element:
            if isinstance(child.tag, str):
                self.children.setdefault(child.tag, child)

    def child(self, tag: str, el: etree._Element | None) -> Wanted | None:
        wanted = self.children.get(tag)
        if wanted is None:
            return None
        # a group or relation asked without naming any of its elements: all of it (StUF wants ≥ 1 named)
        return Scope(wanted) if any(isinstance(c.tag, str) for c in wanted) else WHOLE


class Alles(Wanted):
    """The ``StUF:scope`` values other than ``kerngegevens``: everything stored, optionally without
    metadata, and optionally with only the kerngegevens of each gerelateerde."""

    def __init__(self, without_meta: bool, kern_of_relatie: Callable[[str], Wanted | None] | None,
                 relatie: str | None = None):
        self.without_meta = without_meta
        self.kern_of_relatie = kern_of_relatie
        self.relatie = relatie
        self.whole = not without_meta and kern_of_relatie is None

    def child(self, tag: str, el: etree._Element | None) -> Wanted | None:
        if self.without_meta and is_metagegeven(tag, el):
            return None
        if self.kern_of_relatie is not None:
            if self.relatie is not None and etree.QName(tag).localname == "gerelateerde":
                kern = self.kern_of_relatie(self.relatie)
                if kern is not None:
                    return kern.without_metagegevens() if self.without_meta and isinstance(kern, Kern) \
                        else kern
            if self.relatie is None:
                return Alles(self.without_meta, self.kern_of_relatie, relatie=tag)
            return Alles(self.without_meta, None)
        return self


class Kern(Wanted):
    """A fixed selection of elements, e.g. the kerngegevens of an entity (from its ``*-kerngegevens`` type)."""

    whole = False

    def __init__(self, children: dict[str, Wanted], without_meta: bool = False):
        self.children = children
        self.without_meta = without_meta

    def child(self, tag: str, el: etree._Element | None) -> Wanted | None:
        if not self.without_meta:
            return self.children.get(tag)
        if is_metagegeven(tag, el):
            return None
        sub = self.children.get(tag)
        if sub is WHOLE and el is not None and any(isinstance(c.tag, str) for c in el):
            return Alles(without_meta=True, kern_of_relatie=None)  # a whole group, without metadata
        return sub.without_metagegevens() if isinstance(sub, Kern) else sub

    def without_metagegevens(self) -> Kern:
        return Kern(self.children, without_meta=True)

    @classmethod
    def of_type(cls, ref: TypeRef, _busy: frozenset[TypeRef] = frozenset()) -> Kern:
        """The elements of a (kerngegevens) type, nested groups and relations by their own types."""
        facts = schema_facts()
        children: dict[str, Wanted] = {}
        for k in facts.children(ref) or ():
            nested = k.type is not None and k.type not in _busy and facts.children(k.type)
            children.setdefault(k.tag, cls.of_type(k.type, _busy | {ref}) if nested else WHOLE)  # type: ignore[arg-type]
        return cls(children)


def _unique(children: Iterable[Child]) -> list[Child]:
    seen: set[str] = set()
    result = []
    for k in children:
        if k.tag not in seen:
            seen.add(k.tag)
            result.append(k)
    return result


def placeholder(parent: etree._Element, child: Child) -> None:
    """A requested element without a known value: ``xsi:nil`` (+ ``StUF:noValue="waardeOnbekend"``), with
    the fixed attributes its type requires; nothing when a required attribute has no fixed value."""
    facts = schema_facts()
    attributes = facts.fixed_attributes(child.type)
    if attributes is None:
        return
    el = etree.SubElement(parent, child.tag, attributes)
    el.set(XSI_NIL, "true")
    if facts.has_novalue(child.type):
        el.set(NO_VALUE, "waardeOnbekend")


def project(el: etree._Element, wanted: Wanted, type_ref: TypeRef | None,
            parent: etree._Element | None = None) -> etree._Element:
    """A copy of ``el`` with only what ``wanted`` wants (appended to ``parent`` when given)."""
    children = [c for c in el if isinstance(c.tag, str)]
    if wanted.whole or not children or el.get(XSI_NIL) in XS_TRUE:  # a value, or nil: as stored
        clone = copy.deepcopy(el)
        clone.tail = None
        if parent is not None:
            parent.append(clone)
        return clone
    out = etree.Element(el.tag, dict(el.attrib)) if parent is None else etree.SubElement(parent, el.tag,
                                                                                          dict(el.attrib))
    facts = schema_facts()
    declarations = facts.children(type_ref)
    if declarations is None:  # open or unknown content: stored order, nothing added
        for child in children:
            sub = wanted.child(str(child.tag), child)
            if sub is not None:
                project(child, sub, None, out)
        return out
    present: dict[str, list[etree._Element]] = {}
    for child in children:
        present.setdefault(str(child.tag), []).append(child)
    unique = _unique(declarations)
    stored = [k for k in unique if k.tag in present]
    for k in unique:
        found = present.get(k.tag)
        if found:
            for child in found:
                sub = wanted.child(k.tag, child)
                if sub is None and k.required:
                    sub = WHOLE
                if sub is not None:
                    project(child, sub, k.type, out)
        elif wanted.placeholders and k.nillable and (el.tag, k.tag) not in NIL_ONLY_SINCE_1_00_04 \
                and wanted.child(k.tag, None) is not None and not any(k.clashes_with(other) for other in stored):
            placeholder(out, k)
    return out
