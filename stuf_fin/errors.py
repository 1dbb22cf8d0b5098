"""The one exception base of stuf-fin, and the limit every fault's ``details`` keeps to.

Every exception the package defines derives from :class:`StufFinError`, in the module of the layer that raises
it (a StUF fault: :class:`stuf_fin.stuf.faults.StufFault`; a business refusal: :class:`stuf_fin.fin.errors.
BusinessError`; bad input, bad settings, a refused login ...).  ``except StufFinError`` catches what the gateway
raises on purpose and nothing from the libraries below it.  A leaf: imports nothing from the project.
"""

from __future__ import annotations

from collections.abc import Sequence

#: StUF ``details`` holds at most 1,000 characters (stuf0301.xsd).
DETAILS_MAX = 1000


class StufFinError(Exception):
    """Base of every exception stuf-fin defines."""


def truncate(text: str, limit: int = DETAILS_MAX) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarize(texts: Sequence[str], limit: int = DETAILS_MAX, *, more: str = "more") -> str:
    """Several texts (errors, reasons) as one of at most ``limit`` characters, joined by ``; ``, ending in
    ``(+N more)`` for the ones left out (``more``: the word, e.g. ``meer`` in a Dutch business fault); a first
    text too long alone is cut."""
    text = ""
    for n, item in enumerate(texts):
        part = ("; " if text else "") + item
        rest = len(texts) - n - 1
        suffix = f" (+{rest} {more})" if rest else ""
        if len(text) + len(part) + len(suffix) > limit:
            if not text:
                return truncate(item, limit - len(suffix)) + suffix
            return (text + f" (+{len(texts) - n} {more})")[:limit]
        text += part
    return text
