"""What the schema says about the elements of a vrdLa01 answer, read from the built-in ``xsd/``.

The answer is projected onto the scope of the question (:mod:`stuf_fin.fin.vraag.projection`); that
needs, per complex type, its child elements in schema order, whether each is nillable, whether its
type carries ``StUF:noValue``, whether it is required, which ``xs:choice`` branches it belongs to, and
the fixed ``StUF:entiteittype`` of a relation.  This module walks the XSD documents with lxml
(sequence, choice, group, element name/ref, complexContent extension/restriction, attributes and
attribute groups); it validates nothing, the compiled schema does that.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from stuf_fin.namespaces import S, q

NO_VALUE = S + "noValue"
ENTITEITTYPE = S + "entiteittype"

#: A type: the Clark name of a named type, or the ``xs:complexType`` element of an anonymous one.
TypeRef = str | etree._Element


@dataclass(frozen=True)
class Child:
    """One child element declaration of a complex type."""

    tag: str  # Clark name
    type: TypeRef | None  # None: no type (anyType)
    nillable: bool
    required: bool  # must occur (minOccurs ≥ 1 along the way and outside any choice)
    choices: tuple[tuple[int, int, int], ...]  # enclosing choices: (choice id, branch, maxOccurs), outer first

    def clashes_with(self, other: Child) -> bool:
        """Whether this element and ``other`` are in different branches of a choice taken once."""
        mine = {k[0]: k for k in self.choices}
        for choice, branch, maximum in other.choices:
            own = mine.get(choice)
            if own is not None and own[1] != branch and maximum == 1:
                return True
        return False


class SchemaFacts:
    """The named components of a schema folder, and the questions the projection asks about them."""

    def __init__(self, folder: Path):
        self._index: dict[tuple[str, str], etree._Element] = {}
        self._choice_ids = itertools.count(1)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        for path in sorted(folder.glob("*.xsd")):
            root = etree.parse(str(path), parser).getroot()
            namespace = root.get("targetNamespace", "")
            for child in root:
                if isinstance(child.tag, str) and child.get("name"):
                    self._index[(etree.QName(child).localname, q(namespace, child.get("name", "")))] = child

    # -- lookups ---------------------------------------------------------------------------------
    @staticmethod
    def _qname(el: etree._Element, value: str | None) -> str:
        assert value is not None  # an attribute the caller found set
        prefix, _, local = value.rpartition(":")
        return q(el.nsmap.get(prefix or None, ""), local)

    def _component(self, kind: str, el: etree._Element, attribute: str) -> etree._Element | None:
        value = el.get(attribute)
        return self._index.get((kind, self._qname(el, value))) if value else None

    def _type_element(self, ref: TypeRef | None) -> etree._Element | None:
        if ref is None or isinstance(ref, etree._Element):
            return ref
        found = self._index.get(("complexType", ref))
        return found if found is not None else self._index.get(("simpleType", ref))

    @staticmethod
    def _target(el: etree._Element) -> str:
        return el.getroottree().getroot().get("targetNamespace", "")

    # -- content -----------------------------------------------------------------------------------
    @cache  # noqa: B019 (one instance per process, see schema_facts())
    def children(self, ref: TypeRef | None) -> tuple[Child, ...] | None:
        """The child elements of a complex type in schema order; None when unknown or open (``xs:any``)."""
        el = self._type_element(ref)
        if el is None or etree.QName(el).localname != "complexType":
            return () if el is not None else None
        result: list[Child] = []
        if not self._content(el, result, True, ()):
            return None
        return tuple(result)

    def child(self, ref: TypeRef | None, tag: str) -> Child | None:
        """The declaration of child ``tag`` in type ``ref`` (the first, when declared twice)."""
        for k in self.children(ref) or ():
            if k.tag == tag:
                return k
        return None

    def _content(self, type_el: etree._Element, result: list[Child], required: bool,
                 choices: tuple[tuple[int, int, int], ...]) -> bool:
        for child in type_el:
            name = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if name in ("sequence", "choice", "all", "group"):
                if not self._particle(child, result, required, choices):
                    return False
            elif name in ("complexContent", "simpleContent"):
                for derivation in child:
                    if not isinstance(derivation.tag, str):
                        continue
                    if etree.QName(derivation).localname == "extension" and name == "complexContent":
                        base = self.children(self._qname(derivation, derivation.get("base")))
                        if base is None:
                            return False
                        result.extend(base)
                    if not self._content(derivation, result, required, choices):
                        return False
        return True

    def _particle(self, el: etree._Element, result: list[Child], required: bool,
                  choices: tuple[tuple[int, int, int], ...]) -> bool:
        """Add the element declarations of one particle; False when it is open (``xs:any``)."""
        name = etree.QName(el).localname
        required = required and el.get("minOccurs", "1") != "0"
        if name == "element":
            result.append(self._element(el, required, choices))
            return True
        if name == "any":
            return False
        if name == "group":
            group = self._component("group", el, "ref")
            return group is None or all(self._particle(c, result, required, choices)
                                        for c in group if isinstance(c.tag, str)
                                        and etree.QName(c).localname in ("sequence", "choice", "all"))
        if name == "choice":
            choice = next(self._choice_ids)
            maximum = el.get("maxOccurs", "1")
            maximum_n = 0 if maximum == "unbounded" else int(maximum)
            for branch, child in enumerate(c for c in el if isinstance(c.tag, str)):
                if not self._particle(child, result, False, (*choices, (choice, branch, maximum_n))):
                    return False
            return True
        # sequence / all
        return all(self._particle(c, result, required, choices) for c in el
                   if isinstance(c.tag, str) and etree.QName(c).localname != "annotation")

    def _element(self, el: etree._Element, required: bool, choices: tuple[tuple[int, int, int], ...]) -> Child:
        if el.get("ref"):
            tag = self._qname(el, el.get("ref"))
            decl = self._index.get(("element", tag))
            nillable = decl is not None and decl.get("nillable") == "true"
            return Child(tag, self._type_of(decl) if decl is not None else None, nillable, required, choices)
        tag = q(self._target(el), el.get("name", ""))
        return Child(tag, self._type_of(el), el.get("nillable") == "true", required, choices)

    def _type_of(self, decl: etree._Element) -> TypeRef | None:
        if decl.get("type"):
            return self._qname(decl, decl.get("type"))
        return next((c for c in decl if isinstance(c.tag, str) and etree.QName(c).localname == "complexType"), None)

    # -- attributes ----------------------------------------------------------------------------------
    @cache  # noqa: B019
    def attributes(self, ref: TypeRef | None) -> dict[str, etree._Element]:
        """The attribute declarations of a type (Clark name → ``xs:attribute``), inherited ones included."""
        el = self._type_element(ref)
        if el is None or etree.QName(el).localname != "complexType":
            return {}
        result: dict[str, etree._Element] = {}
        self._attributes_of(el, result)
        return {name: decl for name, decl in result.items() if decl.get("use") != "prohibited"}

    def _attributes_of(self, el: etree._Element, result: dict[str, etree._Element]) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            if name in ("complexContent", "simpleContent"):
                for derivation in child:
                    if isinstance(derivation.tag, str) and derivation.get("base"):
                        result.update(self.attributes(self._qname(derivation, derivation.get("base"))))
                        self._attributes_of(derivation, result)
            elif name == "attribute":
                key = self._qname(child, child.get("ref")) if child.get("ref") else child.get("name", "")
                result[key] = child
            elif name == "attributeGroup":
                group = self._component("attributeGroup", child, "ref")
                if group is not None:
                    self._attributes_of(group, result)

    def has_novalue(self, ref: TypeRef | None) -> bool:
        """Whether elements of this type may carry ``StUF:noValue``."""
        return NO_VALUE in self.attributes(ref)

    def _fixed(self, decl: etree._Element) -> str | None:
        """The fixed value of an attribute declaration (or of the global one it refers to)."""
        if decl.get("fixed") is not None:
            return decl.get("fixed")
        if decl.get("ref"):
            global_decl = self._index.get(("attribute", self._qname(decl, decl.get("ref"))))
            return global_decl.get("fixed") if global_decl is not None else None
        return None

    def entiteittype(self, ref: TypeRef | None) -> str | None:
        """The fixed ``StUF:entiteittype`` of a type, if it has one."""
        decl = self.attributes(ref).get(ENTITEITTYPE)
        return self._fixed(decl) if decl is not None else None

    def fixed_attributes(self, ref: TypeRef | None) -> dict[str, str] | None:
        """The attributes an empty (nil) element of this type must carry: every required attribute with
        its fixed value, and a fixed ``StUF:entiteittype``; None when a required one has no fixed value."""
        result: dict[str, str] = {}
        for name, decl in self.attributes(ref).items():
            fixed = self._fixed(decl)
            if decl.get("use") == "required":
                if fixed is None:
                    return None
                result[name] = fixed
            elif name == ENTITEITTYPE and fixed is not None:
                result[name] = fixed
        return result


@cache
def schema_facts() -> SchemaFacts:
    """The built-in schema set (the one every answer is written for)."""
    from stuf_fin.schema.loader import builtin_dir

    return SchemaFacts(builtin_dir())
