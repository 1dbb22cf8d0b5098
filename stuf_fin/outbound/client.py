"""A StUF client over HTTP(S)/SOAP 1.1: post one message, read the answer with the hardened parser, and
classify it (Bv03 accepted, Fo03 client/server, HTTP error, transport error).

Credentials: HTTP Basic, a WS-Security UsernameToken (text or digest, fresh nonce and ``wsu:Created`` per
request, so only the SOAP header differs between two attempts), a TLS client certificate.
"""

from __future__ import annotations

import logging
import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from lxml import etree

from stuf_fin.envelope import ENVELOPE, FAULT, HEADER, body_messages, envelope_bytes
from stuf_fin.namespaces import SOAP_ENV, STUF
from stuf_fin.schema.parsing import ParseLimits, XmlInputError, parse_bytes
from stuf_fin.security.wsse import usernametoken
from stuf_fin.stuf.answers import read_fault
from stuf_fin.stuf.stuurgegevens import read_stuurgegevens

if TYPE_CHECKING:
    from stuf_fin.outbound.routing import Route

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per attempt is ours (stuf_fin.outbound)
MAX_REPLY_BYTES = 16 * 1024 * 1024
ACCEPTED = ("Bv03", "Bv04", "La01")


@dataclass(frozen=True)
class Credentials:
    """How to authenticate to a receiver (a :class:`~stuf_fin.outbound.routing.Route` has the same fields)."""

    auth: str = "none"  # none, basic, wss-text, wss-digest
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_cert: str | None = None
    tls_key: str | None = None
    ca: str | None = None

    @classmethod
    def of(cls, route: Route) -> Credentials:
        return cls(route.auth, route.username, route.password, route.tls_cert, route.tls_key, route.ca)


@dataclass(frozen=True)
class SendOutcome:
    """What one attempt came to.

    ``kind``: ``Bv03``/``Bv04``/``La01`` (accepted), ``Fo01``/``Fo02``/``Fo03`` (a StUF fault), ``fault`` (a SOAP
    Fault without a StUF fault), ``http`` (an HTTP error status without a StUF answer), ``protocol`` (an answer
    that is no usable StUF answer), ``transport`` (no answer: refused, reset, timed out, TLS).
    """

    kind: str
    error: str = ""
    http_status: int | None = None
    code: str | None = None
    plek: str | None = None
    omschrijving: str | None = None
    details: str | None = None
    reply: bytes | None = None
    seconds: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.kind in ACCEPTED

    @property
    def client_fault(self) -> bool:
        """A fault the sender must fix (plek ``client``): sending the same message again is pointless."""
        return self.plek == "client" and self.kind in ("Fo01", "Fo02", "Fo03", "fault")

    @property
    def retry(self) -> bool:
        return not self.accepted and not self.client_fault

    def describe(self) -> str:
        if self.kind == "fault":
            return f"{self.error} ({self.plek}): {self.omschrijving or ''}"
        if self.kind.startswith("Fo"):
            text = f"{self.kind} {self.code or ''} ({self.plek}): {self.omschrijving or ''}".replace("  ", " ")
            return text + (f" — {self.details}" if self.details else "")
        if self.accepted:
            return self.kind
        return f"{self.kind}: {self.error}"


def ssl_context(credentials: Credentials) -> ssl.SSLContext:
    """Server verification against ``ca`` (default: the system's CAs), with our client certificate if any."""
    context = ssl.create_default_context(cafile=credentials.ca)
    if credentials.tls_cert:
        context.load_cert_chain(credentials.tls_cert, credentials.tls_key)
    return context


