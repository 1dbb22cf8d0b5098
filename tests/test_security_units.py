"""Security building blocks without a server: secrets, client config, names, WS-Security, log masking."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta

import pytest

from stuf_fin.config import ConfigError
from stuf_fin.configure import load_settings
from stuf_fin.envelope import BODY
from stuf_fin.schema.parsing import ParseLimits, XmlInputError, parse_head
from stuf_fin.security import client_config
from stuf_fin.security.clients import ClientConfigError, Zender, load_clients
from stuf_fin.security.logfilter import MaskingFilter, bsn_checksum_ok, mask
from stuf_fin.security.passwords import HashFormatError, check_hash_format, hash_secret, verify_secret
from stuf_fin.security.tlsnames import format_name, parse_name
from stuf_fin.security.wsse import (
    NonceCache,
    TokenError,
    UsernameToken,
    check_created,
    digest_matches,
    read_token,
    redact_password,
)
from stuf_fin.stuf.stuurgegevens import Systeem
from tests.support.wss import envelope_with_token

FAST = {"n": 2**10}


# -- secrets --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["scrypt", "pbkdf2_sha256"])
def test_hash_and_verify(method):
    stored = hash_secret("geheim", method, iterations=1000, **FAST)
    assert verify_secret("geheim", stored)
    assert not verify_secret("Geheim", stored)
    assert not verify_secret("", stored)
    assert stored != hash_secret("geheim", method, iterations=1000, **FAST)  # salted


@pytest.mark.parametrize("bad", ["", "geheim", "md5$abc", "scrypt$3$8$1$AAAA$AAAA", "scrypt$1024$8$1$!!$AAAA",
                                 "pbkdf2_sha256$10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==",
                                 "scrypt$1024$8$1$AAAA$AAAA"])
def test_bad_hash_formats_are_refused(bad):
    with pytest.raises(HashFormatError):
        check_hash_format(bad)


# -- client configuration -------------------------------------------------------------------------------
def _table(**extra):
    return {"name": "tsa", "zenders": ["0363/BELASTINGEN"], "operations": ["Di01-verstrekVordering"],
            "username": "tsa", "password_hash": hash_secret("pw", **FAST)} | extra


def test_client_table_parsed():
    (client,) = load_clients([_table(zenders=["0363/BELASTINGEN", {"organisatie": "", "applicatie": "APP",
                                                                    "administratie": "adm"}],
                                     tls_fingerprint="AB:" * 31 + "AB", tls_subject="CN=tsa,O=Gemeente")], {})
    assert client.zenders == (Zender("0363", "BELASTINGEN"), Zender("", "APP", "adm"))
    assert client.methods == {"mtls", "basic", "wss-text"}
    assert client.tls_fingerprints == {"ab" * 32}
    assert client.tls_subjects == (frozenset({("CN", "tsa"), ("O", "Gemeente")}),)
    assert client.tsas == {"BELASTINGEN", "APP"}
    assert client.may("Di01-verstrekVordering") and not client.may("vrdLv01")


def test_secret_from_environment_enables_digest():
    (client,) = load_clients([_table(password_hash=None, secret_env="TSA_SECRET", tsa="*")], {"TSA_SECRET": "s3"})
    assert client.secret == "s3" and "wss-digest" in client.methods and client.tsas is None
    assert "s3" not in repr(client) and "s3" not in str(client.redacted())
    assert client.redacted()["secret"] == "<hidden> (environment variable TSA_SECRET)"


@pytest.mark.parametrize(("extra", "message"), [
    ({"zenders": []}, "at least one zender"),
    ({"zenders": ["BELASTINGEN"]}, "organisatie/applicatie"),
    ({"zenders": ["0363/AB"]}, "3-50"),
    ({"operations": ["Di01-verstrekKoffie"]}, "unknown operation"),
    ({"password_hash": "plain"}, "password_hash"),
    ({"username": None}, "needs a 'username'"),
    ({"password_hash": None}, "no credentials"),
    ({"methods": ["wss-digest"]}, "need credentials"),
    ({"secret_env": "MISSING"}, "MISSING is not set"),
    ({"tls_fingerprint": "abc"}, "SHA-256"),
    ({"tls_subject": "tsa"}, "ATTRIBUTE=value"),
    ({"pasword_hash": "x"}, "unknown key"),
])
def test_bad_client_tables_are_refused_with_a_clear_message(extra, message):
    with pytest.raises(ClientConfigError, match=message):
        load_clients([_table(**extra)], {})


def test_duplicate_names_and_usernames_are_refused():
    with pytest.raises(ClientConfigError, match="used by two clients"):
        load_clients([_table(), _table(name="other")], {})


def test_settings_file_with_clients(tmp_path):
    config = tmp_path / "stuf-fin.toml"
    config.write_text(f"""
