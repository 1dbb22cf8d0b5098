"""Where the official StUF-FIN kit is (``../shared/stuf-fin-kit`` or ``$STUF_FIN_KIT``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KIT = Path(os.environ.get("STUF_FIN_KIT") or REPO.parent / "shared" / "stuf-fin-kit")
OFFICIAL_SCHEMAS = KIT / "schemas" / "vng-1.00.03"
TESTBERICHTEN = KIT / "testberichten"

requires_kit = pytest.mark.skipif(
    not TESTBERICHTEN.is_dir(),
    reason=f"needs the official StUF-FIN kit (schemas + testberichten) at {KIT}; set STUF_FIN_KIT to its folder",
)


def testbericht(name: str) -> bytes:
    """One of the 10 official test messages, e.g. ``Di01-verstrekVordering-min.xml``."""
    return (TESTBERICHTEN / name).read_bytes()


testbericht.__test__ = False  # not a pytest test, despite its name


def uniek(message: bytes, suffix: str) -> bytes:
    """An official message with its numbers made unique: ``suffix`` appended to every referentienummer,
    vorderingnummer and verantwoordingsnummer (within their maximum lengths: 40 and 64)."""
    from lxml import etree

    from stuf_fin.namespaces import FIN, STUF

    root = etree.fromstring(message)
    for tag, limit in ((f"{{{STUF}}}referentienummer", 40), (f"{{{FIN}}}vorderingnummer", 64),
                       (f"{{{FIN}}}verantwoordingsnummer", 64)):
        for el in root.iter(tag):
            if el.text:
                el.text = (el.text + suffix)[-limit:]
    return etree.tostring(root)
