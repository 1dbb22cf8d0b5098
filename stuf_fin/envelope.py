"""SOAP 1.1 envelope helpers shared by the server, the validate CLI and the outbound client."""

from __future__ import annotations

from lxml import etree

from stuf_fin.errors import StufFinError
from stuf_fin.namespaces import SOAP_ENV, q

ENVELOPE = q(SOAP_ENV, "Envelope")
BODY = q(SOAP_ENV, "Body")
HEADER = q(SOAP_ENV, "Header")
FAULT = q(SOAP_ENV, "Fault")
_START = b'<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="' + SOAP_ENV.encode() + b'">'
_END = b"</SOAP-ENV:Body></SOAP-ENV:Envelope>"
_BARE = (_START + b"<SOAP-ENV:Body>", _END)  # every served answer: made once


class EnvelopeError(StufFinError, ValueError):
    """A SOAP envelope without a usable body."""


def is_envelope(root: etree._Element) -> bool:
    return root.tag == ENVELOPE


def body_element(root: etree._Element) -> etree._Element:
    """The message inside a SOAP 1.1 envelope, or ``root`` itself when it is a bare message."""
    if not is_envelope(root):
        return root
    if root.find(BODY) is None:
        raise EnvelopeError("SOAP envelope has no Body")
    children = body_messages(root)
    if len(children) != 1:
        raise EnvelopeError(f"SOAP Body must hold exactly one message element, found {len(children)}")
    return children[0]


def body_messages(root: etree._Element) -> list[etree._Element]:
    """The elements in the SOAP Body of ``root`` (comments and processing instructions left out; none without a
    Body): the one place the message of an envelope is looked for."""
    body = root.find(BODY)
    return [child for child in body if isinstance(child.tag, str)] if body is not None else []


def fault(stuf_fault: etree._Element, plek: str, omschrijving: str) -> etree._Element:
    """A SOAP 1.1 Fault carrying a StUF Fo0x ([PB] L131-135): faultcode after the plek, faultstring = the
    omschrijving, detail = the whole Fo0x message."""
    element = etree.Element(FAULT, nsmap={"SOAP-ENV": SOAP_ENV})
    etree.SubElement(element, "faultcode").text = "SOAP-ENV:" + ("Client" if plek == "client" else "Server")
    etree.SubElement(element, "faultstring").text = omschrijving
    etree.SubElement(element, "detail").append(stuf_fault)
    return element


def wrap(message: etree._Element | bytes) -> bytes:
    """A SOAP 1.1 envelope around one message (element or serialized bytes)."""
    if isinstance(message, etree._Element):
        message = etree.tostring(message, encoding="UTF-8", xml_declaration=False)
    elif message.startswith(b"<?xml"):
        message = message[message.index(b"?>") + 2:].lstrip()
    return envelope_bytes(message)


def envelope_parts(header: bytes | None = None) -> tuple[bytes, bytes]:
    """The bytes of a SOAP 1.1 envelope before and after the Body's content: the XML declaration, the
    ``SOAP-ENV`` prefix and an optional header block (e.g. a ``wsse:Security`` element).  The one place the
    gateway writes an envelope's bytes."""
    if not header:
        return _BARE
    return _START + b"<SOAP-ENV:Header>" + header + b"</SOAP-ENV:Header><SOAP-ENV:Body>", _END


def envelope_bytes(body: bytes, header: bytes | None = None) -> bytes:
    """A SOAP 1.1 envelope around serialized Body content (without XML declaration) (:func:`envelope_parts`)."""
    before, after = envelope_parts(header)
    return before + body + after
