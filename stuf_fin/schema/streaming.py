"""Large requests without a tree of the whole message (memory stays near the size of the body), and the StUF016
fingerprints.

A 100 MB Di01 as one lxml tree takes over 1 GB.  For a large request the SOAP layer instead:

1. :func:`read_head`: parses only up to the end of the message element's first child (the
   stuurgegevens), for dispatch, the SOAPAction check and the StUF016 lookup;
2. :func:`validate_stream`: parses the whole request once more with validation against the message
   schemas plus a SOAP Envelope (:data:`~stuf_fin.schema.loader.ENVELOPE_SCHEMA`), dropping each child of the
   message element once done; it stops after the part that held the first schema error
   (:mod:`stuf_fin.schema.validator`: bounded errors).

Only a request that passes both is handled as a stream (:class:`Stream`); one with a schema error gets its
first errors, never a tree of the whole message.  The objects of a
streamed message are read in a second pass (``stuf_fin.fin.reader.vordering_batches``).

**Fingerprints (StUF016).**  :func:`element_content_hash` is the exact fingerprint of a message's content: SHA-256 over
the message element's name and attributes and the exclusive canonical XML of each child element, in order (the
envelope, SOAP headers, whitespace inside tags and where namespaces are declared do not count);
:func:`content_hash_of` computes it from a request's bytes as a stream.  It costs a canonicalisation of the whole
message (~19 ms per 1,000 vorderingen), so an accepted message is remembered by its quick fingerprint,
:func:`body_hash` (SHA-256 of the body as received, ~2 ms): equal bodies have equal content, and only bodies that
differ are compared by their exact fingerprints (``stuf_fin.pipeline``).
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from stuf_fin.envelope import BODY, ENVELOPE
from stuf_fin.schema.parsing import HARDENED, ParseLimits, XmlInputError, input_error, precheck, refuse_parsed_doctype
from stuf_fin.schema.validator import CHUNK, VALIDATING, MessageValidator, SchemaIssue, collecting

_FEED = 64 * 1024


@dataclass
class Stream:
    """A large request that passed streaming validation."""

    data: bytes  # the body as received
    message: etree._Element  # the message element with only its first child (stuurgegevens)
    kind: str  # Clark name of the repeated child the message is streamed by (e.g. FIN:vrdLk01)
    objects: int = 0  # number of ``kind`` children seen by the validation pass

    def elements(self) -> Iterator[etree._Element]:
        """Each ``kind`` child of the message element, complete, parsed again from :attr:`data` (already
        validated); it is dropped when the caller asks for the next one."""
        for _event, element in etree.iterparse(io.BytesIO(self.data), events=("end",), tag=self.kind,
                                               **HARDENED):
            parent = element.getparent()
            if parent is None or parent.tag != self.message.tag:
                continue
            yield element
            _drop(element)



def whole(source: etree._Element | Stream) -> etree._Element:
    """The message element of a request read whole, for a handler of an operation that is never streamed (a
    :class:`Stream` here is a bug: only ``Di01-verstrekVordering`` is read as a stream)."""
    if isinstance(source, Stream):
        raise TypeError(f"{etree.QName(source.message).localname} is not read as a stream")
    return source


def read_head(data: bytes, limits: ParseLimits | None = None) -> etree._Element:
    """The Envelope as far as the end of the Body's message element's first child (hardened parsing).

    Raises :class:`XmlInputError` when that part is not well-formed or has a DOCTYPE.
    """
    precheck(data, limits or ParseLimits())  # size, DOCTYPE, attributes of one element
    parser = etree.XMLPullParser(events=("start", "end"), **HARDENED)
    root = None
    try:
        for offset in range(0, len(data), _FEED):
            parser.feed(data[offset:offset + _FEED])
            for event, element in parser.read_events():
                if root is None:
                    root = element
                    refuse_parsed_doctype(root)
                    if root.tag != ENVELOPE:
                        raise XmlInputError("not a SOAP 1.1 Envelope")
                if event == "end" and _head_complete(element):
                    parent = element.getparent()
                    while (following := element.getnext()) is not None and parent is not None:  # read ahead
                        parent.remove(following)  # in the same chunk
                    return root
    except etree.XMLSyntaxError as exc:
        raise input_error(exc) from None
    raise XmlInputError("no complete message element")


def _head_complete(element: etree._Element) -> bool:
    """Whether ``element`` ending completes the head: the message's first child, the message, or the Body."""
    if element.tag == BODY:
        return True
    parent = element.getparent()
    if parent is None:
        return False
    grandparent = parent.getparent()
    return parent.tag == BODY or (grandparent is not None and grandparent.tag == BODY)


