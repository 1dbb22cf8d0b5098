"""Helpers for the operations tests: scraping ``/metrics``, the status of a GET."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base_url: str, **kwargs) -> Samples:
    """``/metrics`` parsed with prometheus_client's parser: ``{(sample name, labels): value}``."""
    response = httpx.get(base_url + "/metrics", timeout=30, **kwargs)
    response.raise_for_status()
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent: a counter not yet incremented)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


def status_of(url: str) -> int | None:
    """HTTP status of a GET, None when the server does not answer."""
    try:
        return httpx.get(url, timeout=10).status_code
    except httpx.TransportError:
        return None
