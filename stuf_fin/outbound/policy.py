"""The delivery policy: retries with exponential backoff and jitter, when to give up, leases."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from stuf_fin.config import Settings


@dataclass(frozen=True)
class Policy:
    """Settings ``outbound_*`` (docs/outbound.md, "Retry policy")."""

    max_attempts: int = 50
    max_age: float = 3 * 24 * 3600.0  # seconds since the message was queued
    backoff: float = 10.0  # delay before the second attempt; doubles per attempt
    backoff_max: float = 3600.0
    timeout: float = 60.0  # one attempt: connect, send, answer
    lease: float = 300.0  # a claimed message is another worker's again after this long
    poll: float = 2.0  # idle wait between looks at the outbox
    concurrency: int = 4  # messages one worker delivers at the same time

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(settings.outbound_max_attempts, float(settings.outbound_max_age), settings.outbound_backoff,
                   settings.outbound_backoff_max, settings.outbound_timeout, settings.outbound_lease,
                   settings.outbound_poll, settings.outbound_concurrency)

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Wait after the ``attempts``-th failed attempt: backoff × 2^(attempts-1), capped, times a random
        factor in [0.5, 1) so that many messages that failed together do not come back together."""
        base = min(self.backoff_max, self.backoff * 2.0 ** min(max(attempts - 1, 0), 60))
        return timedelta(seconds=base * (rng or random).uniform(0.5, 1.0))


def problems(settings: Settings) -> list[str]:
    """The ``outbound_*`` settings that are unusable (for ``Settings.checked``)."""
    found = []
    if settings.outbound_max_attempts < 1:
        found.append("outbound_max_attempts must be at least 1")
    if settings.outbound_max_age < 1:
        found.append("outbound_max_age must be at least 1 second")
    if not 0 < settings.outbound_backoff <= settings.outbound_backoff_max:
        found.append("outbound_backoff must be more than 0 and at most outbound_backoff_max")
    if settings.outbound_timeout <= 0 or settings.outbound_poll <= 0:
        found.append("outbound_timeout and outbound_poll must be more than 0 seconds")
    if settings.outbound_lease < 2 * settings.outbound_timeout:
        found.append("outbound_lease must be at least twice outbound_timeout (a claim must outlast an attempt)")
    if not 1 <= settings.outbound_concurrency <= 64:
        found.append("outbound_concurrency must be 1-64")
    return found
