"""Metrics computed when ``/metrics`` is scraped: build and schema information, and the database-derived
gauges (vorderingen and verantwoordingen stored, the outbox, whether the database answered)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric

from stuf_fin.ops import metrics

if TYPE_CHECKING:
    from stuf_fin.schema.loader import SchemaSource
    from stuf_fin.store.db import Store

log = logging.getLogger("stuf_fin.metrics")

#: Time limit (seconds) for the scrape-time queries: a slow database must not hang a scrape.
STATEMENT_TIMEOUT = 5.0


@contextmanager
def read_transaction(store: Store) -> Iterator[Any]:
    """A read-only transaction with a time limit on the store's probe connection (a scrape answers within
    seconds also while the database does not answer: ``stuf_fin_database_up`` 0)."""
    with store.read(STATEMENT_TIMEOUT, probe=True) as conn:
        yield conn


class BuildCollector:
    """``stuf_fin_build_info{version}``."""

    def collect(self) -> Iterable[Metric]:
        from stuf_fin import __version__

        yield InfoMetricFamily("stuf_fin_build", "Version of the running gateway", value={"version": __version__})


class SchemaCollector:
    """``stuf_fin_schema_info{kind, path, release, patch}``: the schema set messages are validated against
    (the labels come from :meth:`stuf_fin.schema.loader.SchemaSource.labels`)."""

    def __init__(self, source: SchemaSource):
        self.source = source

    def collect(self) -> Iterable[Metric]:
        yield InfoMetricFamily("stuf_fin_schema", "Schema set in use: kind 'builtin' (xsd/ of this gateway) or "
                               "'official' (a VNG release folder, --schema-dir); release: the VNG release it is "
                               "or follows, patch: its StUF patch level ('unknown' when the headers do not say)",
                               value=self.source.labels())


class StoreCollector:
    """Gauges read from the database, cached for ``max_age`` seconds (shared by concurrent scrapes)."""

    def __init__(self, store: Store, max_age: float, clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.max_age = max_age
        self.clock = clock
        self._lock = threading.Lock()
        self._read_at = -math.inf
        self._families: list[Metric] = []
        self._was_up = True

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if self.clock() - self._read_at >= self.max_age:
                self._families = self._read()
                self._read_at = self.clock()
            return list(self._families)

    def _read(self) -> list[Metric]:
        from stuf_fin.store.tables import verantwoording, vordering

        up = GaugeMetricFamily("stuf_fin_database_up", "1 when the database answered the last scrape-time query")
        try:
            with read_transaction(self.store) as conn:
                counts = {name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                          for name, table in (("vorderingen", vordering), ("verantwoordingen", verantwoording))}
        except Exception as exc:  # any failure: report the database down, keep the scrape working
            self._note(False, exc)
            up.add_metric([], 0)
            return [up]
        self._note(True)
        up.add_metric([], 1)
        families: list[Metric] = [up]
        families.append(GaugeMetricFamily("stuf_fin_vorderingen", "Vorderingen stored (rows in the database)",
                                          value=counts["vorderingen"]))
        families.append(GaugeMetricFamily("stuf_fin_verantwoordingen",
                                          "Financiële verantwoordingen stored (rows in the database)",
                                          value=counts["verantwoordingen"]))
        families.extend(self._outbox())
        return families

    def _outbox(self) -> list[Metric]:
        reader = metrics.outbox_reader()
        if reader is None:
            return []
        try:
            with read_transaction(self.store) as conn:
                outbox_state = reader(conn)
        except Exception:
            log.warning("the outbox reader failed; outbox gauges left out of this scrape", exc_info=True)
            return []
        return [
            GaugeMetricFamily("stuf_fin_outbox_backlog", "Outgoing messages waiting for delivery",
                              value=outbox_state.backlog),
            GaugeMetricFamily("stuf_fin_outbox_oldest_age_seconds",
                              "Age of the oldest outgoing message waiting for delivery (0 when none waits)",
                              value=outbox_state.oldest_age_seconds),
            GaugeMetricFamily("stuf_fin_outbox_dead_letters", "Outgoing messages given up on",
                              value=outbox_state.dead_letters),
        ]

    def _note(self, up: bool, exc: Exception | None = None) -> None:
        """Log a change of the database state once, not at every scrape."""
        if up and not self._was_up:
            log.info("metrics: the database answers again")
        elif not up and self._was_up:
            log.warning("metrics: database query failed: %s: %s", type(exc).__name__, " ".join(str(exc).split())[:300])
        self._was_up = up
