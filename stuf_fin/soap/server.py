"""A spyne server transport for one port, called directly by the ASGI app: no WSGI in between.

:meth:`PortServer.handle` runs spyne's request cycle (dispatch, our protocol's parsing and checks, the
service method that hands the request to the pipeline, serialization of the answer) for one request body
that the ASGI layer has read once (:func:`stuf_fin.asgi.read_body`).
"""

from __future__ import annotations

from dataclasses import dataclass

from spyne import Application, MethodContext
from spyne.context import TransportContext
from spyne.model.fault import Fault
from spyne.server import ServerBase

from stuf_fin.namespaces import SOAP_HTTP

#: What every SOAP answer of the gateway is (SOAP 1.1).
CONTENT_TYPE = b"text/xml; charset=utf-8"


@dataclass(frozen=True)
class SoapRequest:
    """One POST to a port, as the ASGI layer received it."""

    body: bytes
    soap_action: str | None = None  # the SOAPAction header (quotes included), None when absent
    identity: str | None = None  # the authenticated client's name (stuf_fin.security.middleware)


class PortTransport(TransportContext):
    """spyne's per-request transport context: the request, and the HTTP status the protocol chose."""

    def __init__(self, parent: MethodContext, transport: ServerBase, type: str | None = None):
        super().__init__(parent, transport, "http")
        self.request: SoapRequest | None = None
        self.resp_code: str | None = None


class PortContext(MethodContext):
    TransportContext = PortTransport


class PortServer(ServerBase):
    """One spyne :class:`Application` (one port), served without WSGI."""

    transport = SOAP_HTTP

    def __init__(self, app: Application):
        super().__init__(app)

    def handle(self, request: SoapRequest) -> tuple[int, bytes]:
        """The HTTP status and body of the answer to ``request``."""
        ctx = PortContext(self, MethodContext.SERVER)
        ctx.transport.request = request
        ctx.in_string = [request.body]
        p_ctx = self.generate_contexts(ctx)[0]
        try:
            if p_ctx.in_error is None:
                self.get_in_object(p_ctx)
            if p_ctx.in_error is None:
                try:
                    self.get_out_object(p_ctx)
                except Fault as fault:
                    p_ctx.out_error = fault
            else:
                p_ctx.out_error = p_ctx.in_error
            self.get_out_string(p_ctx)
            status = int((p_ctx.transport.resp_code or "500").split(" ", 1)[0])
            return status, b"".join(p_ctx.out_string)
        finally:
            p_ctx.close()
            _release(ctx, p_ctx)


def _release(*contexts: MethodContext) -> None:
    """Let go of a finished request's body, tree and answer.

    spyne's contexts refer to each other (each part to its parent), so only the cyclic garbage collector frees
    them: a 1,000-vordering message's tree (tens of MB) stayed until a middle-generation collection, about every
    ten such messages, which then freed all of them at once (~130 ms of CPU in one request, the heap grown
    meanwhile).  Without these references the tree and the body go when the request's last reference does.
    """
    for c in contexts:
        c.in_string = c.in_document = c.in_header_doc = c.in_body_doc = c.in_object = None
        c.out_object = c.out_string = c.out_document = c.out_body_doc = c.udc = None
        if c.transport is not None:
            c.transport.request = None
