"""Outbound delivery (docs/outbound.md): routing, the durable outbox, the delivery worker, the StUF client and
``stuf-fin send``."""
