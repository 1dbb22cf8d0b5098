"""Helpers for the security tests: ``[[clients]]`` settings files and HTTPS test servers, messages with a
chosen zender, raw posting with any credentials."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from lxml import etree

from stuf_fin.envelope import body_element, wrap
from stuf_fin.namespaces import F, S
from stuf_fin.security.passwords import hash_secret

from .certs import Issued, client_context
from .kit import kit_message
from .server import SOAP_ACTIONS, Server, start_server
from .soap import Reply


def client_table(name: str, *zenders: str, operations: Sequence[str] = ("*",), password: str | None = None,
                 **fields: object) -> dict[str, object]:
    """One ``[[clients]]`` table: ``password`` goes in as a ``password_hash`` (cheap to check), ``fields`` as
    they are (``username``, ``secret_env``, ``tls_subject``, ``tls_fingerprint``, ``tsa`` ...)."""
    table: dict[str, object] = {"name": name, **fields, "zenders": list(zenders), "operations": list(operations)}
    if password is not None:
        table["password_hash"] = hash_secret(password, n=2**12)
    return table


def clients_config(folder: Path, *clients: Mapping[str, object], **settings: object) -> Path:
    """Write ``folder/stuf-fin.toml``: ``settings`` at the top, then a ``[[clients]]`` table per client
    (see :func:`client_table`).  Values are strings, numbers, booleans or lists of those."""
    def line(key: str, value: object) -> str:
        return f"{key} = {json.dumps(value)}"  # JSON's strings, numbers and arrays are TOML too

    lines = [line(key, value) for key, value in settings.items()]
    for table in clients:
        lines += ["", "[[clients]]", *(line(key, value) for key, value in table.items())]
    path = folder / "stuf-fin.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def start_https_server(workdir: Path, config: Path, ca: Issued, certificate: Issued, *,
                       client: Issued | None = None, env: dict[str, str] | None = None) -> Server:
    """``stuf-fin serve`` with the settings file ``config`` over HTTPS: server ``certificate``, client CA ``ca``;
    ``client``: the certificate to show when waiting for ``/health`` (for a server that requires one)."""
    return start_server(workdir, scheme="https", verify=client_context(ca, client),
                        extra_args=("--tls-cert", str(certificate.cert_path), "--tls-key", str(certificate.key_path),
                                    "--tls-client-ca", str(ca.cert_path)),
                        env={"STUF_FIN_CONFIG": str(config), **(env or {})})


def _set_zender(message: etree._Element, organisatie: str, applicatie: str) -> None:
    zender = message.find(f"{F}stuurgegevens/{S}zender")
    for child in list(zender):
        zender.remove(child)
    if organisatie:
        etree.SubElement(zender, S + "organisatie").text = organisatie
    etree.SubElement(zender, S + "applicatie").text = applicatie


def vordering(organisatie: str, applicatie: str) -> bytes:
    """The official minimal Di01-verstrekVordering from this zender, with a fresh referentienummer and
    vorderingnummer, as a SOAP envelope."""
    message = etree.fromstring(kit_message("Di01-verstrekVordering-min.xml"))
    _set_zender(message, organisatie, applicatie)
    message.find(f"{F}stuurgegevens/{S}referentienummer").text = uuid.uuid4().hex[:30]
    message.find(f".//{F}vorderingnummer").text = "SEC" + uuid.uuid4().hex[:20]
    return wrap(message)


def vraag(organisatie: str, applicatie: str) -> bytes:
    """The official minimal vrdLv01 from this zender, as a SOAP envelope."""
    message = etree.fromstring(kit_message("vrdLv01-min.xml"))
    _set_zender(message, organisatie, applicatie)
    return wrap(message)


def body_of(envelope: bytes) -> bytes:
    """The message inside an envelope made by :func:`vordering`/:func:`vraag` (to wrap it differently)."""
    return etree.tostring(body_element(etree.fromstring(envelope)))


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

