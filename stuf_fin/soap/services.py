"""The spyne applications: one per official port, one method per WSDL operation.

Every method hands its :class:`~stuf_fin.stuf.exchange.Request` to the shared pipeline; what the methods
receive and return is raw StUF XML, because the XSD is the model (see protocol.py).
"""

from __future__ import annotations

import spyne.const
from spyne import Application, MethodContext, ServiceBase, rpc
from spyne.model.primitive import AnyXml

from stuf_fin.namespaces import FIN
from stuf_fin.pipeline import Pipeline
from stuf_fin.schema.parsing import ParseLimits
from stuf_fin.soap.protocol import StufSoap11
from stuf_fin.soap.server import PortServer
from stuf_fin.stuf.exchange import Reply, Request
from stuf_fin.stuf.operations import OPERATIONS

# spyne runs a full gc.collect() at the end of a request when the last one was more than a second ago
# (to close uploaded files; we have none): 60-80 ms per bulk message, measured.  Python's own collector
# is enough.
spyne.const.MIN_GC_INTERVAL = float("inf")


def _service(port: str) -> type[ServiceBase]:
    methods = {}
    for operation in (op for op in OPERATIONS if op.port == port):
        def handle(ctx: MethodContext, request: Request) -> Reply:
            reply: Reply = ctx.app.pipeline.handle_request(request)
            return reply

        name = operation.name.replace("-", "_")
        handle.__name__ = name
        methods[name] = rpc(AnyXml, _returns=AnyXml, _body_style="bare", _operation_name=operation.name)(handle)
    return type(f"{port}Service", (ServiceBase,), methods)


def port_server(port: str, pipeline: Pipeline, limits: ParseLimits) -> PortServer:
    """The server of one port; the body limit is enforced before it (stuf_fin.asgi.read_body)."""
    app = Application(
        [_service(port)],
        tns=FIN,
        name=port,
        in_protocol=StufSoap11(port, pipeline, limits),
        out_protocol=StufSoap11(port, pipeline, limits),
    )
    app.pipeline = pipeline
    return PortServer(app)
