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
KIT_MESSAGES = KIT / "testberichten"  # the official test messages
_MISSING = [p for p in (KIT_MESSAGES, *RELEASES.values()) if not p.is_dir()]

requires_kit = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"needs the official StUF-FIN kit (testberichten, schemas/vng-1.00.03 and vng-1.00.04) at {KIT}; "
           f"missing: {', '.join(str(p) for p in _MISSING)}; set STUF_FIN_KIT to its folder",
)


def kit_message(name: str) -> bytes:
    """One of the 10 official test messages, e.g. ``Di01-verstrekVordering-min.xml``."""
    return (KIT_MESSAGES / name).read_bytes()


def with_unique_ids(message: bytes, suffix: str) -> bytes:
    """An official message with its numbers made unique: ``suffix`` appended to every referentienummer,
    vorderingnummer and verantwoordingsnummer (within their maximum lengths: 40 and 64)."""
    from lxml import etree

    from stuf_fin.namespaces import F, S

    root = etree.fromstring(message)
    for tag, limit in ((S + "referentienummer", 40), (F + "vorderingnummer", 64), (F + "verantwoordingsnummer", 64)):
        for el in root.iter(tag):
            if el.text:
                el.text = (el.text + suffix)[-limit:]
    return etree.tostring(root)
