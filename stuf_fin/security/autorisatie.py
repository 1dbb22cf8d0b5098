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
from stuf_fin.stuf.exchange import Verzoek
from stuf_fin.stuf.fouten import StufFout
from stuf_fin.stuf.operaties import Operatie
from stuf_fin.stuf.stuurgegevens import Stuurgegevens


class Autorisatie:
    """The access list of the configured clients; an instance is the pipeline's ``autorisatie`` hook."""

    def __init__(self, clients: Iterable[Client]):
        self.clients = {c.name: c for c in clients}

    def __call__(self, verzoek: Verzoek, sg: Stuurgegevens) -> None:
        """Raise :class:`StufFout` when refused; else note what a vraag may show (``zichtbare_tsas``)."""
        client = self.clients.get(verzoek.identiteit or "")
        if client is None:
            raise StufFout("StUF052", "het zendende systeem is niet geauthenticeerd")
        zender = sg.zender
        if zender is not None and zender.applicatie and not any(z.matches(zender) for z in client.zenders):
            if not any(z.matches(zender) for c in self.clients.values() for z in c.zenders):
                raise StufFout("StUF013", f"zender {zender} is niet bekend")
            raise StufFout("StUF052", f"zender {zender} hoort niet bij de geauthenticeerde identiteit {client.name}")
        if not client.may(verzoek.operatie.naam):
            raise StufFout("StUF052", f"{client.name} is niet geautoriseerd voor {beschrijf(verzoek.operatie)}")
        verzoek.zichtbare_tsas = client.tsas

    def zichtbare_tsas(self, identiteit: str | None) -> frozenset[str] | None:
        """The ``tsa`` values whose vorderingen ``identiteit`` may see in a vrdLa01; ``None`` = all."""
        client = self.clients.get(identiteit or "")
        return client.tsas if client is not None else frozenset()


def beschrijf(operatie: Operatie) -> str:
    """``berichtcode Di01, entiteittype VRD, functie verstrekVordering``."""
    parts = [("berichtcode", operatie.berichtcode), ("entiteittype", operatie.entiteittype),
             ("functie", operatie.functie)]
    return ", ".join(f"{name} {value}" for name, value in parts if value)


def autorisatie_voor(clients: Iterable[Client]) -> Autorisatie | None:
    """The hook for the pipeline, ``None`` (everything allowed) when no clients are configured."""
    clients = tuple(clients)
    return Autorisatie(clients) if clients else None
