"""Seeded random mutations of XML messages, to compare the verdicts of two schema sets.

A :class:`Mutator` takes a few valid messages and makes reproducible variants of them: changed
values, dropped, duplicated, reordered and renamed elements, ``xsi:nil`` (with or without
``StUF:noValue``), emptied elements, text in element-only content, and changed, dropped, added or
re-qualified attributes.  Values and names come from a fixed pool of edge cases (lengths, patterns,
dates, enumerations, whitespace) and from the messages themselves, so that many variants stay
close to valid.  The same seed gives the same mutations.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from lxml import etree

from stuf_fin.namespaces import GML, STUF, XSI_NIL, S

XLINK = "http://www.w3.org/1999/xlink"
NO_VALUE = S + "noValue"

#: Edge-case values: lengths, number and date forms, patterns, enumerations of FIN/StUF/BG/ZKN.
VALUES = (
    "", " ", "x", "0", "00", "1", "-1", "+1", "1.5", "1e3", "007", "99999999999999999999",
    "J", "N", "j", "T", "W", "V", "I", "O", "E", "M", "D", "true", "false", "1 2",
    "EUR", "eur", "XYZ", "HOO", "LAA", "NUL", "VER", "FAC", "KWT", "ONV", "BET", "EV", "TV",
    "2025-02-29", "2024-02-29", "2025-13-01", "2025-01-01Z", "2025-01-01+01:00", "2025-01-01T10:00:00",
    "2025-01-01T25:00:00", "20250101", "2025010", "202501011230", "20250101123045678", "00000000",
    "123456789", "12345678", "1234AB", "1234 AB", "0123AB", "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00",
    "ABNANL2A", "ZAAK1", "ZAAK-2025-0001", "a" * 17, "a" * 41, "a" * 65, "a" * 201, "a" * 1001,
    " padded ", "line\nbreak", "tab\tsep", "é€✓", "x  y", "urn:ogc:def:crs:EPSG::28992", "155000 463000",
    "geenWaarde", "waardeOnbekend", "nietOndersteund", "nietGeautoriseerd", "alles", "kerngegevens",
    "Lv01", "La01", "Di01", "Bv03", "Fo03", "Fo02", "client", "server", "StUF055", "update", "VRD", "NPS",
    "NNP", "ZAK", "OEH",
)
#: Attributes an element may gain (Clark names; plain names are unqualified).
ATTRIBUTES = (
    f"{{{STUF}}}entiteittype", "entiteittype", "functie", f"{{{STUF}}}functie", f"{{{STUF}}}verwerkingssoort",
    f"{{{STUF}}}noValue", f"{{{STUF}}}exact", f"{{{STUF}}}scope", f"{{{STUF}}}sleutelVerzendend",
    f"{{{STUF}}}sleutelOntvangend", f"{{{STUF}}}sleutelGegevensbeheer", f"{{{STUF}}}sleutelSynchronisatie",
    f"{{{STUF}}}metagegeven", f"{{{STUF}}}indOnvolledigeDatum", f"{{{STUF}}}aantalVoorkomens",
    f"{{{STUF}}}aardAantal", f"{{{STUF}}}bestandsnaam", "naam", "groepsnaam", "elementnaam", f"{{{GML}}}id",
    "srsName", "srsDimension", "count", f"{{{XLINK}}}href", "foo",
)


@dataclass(frozen=True)
class Mutation:
    """One variant: where it came from, what was done, and the resulting document."""

    number: int
    source: str
    steps: tuple[str, ...]
    data: bytes

    def describe(self) -> str:
        return f"mutation #{self.number} of {self.source}: " + " | ".join(self.steps)


class Mutator:
    """Reproducible mutations of ``messages`` (name -> document bytes) for one ``seed``."""

    def __init__(self, messages: Mapping[str, bytes], seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.sources = {name: etree.fromstring(data) for name, data in messages.items()}
        self.names = sorted(self.sources)
        texts, local_names, attribute_values = set(), {}, set()
        for root in self.sources.values():
            for el in root.iter(etree.Element):
                q = etree.QName(el)
                local_names.setdefault(q.namespace, set()).add(q.localname)
                if len(el) == 0 and el.text and el.text.strip():
                    texts.add(el.text)
                attribute_values.update(el.attrib.values())
        self.values = sorted(set(VALUES) | texts)
        self.local_names = {ns: sorted(names) for ns, names in local_names.items()}
        self.namespaces = sorted(ns for ns in local_names if ns)
        self.attribute_values = sorted(set(VALUES) | attribute_values)
        self.kinds: list[tuple[str, Callable[[etree._Element], str | None]]] = [
            ("value", self._value), ("value", self._value), ("drop", self._drop), ("dup", self._dup),
            ("move", self._move), ("rename", self._rename), ("nil", self._nil), ("empty", self._empty),
            ("text", self._text), ("attr", self._attr), ("attrdrop", self._attrdrop), ("addattr", self._addattr),
            ("requalify", self._requalify),
        ]
        self.count = 0

    def __iter__(self) -> Iterator[Mutation]:
        while True:
            yield self.next()

    def next(self) -> Mutation:
        """The next mutation: 1 to 3 steps on a copy of a randomly chosen message."""
        while True:
            source = self.rng.choice(self.names)
            root = copy.deepcopy(self.sources[source])
            steps = [s for s in (self._step(root) for _ in range(self.rng.choice((1, 1, 1, 2, 3)))) if s]
            if steps:
                self.count += 1
                data = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
                return Mutation(self.count, source, tuple(steps), data)

    def _step(self, root: etree._Element) -> str | None:
        name, kind = self.rng.choice(self.kinds)
        elements = list(root.iter(etree.Element))
        candidates = elements if name in ("addattr", "attr", "attrdrop", "requalify") else elements[1:]
        if not candidates:
            return None
        target = self.rng.choice(candidates)
        path = target.getroottree().getpath(target)
        done = kind(target)
        return f"{name} {path}{done}" if done is not None else None

    # -- the kinds: each changes ``el`` and returns a description suffix, or None when not applicable --

    def _value(self, el: etree._Element) -> str | None:
        if len(el):
            return None
        el.text = self.rng.choice(self.values)
        return f" = {_show(el.text)}"

    def _drop(self, el: etree._Element) -> str:
        el.getparent().remove(el)
        return ""

    def _dup(self, el: etree._Element) -> str:
        el.addnext(copy.deepcopy(el))
        return ""

    def _move(self, el: etree._Element) -> str | None:
        parent = el.getparent()
        siblings = [c for c in parent if isinstance(c.tag, str)]
        if len(siblings) < 2:
            return None
        parent.remove(el)
        position = self.rng.randrange(len(siblings))
        parent.insert(position, el)
        return f" to position {position}"

    def _rename(self, el: etree._Element) -> str:
        q = etree.QName(el)
        if self.rng.random() < 0.7:
            el.tag = etree.QName(q.namespace, self.rng.choice(self.local_names[q.namespace])).text
        else:
            el.tag = etree.QName(self.rng.choice(self.namespaces), q.localname).text
        return f" -> {el.tag}"

    def _nil(self, el: etree._Element) -> str:
        if self.rng.random() < 0.7:
            _clear(el)
        el.set(XSI_NIL, self.rng.choice(("true", "true", "true", "1", "false")))
        if self.rng.random() < 0.5:
            el.set(NO_VALUE, self.rng.choice(("geenWaarde", "waardeOnbekend", "nietOndersteund",
                                              "nietGeautoriseerd", "vastgesteldOnbekend", "bogus")))
        kept = " (content kept)" if len(el) or el.text else ""
        return f" xsi:nil={el.get(XSI_NIL)} noValue={el.get(NO_VALUE)}" + kept

    def _empty(self, el: etree._Element) -> str:
        _clear(el)
        return ""

    def _text(self, el: etree._Element) -> str | None:
        if not len(el):
            return None
        el[0].tail = self.rng.choice(("x", " ", "\n  ", "0"))
        return f" text after first child {_show(el[0].tail)}"

    def _attr(self, el: etree._Element) -> str | None:
        if not el.attrib:
            return None
        name = self.rng.choice(sorted(el.attrib))
        el.set(name, self.rng.choice(self.attribute_values))
        return f" @{name} = {_show(el.get(name))}"

    def _attrdrop(self, el: etree._Element) -> str | None:
        if not el.attrib:
            return None
        name = self.rng.choice(sorted(el.attrib))
        del el.attrib[name]
        return f" without @{name}"

    def _addattr(self, el: etree._Element) -> str:
        name = self.rng.choice(ATTRIBUTES)
        el.set(name, self.rng.choice(self.attribute_values))
        return f" @{name} = {_show(el.get(name))}"

    def _requalify(self, el: etree._Element) -> str | None:
        """Move an attribute between the StUF namespace and no namespace (same value)."""
        if not el.attrib:
            return None
        name = self.rng.choice(sorted(el.attrib))
        q = etree.QName(name)
        if q.namespace not in (None, STUF):
            return None
        other = q.localname if q.namespace else f"{{{STUF}}}{q.localname}"
        value = el.attrib.pop(name)
        el.set(other, value)
        return f" @{name} -> @{other}"


def _clear(el: etree._Element) -> None:
    for child in list(el):
        el.remove(child)
    el.text = None


def _show(value: str | None) -> str:
    return repr(value if value is None or len(value) <= 24 else f"{value[:12]}…({len(value)} chars)")
