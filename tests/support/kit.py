"""Where the official StUF-FIN kit is (``../shared/stuf-fin-kit`` or ``$STUF_FIN_KIT``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KIT = Path(os.environ.get("STUF_FIN_KIT") or REPO.parent / "shared" / "stuf-fin-kit")
#: The official release folders, oldest first; the built-in set follows the last one.
RELEASES = {release: KIT / "schemas" / f"vng-{release}" for release in ("1.00.03", "1.00.04")}
CURRENT_RELEASE = "1.00.04"
#: The official release the built-in set follows (the one in use since 1 March 2018).
OFFICIAL_SCHEMAS = RELEASES[CURRENT_RELEASE]
TESTBERICHTEN = KIT / "testberichten"
_MISSING = [p for p in (TESTBERICHTEN, *RELEASES.values()) if not p.is_dir()]

requires_kit = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"needs the official StUF-FIN kit (testberichten, schemas/vng-1.00.03 and vng-1.00.04) at {KIT}; "
           f"missing: {', '.join(str(p) for p in _MISSING)}; set STUF_FIN_KIT to its folder",
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
