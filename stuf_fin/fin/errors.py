"""The one exception of the FIN domain layer."""

from __future__ import annotations

from stuf_fin.errors import DETAILS_MAX, StufFinError


class BusinessError(StufFinError):
    """A message is refused for a business reason (answered as Fo03 StUF058 with ``details``).

    Raised inside the caller's transaction; the caller rolls back, so nothing of the message is kept.
    """

    def __init__(self, details: str):
        self.details = truncate(details)
        super().__init__(self.details)


def truncate(text: str, limit: int = DETAILS_MAX) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarize(reasons: list[str], limit: int = DETAILS_MAX) -> str:
    """Several reasons as one text of at most ``limit`` characters, counting the ones left out."""
    text = ""
    for n, reason in enumerate(reasons):
        part = ("; " if text else "") + reason
        rest = len(reasons) - n - 1
        suffix = f" (+{rest} meer)" if rest else ""
        if len(text) + len(part) + len(suffix) > limit:
            if not text:  # the first reason alone is too long: cut it
                return truncate(reason, limit - len(suffix)) + suffix
            return text + f" (+{len(reasons) - n} meer)"
        text += part
    return text
