"""Building StUF answers: Bv03, Fo03 and Fo02 (StUF 03.01 §4.4) and the stuurgegevens of a La01, from the
request's stuurgegevens; and reading the fault in a Fo0x received."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

from stuf_fin.namespaces import STUF, S
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.stuurgegevens import SYSTEEM_MAX, Stuurgegevens, Systeem

NSMAP = {"StUF": STUF}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: Used where the request did not carry a usable Systeem (Applicatie is 3-50 characters).
UNKNOWN = Systeem(applicatie="onbekend")


def new_referentienummer() -> str:
    """A new, unique referentienummer (≤ 40 characters)."""
    return uuid.uuid4().hex


def moment(when: datetime | None = None) -> str:
    """``when`` (default: now) as a StUF tijdstip ``JJJJMMDDuummssmmm`` in Dutch local time."""
    when = (when or datetime.now(AMSTERDAM)).astimezone(AMSTERDAM)
    return when.strftime("%Y%m%d%H%M%S") + f"{when.microsecond // 1000:03d}"


def systeem_element(parent: etree._Element, tag: str, systeem: Systeem) -> etree._Element:
    """Append ``systeem`` as the StUF element ``tag`` (``zender``, ``ontvanger``): the parts that are set, each
    clipped to the length StUF allows."""
    el = etree.SubElement(parent, S + tag)
    for part, limit in SYSTEEM_MAX.items():
        if value := getattr(systeem, part):
            etree.SubElement(el, S + part).text = value[:limit]
    return el


def _systeem(parent: etree._Element, tag: str, systeem: Systeem | None) -> None:
    """Append a Systeem, made schema-valid: lengths clipped, a missing applicatie replaced."""
    systeem_element(parent, tag, systeem if systeem and len(systeem.applicatie) >= 3 else UNKNOWN)


def _stuurgegevens(root: etree._Element, berichtcode: str, request: Stuurgegevens, own: Systeem | None,
                   referentienummer: str, when: datetime | None) -> None:
    sg = etree.SubElement(root, S + "stuurgegevens")
    etree.SubElement(sg, S + "berichtcode").text = berichtcode
    # zender/ontvanger are exactly the other way round (StUF protocolbindingen)
    _systeem(sg, "zender", request.ontvanger or own)
    _systeem(sg, "ontvanger", request.zender)
    etree.SubElement(sg, S + "referentienummer").text = referentienummer
    etree.SubElement(sg, S + "tijdstipBericht").text = moment(when)
    etree.SubElement(sg, S + "crossRefnummer").text = (request.referentienummer or "onbekend")[:40]


def bv03(request: Stuurgegevens, own: Systeem | None = None, referentienummer: str | None = None,
         when: datetime | None = None) -> etree._Element:
    """The Bv03 acknowledgement of an accepted asynchronous message."""
    root = etree.Element(S + "Bv03Bericht", nsmap=NSMAP)
    _stuurgegevens(root, "Bv03", request, own, referentienummer or new_referentienummer(), when)
    return root


def _fault_body(root: etree._Element, fault: StufFault) -> None:
    body = etree.SubElement(root, S + "body")
    etree.SubElement(body, S + "code").text = fault.code
    etree.SubElement(body, S + "plek").text = fault.plek
    etree.SubElement(body, S + "omschrijving").text = fault.omschrijving
    if fault.details:
        etree.SubElement(body, S + "details").text = fault.details


@dataclass(frozen=True)
class ReceivedFault:
    """The body of a Fo01/Fo02/Fo03 received, as sent (each part stripped, "" when absent)."""

    code: str = ""
    plek: str = ""
    omschrijving: str = ""
    details: str = ""


def read_fault(message: etree._Element) -> ReceivedFault:
    """The fault in a received Fo0x message (its ``body``); empty parts for a message without one."""
    body = message.find(S + "body")
    if body is None:
        return ReceivedFault()
    return ReceivedFault(*((body.findtext(S + tag) or "").strip() for tag in ("code", "plek", "omschrijving",
                                                                               "details")))


def fo03(request: Stuurgegevens, fault: StufFault, own: Systeem | None = None,
         referentienummer: str | None = None, when: datetime | None = None) -> etree._Element:
    """The Fo03 fault answer to an asynchronous (Di01) message."""
    root = etree.Element(S + "Fo03Bericht", nsmap=NSMAP)
    _stuurgegevens(root, "Fo03", request, own, referentienummer or new_referentienummer(), when)
    _fault_body(root, fault)
    return root


def fo02(fault: StufFault) -> etree._Element:
    """The Fo02 fault answer to a synchronous (vraag) message: stuurgegevens hold only the berichtcode."""
    root = etree.Element(S + "Fo02Bericht", nsmap=NSMAP)
    sg = etree.SubElement(root, S + "stuurgegevens")
    etree.SubElement(sg, S + "berichtcode").text = "Fo02"
    _fault_body(root, fault)
    return root


def stuurgegevens_la01(parent: etree._Element, tag: str, request: Stuurgegevens, own: Systeem | None,
                       entiteittype: str) -> etree._Element:
    """The stuurgegevens of a La01 answer: zender and ontvanger of the question swapped (each only when
    known), the entiteittype; no referentienummer, tijdstipBericht or crossRefnummer (prohibited there)."""
    sg = etree.SubElement(parent, tag)
    etree.SubElement(sg, S + "berichtcode").text = "La01"
    zender = request.ontvanger or own
    if zender is not None:
        _systeem(sg, "zender", zender)
    if request.zender is not None:
        _systeem(sg, "ontvanger", request.zender)
    etree.SubElement(sg, S + "entiteittype").text = entiteittype
    return sg
