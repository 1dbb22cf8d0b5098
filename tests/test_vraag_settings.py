"""The vrdLv01 settings over real HTTP: ``max_results`` caps ``maximumAantal`` (StUF0002),
``not_found_fault = false`` answers an unknown vorderingnummer with an empty La01, ``default_scope``
applies to a question without scope; and ``default_scope`` is checked when the settings load."""

from __future__ import annotations

import random
import uuid

import pytest

from bench import vraag as v
from stuf_fin.config import ConfigError
from stuf_fin.configure import load_settings
from stuf_fin.namespaces import F
from stuf_fin.selftest import generator as g
from tests.support.soap import post
from tests.support.vraag import gateway, la01, meldingen, numbers, objects

STUF0002 = "StUF0002: Meer objecten gevraagd dan teruggegeven"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gateway("sqlite", tmp_path_factory.mktemp("vraag-instellingen"), STUF_FIN_MAX_RESULTS="4",
                 STUF_FIN_NOT_FOUND_FAULT="false", STUF_FIN_DEFAULT_SCOPE="kerngegevens") as s:
        yield s


def _vorderingen(server, n: int) -> tuple[str, list[g.VorderingSpec]]:
    tsa = f"INST-{uuid.uuid4().hex[:8]}"
    rng = random.Random(7)
    specs = [g.random_vordering(rng, i, tsa=tsa, prefix=tsa + "-") for i in range(n)]
    reply = post(server.url, g.di01_vordering(specs))
    assert not reply.is_fault, reply.text
    return tsa, specs


def test_max_results_caps_maximum_aantal(server):
    tsa, specs = _vorderingen(server, 6)
    la = la01(server.url, v.vrdLv01([v.field("tsa", tsa)], maximum_aantal=100))
    assert numbers(la) == [s.vorderingnummer for s in specs[:4]] and meldingen(la) == [STUF0002]
    la = la01(server.url, v.vrdLv01([v.field("tsa", tsa)], maximum_aantal=2))
    assert len(objects(la)) == 2 and meldingen(la) == [STUF0002]


def test_unknown_vorderingnummer_gets_an_empty_la01_when_switched(server):
    reply = post(server.url, v.vrdLv01([v.field("vorderingnummer", "BESTAAT-NIET-" + uuid.uuid4().hex[:6])]))
    assert reply.status == 200 and not reply.is_fault, reply.text
    assert reply.message.find(F + "antwoord") is None and meldingen(reply.message) == []


def test_default_scope_applies_without_scope(server):
    tsa, _ = _vorderingen(server, 1)
    [obj] = objects(la01(server.url, v.vrdLv01([v.field("tsa", tsa)], scope=None)))
    assert [c.tag for c in obj] == [F + "vorderingnummer", F + "tsa", F + "heeftAlsVorderendeOrganisatie"]
    [obj] = objects(la01(server.url, v.vrdLv01([v.field("tsa", tsa)], scope="alles")))
    assert len(obj) > 3


def test_default_scope_must_be_a_stuf_scope_value():
    assert load_settings(environ={"STUF_FIN_DEFAULT_SCOPE": "allesZonderMetagegevens"}).default_scope == \
        "allesZonderMetagegevens"
    with pytest.raises(ConfigError, match="default_scope"):
        load_settings(environ={"STUF_FIN_DEFAULT_SCOPE": "alle"})
