"""Posting StUF messages as SOAP 1.1 and reading the answers, for tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import httpx
from lxml import etree

from stuf_fin.envelope import BODY, FAULT, body_element, is_envelope, wrap
from stuf_fin.namespaces import S

from .kit import RELEASES
from .server import SOAP_ACTIONS

PORT_OF = {"vrdLv01": "BeantwoordVraag"}


@dataclass
class Reply:
    status: int
    root: etree._Element  # the Envelope
    text: str

    @property
    def body(self) -> etree._Element:
        return self.root.find(BODY)[0]

    @property
    def is_fault(self) -> bool:
        return self.body.tag == FAULT

    @property
    def message(self) -> etree._Element:
        """The StUF message: the Body's child, or the Fo0x inside a Fault's detail."""
        if self.is_fault:
            return self.body.find("detail")[0]
        return self.body

    @property
    def code(self) -> str | None:
        el = self.message.find(f"{S}body/{S}code")
        return el.text if el is not None else None

    @property
    def details(self) -> str:
        el = self.message.find(f"{S}body/{S}details")
        return el.text or "" if el is not None else ""

    def stuurgegeven(self, name: str) -> str | None:
        el = self.message.find(f"{S}stuurgegevens/{S}{name}")
        return el.text if el is not None else None


def post(base_url: str, message: bytes | etree._Element, *, soap_action: str | None = None,
         port: str | None = None, timeout: float = 60) -> Reply:
    """POST one message (bare or already an envelope) to the right port with the right SOAPAction."""
    root = etree.fromstring(message) if isinstance(message, bytes) else message
    if is_envelope(root):
        body_el = body_element(root)
        data = etree.tostring(root)
    else:
        body_el = root
        data = wrap(root)
    local = etree.QName(body_el).localname
    port = port or PORT_OF.get(local, "VerstrekVorderingOfVerantwoording")
    action = SOAP_ACTIONS.get(local, "") if soap_action is None else soap_action
    response = httpx.post(f"{base_url}/{port}", content=data, timeout=timeout,
                          headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'})
    return checked(Reply(response.status_code, etree.fromstring(response.content), response.text))


@cache
def answer_validators() -> tuple:
    """The built-in set and, when the kit is here, each official release (1.00.03 and 1.00.04)."""
    from stuf_fin.schema.validator import get_validator

    return (get_validator(), *(get_validator(folder) for folder in RELEASES.values() if folder.is_dir()))


def checked(reply: Reply) -> Reply:
    """Every answer must be a StUF message valid under the built-in set and under both official releases
    (when the kit is here); a fault must be a proper SOAP 1.1 Fault."""
    for validator in answer_validators():
        issues = validator.validate(reply.message)
        assert not issues, f"reply fails the schema ({validator.source.describe()}): {issues}\n{reply.text}"
    if reply.is_fault:
        assert reply.status == 500, reply.text
        assert [child.tag for child in reply.body] == ["faultcode", "faultstring", "detail"], reply.text
        assert reply.body.findtext("faultcode") in ("SOAP-ENV:Client", "SOAP-ENV:Server")
        assert reply.body.findtext("faultstring") == reply.message.findtext(f"{S}body/{S}omschrijving")
        plek = reply.message.findtext(f"{S}body/{S}plek")
        assert reply.body.findtext("faultcode").endswith(plek.capitalize())
    else:
        assert reply.status == 200, reply.text
    return reply
