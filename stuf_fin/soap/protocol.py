"""spyne made to fit StUF: a ``Soap11`` subclass that dispatches on the QName of the Body's
message element, hands the handler that whole element, and puts the StUF answer (or a SOAP
Fault with a Fo02/Fo03 in ``detail``) straight into the Body.

Also: hardened parsing of the request (our parser, not spyne's), an immediate fault for an
empty or truncated body, a SOAPAction check, and no tracebacks in any answer.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from lxml import etree
from spyne import MethodContext
from spyne.const.http import HTTP_200, HTTP_500
from spyne.error import ResourceNotFoundError
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11

from stuf_fin.envelope import HEADER, body_messages, envelope_parts, fault, is_envelope
from stuf_fin.errors import StufFinError
from stuf_fin.namespaces import SOAP_ENV, F, prefixed
from stuf_fin.pipeline import Pipeline
from stuf_fin.schema.parsing import ParseLimits, XmlInputError, XmlLimitError
from stuf_fin.schema.streaming import Stream, read_head, validate_stream
from stuf_fin.schema.validator import SchemaIssue, summarize
from stuf_fin.stuf.exchange import Reply, Request
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.operations import Operation, by_element
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, read_stuurgegevens

log = logging.getLogger("stuf_fin.soap")

#: Operations whose handler can read a large message as a stream: message element -> repeated child.
STREAMABLE = {F + "Di01-verstrekVordering": F + "vrdLk01"}


def _state(ctx: MethodContext) -> SimpleNamespace:
    """Our per-request state on spyne's method context (copied contexts share it)."""
    if ctx.udc is None:
        ctx.udc = SimpleNamespace()
    state: SimpleNamespace = ctx.udc
    return state


class StufTransportFault(Fault, StufFinError):
    """A fault found before the pipeline runs (envelope, dispatch, SOAPAction)."""

    def __init__(self, stuf_fault: StufFault, message: etree._Element | None = None):
        super().__init__("Client" if stuf_fault.plek == "client" else "Server", stuf_fault.omschrijving)
        self.stuf_fault = stuf_fault
        self.message = message


