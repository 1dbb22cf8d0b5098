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
