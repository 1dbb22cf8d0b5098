"""The delivery worker: claim due outbox rows, validate, send, record the outcome.

Runs inside ``stuf-fin serve`` (a thread, :class:`WorkerThread`) and standalone (``stuf-fin worker``); any
number of them may share a database (:mod:`stuf_fin.outbound.outbox`).  Per answer (StUF 03.01 §4.4):

- Bv03 (or Bv04 from an intermediary) → delivered;
- Fo03 plek ``client``, a SOAP Fault ``Client``, or a message that fails our own schema check → dead letter;
- anything else (no connection, time-out, HTTP error without a Fo03, Fo03 plek ``server``, an unreadable
  answer) → retried after an exponential backoff with jitter, with the identical message (same
  referentienummer and tijdstipBericht), until ``outbound_max_attempts`` or ``outbound_max_age`` → dead letter.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from stuf_fin.ops import metrics
from stuf_fin.outbound import messages, outbox
from stuf_fin.outbound.client import Credentials, SendOutcome, StufClient
from stuf_fin.outbound.policy import Policy
from stuf_fin.outbound.routing import Route, Routing
from stuf_fin.schema.parsing import XmlInputError, parse_bytes
from stuf_fin.schema.validator import MessageValidator, summarize

if TYPE_CHECKING:
    from stuf_fin.store.db import Store

log = logging.getLogger("stuf_fin.outbound")
DELIVERED, RETRY, DEAD_LETTER = "delivered", "retry", "dead_letter"
#: Seconds a stopping worker waits for the attempts in flight (``docker stop`` kills after 10).  An attempt still
#: running then is abandoned: its row stays claimed and is sent again, identically, once the lease ends.
STOP_GRACE = 5.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Delivers due outbox rows; :meth:`run_once` is one round, :meth:`run` loops until stopped."""

    def __init__(self, store: Store, routing: Routing, validator: MessageValidator, policy: Policy, *,
                 name: str | None = None):
        self.store = store
        self.routing = routing
        self.validator = validator
        self.policy = policy
        self.name = name or worker_name()
        self._clients: dict[str, StufClient] = {}
        self._lock = threading.Lock()
        self._attempts: set[threading.Thread] = set()  # daemon threads: an attempt never holds up the exit
        self._closing = threading.Event()
        self._stop: threading.Event | None = None  # run()'s
        for route in routing.routes.values():
            if route.url.startswith("http:") and (route.auth != "none"):
                log.warning("route %s sends credentials over plain http (%s)", route.name, route.url)

    # -- the loop ------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set; an unreachable database is logged once and retried."""
        self._stop = stop
        failing = False
        while not stop.is_set():
            try:
                done = self.run_once()
                if failing:
                    log.info("outbox worker: the database answers again")
                failing = False
            except sa.exc.SQLAlchemyError as exc:
                if not failing:
                    log.warning("outbox worker: database error (%s); retrying", " ".join(str(exc).split())[:300])
                failing, done = True, 0
            if not done:
                stop.wait(self.policy.poll)

    def run_once(self) -> int:
        """Claim and deliver one batch of due rows; the number delivered, retried or given up."""
        now = datetime.now(UTC)
        if self._stopping():
            return 0
        with self.store.begin(write=False) as conn:
            if not outbox.any_due(conn, now):
                return 0
        with self.store.begin() as conn:
            token, rows = outbox.claim(conn, now=now, limit=self.policy.concurrency, lease=self.policy.lease)
        errors: list[BaseException] = []

        def attempt(row: sa.Row[*tuple[Any, ...]]) -> None:
            try:
                self.deliver(token, row)
            except BaseException as exc:  # a database error: reported by run() like one in the claim
                errors.append(exc)
            finally:
                with self._lock:
                    self._attempts.discard(threading.current_thread())

        threads = [threading.Thread(target=attempt, args=(row,), name="stuf-outbox", daemon=True) for row in rows]
        with self._lock:
            self._attempts.update(threads)
        for thread in threads:
            thread.start()
        for thread in threads:  # when stopping, close() waits for the rest (a short grace), not this round
            while thread.is_alive() and not self._stopping():
                thread.join(0.1)
        if errors:
            raise errors[0]
        return len(rows)

    def _stopping(self) -> bool:
        return self._closing.is_set() or (self._stop is not None and self._stop.is_set())

    def close(self, grace: float = STOP_GRACE) -> int:
        """Wait up to ``grace`` seconds for the attempts in flight, close the connections; the number of
        attempts abandoned (their rows are sent again after the lease, ``outbound_lease``)."""
        self._closing.set()
        deadline = time.monotonic() + grace
        with self._lock:
            running = list(self._attempts)
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
        abandoned = sum(thread.is_alive() for thread in running)
        if abandoned:
            log.warning("outbox worker: %d delivery attempt(s) still in progress after %.0f s abandoned; their "
                        "messages are sent again after the lease (outbound_lease)", abandoned, grace)
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
        return abandoned

    # -- one row -------------------------------------------------------------------------------------------
    def deliver(self, token: str, row: sa.Row[*tuple[Any, ...]]) -> str:
        """One attempt at ``row`` (claimed with ``token``); returns delivered, retry or dead_letter."""
        started = datetime.now(UTC)
        try:
            result, values, send_outcome = self._attempt(row, started)
        except Exception as exc:  # a bug must not stop the worker; the row is retried like a server fault
            log.exception("outbox worker: internal error delivering %s", row.referentienummer)
            send_outcome = SendOutcome("internal", f"{type(exc).__name__}: {exc}"[:500])
            result, values = self._retry_or_give_up(row, send_outcome, started)
        finished = datetime.now(UTC)
        with self.store.begin() as conn:
            kept = outbox.finish(conn, row.id, token, **values)
            outbox.record_attempt(
                conn, outbox_id=row.id, attempt=row.attempts, worker=self.name, started_at=started,
                duration_ms=int((finished - started).total_seconds() * 1000), result=result, outcome=send_outcome.kind,
                http_status=send_outcome.http_status, fault_code=send_outcome.code, fault_plek=send_outcome.plek,
                detail=None if send_outcome.accepted else send_outcome.describe())
        metrics.OUTBOX_DELIVERIES.labels(result).inc()
        metrics.OUTBOX_DELIVERY_DURATION.labels(result).observe(send_outcome.seconds)
        extra = {"route": row.route, "operation": row.operation, "referentienummer": row.referentienummer,
                 "attempt": row.attempts, "result": result, "outcome": send_outcome.kind}
        if not kept:
            log.warning("outbound %s ref %s to %s: %s, but the claim was lost meanwhile (changed by another worker, "
                        "an operator or an asynchronous answer); not recorded", row.operation, row.referentienummer,
                        row.route, send_outcome.describe(), extra=extra)
        elif result == DELIVERED:
            log.info("outbound %s ref %s to %s: %s (attempt %s)", row.operation, row.referentienummer, row.route,
                     send_outcome.kind, row.attempts, extra=extra)
        elif result == RETRY:
            log.warning("outbound %s ref %s to %s: %s; attempt %s, next at %s", row.operation, row.referentienummer,
                        row.route, send_outcome.describe(), row.attempts, values["next_attempt_at"].isoformat(),
                        extra=extra)
        else:
            log.error("outbound %s ref %s to %s: dead letter: %s", row.operation, row.referentienummer, row.route,
                      values["last_error"], extra=extra)
        return result

    def _attempt(self, row: Any, now: datetime) -> tuple[str, dict[str, Any], SendOutcome]:
        if row.attempts > self.policy.max_attempts:  # claimed again and again: earlier attempts died with the worker
            send_outcome = SendOutcome("expired", "not attempted again: every earlier attempt ended without an outcome")
            return (*self._give_up(row, send_outcome, now), send_outcome)
        route = self.routing.get(row.route)
        if route is None:
            send_outcome = SendOutcome("config", f"route {row.route} is not configured (any more)")
            return (*self._retry_or_give_up(row, send_outcome, now), send_outcome)
        problem = self._invalid(row.message)
        if problem:
            send_outcome = SendOutcome("invalid", problem)
            return DEAD_LETTER, _dead(now, f"not sent: {problem}", send_outcome), send_outcome
        action = messages.operation(row.operation).soap_action
        send_outcome = self._client(route).post(row.message, action, referentienummer=row.referentienummer)
        now = datetime.now(UTC)  # the backoff counts from the end of the attempt
        if send_outcome.accepted:
            return DELIVERED, {"state": outbox.DELIVERED, "finished_at": now, "outcome": send_outcome.kind,
                               "reply": send_outcome.reply, "fault_code": None, "fault_plek": None,
                               "last_error": None}, send_outcome
        if send_outcome.client_fault:
            return DEAD_LETTER, _dead(now, send_outcome.describe(), send_outcome), send_outcome
        return (*self._retry_or_give_up(row, send_outcome, now), send_outcome)

    def _invalid(self, message: bytes) -> str | None:
        """Why our own message may not be sent (not XML, not schema-valid), or None."""
        try:
            element = parse_bytes(message).getroot()
        except XmlInputError as exc:
            return f"not XML: {exc}"
        issues = self.validator.validate(element)
        return f"fails the schema: {summarize(issues)}"[:1000] if issues else None

    def _retry_or_give_up(self, row: Any, send_outcome: SendOutcome, now: datetime) -> tuple[str, dict[str, Any]]:
        expires = row.created_at + timedelta(seconds=self.policy.max_age)
        if row.attempts >= self.policy.max_attempts or now >= expires:
            return self._give_up(row, send_outcome, now)
        values = _fault_columns(send_outcome)
        values.update(next_attempt_at=min(now + self.policy.delay(row.attempts), expires),
                      last_error=send_outcome.describe())
        return RETRY, values

    def _give_up(self, row: Any, send_outcome: SendOutcome, now: datetime) -> tuple[str, dict[str, Any]]:
        limit = f"{row.attempts} attempt(s)" if row.attempts >= self.policy.max_attempts else \
            f"{int(self.policy.max_age)} s since it was queued"
        return DEAD_LETTER, _dead(now, f"given up after {limit}; last: {send_outcome.describe()}", send_outcome)

    def _client(self, route: Route) -> StufClient:
        with self._lock:
            client = self._clients.get(route.name)
            if client is None:
                client = self._clients[route.name] = StufClient(route.url, Credentials.of(route),
                                                                timeout=self.policy.timeout)
            return client


