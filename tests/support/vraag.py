"""Helpers for the vrdLv01 tests: a gateway per database, reading and validating a vrdLa01."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from lxml import etree

from stuf_fin.namespaces import XSI_NIL, F, S
from stuf_fin.schema.validator import get_validator

from .kit import OFFICIAL_SCHEMAS
from .postgres import fresh_postgres_schema
from .server import Server, start_server
from .soap import Reply, post

NO_VALUE = S + "noValue"


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'gateway.db'}"
        return
    with fresh_postgres_schema("v_") as url:
        yield url


@contextmanager
def gateway(kind: str, workdir: Path, **env: str) -> Iterator[Server]:
    """``stuf-fin serve`` on a fresh database of ``kind``; ``env``: extra ``STUF_FIN_*`` settings."""
    with database(kind, workdir) as url:
        server = start_server(workdir, url, env={"STUF_FIN_LOG_FORMAT": "text", **env})
        try:
            yield server
        finally:
            server.stop()


@cache
def _validators() -> tuple:
    validators = [get_validator(None)]
    if OFFICIAL_SCHEMAS.is_dir():
        validators.append(get_validator(str(OFFICIAL_SCHEMAS)))
    return tuple(validators)


def assert_valid(message: etree._Element) -> None:
    """Assert that a message passes our schema set and, when the kit is here, the official release it follows."""
    for validator in _validators():
        issues = validator.validate(message)
        assert not issues, f"{etree.QName(message).localname} invalid ({validator.source.kind}): {issues[:3]}"


def vraag(url: str, message: bytes) -> Reply:
    """POST a vrdLv01 (checked against the schema first); a La01 answer is checked too."""
    assert_valid(etree.fromstring(message))
    reply = post(url, message)
    if not reply.is_fault:
        assert reply.status == 200, reply.text
        assert reply.message.tag == F + "vrdLa01", reply.text
        assert_valid(reply.message)
    return reply


def la01(url: str, message: bytes) -> etree._Element:
    """The vrdLa01 answering ``message`` (fails on a Fault)."""
    reply = vraag(url, message)
    assert not reply.is_fault, reply.text
    return reply.message


def objects(la: etree._Element) -> list[etree._Element]:
    return la.findall(f"{F}antwoord/{F}object")


def numbers(la: etree._Element) -> list[str]:
    """The vorderingnummers of the answer objects, in answer order."""
    return [obj.findtext(F + "vorderingnummer") for obj in objects(la)]


def meldingen(la: etree._Element) -> list[str]:
    return [m.text or "" for m in la.findall(F + "melding")]


def sleutels(la: etree._Element) -> list[int]:
    return [int(obj.get(S + "sleutelVerzendend")) for obj in objects(la)]


def is_placeholder(el: etree._Element) -> bool:
    return el.get(XSI_NIL) == "true" and len(el) == 0
