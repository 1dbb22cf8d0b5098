"""Large requests without a tree of the whole message (memory stays near the size of the body).

A 100 MB Di01 as one lxml tree takes over 1 GB.  For a large request the SOAP layer instead:

1. :func:`lees_kop`: parses only up to the end of the message element's first child (the
   stuurgegevens), for dispatch, the SOAPAction check and the StUF016 lookup;
2. :func:`valideer_stroom`: parses the whole request once more with validation against the message
   schemas plus a SOAP Envelope (:data:`~stuf_fin.schema.loader.ENVELOPE_SCHEMA`), computing the
   content hash child by child and dropping each child once done.

Only a request that passes both is handled as a stream (:class:`Stroom`); anything else (not XML, a
schema error, ...) goes the ordinary way, which gives the located error report.  The objects of a
streamed message are read in a second pass (``stuf_fin.fin.lezen.vordering_batches``).

:func:`inhoud_hash` is the StUF016 fingerprint of a message for both ways: SHA-256 over the message
element's name and attributes and the exclusive canonical XML of each child element, in order.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from stuf_fin.namespaces import SOAP_ENV
from stuf_fin.schema.parsing import _HARDENED, _PROLOG_SCAN, ParseLimits, XmlInputError, _input_error, _refuse_doctype

_FEED = 64 * 1024
ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
BODY = f"{{{SOAP_ENV}}}Body"
#: The hardened options for the validating pass, but for ``resolve_entities=False``: with a schema that one
#: makes lxml (6.1) end a truncated document without an error.  Without a DTD (refused by :func:`lees_kop`)
#: there are no entities to resolve but the predefined ones.
_VALIDEREND = {k: v for k, v in _HARDENED.items() if k != "resolve_entities"}


@dataclass
class Stroom:
    """A large request that passed streaming validation."""

    data: bytes  # the body as received
    message: etree._Element  # the message element with only its first child (stuurgegevens)
    kind: str  # Clark name of the repeated child the message is streamed by (e.g. FIN:vrdLk01)
    content_hash: str = ""
    objecten: int = 0  # number of ``kind`` children seen by the validation pass

    def elementen(self) -> Iterator[etree._Element]:
        """Each ``kind`` child of the message element, complete, parsed again from :attr:`data` (already
        validated); it is dropped when the caller asks for the next one."""
        for _event, element in etree.iterparse(io.BytesIO(self.data), events=("end",), tag=self.kind,
                                               **_HARDENED):
            if element.getparent() is None or element.getparent().tag != self.message.tag:
                continue
            yield element
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]


def lees_kop(data: bytes, limits: ParseLimits | None = None) -> etree._Element:
    """The Envelope as far as the end of the Body's message element's first child (hardened parsing).

    Raises :class:`XmlInputError` when that part is not well-formed or has a DOCTYPE.
    """
    limits = limits or ParseLimits()
    if len(data) > limits.max_bytes:
        raise XmlInputError(f"document of {len(data)} bytes exceeds the limit of {limits.max_bytes} bytes")
    if b"<!DOCTYPE" in data[:_PROLOG_SCAN]:
        raise XmlInputError("a DOCTYPE (DTD) is not allowed", 1, 1)
    parser = etree.XMLPullParser(events=("start", "end"), **_HARDENED)
    root = None
    try:
        for offset in range(0, len(data), _FEED):
            parser.feed(data[offset:offset + _FEED])
            for event, element in parser.read_events():
                if root is None:
                    root = element
                    _refuse_doctype(root)
                    if root.tag != ENVELOPE:
                        raise XmlInputError("not a SOAP 1.1 Envelope")
                if event == "end" and _kop_compleet(element):
                    while element.getnext() is not None:  # read ahead in the same chunk
                        element.getparent().remove(element.getnext())
                    return root
    except etree.XMLSyntaxError as exc:
        raise _input_error(exc) from None
    raise XmlInputError("no complete message element")


def _kop_compleet(element: etree._Element) -> bool:
    """Whether ``element`` ending completes the head: the message's first child, the message, or the Body."""
    if element.tag == BODY:
        return True
    parent = element.getparent()
    if parent is None:
        return False
    grandparent = parent.getparent()
    return parent.tag == BODY or (grandparent is not None and grandparent.tag == BODY)


def valideer_stroom(data: bytes, message: etree._Element, schema: etree.XMLSchema, kind: str) -> Stroom | None:
    """Validate the whole request against ``schema`` (an envelope schema) while parsing it, and compute
    the content hash; each child ``kind`` of the message element is dropped once hashed.

    Returns None when the request is not well-formed or not valid (the caller then takes the ordinary way).
    """
    hasher = _hasher(message)
    stroom = Stroom(data, message, kind)
    events = etree.iterparse(io.BytesIO(data), events=("end",), tag=(kind, ENVELOPE), schema=schema, **_VALIDEREND)
    parent = vorige = None
    compleet = False
    try:
        for _event, element in events:
            if element.tag == ENVELOPE:
                compleet = True
                continue
            parent = element.getparent()
            if parent is None or parent.tag != message.tag:
                continue
            for earlier in parent:  # children before this one that are not ``kind`` (stuurgegevens, ...)
                if earlier is element:
                    break
                if earlier is not vorige:
                    _voeg_toe(hasher, earlier)
            _voeg_toe(hasher, element)
            stroom.objecten += 1
            element.clear()
            while element.getprevious() is not None:
                del parent[0]
            vorige = element
    except etree.XMLSyntaxError:
        return None
    if parent is None or not compleet:
        return None  # no ``kind`` child at all (not worth streaming), or the document ended early
    for rest in parent:
        if rest is not vorige:
            _voeg_toe(hasher, rest)
    stroom.content_hash = hasher.hexdigest()
    return stroom


def _hasher(message: etree._Element) -> hashlib._Hash:
    hasher = hashlib.sha256(message.tag.encode())
    for name, value in sorted(message.attrib.items()):
        hasher.update(f"\0{name}={value}".encode())
    return hasher


def _voeg_toe(hasher: hashlib._Hash, child: etree._Element) -> None:
    if isinstance(child.tag, str):
        hasher.update(b"\0" + etree.tostring(child, method="c14n", exclusive=True))


def inhoud_hash(message: etree._Element) -> str:
    """The StUF016 fingerprint of a message element (see the module docstring)."""
    hasher = _hasher(message)
    for child in message:
        _voeg_toe(hasher, child)
    return hasher.hexdigest()
