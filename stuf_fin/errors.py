"""The one exception base of stuf-fin, and the limit every fault's ``details`` keeps to.

Every exception the package defines derives from :class:`StufFinError`, in the module of the layer that raises
it (a StUF fault: :class:`stuf_fin.stuf.faults.StufFout`; a business refusal: :class:`stuf_fin.fin.errors.
BusinessError`; bad input, bad settings, a refused login ...).  ``except StufFinError`` catches what the gateway
raises on purpose and nothing from the libraries below it.  A leaf: imports nothing from the project.
"""

from __future__ import annotations

#: StUF ``details`` holds at most 1,000 characters (stuf0301.xsd).
DETAILS_MAX = 1000


class StufFinError(Exception):
    """Base of every exception stuf-fin defines."""
