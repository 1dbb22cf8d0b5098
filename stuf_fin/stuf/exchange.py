"""What the transport hands the pipeline (:class:`Request`) and what the pipeline hands back (:class:`Reply`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from stuf_fin.errors import StufFinError
from stuf_fin.schema.streaming import Stream
from stuf_fin.schema.validator import SchemaIssue
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.operations import Operation


@dataclass
class Request:
    """A received message, as the transport hands it over."""

    operation: Operation
    message: etree._Element
    raw: bytes
    received_at: datetime
    identity: str | None = None
    soap_action: str | None = None
    #: set by the authorisation hook: the ``tsa`` values a vrdLv01 may show (None = all)
    visible_tsas: frozenset[str] | None = None
    #: a large request validated while streaming (``message`` then holds only the stuurgegevens); the
    #: handler gets this instead of ``message`` (stuf_fin.schema.streaming)
    stream: Stream | None = None
    #: the schema errors the SOAP layer found while parsing the request (``message`` then holds only the
    #: stuurgegevens); None: not validated yet, the pipeline validates ``message``
    issues: list[SchemaIssue] | None = None


@dataclass
class Reply:
    """What to send back: a Bv03/La01, or a Fo02/Fo03 when ``fault`` is set."""

    element: etree._Element | None
    fault: StufFault | None = None
    serialized: bytes | None = None  # an archived answer, sent again byte for byte
    outcome: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        if self.serialized is None:
            assert self.element is not None  # an answer has an element or its bytes
            self.serialized = etree.tostring(self.element, encoding="UTF-8")
        return self.serialized


class InvalidReply(StufFinError):
    """Our own answer does not pass the schema: a bug, never sent."""
