"""The raw floor: what storing the messages costs without a gateway.

For each message file, in one process, no HTTP: lxml parse, validation of the message element with
the built-in schema, extraction of the stored fields (the project's own reader and row mapping), and a
plain SQLAlchemy Core ``insert`` (executemany) per table, one transaction per message.  Nothing else:
no archive, no StUF016, no business rules, no answer.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from lxml import etree

from stuf_fin.fin import lezen
from stuf_fin.schema.validator import get_validator
from stuf_fin.store.db import Store, reserve_ids
from stuf_fin.store.tables import vordering
from stuf_fin.store.vorderingen import vordering_rijen

SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


@dataclass
class FloorResult:
    seconds: float
    vorderingen: int
    per_message: list[float] = field(default_factory=list)  # seconds of each message

    @property
    def per_second(self) -> float:
        return self.vorderingen / self.seconds


def message_element(root: etree._Element) -> etree._Element:
    """The Body's message element of an envelope (or the root of a bare message)."""
    body = root.find(SOAP_BODY)
    return body[0] if body is not None else root


def store_message(conn: sa.Connection, data: bytes, schema: etree.XMLSchema, parser: etree.XMLParser) -> int:
    """Parse, validate, extract and insert one message; returns the number of vorderingen."""
    message = message_element(etree.fromstring(data, parser))
    if not schema.validate(message):
        raise ValueError(f"invalid message: {schema.error_log.last_error}")
    vorderingen = lezen.vorderingen(message)
    ids = reserve_ids(conn, vordering, len(vorderingen))
    for table, rows in vordering_rijen(vorderingen, ids, bericht_id=None, ontvangen_op=datetime.now(UTC)):
        if rows:
            conn.execute(sa.insert(table), rows)
    return len(vorderingen)


def run_floor(bodies: Sequence[bytes], database_url: str) -> FloorResult:
    """Store every message (an empty, migrated database is expected); timed from first to last."""
    schema = get_validator().schema  # compiled before the clock starts
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    store = Store(database_url)
    try:
        total, times = 0, []
        start = time.perf_counter()
        for data in bodies:
            begin = time.perf_counter()
            with store.begin() as conn:
                total += store_message(conn, data, schema, parser)
            times.append(time.perf_counter() - begin)
        return FloorResult(time.perf_counter() - start, total, times)
    finally:
        store.dispose()
