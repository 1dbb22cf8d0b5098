"""The one exception of the FIN domain layer."""

from __future__ import annotations

from stuf_fin import errors
from stuf_fin.errors import DETAILS_MAX, StufFinError, truncate


class BusinessError(StufFinError):
    """A message is refused for a business reason (answered as Fo03 StUF058 with ``details``).

    Raised inside the caller's transaction; the caller rolls back, so nothing of the message is kept.
    """

    def __init__(self, details: str):
        self.details = truncate(details)
        super().__init__(self.details)


def summarize(reasons: list[str], limit: int = DETAILS_MAX) -> str:
    """Business reasons as one ``details`` text (:func:`stuf_fin.errors.summarize`, counted in Dutch: "meer")."""
    return errors.summarize(reasons, limit, more="meer")
