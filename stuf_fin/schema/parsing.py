"""Hardened XML parsing: the only place where untrusted XML is turned into a tree.

No DTDs, no entity expansion, no network access, a size limit, and libxml2's
depth limit (256 levels without ``huge_tree``).  Illegal characters, wrong
encodings and truncated documents come back as :class:`XmlInputError` with a
line number.
"""

from __future__ import annotations

import codecs
import threading
from dataclasses import dataclass

from lxml import etree

#: libxml2 refuses documents nested deeper than this when ``huge_tree`` is off.
MAX_DEPTH = 256
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_PROLOG_SCAN = 64 * 1024  # a DOCTYPE must come before the root element
_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}


class XmlInputError(ValueError):
    """The input is not a well-formed, acceptable XML document."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line else ""
        return f"{where}{self.message}"


@dataclass(frozen=True)
class ParseLimits:
    max_bytes: int = DEFAULT_MAX_BYTES


_local = threading.local()
_HARDENED = {"resolve_entities": False, "no_network": True, "load_dtd": False, "dtd_validation": False,
             "huge_tree": False, "collect_ids": False}


def _parser() -> etree.XMLParser:
    """One parser per thread (lxml parsers must not be shared between threads)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(**_HARDENED)
        _local.parser = parser
    return parser


def parse_bytes(data: bytes, limits: ParseLimits | None = None) -> etree._ElementTree:
    """Parse untrusted bytes into a tree, or raise :class:`XmlInputError`."""
    _precheck(data, limits or ParseLimits())
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _input_error(exc) from None
    _refuse_doctype(root)
    return root.getroottree()


def parse_head(data: bytes, stop: str, limits: ParseLimits | None = None) -> etree._Element:
    """Parse untrusted bytes only up to the start tag ``stop`` (a Clark name, e.g. the SOAP Body).

    Same hardening as :func:`parse_bytes`.  Returns the root element holding everything before
    ``stop`` (so a SOAP Header is complete); the rest of the document is not read.
    """
    limits = limits or ParseLimits()
    _precheck(data, limits)
    parser = etree.XMLPullParser(events=("start",), **_HARDENED)
    root = None
    for offset in [*range(0, len(data), _PROLOG_SCAN), None]:
        error = None
        try:
            if offset is not None:
                parser.feed(data[offset:offset + _PROLOG_SCAN])
            else:
                parser.close()
        except etree.XMLSyntaxError as exc:
            error = exc  # what was read before the error still counts (an error after ``stop`` is not ours)
        for _event, element in parser.read_events():
            if root is None:
                root = element
                _refuse_doctype(root)
            if element.tag == stop:
                return root
        if error is not None:
            raise _input_error(error)
    if root is None:
        raise XmlInputError("no root element")
    return root


def parse_file(path: str, limits: ParseLimits | None = None) -> etree._ElementTree:
    """Read and parse a file; ``OSError`` propagates for I/O problems."""
    with open(path, "rb") as fh:
        data = fh.read((limits or ParseLimits()).max_bytes + 1)
    return parse_bytes(data, limits)


def _precheck(data: bytes, limits: ParseLimits) -> None:
    """Refuse empty and oversized input, and a DOCTYPE in the prolog, before libxml2 reads it."""
    if not data or not data.strip():
        raise XmlInputError("empty document", 1, 1)
    if len(data) > limits.max_bytes:
        line = data.count(b"\n", 0, limits.max_bytes) + 1
        column = limits.max_bytes - data.rfind(b"\n", 0, limits.max_bytes)
        raise XmlInputError(f"document larger than the limit of {limits.max_bytes} bytes", line, column)
    head = data[:_PROLOG_SCAN]
    encoding = _UTF16_BOMS.get(head[:2])
    text = head[2:].decode(encoding, errors="ignore") if encoding else head.decode("latin-1")
    doctype = text.find("<!DOCTYPE")
    if doctype >= 0:
        line, column = text.count("\n", 0, doctype) + 1, doctype - text.rfind("\n", 0, doctype)
        raise XmlInputError("a DOCTYPE (DTD) is not allowed", line, column)


def _refuse_doctype(root: etree._Element) -> None:
    """Refuse the document of ``root`` (its root element) when libxml2 found a DOCTYPE in it."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlInputError("a DOCTYPE (DTD) is not allowed", 1, 1)


def _input_error(exc: etree.XMLSyntaxError) -> XmlInputError:
    """libxml2's syntax error as an :class:`XmlInputError` with its line and column."""
    line, column = exc.position if exc.position else (None, None)
    return XmlInputError(_clean(exc.msg or str(exc)), line, column)


def _clean(message: str) -> str:
    return message.split(", line ")[0].strip()
