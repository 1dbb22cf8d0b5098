"""The spyne applications: one per official port, one method per WSDL operation.

Every method hands its :class:`Verzoek` to the shared pipeline; what the methods receive and
return is raw StUF XML, because the XSD is the model (see protocol.py).
"""

from __future__ import annotations

import spyne.const
from spyne import Application, ServiceBase, rpc
from spyne.model.primitive import AnyXml
from spyne.server.wsgi import WsgiApplication

from stuf_fin.namespaces import FIN
from stuf_fin.schema.parsing import ParseLimits
from stuf_fin.soap.protocol import StufSoap11
from stuf_fin.stuf.afhandeling import Afhandeling
from stuf_fin.stuf.operaties import OPERATIES

# spyne runs a full gc.collect() at the end of a request when the last one was more than a second ago
# (to close uploaded files; we have none): 60-80 ms per bulk message, measured.  Python's own collector
# is enough.
spyne.const.MIN_GC_INTERVAL = float("inf")


def _service(port: str) -> type[ServiceBase]:
    methods = {}
    for operatie in (op for op in OPERATIES if op.port == port):
        def handle(ctx, verzoek):
            return ctx.app.afhandeling.behandel(verzoek)

        name = operatie.naam.replace("-", "_")
        handle.__name__ = name
        methods[name] = rpc(AnyXml, _returns=AnyXml, _body_style="bare", _operation_name=operatie.naam)(handle)
    return type(f"{port}Service", (ServiceBase,), methods)


def wsgi_application(port: str, afhandeling: Afhandeling, limits: ParseLimits) -> WsgiApplication:
    """A WSGI app for one port; the body limit is enforced before it (see app.py)."""
    app = Application(
        [_service(port)],
        tns=FIN,
        name=port,
        in_protocol=StufSoap11(port, afhandeling, limits),
        out_protocol=StufSoap11(port, afhandeling, limits),
    )
    app.afhandeling = afhandeling
    return WsgiApplication(app, max_content_length=limits.max_bytes, block_length=1024 * 1024)