host = "127.0.0.1"
retention_days = 400

[[clients]]
name = "tsa"
zenders = ["0363/BELASTINGEN"]
operations = ["*"]
username = "tsa"
password_hash = "{hash_secret('pw', **FAST)}"
""")
    settings = load_settings(config_file=str(config), environ={})
    assert [c.name for c in settings.clients] == ["tsa"] and settings.retention_days == 400
    shown = client_config.redacted(settings)
    assert shown["clients"][0]["password_hash"] == "<hidden>"
    assert "scrypt$" not in str(shown)


def test_settings_file_errors_name_the_client(tmp_path):
    config = tmp_path / "stuf-fin.toml"
    config.write_text('[[clients]]\nname = "tsa"\nzenders = ["0363/BELASTINGEN"]\n')
    with pytest.raises(ConfigError, match="client 'tsa': no credentials"):
        load_settings(config_file=str(config), environ={})


def test_mtls_clients_need_a_client_ca(tmp_path):
    config = tmp_path / "stuf-fin.toml"
    config.write_text('[[clients]]\nname = "tsa"\nzenders = ["0363/BELASTINGEN"]\ntls_subject = "CN=tsa"\n')
    with pytest.raises(ConfigError, match="tls_client_ca is not set"):
        load_settings(config_file=str(config), environ={})


def test_clients_file_from_the_environment(tmp_path):
    clients = tmp_path / "clients.toml"
    (tmp_path / "secret").write_text("s3\n")
    clients.write_text('[[clients]]\nname = "inn"\nzenders = ["/INNING"]\nusername = "inn"\nsecret_file = "secret"\n')
    settings = load_settings(environ={"STUF_FIN_CLIENTS_FILE": str(clients)})
    assert settings.clients[0].secret == "s3"


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False), ("::", False),
                                                ("10.0.0.1", False), ("gateway.example.nl", False)])
def test_loopback(host, loopback):
    assert client_config.is_loopback(host) is loopback


def test_public_bind_needs_authentication_or_allow_anonymous(caplog):
    settings = load_settings({"host": "0.0.0.0"}, environ={})
    with pytest.raises(client_config.ExposureError, match="--allow-anonymous"):
        client_config.check_exposure(settings)
    settings = load_settings({"host": "0.0.0.0", "allow_anonymous": True}, environ={})
    with caplog.at_level(logging.WARNING):
        client_config.check_exposure(settings)
    assert "ANONYMOUS" in caplog.text


# -- certificate names ----------------------------------------------------------------------------------
def test_names_compare_as_sets():
    assert parse_name("CN=tsa, O=Gemeente X") == parse_name("o=Gemeente X,commonName=tsa")
    assert parse_name(r"CN=a\,b") == {("CN", "a,b")}
    rdns = ((("countryName", "NL"),), (("organizationName", "Gemeente, X"),), (("commonName", "tsa"),))
    assert parse_name(format_name(rdns)) == {("C", "NL"), ("O", "Gemeente, X"), ("CN", "tsa")}


# -- WS-Security ----------------------------------------------------------------------------------------
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WINDOW, SKEW = timedelta(minutes=5), timedelta(minutes=1)


def test_digest_token_read_and_checked():
    body = envelope_with_token("tsa", "s3", digest=True, created=NOW, nonce=b"0123456789abcdef")
    token = read_token(body, ParseLimits())
    assert token is not None and token.digest and token.username == "tsa"
    assert digest_matches(token, "s3") and not digest_matches(token, "s4")
    assert check_created(token.created, NOW + timedelta(minutes=4), WINDOW, SKEW)
    with pytest.raises(TokenError, match="older"):
        check_created(token.created, NOW + timedelta(minutes=6), WINDOW, SKEW)
    with pytest.raises(TokenError, match="future"):
        check_created(token.created, NOW - timedelta(minutes=2), WINDOW, SKEW)


def test_profile_example_digest():
    # the algorithm of the Username Token Profile 1.0, §3.1: Base64(SHA-1(nonce + created + password))
    token = UsernameToken("user", base64.b64encode(
        __import__("hashlib").sha1(b"nonce-bytes" + b"2003-07-16T01:24:32Z" + b"secret").digest()).decode(),
        True, b"nonce-bytes", "2003-07-16T01:24:32Z")
    assert digest_matches(token, "secret")


@pytest.mark.parametrize(("body", "message"), [
    (envelope_with_token("tsa", "x", digest=True, created=NOW, nonce=None), "without Nonce"),
    (envelope_with_token("tsa", "x", digest=True, created=NOW, nonce=b"short"), "shorter"),
    (envelope_with_token("tsa", "x", password_type="urn:other"), "unsupported"),
    (envelope_with_token("tsa", "x", twice=True), "more than one"),
    (b"<not-xml", "not readable"),
])
def test_bad_tokens(body, message):
    with pytest.raises(TokenError, match=message):
        read_token(body, ParseLimits())


def test_no_token_and_no_header():
    assert read_token(envelope_with_token(None, None), ParseLimits()) is None


def test_naive_created_is_refused():
    with pytest.raises(TokenError, match="time zone"):
        check_created("2025-03-01T12:00:00", NOW, WINDOW, SKEW)


def test_nonce_cache_refuses_replays_forgets_expired_and_fails_closed_when_full():
    cache = NonceCache(capacity=2)
    cache.add("tsa", b"n1", NOW + WINDOW, NOW)
    with pytest.raises(TokenError, match="replayed"):
        cache.add("tsa", b"n1", NOW + WINDOW, NOW)
    cache.add("inn", b"n1", NOW + WINDOW, NOW)  # per user
    with pytest.raises(TokenError, match="full"):
        cache.add("tsa", b"n2", NOW + WINDOW, NOW)
    cache.add("tsa", b"n2", NOW + 2 * WINDOW, NOW + WINDOW + timedelta(seconds=1))  # the first two expired
    assert len(cache) == 1


def test_header_only_parse_stops_at_the_body():
    # everything after <Body> is garbage: the header is still read
    body = envelope_with_token("tsa", "pw").replace(b"</SOAP-ENV:Body>", b"<<<garbage")
    assert read_token(body, ParseLimits()).username == "tsa"


@pytest.mark.parametrize("hostile", [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
    b"<a>" * 10_000,
    b"\xff\xfe<\x00a\x00>",
])
def test_header_parse_is_hardened(hostile):
    with pytest.raises(XmlInputError):
        parse_head(hostile, BODY)


def test_password_redacted_in_what_is_passed_on():
    body = envelope_with_token("tsa", "geheim-wachtwoord")
    redacted = redact_password(body)
    assert b"geheim-wachtwoord" not in redacted and b"<wsse:Password" in redacted
    assert redact_password(b"<Envelope><Body><Password>x</Password></Body></Envelope>").count(b">x<") == 1


# -- logging ------------------------------------------------------------------------------------------------
def test_bsn_checksum_ok():
    assert bsn_checksum_ok("111222333") and bsn_checksum_ok("123456782") and not bsn_checksum_ok("123456789")


@pytest.mark.parametrize(("text", "hidden", "kept"), [
    ("debiteur bsn 123456789 onbekend", "123456789", "*****6789"),
    ("<BG:inp.bsn>123456789</BG:inp.bsn>", "123456789", "*****6789"),
    ("referentie 111222333", "111222333", "*****2333"),  # passes the elfproef
    ("vorderingnummer 1234567890123", None, "1234567890123"),
    ("Authorization: Basic dHNhOnB3", "dHNhOnB3", "Authorization: ***"),
    ('<wsse:Password Type="x">geheim</wsse:Password>', "geheim", "***"),
    ("password=geheim token: abc", "geheim", "token: ***"),
    ("postgresql://stuf:geheim@db/stuf", "geheim", "stuf:***@db"),
])
def test_masking(text, hidden, kept):
    masked = mask(text)
    assert kept in masked
    if hidden:
        assert hidden not in masked


def test_filter_masks_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "bsn %s", ("123456789",), None)
    try:
        raise ValueError("password=geheim")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    MaskingFilter().filter(record)
    assert record.getMessage() == "bsn *****6789"
    assert "geheim" not in record.exc_text and "password=***" in record.exc_text


def test_systeem_matching():
    zender = Zender("0363", "BELASTINGEN")
    assert zender.matches(Systeem("0363", "BELASTINGEN", "adm", "user"))
    assert not zender.matches(Systeem("0364", "BELASTINGEN"))
    assert not Zender("0363", "BELASTINGEN", "").matches(Systeem("0363", "BELASTINGEN", "adm"))


def test_configured_logging_masks(capsys):
    from stuf_fin.ops.logging import configure_logging, flush_logs

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(load_settings(environ={}))
        logging.getLogger("stuf_fin.test").warning("debiteur bsn %s, Authorization: Basic %s", "123456789", "abc")
        flush_logs()  # written by the listener thread
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "*****6789" in err and "123456789" not in err and "abc" not in err


def test_clients_in_both_files_must_have_unique_names(tmp_path):
    table = '[[clients]]\nname = "inn"\nzenders = ["/INNING"]\nusername = "{user}"\nsecret_env = "S"\n'
    (tmp_path / "clients.toml").write_text(table.format(user="a"))
    (tmp_path / "stuf-fin.toml").write_text(f'clients_file = "{tmp_path / "clients.toml"}"\n' + table.format(user="b"))
    with pytest.raises(ConfigError, match="name 'inn' is used by two clients"):
        load_settings(config_file=str(tmp_path / "stuf-fin.toml"), environ={"S": "x"})