def validate_stream(data: bytes, message: etree._Element, validator: MessageValidator, kind: str
                    ) -> Stream | list[SchemaIssue] | None:
    """Validate the whole request against the validator's set (with a SOAP Envelope) while parsing it; each child
    ``kind`` of the message element is dropped once it ended.

    Returns the first errors when the request is not valid (nothing after the chunk that held the first one is
    read), or None when it holds no ``kind`` child at all (not worth streaming: the caller takes the ordinary
    way).  Raises :class:`XmlInputError` when it is not well-formed.
    """
    stream = Stream(data, message, kind)
    parser = etree.XMLPullParser(events=("end",), tag=(kind, ENVELOPE), schema=validator.schema, **VALIDATING)
    state = _Progress()
    end = 0
    with collecting() as run:
        try:
            while end < len(data) and not run.count:
                parser.feed(data[end:end + CHUNK])
                end = min(end + CHUNK, len(data))
                _process(parser.read_events(), message, stream, state)
            parser.close()  # also after an error: lxml frees the partial tree
            _process(parser.read_events(), message, stream, state)
        except etree.XMLSyntaxError as exc:
            if not run.count:
                raise input_error(exc) from None
    if run.count:
        return validator.locate(data, end, run)
    if not state.seen or not state.complete:
        return None  # no ``kind`` child at all
    return stream


@dataclass
class _Progress:
    seen: bool = False  # a ``kind`` child of the message element ended
    complete: bool = False  # the Envelope ended


def _process(events: Iterator[tuple[str, etree._Element]], message: etree._Element, stream: Stream,
             state: _Progress) -> None:
    for _event, element in events:
        if element.tag == ENVELOPE:
            state.complete = True
            continue
        parent = element.getparent()
        if parent is None or parent.tag != message.tag:
            continue
        state.seen = True
        stream.objects += 1
        _drop(element)


def _drop(element: etree._Element) -> None:
    """Free an element that ended, and its earlier siblings (a streaming parser's tree stays small)."""
    element.clear()
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


def _hasher(message: etree._Element) -> hashlib._Hash:
    hasher = hashlib.sha256(str(message.tag).encode())
    for name, value in sorted(message.attrib.items()):
        hasher.update(f"\0{name}={value}".encode())
    return hasher


def _add(hasher: hashlib._Hash, child: etree._Element) -> None:
    if isinstance(child.tag, str):
        hasher.update(b"\0" + etree.tostring(child, method="c14n", exclusive=True))


def element_content_hash(message: etree._Element) -> str:
    """The exact StUF016 fingerprint of a message element (see the module docstring): 64 hex digits."""
    hasher = _hasher(message)
    for child in message:
        _add(hasher, child)
    return hasher.hexdigest()


def content_hash_of(data: bytes) -> str:
    """:func:`element_content_hash` of the message element (the Body's element child) of a request, parsed as a stream
    (hardened; each child dropped once hashed).  For a request that was valid when received; raises
    :class:`XmlInputError` when it is not well-formed or holds no message element."""
    hasher, message, depth = None, None, 0
    try:
        for event, element in etree.iterparse(io.BytesIO(data), events=("start", "end"), **HARDENED):
            if event == "start":
                depth += 1
                if depth == 3 and message is None and (parent := element.getparent()) is not None \
                        and parent.tag == BODY:
                    message, hasher = element, _hasher(element)
                continue
            depth -= 1
            if element is message and hasher is not None:
                return hasher.hexdigest()
            if hasher is not None and depth == 3 and element.getparent() is message:
                _add(hasher, element)
                _drop(element)
    except etree.XMLSyntaxError as exc:
        raise input_error(exc) from None
    raise XmlInputError("no message element in the SOAP Body")


#: How a quick fingerprint (:func:`body_hash`) begins; an exact one (:func:`element_content_hash`) is 64 hex digits.
BODY_HASH = "body:"


def body_hash(data: bytes) -> str:
    """The quick StUF016 fingerprint of a request: ``body:`` and the SHA-256 of its body as received (base64url,
    48 characters).  Equal bodies have the same content; bodies that differ may too (:func:`element_content_hash`)."""
    return BODY_HASH + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
