"""Routing configuration, retry policy, answer classification and the WS-Security token of the StUF client."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from stuf_fin.config import ConfigError
from stuf_fin.configure import load_settings
from stuf_fin.envelope import body_element, envelope_bytes, wrap
from stuf_fin.outbound.client import classify
from stuf_fin.outbound.policy import Policy
from stuf_fin.outbound.send import endpoint
from stuf_fin.schema.parsing import ParseLimits, parse_bytes
from stuf_fin.security.wsse import digest_matches, read_token, usernametoken
from stuf_fin.stuf import answers
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem

ROUTES = """
[gateway]
organisatie = "1900"
applicatie = "STUFFIN"
outbound_backoff = 0.5

[outbound.tsa."BELASTINGEN"]
url = "https://belastingen.example.nl/VerstrekVorderingOfVerantwoording"
ontvanger = "1900/BELASTINGEN"
auth = "wss-digest"
username = "stuffin"
password_env = "BELASTINGEN_PASSWORD"

[outbound.tsa."Parkeren en handhaving"]
url = "http://parkeren.local/stuf"
url_env = "PARKEREN_URL"
ontvanger = { organisatie = "1900", applicatie = "PARKEREN", administratie = "prod" }
ordering = "route"

[outbound.financiele_administratie]
url = "https://fa.example.nl/VerstrekVorderingOfVerantwoording"
ontvanger = "1900/FINADM"
zender = "1900/INNING"
"""


def settings_from(tmp_path: Path, text: str, environ: dict[str, str] | None = None):
    path = tmp_path / "stuf-fin.toml"
    path.write_text(text)
    return load_settings(environ=environ or {}, config_file=str(path))


def test_routing_file_with_environment_overrides(tmp_path):
    settings = settings_from(tmp_path, ROUTES, {"BELASTINGEN_PASSWORD": "geheim", "PARKEREN_URL": "http://p:8080/x",
                                                "STUF_FIN_OUTBOUND_TIMEOUT": "2.5", "STUF_FIN_OUTBOUND_LEASE": "5"})
    routing = settings.routing
    assert sorted(routing.routes) == ["financiele_administratie", "tsa:BELASTINGEN", "tsa:Parkeren en handhaving"]
    tsa = routing.tsa("BELASTINGEN")
    assert (tsa.auth, tsa.username, tsa.password) == ("wss-digest", "stuffin", "geheim")
    assert tsa.zender == Systeem("1900", "STUFFIN") and tsa.ontvanger == Systeem("1900", "BELASTINGEN")
    parking = routing.tsa("Parkeren en handhaving")
    assert parking.url == "http://p:8080/x" and parking.ordering == "route"
    assert parking.ontvanger == Systeem("1900", "PARKEREN", "prod")
    assert routing.get("financiele_administratie").zender == Systeem("1900", "INNING")
    assert routing.get("inningssysteem") is None
    assert (settings.outbound_backoff, settings.outbound_timeout, settings.outbound_lease) == (0.5, 2.5, 5.0)
    assert "geheim" not in repr(routing) and "geheim" not in str(routing)
    assert tsa.redacted()["password"] == "<hidden>"


@pytest.mark.parametrize(("change", "message"), [
    (("ontvanger = \"1900/FINADM\"\n", ""), "'ontvanger'"),
    (("url = \"https://fa.example.nl/VerstrekVorderingOfVerantwoording\"", "url = \"ftp://fa\""), "http(s) URL"),
    (("password_env = \"BELASTINGEN_PASSWORD\"", "password_env = \"ONBEKEND\""), "ONBEKEND is not set"),
    (("ordering = \"route\"", "ordering = \"fifo\""), "ordering 'fifo'"),
    (("auth = \"wss-digest\"", "auth = \"kerberos\""), "auth 'kerberos'"),
    (("zender = \"1900/INNING\"", "zender = \"1900/IN\""), "3-50 characters"),
    (("zender = \"1900/INNING\"", "zender = \"1900/INNING\"\ntls_cert = \"missing.pem\""), "missing.pem is not a file"),
    (("zender = \"1900/INNING\"", "adres = \"x\""), "unknown key(s) adres"),
])
def test_routing_mistakes_are_named_at_start_up(tmp_path, change, message):
    with pytest.raises(ConfigError, match="route") as error:
        settings_from(tmp_path, ROUTES.replace(*change), {"BELASTINGEN_PASSWORD": "geheim"})
    assert message in str(error.value)


def test_routes_need_a_zender_and_sane_limits(tmp_path):
    no_identity = ROUTES.replace('organisatie = "1900"\napplicatie = "STUFFIN"\n', "")
    with pytest.raises(ConfigError, match="no zender for outgoing messages"):
        settings_from(tmp_path, no_identity, {"BELASTINGEN_PASSWORD": "x"})
    with pytest.raises(ConfigError, match="outbound_lease must be at least twice outbound_timeout"):
        settings_from(tmp_path, ROUTES, {"BELASTINGEN_PASSWORD": "x", "STUF_FIN_OUTBOUND_LEASE": "10"})


def test_outbound_file_holds_the_routes(tmp_path):
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES[ROUTES.index("[outbound.tsa"):])
    settings = load_settings(environ={"STUF_FIN_OUTBOUND_FILE": str(routes), "STUF_FIN_APPLICATIE": "STUFFIN",
                                      "BELASTINGEN_PASSWORD": "x"})
    assert settings.routing.tsa("BELASTINGEN") is not None
    with pytest.raises(ConfigError, match="keep one"):
        settings_from(tmp_path, ROUTES, {"STUF_FIN_OUTBOUND_FILE": str(routes), "BELASTINGEN_PASSWORD": "x"})
    assert not load_settings(environ={}).routing  # nothing configured: nothing is queued


def test_backoff_doubles_up_to_the_cap_with_jitter():
    policy = Policy(backoff=10, backoff_max=300)
    rng = random.Random(1)
    for attempts, base in ((1, 10), (2, 20), (3, 40), (6, 300), (100, 300)):
        delays = [policy.delay(attempts, rng) for _ in range(50)]
        assert all(timedelta(seconds=base / 2) <= d < timedelta(seconds=base) for d in delays)
        assert len(set(delays)) > 40  # jitter: messages that failed together spread out


REQUEST = Stuurgegevens(zender=Systeem("1900", "STUFFIN"), ontvanger=Systeem("1900", "TSA"), referentienummer="r1")


def fault(stuf_fault: StufFault) -> bytes:
    fo03 = etree.tostring(answers.fo03(REQUEST, stuf_fault))
    return (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:'
            + stuf_fault.plek.capitalize().encode() + b"</faultcode><faultstring>x</faultstring><detail>" + fo03
            + b"</detail></s:Fault></s:Body></s:Envelope>")


@pytest.mark.parametrize(("status", "body", "kind", "accepted", "client_fault"), [
    (200, wrap(answers.bv03(REQUEST)), "Bv03", True, False),
    (500, fault(StufFault("StUF013")), "Fo03", False, True),
    (500, fault(StufFault("StUF058", "later")), "Fo03", False, False),
    (500, b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client'
          b"</faultcode><faultstring>bad</faultstring></s:Fault></s:Body></s:Envelope>", "fault", False, True),
    (503, b"Service Unavailable", "http", False, False),
    (200, b"<html>hello</html>", "protocol", False, False),
    (200, b"", "protocol", False, False),
    (200, wrap(answers.bv03(Stuurgegevens(referentienummer="someone-else"))), "protocol", False, False),
])
def test_answers_are_classified(status, body, kind, accepted, client_fault):
    send_outcome = classify(status, body, "r1")
    assert (send_outcome.kind, send_outcome.accepted, send_outcome.client_fault, send_outcome.retry) == (
        kind, accepted, client_fault, not accepted and not client_fault)


def test_the_usernametoken_passes_our_own_inbound_check():
    for digest in (True, False):
        header = usernametoken("stuffin", "s3cret", digest=digest)
        envelope = (b'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header>' + header
                    + b"</S:Header><S:Body><x/></S:Body></S:Envelope>")
        token = read_token(envelope, ParseLimits())
        assert token.username == "stuffin" and token.digest is digest and len(token.nonce) == 16
        assert datetime.fromisoformat(token.created) > datetime.now(UTC) - timedelta(seconds=5)
        assert digest_matches(token, "s3cret") if digest else token.password == "s3cret"
    first, second = (usernametoken("u", "p", digest=True) for _ in range(2))
    assert first != second  # a fresh nonce every time


def test_the_envelope_we_send_holds_the_header_block_and_the_message():
    message = etree.tostring(answers.bv03(REQUEST))
    data = envelope_bytes(message, usernametoken("stuffin", "s3cret", digest=True))
    assert read_token(data, ParseLimits()).username == "stuffin"
    c14n = {"method": "c14n", "exclusive": True}
    assert etree.tostring(body_element(parse_bytes(data).getroot()), **c14n) == etree.tostring(
        etree.fromstring(message), **c14n)
    assert envelope_bytes(message) == wrap(message) and read_token(wrap(message), ParseLimits()) is None

def test_endpoint_follows_the_port_of_the_message():
    base = "https://gw.example.nl/stuf/VerstrekVorderingOfVerantwoording"
    assert endpoint(base, "VerstrekVorderingOfVerantwoording") == base
    assert endpoint(base, "BeantwoordVraag") == "https://gw.example.nl/stuf/BeantwoordVraag"
    assert endpoint("https://other.example.nl/fin", "BeantwoordVraag") == "https://other.example.nl/fin"


def test_the_journal_survives_a_line_cut_short(tmp_path):
    from stuf_fin.outbound.journal import Journal

    path = tmp_path / "run.journal"
    journal = Journal(path)
    journal.write("sent", "a", file="a.xml")
    journal.write("answer", "a", result="Bv03")
    journal.write("answer", "b", result="Fo03", plek="client")
    journal.write("answer", "c", result="Fo03", plek="server")
    journal.close()
    with path.open("a") as fh:
        fh.write('{"event": "answer", "sha256": "d", "res')  # killed while writing
    again = Journal(path)
    again.write("answer", "e", result="Bv03")
    again.close()
    resumed = Journal(path)
    assert resumed.done("a")["result"] == "Bv03" and resumed.done("b")["plek"] == "client"
    assert resumed.done("c") is None and resumed.done("d") is None and resumed.done("e")["result"] == "Bv03"
    resumed.close()