class StufClient:
    """Posts StUF messages to one endpoint (thread-safe; keeps connections open)."""

    def __init__(self, url: str, credentials: Credentials | None = None, *, timeout: float = 60.0,
                 max_reply_bytes: int = MAX_REPLY_BYTES):
        self.url = url
        self.credentials = credentials or Credentials()
        self.timeout = timeout
        self.max_reply_bytes = max_reply_bytes
        auth = httpx.BasicAuth(self.credentials.username or "", self.credentials.password or "") \
            if self.credentials.auth == "basic" else None
        self.http = httpx.Client(verify=ssl_context(self.credentials), auth=auth, timeout=httpx.Timeout(timeout),
                                 follow_redirects=False, headers={"User-Agent": "stuf-fin"})

    def close(self) -> None:
        self.http.close()

    def envelope(self, message: bytes, existing: bytes | None = None) -> bytes:
        """The envelope to send: ``existing`` (an envelope read from a file) or one around ``message``; with a
        fresh UsernameToken when the credentials ask for WS-Security."""
        header = None
        if self.credentials.auth in ("wss-text", "wss-digest"):
            header = usernametoken(self.credentials.username or "", self.credentials.password or "",
                                   digest=self.credentials.auth == "wss-digest")
        if existing is None:
            return envelope_bytes(message, header)
        if header is None:
            return existing
        root = parse_bytes(existing).getroot()
        head = root.find(HEADER)
        if head is None:
            head = etree.Element(HEADER)
            root.insert(0, head)
        head.append(etree.fromstring(header))
        return etree.tostring(root, encoding="UTF-8", xml_declaration=True)

    def post(self, message: bytes, soap_action: str, *, url: str | None = None, existing: bytes | None = None,
             referentienummer: str | None = None) -> SendOutcome:
        """Send one message and classify the answer; never raises for what the network or receiver does.

        ``referentienummer``: a Bv03 must carry it as crossRefnummer, else the answer is not about our message.
        """
        start = time.monotonic()
        deadline = start + self.timeout
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{soap_action}"'}
        try:
            with self.http.stream("POST", url or self.url, content=self.envelope(message, existing),
                                  headers=headers) as response:
                body = _read(response, self.max_reply_bytes, deadline)
                status = response.status_code
        except (httpx.HTTPError, ssl.SSLError, OSError, TimeoutError) as exc:
            return SendOutcome("transport", _describe(exc), seconds=time.monotonic() - start)
        send_outcome = classify(status, body, referentienummer)
        return _with_seconds(send_outcome, time.monotonic() - start)


def _read(response: httpx.Response, limit: int, deadline: float) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise httpx.ReadError(f"answer larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise TimeoutError("answer not complete within the time-out")
        chunks.append(chunk)
    return b"".join(chunks)


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]


def _with_seconds(send_outcome: SendOutcome, seconds: float) -> SendOutcome:
    from dataclasses import replace

    return replace(send_outcome, seconds=seconds)


def classify(status: int, body: bytes, referentienummer: str | None = None) -> SendOutcome:
    """The :class:`SendOutcome` of an HTTP answer (``status``, ``body``)."""
    try:
        root = parse_bytes(body, ParseLimits(max_bytes=MAX_REPLY_BYTES)).getroot() if body.strip() else None
    except XmlInputError as exc:
        root, problem = None, f"answer is not XML ({exc})"
    else:
        problem = "empty answer"
    if root is None:
        if status >= 400:
            return SendOutcome("http", f"HTTP {status} without a StUF answer", status, reply=body)
        return SendOutcome("protocol", f"HTTP {status}: {problem}", status, reply=body)
    message = root
    if root.tag == ENVELOPE:
        children = body_messages(root)
        if len(children) != 1:
            return SendOutcome("http" if status >= 400 else "protocol", f"HTTP {status}: SOAP Body without one "
                               "message", status, reply=body)
        message = children[0]
        if message.tag == FAULT:
            return _fault(status, message, body)
    return _stuf(status, message, body, referentienummer)


def _fault(status: int, fault: etree._Element, body: bytes) -> SendOutcome:
    detail = fault.find("detail")
    if detail is None:
        detail = fault.find(f"{{{SOAP_ENV}}}detail")
    stuf = next((c for c in detail if isinstance(c.tag, str)), None) if detail is not None else None
    if stuf is not None and etree.QName(stuf).namespace == STUF:
        return _stuf(status, stuf, body, None)
    code = (fault.findtext("faultcode") or "").strip()
    local = code.rsplit(":", 1)[-1].lower()
    plek = "client" if local.startswith("client") else "server"
    return SendOutcome("fault", f"HTTP {status}: SOAP Fault {code}", status, code=code[:16] or None, plek=plek,
                       omschrijving=(fault.findtext("faultstring") or "").strip()[:200], reply=body)


def _stuf(status: int, message: etree._Element, body: bytes, referentienummer: str | None) -> SendOutcome:
    name = etree.QName(message)
    local = name.localname.removesuffix("Bericht")
    if name.namespace == STUF and local in ("Fo01", "Fo02", "Fo03"):
        fault = read_fault(message)
        return SendOutcome(local, f"HTTP {status}", status, fault.code or None, fault.plek or None,
                           fault.omschrijving or None, fault.details or None, body)
    if name.namespace == STUF and local in ("Bv03", "Bv04"):
        cross = read_stuurgegevens(message).cross_refnummer
        if local == "Bv03" and referentienummer and cross != referentienummer:
            return SendOutcome("protocol", f"Bv03 with crossRefnummer {cross!r}, not {referentienummer!r}", status,
                               reply=body)
        return SendOutcome(local, f"HTTP {status}", status, reply=body)
    if name.localname == "vrdLa01":
        return SendOutcome("La01", f"HTTP {status}", status, reply=body)
    return SendOutcome("http" if status >= 400 else "protocol", f"HTTP {status}: unexpected answer {name.localname}",
                       status, reply=body)
