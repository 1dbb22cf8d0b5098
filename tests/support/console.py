"""Helpers for the console tests: a settings file with console accounts (and optionally routes and clients), a
gateway started with it, and vorderingen with a known natural-person debiteur and IBAN."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from stuf_fin.security.passwords import hash_secret
from stuf_fin.selftest import generator as g

from .outbound import FAST, TSA
from .server import Server, start_server


@dataclass(frozen=True)
class Login:
    name: str
    role: str
    username: str
    password: str

    @property
    def auth(self) -> tuple[str, str]:
        return self.username, self.password


BEHEERDER = Login("Anna Beheer", "beheerder", "anna", "anna-" + "x" * 12)
READER = Login("Lex Lezer", "lezer", "lex", "lex-" + "y" * 12)


def console_config(folder: Path, *logins: Login, outbound_url: str | None = None, clients: str = "",
                   settings: dict[str, object] | None = None) -> Path:
    """``folder/console.toml``: ``settings`` at the top, ``[[console.accounts]]`` for ``logins`` (default the
    beheerder and the lezer above), a route for tsa BELASTINGEN to ``outbound_url``, and ``clients`` as given."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in (settings or {}).items()]
    for login in logins or (BEHEERDER, READER):
        lines += ["", "[[console.accounts]]", f"name = {json.dumps(login.name)}", f"role = {json.dumps(login.role)}",
                  f"username = {json.dumps(login.username)}",
                  f"password_hash = {json.dumps(hash_secret(login.password, n=2**12))}"]
    if outbound_url:
        lines += ["", "[outbound]", 'zender = "1900/STUFFIN"', "", f'[outbound.tsa."{TSA}"]',
                  f'url = "{outbound_url}"', f'ontvanger = "1900/{TSA}"']
    path = folder / f"console-{uuid.uuid4().hex[:6]}.toml"
    path.write_text("\n".join(lines) + "\n" + clients)
    return path


def start_console_server(workdir: Path, config: Path, *, extra_args: tuple[str, ...] = (),
                         env: dict[str, str] | None = None) -> Server:
    """``stuf-fin serve`` with this settings file (fast outbound retries, metrics read at every scrape)."""
    return start_server(workdir, extra_args=extra_args,
                        env={"STUF_FIN_CONFIG": str(config), **FAST, **(env or {})})


def vordering_with_person(n: int, *, prefix: str | None = None, tsa: str = TSA) -> g.VorderingSpec:
    """A generated vordering of ``tsa`` with a natural-person debiteur (a BSN) and an automatic payment (an IBAN)."""
    rng = random.Random(n)
    spec = g.random_vordering(rng, n, prefix=prefix or f"CON{uuid.uuid4().hex[:6].upper()}-", tsa=tsa,
                              organisatie_nnp_id="", today=date.today())
    spec.debiteur = g.DebiteurSpec(g.random_persoon(rng), f"D{n:06d}")
    spec.incasso = g.IncassoSpec("MK-12345", date(2024, 1, 1), g.iban(rng, "RABO"), "RABONL2U")
    return spec
