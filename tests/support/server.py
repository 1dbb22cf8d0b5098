"""A real gateway: ``stuf-fin serve`` in a subprocess on a free port, talked to over HTTP.

The launcher is ``bench/server.py`` (shared with the benchmarks); this module adds the SOAPActions of our ports
and a gateway together with a handle on its SQLite store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.server import Server, free_port, start_server
from stuf_fin.store.db import Store
from stuf_fin.stuf.operations import OPERATIONS

__all__ = ["SOAP_ACTIONS", "Server", "free_port", "gateway_and_store", "start_server"]

#: SOAPAction by the local name of the message element (``Bv03Bericht`` → ``…/StUF0301/Bv03``).
SOAP_ACTIONS = {op.element.split("}")[1]: op.soap_action for op in OPERATIONS}


@contextmanager
def gateway_and_store(workdir: Path) -> Iterator[tuple[Server, Store]]:
    """``stuf-fin serve`` on a SQLite file in ``workdir``, and a Store on that file to look at what it stored."""
    server = start_server(workdir)
    store = Store(f"sqlite:///{workdir / 'gateway.db'}")
    try:
        yield server, store
    finally:
        store.dispose()
        server.stop()
