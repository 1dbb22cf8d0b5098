"""The memory trimmer of stuf-fin serve (malloc_trim in the background until stopped) and its garbage collector
settings (set while a gateway runs, the process's own again after the last one stops)."""

from __future__ import annotations

import gc
import threading

from stuf_fin.ops.memory import GC_OLDER, GC_YOUNG, GcTuning, MemoryTrimmer
from tests.support.polling import wait_for


def test_the_trimmer_trims_in_the_background_until_it_is_stopped() -> None:
    trimmer = MemoryTrimmer(interval=0.01)
    calls: list[str] = []
    trimmer.trim = lambda: calls.append(threading.current_thread().name) or 1
    trimmer.start()
    wait_for(lambda: len(calls) >= 3, "three trims")
    assert trimmer.running
    trimmer.stop()
    assert not trimmer.running and set(calls) == {"stuf-memory-trim"}


def test_gc_settings_hold_while_a_gateway_runs_and_come_back_after_the_last_stops() -> None:
    before = gc.get_threshold()
    first, second = GcTuning(), GcTuning()
    first.start()
    try:
        assert gc.get_threshold() == (GC_YOUNG, GC_OLDER, GC_OLDER)
        assert gc.get_freeze_count() > 0  # what the process built before it serves stays out of the collector's way
        second.start()
        first.stop()
        first.stop()  # a second stop changes nothing
        assert gc.get_threshold() == (GC_YOUNG, GC_OLDER, GC_OLDER)  # the other gateway still runs
        second.stop()
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    finally:
        first.stop()
        second.stop()
