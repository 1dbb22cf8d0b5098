"""The memory trimmer of stuf-fin serve: calls malloc_trim in the background until stopped."""

from __future__ import annotations

import threading

from support.ops import wait_for

from stuf_fin.ops.memory import MemoryTrimmer


def test_the_trimmer_trims_in_the_background_until_it_is_stopped() -> None:
    trimmer = MemoryTrimmer(interval=0.01)
    calls: list[str] = []
    trimmer.trim = lambda: calls.append(threading.current_thread().name) or 1
    trimmer.start()
    wait_for(lambda: len(calls) >= 3, "three trims")
    trimmer.stop()
    assert not trimmer._thread.is_alive() and set(calls) == {"stuf-memory-trim"}
