"""Hardened XML parsing: the only place where untrusted XML is turned into a tree.

No DTDs, no entity expansion, no network access, a size limit, a limit on the attributes of one element
(checked on the bytes before libxml2 sees them: libxml2 builds a start tag with all its attributes at once, and
a validator reports each undeclared one), and libxml2's limits without ``huge_tree`` (256 levels deep, names
of at most 50,000 characters).  Illegal characters, wrong encodings, truncated documents and documents beyond a
limit come back as :class:`XmlInputError` with a line number.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import TypedDict

from lxml import etree

from stuf_fin.errors import StufFinError

#: libxml2 refuses documents nested deeper than this when ``huge_tree`` is off.
MAX_DEPTH = 256
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_PROLOG_SCAN = 64 * 1024  # parse_head feeds this much at a time
_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}


class XmlInputError(StufFinError, ValueError):
    """The input is not a well-formed, acceptable XML document."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line else ""
        return f"{where}{self.message}"


class XmlLimitError(XmlInputError):
    """The input exceeds a limit of this gateway (size, attributes of one element)."""


#: Attributes (namespace declarations included) one element may carry.  The StUF schemas declare fewer than 20
#: for any element; 200,000 undeclared ones in 2.3 MB once cost the validator 350 MB.
MAX_ATTRIBUTES = 256


@dataclass(frozen=True)
class ParseLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_attributes: int = MAX_ATTRIBUTES


_local = threading.local()
class ParserOptions(TypedDict, total=False):
    """Keyword arguments of lxml's parsers (the ones we set)."""

    resolve_entities: bool
    no_network: bool
    load_dtd: bool
    dtd_validation: bool
    huge_tree: bool
    collect_ids: bool


HARDENED: ParserOptions = {"resolve_entities": False, "no_network": True, "load_dtd": False, "dtd_validation": False,
             "huge_tree": False, "collect_ids": False}


