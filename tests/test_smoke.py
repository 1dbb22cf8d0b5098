"""A quick end-to-end check that runs on every supported Python (CI runs it on 3.12 and 3.13 too):
spyne imports, the built-in schemas compile, a vordering goes in and a Bv03 comes out."""

from __future__ import annotations

import asyncio
import sys

import httpx
from lxml import etree

from stuf_fin.configure import load_settings
from stuf_fin.envelope import body_element, wrap
from stuf_fin.namespaces import STUF
from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store


def test_a_vordering_gets_a_bv03_in_process(tmp_path):
    from stuf_fin.app import build

    url = f"sqlite:///{tmp_path / 'smoke.db'}"
    Store(url).upgrade()
    gateway = build(load_settings({"database_url": url, "outbound_worker": False}, environ={}))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://smoke") as client:
            return await client.post("/VerstrekVorderingOfVerantwoording", content=wrap(g.di01_vordering(2)),
                                     headers={"SOAPAction": '"http://www.egem.nl/StUF/sector/fin/0310/'
                                                           'Di01-verstrekVordering"'})

    response = asyncio.run(call())
    assert response.status_code == 200, response.text
    assert body_element(etree.fromstring(response.content)).tag == f"{{{STUF}}}Bv03Bericht"
    print(f"smoke test passed on Python {sys.version.split()[0]}")
