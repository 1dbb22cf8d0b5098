"""A real gateway: ``stuf-fin serve`` in a subprocess on a free port, talked to over HTTP.

The launcher is ``bench/server.py`` (shared with the benchmarks); this module adds the SOAPActions of our ports.
"""

from __future__ import annotations

from bench.server import Server, free_port, start_server
from stuf_fin.namespaces import FIN, STUF

__all__ = ["SOAP_ACTIONS", "Server", "free_port", "start_server"]

SOAP_ACTIONS = {
    "Di01-verstrekVordering": f"{FIN}/Di01-verstrekVordering",
    "Di01-verstrekVorderingStatusWijziging": f"{FIN}/Di01-verstrekVorderingStatusWijziging",
    "Di01-verstrekFinancieleVerantwoording": f"{FIN}/Di01-verstrekFinancieleVerantwoording",
    "vrdLv01": f"{FIN}/vrdLv01",
    "Bv03Bericht": f"{STUF}/Bv03",
    "Fo03Bericht": f"{STUF}/Fo03",
}
