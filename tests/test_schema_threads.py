"""One compiled schema set shared by many threads: every thread gets its own verdict and its own errors."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

from stuf_fin.envelope import body_element
from stuf_fin.schema import SchemaLoadError, get_validator, parse_bytes
from stuf_fin.schema.loader import load
from stuf_fin.schema.validator import CHUNK, MAX_ISSUES, forget_validators
from stuf_fin.selftest import generator as g

THREADS = 16
ROUNDS = 25


def messages(thread: int) -> list[tuple[bytes, str | None]]:
    """Valid and invalid messages of one thread; an invalid one names a value only this thread uses."""
    rng = random.Random(thread)
    vordering = g.di01_vordering(2, rng=rng)
    vraag = g.vrdLv01(f"T{thread}")
    bad_valuta = f"Q{chr(65 + thread % 26)}{chr(65 + thread // 26)}"  # 3 capitals: only the enumeration fails
    return [
        (vordering, None),
        (vordering.replace(b"<FIN:valutacode>EUR<", f"<FIN:valutacode>{bad_valuta}<".encode(), 1), bad_valuta),
        (vraag, None),
        (vraag.replace(b"<StUF:sortering>0<", f"<StUF:sortering>-{thread + 1}<".encode()), f"-{thread + 1}"),
        (g.soap(vraag), None),
    ]


def test_concurrent_validations_get_their_own_verdicts_and_errors() -> None:
    validator = get_validator()
    start = threading.Barrier(THREADS)

    def work(thread: int) -> list[str]:
        cases = messages(thread)
        start.wait()
        problems = []
        for n in range(ROUNDS):
            data, marker = cases[(n + thread) % len(cases)]
            issues = validator.validate(body_element(parse_bytes(data).getroot()))
            if marker is None and issues:
                problems.append(f"thread {thread}: valid message got {issues}")
            if marker is not None and (not issues or any(marker not in i.message for i in issues)):
                problems.append(f"thread {thread}: expected only errors about {marker!r}, got {issues}")
        return problems

    with ThreadPoolExecutor(THREADS) as pool:
        problems = [p for result in pool.map(work, range(THREADS)) for p in result]
    assert problems == []


def test_concurrent_parsing_gives_each_thread_its_own_tree() -> None:
    start = threading.Barrier(THREADS)

    def work(thread: int) -> bool:
        data = g.vrdLv01(f"P{thread}")
        start.wait()
        return all(parse_bytes(data).getroot().findtext(f".//{{{g.FIN}}}vorderingnummer") == f"P{thread}"
                   for _ in range(ROUNDS))

    with ThreadPoolExecutor(THREADS) as pool:
        assert all(pool.map(work, range(THREADS)))


def test_the_schema_set_is_compiled_once_when_threads_ask_at_the_same_time() -> None:
    forget_validators()
    start = threading.Barrier(THREADS)

    def work(_: int) -> int:
        start.wait()
        return id(get_validator())

    with ThreadPoolExecutor(THREADS) as pool:
        assert len(set(pool.map(work, range(THREADS)))) == 1


def test_schema_sets_can_be_compiled_by_several_threads_at_once() -> None:
    """libxml2 fails when two compilations overlap; the loader must take turns."""
    workers = 4

    def work(start: threading.Barrier) -> str:
        start.wait()
        try:
            return load(None)[1].kind
        except SchemaLoadError as exc:
            return str(exc)[:200]

    for _ in range(3):
        start = threading.Barrier(workers)
        with ThreadPoolExecutor(workers) as pool:
            assert list(pool.map(work, [start] * workers)) == ["builtin"] * workers


def test_a_small_message_is_validated_while_a_large_one_is_still_being_validated() -> None:
    """No lock around validation: the large message's validation is held in the middle (after its first part)
    until the small one's validation, in this thread, has completed."""
    validator = get_validator()
    large = g.soap(g.di01_vordering(200, rng=random.Random(1)))
    small = g.soap(g.di01_vordering(1, rng=random.Random(2)))
    events: list[str] = []
    large_underway, small_done = threading.Event(), threading.Event()

    def progress(validated: int) -> None:
        if not large_underway.is_set():
            events.append(f"large: {validated} of {len(large)} bytes validated")
            large_underway.set()
            assert small_done.wait(120), "the small message was not validated meanwhile"

    def validate_large() -> bool:
        checked = validator.parse(large, progress=progress)
        events.append("large: done")
        return checked.root is not None

    with ThreadPoolExecutor(1) as pool:
        large_result = pool.submit(validate_large)
        assert large_underway.wait(60)
        assert validator.parse(small).root is not None
        events.append("small: done")
        small_done.set()
        assert large_result.result(120)
    assert events == [f"large: {CHUNK} of {len(large)} bytes validated", "small: done", "large: done"]


def test_an_invalid_request_is_read_only_up_to_its_first_errors() -> None:
    """100,000 empty vrdLk01 (three errors each): the first few errors are kept and nothing after the part that
    held the first one is read."""
    base = g.soap(g.di01_vordering(1, rng=random.Random(3)))
    end = base.index(b"</FIN:vrdLk01>") + len(b"</FIN:vrdLk01>")
    body = base[:end] + b"<FIN:vrdLk01/>" * 100_000 + base[end:]
    read: list[int] = []
    checked = get_validator().parse(body, progress=read.append)
    assert checked.root is None and len(checked.issues) == MAX_ISSUES
    # the envelope is on line 2, after the XML declaration (stuf_fin.envelope)
    assert checked.issues[0].path == "/FIN:Di01-verstrekVordering/FIN:vrdLk01[2]" and checked.issues[0].line == 2
    assert "entiteittype" in checked.issues[0].message
    assert read == [CHUNK] and len(body) > CHUNK  # the first part held an error: nothing more was read
