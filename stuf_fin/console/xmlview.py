"""XML for people: pretty-printed, BSNs and IBANs masked unless the viewer may see them, cut into highlighted
pieces for the template (``<span class="x-tag">`` …; the template escapes every piece)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from stuf_fin.schema.parsing import ParseLimits, XmlInputError, parse_bytes
from stuf_fin.security.logfilter import mask_personal_data

#: Larger documents are shown as they are (the first ``shown`` bytes), not parsed and indented.
PRETTY_MAX_BYTES = 512 * 1024

_MARKUP = re.compile(r"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<[^>]*>", re.S)
_TAG = re.compile(r"(</?)([^\s/>]+)|(\s+)([^\s=]+)(=)(\"[^\"]*\"|'[^']*')|(\s*/?>)|(\s+)", re.S)


@dataclass
class XmlView:
    """One document for a detail page."""

    size: int  # bytes stored
    shown: int  # bytes this view covers (the head of a large document)
    pretty: list[tuple[str, str]] = field(default_factory=list)  # (css class, text); empty: not parsed
    raw: str = ""  # the stored text (of the head), masked when the viewer may not see personal data
    masked: bool = False
    error: str = ""  # why it is not pretty-printed

    @property
    def truncated(self) -> bool:
        return self.shown < self.size


def view(head: bytes | None, size: int, *, personal_data: bool) -> XmlView | None:
    """The view of a document of ``size`` bytes of which ``head`` was read (None: no document)."""
    if head is None:
        return None
    data = bytes(head)
    text = data.decode("utf-8", "replace")
    show = text if personal_data else mask_personal_data(text)
    result = XmlView(size=size, shown=len(data), raw=show, masked=not personal_data)
    if size == 0:
        result.error = "empty (purged by retention, or never stored)"
        return result
    if size > len(data) or size > PRETTY_MAX_BYTES:
        result.error = f"{size:,} bytes: too large to indent here; the first {len(data):,} bytes are shown as stored"
        return result
    try:
        root = parse_bytes(data, ParseLimits(max_bytes=PRETTY_MAX_BYTES)).getroot()
    except XmlInputError as exc:
        result.error = f"not well-formed XML ({exc})"
        return result
    etree.indent(root, space="  ")
    pretty = etree.tostring(root, encoding="unicode")
    result.pretty = highlight(pretty if personal_data else mask_personal_data(pretty))
    return result


def highlight(text: str) -> list[tuple[str, str]]:
    """``text`` (XML) cut into (css class, text) pieces: tag names, attribute names and values, text, comments."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for markup in _MARKUP.finditer(text):
        if markup.start() > position:
            pieces.append(("x-text", text[position:markup.start()]))
        token = markup.group()
        if token.startswith(("<!--", "<?", "<![CDATA[")):
            pieces.append(("x-comment" if token.startswith("<!--") else "x-decl", token))
        else:
            pieces.extend(_tag(token))
        position = markup.end()
    if position < len(text):
        pieces.append(("x-text", text[position:]))
    return pieces


def _tag(token: str) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in _TAG.finditer(token):
        if match.start() > position:  # anything the pattern does not know stays plain
            pieces.append(("x-punct", token[position:match.start()]))
        if match.group(2):
            pieces += [("x-punct", match.group(1)), ("x-tag", match.group(2))]
        elif match.group(4):
            pieces += [("x-space", match.group(3)), ("x-attr", match.group(4)), ("x-punct", "="),
                       ("x-value", match.group(6))]
        else:
            pieces.append(("x-punct", match.group()))
        position = match.end()
    if position < len(token):
        pieces.append(("x-punct", token[position:]))
    return pieces


@dataclass
class Fault:
    """The StUF fault of a Fo02/Fo03 answer."""

    code: str
    plek: str
    omschrijving: str
    details: str
    details_xml: str


def fault_of(reply: bytes | None) -> Fault | None:
    """The fault in an archived Fo02/Fo03 (the message element, or inside a SOAP Fault); None otherwise."""
    if not reply:
        return None
    try:
        root = parse_bytes(bytes(reply), ParseLimits(max_bytes=PRETTY_MAX_BYTES)).getroot()
    except XmlInputError:
        return None
    for body in root.iter("{*}body"):
        code = body.find("{*}code")
        if code is None:
            continue
        details_xml = body.find("{*}detailsXML")

        def text(name: str, body: etree._Element = body) -> str:
            return (body.findtext("{*}" + name) or "").strip()

        return Fault(text("code"), text("plek"), text("omschrijving"), text("details"),
                     "".join(etree.tostring(child, encoding="unicode") for child in details_xml)
                     if details_xml is not None else "")
    return None
