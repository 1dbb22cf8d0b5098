"""The pipeline: one message from the SOAP layer to its answer.

:mod:`pipeline` orchestrates the checks in order and the one transaction per message; :mod:`handlers` are the
three Di01 handlers, :mod:`vraag` the vrdLv01 handler, :mod:`archive_writer` archives answered questions after
the answer.  It sits above ``outbound``, ``store``, ``fin`` and ``stuf``; the SOAP layer and the app sit above it.
"""

from stuf_fin.pipeline.pipeline import Pipeline

__all__ = ["Pipeline"]
