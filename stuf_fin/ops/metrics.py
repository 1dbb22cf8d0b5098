"""Prometheus metrics: the metric objects, the outbox hook, multiprocess mode and ``/metrics``.

Two kinds of numbers:

- **events in this process** (messages answered, their duration, refused HTTP requests): counters and
  histograms below.  With several uvicorn workers ``stuf-fin serve`` switches prometheus_client to
  multiprocess mode (:func:`prepare_multiprocess`) so that every scrape shows the sum over all workers.
- **state of the database** (vorderingen and verantwoordingen stored, the outbox): read from the
  database when scraped (:mod:`stuf_fin.ops.collectors`), so every worker and every replica reports the
  same value — aggregate those with ``max``, not ``sum``.

The outbox plugs in with :func:`register_outbox_reader` (``stuf_fin.outbound.outbox.outbox_state``); see its docstring.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Histogram, disable_created_metrics

#: prometheus_client's own switch for multiprocess mode (read by prometheus_client at import).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

disable_created_metrics()  # type: ignore[no-untyped-call]  # (unannotated in prometheus_client) no ``*_created`` series beside every counter and histogram

#: Seconds: from a few milliseconds (a Fo03 for a schema error) to minutes (a 256 MB Di01).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

#: Label value for a message refused before its operation was known (not XML, unknown element ...).
UNKNOWN = "unknown"

REQUESTS = Counter(
    "stuf_fin_requests", "StUF messages answered, by port, operation, outcome (Bv03, La01, Fo03, Fo02) and "
    "fault code (empty for Bv03/La01)", ("port", "operation", "outcome", "fault_code"))
DURATION = Histogram(
    "stuf_fin_request_duration_seconds", "Time from the parsed message to its answer (schema validation, "
    "checks, storage, answer), by port, operation and outcome", ("port", "operation", "outcome"), buckets=BUCKETS)
HTTP_REJECTED = Counter(
    "stuf_fin_http_rejected", "HTTP requests refused before any StUF processing, by reason "
    "(body_too_large, body_timeout, unauthenticated)", ("reason",))

# Outbound delivery (stuf_fin.outbound.worker), counted by whichever process delivers (serve or stuf-fin worker):
OUTBOX_DELIVERIES = Counter(
    "stuf_fin_outbox_deliveries", "Delivery attempts of outgoing messages, by outcome (delivered, retry, "
    "dead_letter)", ("outcome",))
OUTBOX_DELIVERY_DURATION = Histogram(
    "stuf_fin_outbox_delivery_duration_seconds", "Time of one delivery attempt (HTTP round trip), by outcome",
    ("outcome",), buckets=BUCKETS)


@dataclass(frozen=True)
class OutboxState:
    """The outbox as one database query sees it."""

    backlog: int  #: messages waiting for delivery (first attempt or a retry)
    oldest_age_seconds: float  #: age of the oldest waiting message; 0 when nothing waits
    dead_letters: int  #: messages given up on (need an operator)


#: ``reader(conn) -> OutboxState``: ``conn`` is a SQLAlchemy Connection in a read-only transaction.
OutboxReader = Callable[[Any], OutboxState]
_outbox: dict[str, OutboxReader] = {}


def register_outbox_reader(reader: OutboxReader | None) -> None:
    """Let ``/metrics`` report the outbox: ``stuf_fin_outbox_backlog``, ``stuf_fin_outbox_oldest_age_seconds``
    and ``stuf_fin_outbox_dead_letters``.

    The outbound package calls this once per process (``stuf_fin.outbound.wiring`` for ``serve``, and
    ``stuf-fin worker``) with a function that queries its outbox table; it is called at scrape time (at most every
    ``metrics_db_interval`` seconds) inside a read-only transaction with a 5 s statement timeout on
    PostgreSQL.  Until a reader is registered the three gauges are absent.  ``None`` unregisters.
    """
    if reader is None:
        _outbox.pop("reader", None)
    else:
        _outbox["reader"] = reader


def outbox_reader() -> OutboxReader | None:
    return _outbox.get("reader")


# -- multiprocess mode -------------------------------------------------------------------------------------
def multiprocess_dir() -> str | None:
    """The folder of prometheus_client's multiprocess mode in this process (None: single process)."""
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess(workers: int, folder: str | None) -> Path | None:
    """Before uvicorn starts ``workers`` processes: with more than one, point prometheus_client (in the
    workers, through the environment) at ``folder`` — emptied first — or at a new temporary folder.
    Returns the folder to remove when serving ends (None when there is nothing to remove)."""
    if workers <= 1:
        return None
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # files of an earlier run would add to the new counts
            stale.unlink()
        created = None
    else:
        path = created = Path(tempfile.mkdtemp(prefix="stuf-fin-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    return created


def cleanup_multiprocess(created: Path | None) -> None:
    if created is not None:
        shutil.rmtree(created, ignore_errors=True)
