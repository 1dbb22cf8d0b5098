"""Serving our WSDLs (from ``xsd/``) with the address the client used, and the XSDs they import."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lxml import etree

from stuf_fin.namespaces import WSDL, WSDL_SOAP, XS, q
from stuf_fin.schema.loader import builtin_dir
from stuf_fin.stuf.operations import PORT_KENNISGEVING, PORT_VRAAG

WSDL_FILES = {
    PORT_KENNISGEVING: "fin0310_verstrekVorderingOfVerantwoording.wsdl",
    PORT_VRAAG: "fin0310_beantwoordVraag.wsdl",
}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.(xsd|wsdl)$")


@lru_cache(maxsize=8)
def _template(port: str) -> etree._ElementTree:
    return etree.parse(str(builtin_dir() / WSDL_FILES[port]))


def wsdl_for(port: str, base_url: str) -> bytes:
    """The WSDL of ``port`` with ``soap:address`` = ``base_url/port`` and absolute schema locations."""
    tree = etree.ElementTree(etree.fromstring(etree.tostring(_template(port))))
    for address in tree.iter(q(WSDL_SOAP, "address")):
        address.set("location", f"{base_url}/{port}")
    for node in tree.iter(q(XS, "import"), q(XS, "include")):
        location = node.get("schemaLocation")
        if location and "://" not in location:
            node.set("schemaLocation", f"{base_url}/xsd/{Path(location).name}")
    for node in tree.iter(q(WSDL, "import")):
        location = node.get("location")
        if location and "://" not in location:
            node.set("location", f"{base_url}/xsd/{Path(location).name}")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def schema_file(name: str) -> bytes | None:
    """A file of our built-in schema folder, by plain file name (None when unknown)."""
    if not _SAFE_NAME.match(name):
        return None
    path = builtin_dir() / name
    return path.read_bytes() if path.is_file() else None