class StufSoap11(Soap11):
    """SOAP 1.1 for one StUF-FIN port."""

    def __init__(self, port: str, pipeline: Pipeline, limits: ParseLimits, **kwargs: Any):
        super().__init__(**kwargs)
        self.port = port
        self.pipeline = pipeline
        self.limits = limits
        self.port_operations = by_element(port)
        self.foutbericht = next(iter(self.port_operations.values())).foutbericht

    # -- in ----------------------------------------------------------------------------------------
    def create_in_document(self, ctx: MethodContext, charset: str | None = None) -> None:
        data = ctx.transport.request.body  # the body as received (stuf_fin.soap.server), not copied
        state = _state(ctx)
        state.raw = data
        try:
            ctx.in_document, state.stream, state.issues = self._read(data)
        except XmlInputError as exc:
            what = "niet verwerkt" if isinstance(exc, XmlLimitError) else "geen welgevormde XML"
            raise StufTransportFault(StufFault("StUF055", f"{what}: {exc}")) from None

    def _read(self, data: bytes) -> tuple[etree._Element, Stream | None, list[SchemaIssue]]:
        """The request parsed and validated against the schemas in one pass (hardened, at most a few errors):
        (the Envelope, a :class:`Stream` for a large streamable request, the schema errors).

        A valid request comes back whole (or as a stream); of an invalid one only the head is read into a tree
        (up to its stuurgegevens, for the answer), whatever the rest of it holds.
        """
        validator = self.pipeline.validator
        minimum = getattr(self.pipeline.settings, "stream_min_bytes", 0)
        if minimum and len(data) >= minimum:
            head = read_head(data, self.limits)
            messages = body_messages(head)
            message = messages[0] if messages else None
            kind = STREAMABLE.get(message.tag) if message is not None and message.tag in self.port_operations else None
            if kind is not None and message is not None:
                try:
                    result = validate_stream(data, message, validator, kind)
                except XmlInputError:
                    raise
                except Exception:  # never worse than the ordinary way, which then answers
                    log.exception("streaming validation failed unexpectedly; parsing the request whole")
                    result = None
                if isinstance(result, Stream):  # valid, and no tree of the whole message (stuf_fin.schema.streaming)
                    return head, result, []
                if result is not None:
                    return head, None, result
        checked = validator.parse(data, self.limits)
        if not checked.issues:
            assert checked.root is not None  # valid: the whole tree
            return checked.root, None, []
        try:
            return read_head(data, self.limits), None, checked.issues
        except XmlInputError:  # not even the head is usable: no stuurgegevens to answer with
            raise StufTransportFault(StufFault("StUF055", summarize(checked.issues))) from None

    def decompose_incoming_envelope(self, ctx: MethodContext, message: str = Soap11.REQUEST) -> None:
        root = ctx.in_document
        if not is_envelope(root):
            raise StufTransportFault(StufFault(
                "StUF055", f"geen SOAP 1.1 Envelope ({SOAP_ENV}) maar {prefixed(root.tag)}"))
        children = body_messages(root)
        if len(children) != 1:
            raise StufTransportFault(StufFault(
                "StUF055", f"de SOAP Body moet precies één bericht bevatten, niet {len(children)}"))
        element = children[0]
        tag = str(element.tag)  # (a str: body_messages leaves comments and processing instructions out)
        ctx.in_header_doc = root.find(HEADER)
        ctx.in_body_doc = element
        ctx.method_request_string = tag
        operation = self.port_operations.get(tag)
        if operation is None:
            raise StufTransportFault(StufFault(
                "StUF022", f"bericht {prefixed(tag)} is geen operatie van {self.port}"), element)
        _state(ctx).operation = operation
        self._check_soap_action(ctx, operation, element)

    def _check_soap_action(self, ctx: MethodContext, operation: Operation, element: etree._Element) -> None:
        action = ctx.transport.request.soap_action
        if action is None:
            return
        action = action.strip().strip('"')
        if action and action != operation.soap_action:
            raise StufTransportFault(StufFault(
                "StUF040", f"SOAPAction {action!r} hoort niet bij {operation.name} "
                           f"(verwacht {operation.soap_action!r})", plek="client"), element)

    def get_call_handles(self, ctx: MethodContext) -> list[Any]:
        operation = getattr(_state(ctx), "operation", None)
        if operation is None:
            return []
        return [d for handles in self.app.interface.service_method_map.values() for d in handles
                if d.operation_name == operation.name][:1]

    def deserialize(self, ctx: MethodContext, message: str) -> None:
        ctx.in_object = Request(
            operation=_state(ctx).operation,
            message=ctx.in_body_doc,
            raw=_state(ctx).raw,
            received_at=datetime.now(UTC),
            stream=_state(ctx).stream,
            issues=_state(ctx).issues,
            identity=ctx.transport.request.identity,
            soap_action=ctx.transport.request.soap_action,
        )

    # -- out ---------------------------------------------------------------------------------------
    def serialize(self, ctx: MethodContext, message: str) -> None:
        if ctx.out_error is not None:
            reply = self._reply_for_fault(ctx, ctx.out_error)
        else:
            out = ctx.out_object
            reply = out[0] if isinstance(out, (list, tuple)) else out
        _state(ctx).reply = reply
        if reply.fault is not None:
            ctx.transport.resp_code = HTTP_500
        elif ctx.transport.resp_code is None:
            ctx.transport.resp_code = HTTP_200

    def _reply_for_fault(self, ctx: MethodContext, error: Exception) -> Reply:
        if isinstance(error, StufTransportFault):
            stuf_fault, message = error.stuf_fault, error.message
        elif isinstance(error, ResourceNotFoundError):
            stuf_fault, message = StufFault("StUF022", "onbekend bericht"), None
        else:
            log.error("unexpected spyne fault: %s", error)
            stuf_fault, message = StufFault("StUF058", "interne fout"), None
        sg = read_stuurgegevens(message) if message is not None else Stuurgegevens()
        return self.pipeline.fault_reply(self.foutbericht, sg, stuf_fault)

    def create_out_string(self, ctx: MethodContext, charset: str | None = None) -> None:
        reply: Reply = _state(ctx).reply
        if reply.fault is None:
            body = reply.to_bytes()
        else:
            stuf_fault = reply.fault
            assert reply.element is not None  # a Fo0x is an element
            body = etree.tostring(fault(reply.element, stuf_fault.plek, stuf_fault.omschrijving), encoding="UTF-8")
        before, after = envelope_parts()
        ctx.out_string = [before, body, after]

    def fault_to_http_response_code(self, fault: Fault) -> str:
        code: str = HTTP_500
        return code
