"""Memory per request stays bounded by a small multiple of the body, whatever the body holds: bodies built to
blow up a validator (200,000 undeclared attributes on one element, 100,000 elements with errors, 50,000
namespace declarations, names of 50,000 characters, nesting to the limit) get their StUF055 with the server's
peak RSS less than 10 times the body above idle, and thousands of mutated bodies leave the server's RSS under
twice its size at the start.  RSS is read from the server's /proc (``bench/server.py``); no timings."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.faults import hostile_bodies, outcome, port_path, post, soap_action, vordering_bodies
from stuf_fin.schema.parsing import MAX_ATTRIBUTES
from stuf_fin.selftest import generator as g
from tests.support.server import Server, start_server

FACTOR = 10  # peak RSS above idle, as a multiple of the body
FUZZ_EXAMPLES = 2500  # mutated bodies, in batches of BATCH sent by SENDERS senders at once
BATCH = 50
SENDERS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("memory"), env={"STUF_FIN_LOG_LEVEL": "WARNING"})
    try:
        for body in vordering_bodies(3, "WARM"):  # the lazy parts (threads, caches) in place before measuring
            assert outcome(post(server, body)) == "Bv03"
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("name", list(hostile_bodies()))
def test_a_hostile_body_gets_stuf055_within_ten_times_its_size(server: Server, name: str) -> None:
    body = hostile_bodies()[name]
    idle = server.rss()
    if not server.reset_peak():
        pytest.skip("cannot reset the server's peak RSS (/proc/<pid>/clear_refs not writable)")
    answer = post(server, body)
    growth = server.peak_rss() - idle
    assert outcome(answer) == "StUF055", answer[1][:500]
    assert growth < FACTOR * len(body), f"peak RSS +{growth / 1e6:.0f} MB for a {len(body) / 1e6:.1f} MB body"


def test_attributes_up_to_the_limit_are_only_schema_errors(server: Server) -> None:
    base = g.soap(g.di01_vordering([g.random_vordering(random.Random(3), 3, prefix="LIMIT-")]))
    at = base.index(b"<FIN:object") + len(b"<FIN:object")
    below, above = (post(server, base[:at] + b"".join(b' a%d="1"' % i for i in range(n)) + base[at:])[1]
                    for n in (MAX_ATTRIBUTES - 20, MAX_ATTRIBUTES + 1))
    assert b"StUF055" in below and b"attribute" in below and b"niet verwerkt" not in below
    assert b"StUF055" in above and b"niet verwerkt" in above and b"more than 256 attributes" in above


# -- thousands of mutated bodies ------------------------------------------------------------------------------

SEEDS = [g.soap(g.di01_vordering([g.random_vordering(random.Random(i), i, prefix="FUZZ-") for i in range(n)]))
         for n in (1, 5, 20)] + [g.soap(g.vrdLv01("FUZZ-00000001"))]
#: Where each seed's start tags begin and their names end.
TAGS = [[(m.start(), m.end()) for m in re.finditer(rb"<[A-Za-z][^\s/>]*", seed)] for seed in SEEDS]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed message, broken a little (bytes) or a lot (an amplifier: copies of an element, empty copies that
    each break the schema, attributes, namespace declarations, a long name, deep nesting)."""
    seed = draw(st.integers(0, len(SEEDS) - 1))
    data = bytearray(SEEDS[seed])
    at, name_end = draw(st.sampled_from(TAGS[seed]))
    name = bytes(data[at + 1:name_end])
    kind = draw(st.sampled_from(["bytes", "copies", "empty-copies", "attributes", "namespaces", "long-name",
                                 "nesting"]))
    n = draw(st.integers(1, 20_000))
    if kind == "bytes":
        for _ in range(draw(st.integers(1, 4))):
            where = draw(st.integers(0, len(data)))
            change = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate"]))
            if change == "delete":
                del data[where:where + draw(st.integers(1, 64))]
            elif change == "insert":
                data[where:where] = draw(st.binary(min_size=1, max_size=16))
            elif change == "duplicate":
                data[where:where] = data[where:where + draw(st.integers(1, 2000))]
            else:
                del data[where:]
    elif kind == "copies":  # the element, if it holds only text, many times
        leaf = re.compile(rb"<%s[^<>]*(?:/>|>[^<]*</%s>)" % (re.escape(name), re.escape(name))).match(data, at)
        if leaf is not None:
            data[at:at] = leaf.group(0) * (n // 10)
    elif kind == "empty-copies":  # as many schema errors as copies where the element may repeat
        data[at:at] = b"<%s/>" % name * n
    elif kind == "attributes":
        data[name_end:name_end] = b"".join(b' a%d="%d"' % (i, i) for i in range(n))
    elif kind == "namespaces":
        data[name_end:name_end] = b"".join(b' xmlns:n%d="urn:n%d"' % (i, i) for i in range(n % 400))
    elif kind == "long-name":
        data[at + 1:at + 1] = b"x" * (n * 3)
    else:
        data[at:at] = b"<u>" * (n % 300) + b"</u>" * (n % 300)
    return bytes(data)


@settings(max_examples=FUZZ_EXAMPLES // BATCH, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(bodies=st.lists(mutated(), min_size=BATCH, max_size=BATCH))
def _fuzz(clients: list[httpx.Client], server: Server, seen: list[str], bodies: list[bytes]) -> None:
    """One batch, posted by as many senders at once as there are clients (kept-alive connections)."""
    def send(n: int) -> tuple[int, bytes]:
        body = bodies[n]
        response = clients[n % len(clients)].post(server.url + port_path(body), content=body, headers={
            "Content-Type": "text/xml; charset=utf-8", "SOAPAction": soap_action(body)})
        return response.status_code, response.content

    with ThreadPoolExecutor(len(clients)) as pool:
        for status, reply in pool.map(send, range(len(bodies))):
            seen.append(outcome((status, reply)))
            assert status in (200, 500), reply[:300]


def test_thousands_of_mutated_bodies_leave_rss_under_twice_the_start(server: Server) -> None:
    start = server.rss()
    seen: list[str] = []
    clients = [httpx.Client(timeout=120) for _ in range(SENDERS)]
    try:
        _fuzz(clients, server, seen)
    finally:
        for client in clients:
            client.close()
    end = server.rss()
    assert len(seen) == FUZZ_EXAMPLES and "StUF055" in seen
    assert end < 2 * start, f"RSS {start / 1e6:.0f} MB before {len(seen)} mutated bodies, {end / 1e6:.0f} MB after"


def test_the_server_still_accepts_messages(server: Server) -> None:
    assert [outcome(post(server, body)) for body in vordering_bodies(2, "AFTER")] == ["Bv03", "Bv03"]

