"""Authorisation (StUF-FIN §6, NOTES §7): may this authenticated client send as this zender, and use
this operation?  Called by the pipeline right after the stuurgegevens checks.

- zender known to no client → StUF013 (zender onbekend);
- zender of another client, or no authenticated identity → StUF052;
- operation (berichtcode, entiteittype, functie) not granted → StUF052;
- a vrdLv01 without zender is judged by the identity alone.

Fo03 on the Di01 port, Fo02 on the vraag port: the pipeline decides that from the port.
"""

from __future__ import annotations

from collections.abc import Iterable

from stuf_fin.security.clients import Client
from stuf_fin.stuf.exchange import Request
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.operations import Operation
from stuf_fin.stuf.stuurgegevens import Stuurgegevens


class Authorisation:
    """The access list of the configured clients; an instance is the pipeline's ``authorisation`` hook."""

    def __init__(self, clients: Iterable[Client]):
        self.clients = {c.name: c for c in clients}

    def __call__(self, request: Request, sg: Stuurgegevens) -> None:
        """Raise :class:`StufFault` when refused; else note what a vraag may show (``visible_tsas``)."""
        client = self.clients.get(request.identity or "")
        if client is None:
            raise StufFault("StUF052", "het zendende systeem is niet geauthenticeerd")
        zender = sg.zender
        if zender is not None and zender.applicatie and not any(z.matches(zender) for z in client.zenders):
            if not any(z.matches(zender) for c in self.clients.values() for z in c.zenders):
                raise StufFault("StUF013", f"zender {zender} is niet bekend")
            raise StufFault("StUF052", f"zender {zender} hoort niet bij de geauthenticeerde identiteit {client.name}")
        if not client.may(request.operation.name):
            raise StufFault("StUF052", f"{client.name} is niet geautoriseerd voor {describe(request.operation)}")
        request.visible_tsas = client.tsas

    def visible_tsas(self, identity: str | None) -> frozenset[str] | None:
        """The ``tsa`` values whose vorderingen ``identity`` may see in a vrdLa01; ``None`` = all."""
        client = self.clients.get(identity or "")
        return client.tsas if client is not None else frozenset()


def describe(operation: Operation) -> str:
    """``berichtcode Di01, entiteittype VRD, functie verstrekVordering``."""
    parts = [("berichtcode", operation.berichtcode), ("entiteittype", operation.entiteittype),
             ("functie", operation.functie)]
    return ", ".join(f"{name} {value}" for name, value in parts if value)


def authorisation_for(clients: Iterable[Client]) -> Authorisation | None:
    """The hook for the pipeline, ``None`` (everything allowed) when no clients are configured."""
    clients = tuple(clients)
    return Authorisation(clients) if clients else None
