"""Hardened XML parsing: the only place where untrusted XML is turned into a tree.

No DTDs, no entity expansion, no network access, a size limit, and libxml2's
depth limit (256 levels without ``huge_tree``).  Illegal characters, wrong
encodings and truncated documents come back as :class:`XmlInputError` with a
line number.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from lxml import etree

#: libxml2 refuses documents nested deeper than this when ``huge_tree`` is off.
MAX_DEPTH = 256
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_PROLOG_SCAN = 64 * 1024  # a DOCTYPE must come before the root element


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


def _parser() -> etree.XMLParser:
    """One parser per thread (lxml parsers must not be shared between threads)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse_bytes(data: bytes, limits: ParseLimits | None = None) -> etree._ElementTree:
    """Parse untrusted bytes into a tree, or raise :class:`XmlInputError`."""
    limits = limits or ParseLimits()
    if not data or not data.strip():
        raise XmlInputError("empty document")
    if len(data) > limits.max_bytes:
        raise XmlInputError(f"document of {len(data)} bytes exceeds the limit of {limits.max_bytes} bytes")
    if b"<!DOCTYPE" in data[:_PROLOG_SCAN]:
        raise XmlInputError("a DOCTYPE (DTD) is not allowed", 1, 1)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        raise XmlInputError(_clean(exc.msg or str(exc)), line, column) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlInputError("a DOCTYPE (DTD) is not allowed", 1, 1)
    return tree


def parse_file(path: str, limits: ParseLimits | None = None) -> etree._ElementTree:
    """Read and parse a file; ``OSError`` propagates for I/O problems."""
    with open(path, "rb") as fh:
        data = fh.read((limits or ParseLimits()).max_bytes + 1)
    return parse_bytes(data, limits)


def _clean(message: str) -> str:
    return message.split(", line ")[0].strip()
