"""What the gateway (``stuf_fin.app.build``) takes from the outbound package: the handler hook that queues
outbound messages, the handlers for Bv03/Fo03 received, the outbox metrics, and the delivery worker thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stuf_fin.config import Settings
from stuf_fin.ops import metrics
from stuf_fin.outbound import correlation, outbox
from stuf_fin.outbound.policy import Policy
from stuf_fin.outbound.routing import Routing
from stuf_fin.outbound.triggers import Outgoing
from stuf_fin.outbound.worker import Worker, WorkerThread
from stuf_fin.schema.validator import MessageValidator

if TYPE_CHECKING:
    from stuf_fin.pipeline.handlers import KennisgevingHandler
    from stuf_fin.store.db import Store

log = logging.getLogger("stuf_fin.outbound")


@dataclass
class Outbound:
    outgoing: Outgoing | None  # for Pipeline(outgoing=...); None: no routes, nothing is queued
    handlers: dict[str, KennisgevingHandler]  # Bv03 and Fo03 received on the Di01 port
    background: list[Any] = field(default_factory=list)  # started/stopped with the app (start(), stop())


def for_gateway(settings: Settings, store: Store, validator: MessageValidator) -> Outbound:
    routing: Routing = settings.routing or Routing()
    metrics.register_outbox_reader(outbox.outbox_state)
    wired = Outbound(Outgoing(routing) if routing else None,
                     {"Bv03": correlation.receive_bv03, "Fo03": correlation.receive_fo03})
    if settings.outbound_worker and routing:
        wired.background.append(WorkerThread(Worker(store, routing, validator, Policy.from_settings(settings))))
    elif routing:
        log.info("outbox worker not started in this process (outbound_worker = false): run `stuf-fin worker`")
    return wired
