"""Hand memory that requests freed back to the operating system; the garbage collector set for large messages.

glibc's allocator keeps freed memory in its arenas (one per thread that allocated, so up to one per request
thread) instead of returning it, so a burst of large or hostile requests leaves the process's RSS high long
after the requests are gone.  A background thread calls ``malloc_trim(0)`` every ``interval`` seconds, which
returns the free pages of every arena; on a C library without it (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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

    @property
    def running(self) -> bool:
        """Its thread is alive: started (with malloc_trim) and not stopped since."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        trim = self.trim
        assert trim is not None  # started only with malloc_trim
        while not self._stop.wait(self.interval):
            trim()


#: Allocations between young-generation collections (CPython's default is 700): more than the objects a message of
#: 1,000 vorderingen keeps alive until its transaction ends (~20,000), so that its handling rarely starts one
#: (10,000 cost ~2 young collections of ~2.5 ms each per such message; docs/benchmarks.md).
GC_YOUNG = 50_000
#: Young collections between middle-generation collections, and middle ones between full ones (default 10).
GC_OLDER = 20


class GcTuning:
    """The garbage collector set for a server handling messages of thousands of objects (``start()``/``stop()``
    with the app's lifespan).

    A 1,000-vordering message allocates some 200,000 objects that live until its transaction ends; with CPython's
    defaults they reach the oldest generation and trigger several full collections per message, each scanning
    every object of the process (docs/benchmarks.md, issue 15).  At start the objects built so far (schemas, the
    application, the store) are moved out of the collector's reach (``gc.freeze``: they live as long as the
    process), and young objects are collected less often.  Reference counting still frees nearly everything at
    once; only cyclic garbage waits a little longer.  The process's settings come back when the last gateway of
    the process stops (tests run several).
    """

    _lock = threading.Lock()
    _active = 0
    _before: tuple[int, ...] | None = None

    def __init__(self) -> None:
        self._started = False

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            if GcTuning._active == 0:
                GcTuning._before = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(GC_YOUNG, GC_OLDER, GC_OLDER)
            GcTuning._active += 1

    def stop(self) -> None:
        with self._lock:
            if not self._started:
                return
            self._started = False
            GcTuning._active -= 1
            if GcTuning._active == 0 and GcTuning._before is not None:
                gc.set_threshold(*GcTuning._before)
                gc.unfreeze()
