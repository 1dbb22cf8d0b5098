"""The port server's request cycle (stuf_fin.soap.server) called directly: what a finished request leaves behind."""

from __future__ import annotations

import gc
import random
import uuid

from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.pipeline import Pipeline, handlers
from stuf_fin.schema.parsing import ParseLimits
from stuf_fin.schema.validator import get_validator
from stuf_fin.selftest import generator as g
from stuf_fin.soap.server import SoapRequest
from stuf_fin.soap.services import port_server
from stuf_fin.store.db import Store
from stuf_fin.stuf.operations import PORT_KENNISGEVING


def _message() -> bytes:
    rng, prefix = random.Random(1), f"S{uuid.uuid4().hex[:10]}"
    return g.soap(g.di01_vordering([g.random_vordering(rng, i, prefix=prefix) for i in range(3)],
                                   referentienummer=uuid.uuid4().hex))


def _elements() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, etree._Element))


def test_a_finished_request_leaves_no_tree_for_the_garbage_collector(store: Store) -> None:
    """spyne's contexts refer to each other; the request's tree and body must not wait for the cyclic collector
    (with it switched off, nothing of the request is left once it is answered)."""
    settings = Settings(database_url=str(store.url))
    server = port_server(PORT_KENNISGEVING, Pipeline(settings, get_validator(), store, handlers.HANDLERS),
                         ParseLimits())
    assert server.handle(SoapRequest(_message()))[0] == 200  # warm-up: whatever is made once
    gc.collect()
    gc.disable()
    try:
        before = _elements()
        for _ in range(3):
            assert server.handle(SoapRequest(_message()))[0] == 200
        after = _elements()
    finally:
        gc.enable()
    assert after == before
