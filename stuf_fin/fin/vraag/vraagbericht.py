"""Reading a (schema-valid) ``FIN:vrdLv01``: parameters, ``gelijk``, ``scope`` and ``start``."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from stuf_fin.namespaces import F, S
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, read_stuurgegevens

#: ``maximumAantal`` when the question leaves it out (``VRD-ParametersVraagSynchroon``: default 15).
MAXIMUM_AANTAL_DEFAULT = 15


@dataclass(frozen=True)
class Vraag:
    """The parts of a vrdLv01 that decide the answer."""

    stuurgegevens: Stuurgegevens
    sortering: int
    maximum_aantal: int
    gelijk: etree._Element | None  # FIN:gelijk
    scope: etree._Element | None  # FIN:scope/FIN:object
    start: etree._Element | None  # FIN:start/FIN:object


def _child(parent: etree._Element | None, tag: str) -> etree._Element | None:
    return parent.find(tag) if parent is not None else None


def read_vraag(message: etree._Element, stuurgegevens: Stuurgegevens | None = None) -> Vraag:
    """The question in a vrdLv01 that passed the schema (``stuurgegevens``: its stuurgegevens, when read already)."""
    parameters = message.find(F + "parameters")
    sortering = _child(parameters, S + "sortering")
    maximum = _child(parameters, S + "maximumAantal")
    return Vraag(
        stuurgegevens=stuurgegevens if stuurgegevens is not None else read_stuurgegevens(message),
        sortering=int((sortering.text or "0").strip()) if sortering is not None else 0,
        maximum_aantal=int((maximum.text or "").strip()) if maximum is not None and (maximum.text or "").strip()
        else MAXIMUM_AANTAL_DEFAULT,
        gelijk=message.find(F + "gelijk"),
        scope=_child(message.find(F + "scope"), F + "object"),
        start=_child(message.find(F + "start"), F + "object"),
    )
