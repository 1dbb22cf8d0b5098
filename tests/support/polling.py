"""Polling with a deadline: the one way a test waits for something another thread or process does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 60, interval: float = 0.05) -> T:
    """Call ``probe`` until it returns something truthy (returned), or fail after ``timeout`` seconds.

    A connection error (``httpx.TransportError``, ``OSError``) counts as not yet and is named in the failure."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = probe()
        except (httpx.TransportError, OSError) as exc:
            result, last = None, exc
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last error: {last})")
        time.sleep(interval)