def _fault_columns(send_outcome: SendOutcome) -> dict[str, Any]:
    return {
        "outcome": send_outcome.kind[:8] if send_outcome.kind.startswith("Fo") else None,
        "fault_code": send_outcome.code,
        "fault_plek": send_outcome.plek,
        "reply": send_outcome.reply,
    }


def _dead(now: datetime, reason: str, send_outcome: SendOutcome) -> dict[str, Any]:
    return {"state": outbox.DEAD, "finished_at": now, "last_error": reason[:2000], **_fault_columns(send_outcome)}


class WorkerThread:
    """The worker as a daemon thread of ``stuf-fin serve`` (started and stopped with the app's lifespan)."""

    def __init__(self, worker: Worker):
        self.worker = worker
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.worker.run, args=(self._stop,), name="stuf-outbox-worker",
                                        daemon=True)
        self._thread.start()
        log.info("outbox worker started (%s; routes: %s)", self.worker.name, self.worker.routing)

    def stop(self) -> None:
        """Stop claiming; the attempts in flight get :data:`STOP_GRACE` seconds (:meth:`Worker.close`)."""
        self._stop.set()
        self.worker.close()
        if self._thread is not None:
            self._thread.join(1.0)  # it only waits for those attempts now
        log.info("outbox worker stopped (%s)", self.worker.name)
