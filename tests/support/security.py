"""Helpers for the security tests: schema choice for test servers, messages with a chosen zender,
raw posting with any credentials, process memory."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from lxml import etree

from stuf_fin.namespaces import FIN, SOAP_ENV, STUF
from stuf_fin.soap.envelope import wrap

from .kit import OFFICIAL_SCHEMAS, testbericht
from .server import SOAP_ACTIONS
from .soap import Reply

_S, _F = f"{{{STUF}}}", f"{{{FIN}}}"


@functools.cache
def schema_args() -> tuple[str, ...]:
    """``--schema-dir`` for test servers: the built-in set when it compiles, else the official release.

    TODO(lead): drop the fallback once ``xsd/`` compiles.
    """
    from stuf_fin.schema.loader import SchemaLoadError
    from stuf_fin.schema.validator import get_validator

    try:
        get_validator(None)
        return ()
    except SchemaLoadError:
        return ("--schema-dir", str(OFFICIAL_SCHEMAS))


def _set_zender(message: etree._Element, organisatie: str, applicatie: str) -> None:
    zender = message.find(f"{_F}stuurgegevens/{_S}zender")
    for child in list(zender):
        zender.remove(child)
    if organisatie:
        etree.SubElement(zender, _S + "organisatie").text = organisatie
    etree.SubElement(zender, _S + "applicatie").text = applicatie


def vordering(organisatie: str, applicatie: str) -> bytes:
    """The official minimal Di01-verstrekVordering from this zender, with a fresh referentienummer and
    vorderingnummer, as a SOAP envelope."""
    message = etree.fromstring(testbericht("Di01-verstrekVordering-min.xml"))
    _set_zender(message, organisatie, applicatie)
    message.find(f"{_F}stuurgegevens/{_S}referentienummer").text = uuid.uuid4().hex[:30]
    message.find(f".//{_F}vorderingnummer").text = "SEC" + uuid.uuid4().hex[:20]
    return wrap(message)


def vraag(organisatie: str, applicatie: str) -> bytes:
    """The official minimal vrdLv01 from this zender, as a SOAP envelope."""
    message = etree.fromstring(testbericht("vrdLv01-min.xml"))
    _set_zender(message, organisatie, applicatie)
    return wrap(message)


def body_of(envelope: bytes) -> bytes:
    """The message inside an envelope made by :func:`vordering`/:func:`vraag` (to wrap it differently)."""
    return etree.tostring(etree.fromstring(envelope).find(f"{{{SOAP_ENV}}}Body")[0])


@dataclass
class Answer:
    status: int
    text: str
    reply: Reply | None  # None when the body is not XML (e.g. 413 text/plain)

    @property
    def code(self) -> str | None:
        """The StUF fault code, when the answer is a Fault with a Fo0x in its detail."""
        if self.reply is None or not self.reply.is_fault or self.reply.body.find("detail") is None:
            return None
        return self.reply.code

    @property
    def berichtcode(self) -> str | None:
        """Bv03, Fo02, Fo03, La01 ... (None when the answer is no StUF message)."""
        try:
            return self.reply.stuurgegeven("berichtcode") if self.reply is not None else None
        except (TypeError, IndexError, AttributeError):
            return None


def post(base_url: str, data: bytes, port: str = "VerstrekVorderingOfVerantwoording", *,
         operation: str = "Di01-verstrekVordering", client: httpx.Client | None = None,
         headers: dict[str, str] | None = None, timeout: float = 60) -> Answer:
    """POST raw bytes as SOAP 1.1 to a port; parse the reply when it is XML."""
    all_headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SOAP_ACTIONS.get(operation, "")}"',
                   **(headers or {})}
    send = client.post if client is not None else httpx.post
    response = send(f"{base_url}/{port}", content=data, headers=all_headers, timeout=timeout)
    try:
        reply = Reply(response.status_code, etree.fromstring(response.content), response.text)
    except etree.XMLSyntaxError:
        reply = None
    return Answer(response.status_code, response.text, reply)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")