def _parser() -> etree.XMLParser:
    """One parser per thread (lxml parsers must not be shared between threads)."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(**HARDENED)
        _local.parser = parser
    return parser


def parse_bytes(data: bytes, limits: ParseLimits | None = None) -> etree._ElementTree:
    """Parse untrusted bytes into a tree, or raise :class:`XmlInputError`."""
    precheck(data, limits or ParseLimits())
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise input_error(exc) from None
    refuse_parsed_doctype(root)
    return root.getroottree()


def parse_head(data: bytes, stop: str, limits: ParseLimits | None = None) -> etree._Element:
    """Parse untrusted bytes only up to the start tag ``stop`` (a Clark name, e.g. the SOAP Body).

    Same hardening as :func:`parse_bytes`.  Returns the root element holding everything before
    ``stop`` (so a SOAP Header is complete); the rest of the document is not read.
    """
    limits = limits or ParseLimits()
    precheck(data, limits)
    parser = etree.XMLPullParser(events=("start",), **HARDENED)
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
                refuse_parsed_doctype(root)
            if element.tag == stop:
                return root
        if error is not None:
            raise input_error(error)
    if root is None:
        raise XmlInputError("no root element")
    return root


def parse_file(path: str, limits: ParseLimits | None = None) -> etree._ElementTree:
    """Read and parse a file; ``OSError`` propagates for I/O problems."""
    with open(path, "rb") as fh:
        data = fh.read((limits or ParseLimits()).max_bytes + 1)
    return parse_bytes(data, limits)


def precheck(data: bytes, limits: ParseLimits) -> None:
    """Refuse empty and oversized input, a DOCTYPE and too many attributes on an element, before libxml2 reads
    them."""
    if not data or not data.strip():
        raise XmlInputError("empty document", 1, 1)
    if len(data) > limits.max_bytes:
        line, column = _position(data, limits.max_bytes)
        raise XmlLimitError(f"document larger than the limit of {limits.max_bytes} bytes", line, column)
    refuse_doctype(data)
    check_attributes(data, limits)


#: What may come before the root element besides a DOCTYPE: white space, processing instructions, comments.
_PROLOG = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_PROLOG_BYTES = re.compile(_PROLOG.pattern.encode(), re.S)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
#: Encodings a document may declare (ASCII-compatible: the checks here read its bytes as they are) besides UTF-16.
ENCODINGS = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "iso-8859-15", "latin-9",
                       "windows-1252", "cp1252"})


def refuse_doctype(data: bytes) -> None:
    """Refuse a document with a DOCTYPE, wherever in the prolog it is (after any number of comments and
    processing instructions), and one in an encoding these checks cannot read.

    No DTD must reach libxml2: besides the usual entity attacks, a validating parser of lxml 6.1 crashes on an
    entity expansion that exceeds libxml2's amplification limit.
    """
    encoding = _utf16(data)
    if encoding is not None:
        text = data.decode(encoding, errors="ignore").lstrip("\ufeff")
        prolog = _PROLOG.match(text)
        assert prolog is not None  # (matches the empty string)
        end = prolog.end()
        if text.startswith("<!DOCTYPE", end):
            raise XmlInputError("a DOCTYPE (DTD) is not allowed", text.count("\n", 0, end) + 1, 1)
        return
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    if b"\x00" in body[:4]:
        raise XmlInputError("encoding not supported: send UTF-8 (or UTF-16)", 1, 1)
    declared = _DECLARED_ENCODING.match(body)
    if declared and declared.group(1).decode().lower() not in ENCODINGS | {"utf-16", "utf16"}:
        raise XmlInputError(f"encoding {declared.group(1).decode()} not supported: send UTF-8", 1, 1)
    prolog_bytes = _PROLOG_BYTES.match(body)
    assert prolog_bytes is not None  # (matches the empty string)
    end = prolog_bytes.end()
    if body.startswith(b"<!DOCTYPE", end):
        line, column = _position(body, end)
        raise XmlInputError("a DOCTYPE (DTD) is not allowed", line, column)


def _utf16(data: bytes) -> str | None:
    """The UTF-16 codec of ``data`` (by its byte order mark, or by ``<`` as its first character), else None."""
    return _UTF16_BOMS.get(data[:2]) or {b"<\x00?\x00": "utf-16-le", b"\x00<\x00?": "utf-16-be"}.get(data[:4])


def check_attributes(data: bytes, limits: ParseLimits) -> None:
    """Refuse a start tag with more than ``limits.max_attributes`` attributes and namespace declarations.

    A start tag with that many is at least five bytes per attribute long and holds no ``<`` (not even in an
    attribute value), so only runs of that length after a ``<`` are looked at; the count stops one past the
    limit.  Most messages have no such run at all (:func:`has_long_run`, about 0.15 ms per MB); the others go
    through C-speed regular expressions (about 0.8 ms per MB).  Something that looks like such a tag inside a
    comment, a CDATA section or a processing instruction is not one.
    """
    shortest = 5 * (limits.max_attributes + 1)
    if not has_long_run(data, shortest):
        return
    long_run, too_many = _attribute_patterns(limits.max_attributes)
    for run in long_run.finditer(data):
        tag = too_many.match(data, run.start())
        if tag is not None and not _inside_markup_section(data, run.start()):
            line, column = _position(data, run.start())
            name = tag.group(1).decode("utf-8", "replace")[:100]
            raise XmlLimitError(f"element {name} has more than {limits.max_attributes} attributes and namespace "
                                "declarations", line, column)


def has_long_run(data: bytes, length: int) -> bool:
    """False when ``data`` certainly holds no ``length`` bytes in a row without a ``<``.

    Such a run covers a whole window of ``(length + 1) // 2`` bytes at a multiple of that size; when every such
    window holds a ``<`` there is none (one ``find`` per window).  True means there may be one.
    """
    window = (length + 1) // 2
    find = data.find
    return any(find(b"<", start, start + window) < 0 for start in range(0, len(data) - window + 1, window))


@cache
def _attribute_patterns(limit: int) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    attribute = rb"""\s+[^\s=<>/]+\s*=\s*(?:"[^"<]*"|'[^'<]*')"""
    return (re.compile(rb"<[^<]{%d,}" % (5 * (limit + 1))),
            re.compile(rb"<([^\s<>!?/]+)(?:%s){%d}" % (attribute, limit + 1)))


def _inside_markup_section(data: bytes, at: int) -> bool:
    for opening, closing in ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>")):
        start = data.rfind(opening, 0, at)
        if start >= 0 and data.find(closing, start + len(opening), at) < 0:
            return True
    return False


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """(line, column) of a byte offset, both from 1."""
    return data.count(b"\n", 0, offset) + 1, offset - data.rfind(b"\n", 0, offset)


def refuse_parsed_doctype(root: etree._Element) -> None:
    """Refuse the document of ``root`` (its root element) when libxml2 found a DOCTYPE in it."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlInputError("a DOCTYPE (DTD) is not allowed", 1, 1)


def input_error(exc: etree.XMLSyntaxError) -> XmlInputError:
    """libxml2's syntax error as an :class:`XmlInputError` with its line and column."""
    line, column = exc.position if exc.position else (None, None)
    return XmlInputError(_clean(exc.msg or str(exc)), line, column)


_BYTES_MESSAGE = re.compile(r"^line \d+: b(['\"])(.*)\1$", re.S)


def _clean(message: str) -> str:
    """libxml2's message without its position (given separately); a validating parser's comes as
    ``line 23: b'...'``."""
    bare = _BYTES_MESSAGE.match(message.strip())
    return (bare.group(2) if bare else message.split(", line ")[0]).strip()
