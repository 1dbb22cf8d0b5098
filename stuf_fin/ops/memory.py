"""Hand memory that requests freed back to the operating system.

glibc's allocator keeps freed memory in its arenas (one per thread that allocated, so up to one per request
thread) instead of returning it, so a burst of large or hostile requests leaves the process's RSS high long
after the requests are gone.  A background thread calls ``malloc_trim(0)`` every ``interval`` seconds, which
returns the free pages of every arena; on a C library without it (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Callable

log = logging.getLogger("stuf_fin.ops")


def _malloc_trim() -> Callable[[], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


class MemoryTrimmer:
    """``start()``/``stop()`` with the app's lifespan (like the outbox worker)."""

    def __init__(self, interval: float = 30.0):
        self.interval = interval
        self.trim = _malloc_trim()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.trim is None:
            log.info("malloc_trim is not available: freed memory stays with the allocator")
            return
        self._thread = threading.Thread(target=self._run, name="stuf-memory-trim", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.trim()
