"""The message pipeline (one place for the order of checks, StUF 03.01 §4.4):

schema (StUF055) → stuurgegevens (StUF010/019) → one transaction: archive, claim of the referentienummer
(StUF016 or an identical resend), FIN handler (business errors: StUF058), Bv03 → answer, every answer
validated before it leaves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from stuf_fin.config import Settings
from stuf_fin.fin.errors import BusinessError
from stuf_fin.fin.vraag.antwoord import returned_ids
from stuf_fin.ops import metrics, observe
from stuf_fin.pipeline.archive_writer import ArchiveWriter
from stuf_fin.pipeline.handlers import KennisgevingHandler, Outgoing, Receipt, VraagHandler
from stuf_fin.schema.streaming import BODY_HASH, body_hash, content_hash_of, element_content_hash
from stuf_fin.schema.validator import MessageValidator, summarize
from stuf_fin.store import archive
from stuf_fin.store.db import UNAVAILABLE, Store
from stuf_fin.stuf import answers
from stuf_fin.stuf.exchange import InvalidReply, Reply, Request
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.operations import PORT_KENNISGEVING, PORT_VRAAG, Operation
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem, gateway_systeem, read_stuurgegevens

log = logging.getLogger("stuf_fin.pipeline")


def content_hash(message: etree._Element) -> str:
    """The exact fingerprint of a message's content, independent of the envelope, of whitespace inside tags and of
    where namespaces are declared: SHA-256 over the exclusive canonical XML of each child (the same for a streamed
    message, :func:`stuf_fin.schema.streaming.content_hash_of`)."""
    return element_content_hash(message)


#: At most this many business-rule warnings are spelled out in the one log line of a message.
WARNINGS_SHOWN = 20


def log_warnings(operation: str, referentienummer: str, warnings: list[str] | None) -> None:
    """The accepted oddities of one message (NOTES §9.14) as one log line, not one line each."""
    if warnings:
        shown = "; ".join(warnings[:WARNINGS_SHOWN])
        more = f" (+{len(warnings) - WARNINGS_SHOWN} more)" if len(warnings) > WARNINGS_SHOWN else ""
        log.warning("%s %s: %d warning(s): %s%s", operation, referentienummer, len(warnings), shown, more)


def duplicate_scope(operation: Operation) -> str:
    """The receiving end node whose referentienummer memory applies (StUF016).

    In the StUF-FIN chain each Di01 operation is received by a different role (vordering: the
    inningssysteem; status change: the vakapplicatie; verantwoording: the financial administration),
    all hosted by this gateway.  Referentienummers are unique per zender *and receiving end node*, so
    the memory is kept per operation: the official examples reuse ``1234567890`` from ``STP`` for a
    vordering and a verantwoording, which are two different end nodes in a real chain.
    """
    return f"{operation.port}/{operation.name}"


class Pipeline:
    """Handles one request end to end; shared by every request thread."""

    def __init__(self, settings: Settings, validator: MessageValidator, store: Store,
                 handlers: Mapping[str, KennisgevingHandler],
                 authorisation: Callable[[Request, Stuurgegevens], None] | None = None,
                 outgoing: Outgoing | None = None, archive_writer: ArchiveWriter | None = None,
                 vraag_handler: VraagHandler | None = None):
        self.settings = settings
        self.validator = validator
        self.store = store
        self.handlers = handlers  # by operation name: Di01, Bv03, Fo03
        self.vraag_handler = vraag_handler  # vrdLv01
        self.authorisation = authorisation  # stuf_fin.security.authorise: raises StufFault StUF013/StUF052
        self.outgoing = outgoing  # stuf_fin.outbound.triggers.Outgoing: queues what an accepted message causes
        # answered questions, written at once until started
        self.archive_writer = archive_writer or ArchiveWriter(store, write_many=archive.archive_answered)
        self.own = gateway_systeem(settings)

    # -- answers ---------------------------------------------------------------------------------
    def make_fault(self, operation_port_fo: str, stuurgegevens: Stuurgegevens, fault: StufFault) -> Reply:
        """A Fo02 or Fo03 for ``fault``, validated (a Fo0x we cannot make valid is a bug)."""
        element = answers.fo02(fault) if operation_port_fo == "Fo02" else answers.fo03(
            stuurgegevens, fault, self.own)
        self.check_reply(element)
        return Reply(element, fault, outcome=operation_port_fo)

    def fault_reply(self, operation_port_fo: str, stuurgegevens: Stuurgegevens, fault: StufFault) -> Reply:
        """The answer to a fault the SOAP layer found before the pipeline (not XML, unknown message, wrong
        SOAPAction): :meth:`make_fault`, counted and logged like every answer (operation ``unknown``)."""
        reply = self.make_fault(operation_port_fo, stuurgegevens, fault)
        port = PORT_VRAAG if operation_port_fo == "Fo02" else PORT_KENNISGEVING
        observe.answered(port, metrics.UNKNOWN, stuurgegevens, reply)
        return reply

    def check_reply(self, element: etree._Element) -> None:
        issues = self.validator.validate(element)
        if issues:
            log.error("answer %s fails the schema: %s", etree.QName(element).localname, summarize(issues))
            raise InvalidReply(summarize(issues))

    # -- the pipeline ----------------------------------------------------------------------------
    def handle_request(self, request: Request) -> Reply:
        """Answer one request; never raises for anything the sender did.  Every answer is counted, timed
        and logged once (:mod:`stuf_fin.ops.observe`)."""
        start = time.perf_counter()
        sg = read_stuurgegevens(request.message)
        reply = self._handle_request(request, sg)
        observe.answered(request.operation.port, request.operation.name, sg, reply, time.perf_counter() - start,
                         request.identity)
        self.store.answers.add(operation=request.operation.name, outcome=reply.outcome,
                               fault_code=reply.fault.code if reply.fault else None,
                               received_at=request.received_at, answered_at=datetime.now(UTC))
        return reply

    def _handle_request(self, request: Request, sg: Stuurgegevens) -> Reply:
        op = request.operation
        try:
            issues = request.issues if request.issues is not None else (
                [] if request.stream is not None else self.validator.validate(request.message))
            if issues:
                raise StufFault("StUF055", summarize(issues))
            self.check_stuurgegevens(sg)
            if self.authorisation is not None:
                self.authorisation(request, sg)
            if op.port == PORT_VRAAG:
                return self.vraag(request, sg)
            return self.kennisgeving(request, sg)
        except StufFault as fault:
            reply = self.make_fault(op.foutbericht, sg, fault)
        except InvalidReply as exc:
            reply = self.make_fault(op.foutbericht, sg, StufFault(
                "StUF058", f"interne fout: het antwoord voldoet niet aan het schema ({exc})"))
        except UNAVAILABLE as exc:  # down, not answering in time, or no connection free: resend later
            unexpected = not isinstance(exc, (sa_exc.OperationalError, sa_exc.TimeoutError))  # e.g. a bad statement
            log.error("database unavailable while handling %s %s: %s", op.name, sg.referentienummer,
                      " ".join(str(exc).split())[:300], exc_info=unexpected)
            code = "StUF049" if op.foutbericht == "Fo02" else "StUF046"
            reply = self.make_fault(op.foutbericht, sg, StufFault(code, "database niet beschikbaar"))
            return reply  # archiving would fail too
        except Exception:
            log.exception("internal error while handling %s %s", op.name, sg.referentienummer)
            reply = self.make_fault(op.foutbericht, sg, StufFault("StUF058", "interne fout"))
        self.archive_fault(request, sg, reply)
        return reply

    def check_stuurgegevens(self, sg: Stuurgegevens) -> None:
        """StUF010 when this gateway has an identity and the message is addressed elsewhere."""
        if self.own and sg.ontvanger is not None:
            o = sg.ontvanger
            if (o.applicatie, o.organisatie or "") != (self.own.applicatie, self.own.organisatie):
                raise StufFault("StUF010", f"ontvanger {o} is niet deze gateway ({self.own})")

    def kennisgeving(self, request: Request, sg: Stuurgegevens) -> Reply:
        """Di01, Bv03 or Fo03 received: in one transaction the message is archived, claims its referentienummer
        (StUF016), is handled and gets its Bv03.

        The Bv03 is made and validated before the transaction, and a message read whole is archived with it in
        one insert.  A message identical to an accepted one (same zender, referentienummer and content) is
        archived as a resend and answered with the earlier Bv03, byte for byte; one still in flight is waited for
        (the claim blocks until its transaction ends, :func:`stuf_fin.store.archive.claim`).  The same
        referentienummer with other content is StUF016.  Any fault rolls everything back, the claim included.
        """
        op = request.operation
        digest = body_hash(request.raw)
        zender = sg.zender or Systeem()
        bv03 = self.bv03(sg)
        fields = self.archive_fields(request, sg, digest)
        whole = request.stream is None  # a streamed message is answered when it has been read and stored
        if whole:
            fields.update(reply=bv03, outcome="Bv03", answered_at=datetime.now(UTC))

        def store(conn: Connection) -> Reply:
            bericht_id, prior = archive.archive_and_claim(conn, duplicate_scope(op), zender, sg.referentienummer,
                                                           **fields, defer=True)
            if prior is None:
                self.process(conn, request, sg, bericht_id)
                if not whole:
                    archive.set_reply(conn, bericht_id, bv03, "Bv03", None)
                reply = Reply(None, serialized=bv03, outcome="Bv03")
            elif self.same_content(conn, request, prior, digest):
                log.info("identical resend of %s from %s: earlier Bv03 sent again", sg.referentienummer, zender)
                reply = Reply(None, serialized=prior.reply, outcome="Bv03",
                                 extra={"herhaling": True, "resend_of": prior.bericht_id})
                archive.set_reply(conn, bericht_id, prior.reply, "Bv03", None, resend_of=prior.bericht_id)
            else:
                raise StufFault("StUF016", f"referentienummer {sg.referentienummer} van {zender} is al "
                                          "gebruikt voor een ander bericht")
            archive.fill_request(conn, bericht_id, request.raw)  # a large request last (memory)
            return reply

        try:
            if whole:  # committed together with concurrent messages' (SQLite group commit)
                return self.store.write(store)
            with self.store.begin() as conn:  # a streamed message: its own transaction
                return store(conn)
        except BusinessError as exc:
            raise StufFault("StUF058", str(exc)) from None

    def same_content(self, conn: Connection, request: Request, prior: archive.Prior, digest: str) -> bool:
        """Whether ``request`` (quick fingerprint ``digest``) has the content of the accepted message ``prior``.

        The same body is the same content (the common resend).  Otherwise the exact fingerprints decide
        (:func:`content_hash`): the earlier message's as remembered (accepted before quick fingerprints, or its
        request purged, :mod:`stuf_fin.security.retention`) or computed from its archived request.  So the answer is
        the one exact fingerprints alone would give; only a resend whose body differs pays for them.
        """
        if prior.content_hash == digest:
            return True
        if prior.content_hash.startswith(BODY_HASH):
            archived = archive.request_of(conn, prior.bericht_id)
            if not archived:  # emptied other than by the purge, which remembers the exact fingerprint first
                return False
            earlier = content_hash_of(archived)
        else:
            earlier = prior.content_hash
        now = content_hash_of(request.raw) if request.stream is not None else content_hash(request.message)
        return earlier == now

    def bv03(self, sg: Stuurgegevens) -> bytes:
        """The Bv03 for an accepted message, validated and serialized."""
        element = answers.bv03(sg, self.own)
        self.check_reply(element)
        return etree.tostring(element, encoding="UTF-8")

    def process(self, conn: Connection, request: Request, sg: Stuurgegevens, bericht_id: int) -> None:
        """The handler of a message that holds its referentienummer (inside the caller's transaction)."""
        op = request.operation
        handler = self.handlers.get(op.name)
        source = request.stream if request.stream is not None else request.message
        warnings = handler(conn, source, self.receipt(request, bericht_id)) if handler else []
        log_warnings(op.name, sg.referentienummer, warnings)

    def vraag(self, request: Request, sg: Stuurgegevens) -> Reply:
        """vrdLv01: the handler builds the vrdLa01 from the store (reads only, each statement by itself: no
        transaction); the question and its answer are archived after the answer has gone out
        (:mod:`stuf_fin.pipeline.archive_writer`)."""
        handler = self.vraag_handler
        if handler is None:
            raise StufFault("StUF025", "vrdLv01 wordt (nog) niet ondersteund")
        with self.store.autocommit() as conn:  # the answer is read by one statement (a follow-up: three)
            element = handler(conn, request.message, self.settings, visible_tsas=request.visible_tsas,
                              stuurgegevens=sg)
        self.check_reply(element)
        reply = Reply(element, outcome="La01")
        fields = {**self.archive_fields(request, sg, None), "reply": reply.to_bytes(), "outcome": "La01",
                  "answered_at": datetime.now(UTC)}
        # (the console: which questions returned a vordering)
        self.archive_writer.write((fields, returned_ids(element)))  # archive.archive_answered
        return reply

    # -- archive -----------------------------------------------------------------------------------
    def receipt(self, request: Request, bericht_id: int) -> Receipt:
        return Receipt(received_at=request.received_at, bericht_id=bericht_id, settings=self.settings,
                       outgoing=self.outgoing)

    def archive_fields(self, request: Request, sg: Stuurgegevens, digest: str | None) -> dict[str, Any]:
        return {
            "port": request.operation.port,
            "operation": request.operation.name,
            "direction": "in",
            "stuurgegevens": sg,
            "content_hash": digest,
            "request": request.raw,
            "authenticated_identity": request.identity,
            "received_at": request.received_at,
        }

    def archive_fault(self, request: Request, sg: Stuurgegevens, reply: Reply) -> None:
        """Fault answers are archived (outside the failed transaction) but never count for StUF016."""
        try:
            with self.store.begin() as conn:
                bericht_id = archive.archive(conn, **self.archive_fields(request, sg, None), defer=True)
                assert reply.fault is not None  # a fault answer
                archive.set_reply(conn, bericht_id, reply.to_bytes(), reply.outcome, reply.fault.code)
                archive.fill_request(conn, bericht_id, request.raw)
        except Exception:  # the fault answer still goes out; the operator sees why it was not archived
            log.exception("could not archive the %s answer to %s", reply.outcome, sg.referentienummer)
