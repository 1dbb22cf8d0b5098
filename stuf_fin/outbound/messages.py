"""Building outbound StUF-FIN messages: Di01 stuurgegevens with our own identity, the kennisgevingen, and the
SOAPAction of any message we can send (the envelope around them: :func:`stuf_fin.envelope.envelope_bytes`)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from lxml import etree

from stuf_fin.namespaces import PREFIXES, F, S
from stuf_fin.stuf import answers
from stuf_fin.stuf.operations import OPERATIONS, Operation
from stuf_fin.stuf.stuurgegevens import Systeem

_BY_NAME = {op.name: op for op in OPERATIONS}
_BY_ELEMENT: dict[object, Operation] = {op.element: op for op in OPERATIONS}  # by any tag (a comment's is no str)


class _Clock:
    """tijdstipBericht values that increase strictly within this process (StUF019: increasing per zender)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: datetime | None = None

    def __call__(self) -> str:
        with self._lock:
            now = datetime.now(answers.AMSTERDAM)
            if self._last is not None and now <= self._last:
                now = self._last + timedelta(milliseconds=1)
            self._last = now
            return answers.moment(now)


moment = _Clock()


def operation(name: str) -> Operation:
    return _BY_NAME[name]


def operation_of(message: etree._Element) -> Operation | None:
    """The operation whose body element ``message`` is (None for anything else)."""
    return _BY_ELEMENT.get(message.tag)


def kennisgeving(tag: str, entiteittype: str, obj: etree._Element) -> etree._Element:
    """A ``vrdLk01``/``fvwLk01`` holding ``obj`` (mutatiesoort T, indicatorOvername V, as the examples do)."""
    lk = etree.Element(F + tag, {"entiteittype": entiteittype, "functie": "update"}, nsmap=PREFIXES)
    parameters = etree.SubElement(lk, F + "parameters")
    etree.SubElement(parameters, S + "mutatiesoort").text = "T"
    etree.SubElement(parameters, S + "indicatorOvername").text = "V"
    lk.append(obj)
    return lk


def di01(name: str, kennisgevingen: list[etree._Element], *, zender: Systeem, ontvanger: Systeem,
         referentienummer: str, tijdstip_bericht: str) -> etree._Element:
    """A Di01 of operation ``name`` with our stuurgegevens around ``kennisgevingen``."""
    op = operation(name)
    root = etree.Element(op.element, nsmap=PREFIXES)
    sg = etree.SubElement(root, F + "stuurgegevens")
    etree.SubElement(sg, S + "berichtcode").text = "Di01"
    answers.systeem_element(sg, "zender", zender)
    answers.systeem_element(sg, "ontvanger", ontvanger)
    etree.SubElement(sg, S + "referentienummer").text = referentienummer
    etree.SubElement(sg, S + "tijdstipBericht").text = tijdstip_bericht
    etree.SubElement(sg, S + "functie").text = op.functie
    root.extend(kennisgevingen)
    return root


def to_bytes(message: etree._Element) -> bytes:
    return etree.tostring(message, encoding="UTF-8")


def _child(parent: etree._Element, tag: str) -> etree._Element:
    child = parent.find(tag)
    if child is None:  # not a schema-valid message
        raise ValueError(f"{etree.QName(parent).localname} has no {etree.QName(tag).localname}")
    return child


def restamp(message: etree._Element, *, referentienummer: str, tijdstip_bericht: str,
            zender: Systeem | None = None, ontvanger: Systeem | None = None) -> etree._Element:
    """``message`` made a new message (StUF 03.01 §4.4: after a fault at our side): a new referentienummer and
    tijdstipBericht, and the zender/ontvanger of the current routing when given."""
    sg = _child(message, F + "stuurgegevens")
    _child(sg, S + "referentienummer").text = referentienummer
    _child(sg, S + "tijdstipBericht").text = tijdstip_bericht
    for tag, systeem in (("zender", zender), ("ontvanger", ontvanger)):
        old = sg.find(S + tag)
        if systeem is not None and old is not None:
            position = list(sg).index(old)
            sg.remove(old)
            answers.systeem_element(sg, tag, systeem)
            sg.insert(position, sg[-1])
    return message

