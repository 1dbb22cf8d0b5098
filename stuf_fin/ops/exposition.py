"""What ``/metrics`` shows (and ``stuf-fin worker --metrics-port``): the counters of :mod:`stuf_fin.ops.metrics`
of this process or of all workers, and the scrape-time collectors of :mod:`stuf_fin.ops.collectors`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from stuf_fin.ops.collectors import BuildCollector, SchemaCollector, StoreCollector
from stuf_fin.ops.metrics import multiprocess_dir

if TYPE_CHECKING:
    from stuf_fin.schema.loader import SchemaSource
    from stuf_fin.store.db import Store


class _Forward:
    """The metrics of another registry (this process's default registry)."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def collect(self) -> Iterable[Any]:
        return self.registry.collect()


def registry_for(store: Store | None = None, schema_source: SchemaSource | None = None,
                 db_interval: float = 15) -> CollectorRegistry:
    """What ``/metrics`` shows: this process's (or all workers') events, the schema source in use and,
    with a ``store``, the database-derived gauges (refreshed at most every ``db_interval`` seconds)."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated in prometheus_client
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(BuildCollector())
    if schema_source is not None:
        registry.register(SchemaCollector(schema_source))
    if store is not None:
        registry.register(StoreCollector(store, db_interval))
    return registry


def render(registry: CollectorRegistry, accept: str = "") -> tuple[bytes, str]:
    """The exposition (Prometheus text, or OpenMetrics when ``accept`` asks for it) and its content type."""
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type
