"""Console pieces without a server: account settings, CSRF tokens, XML display and escaping, masking, routing
between the gateway and the console, and the page for a query that ran out of time."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from stuf_fin.config import ConfigError
from stuf_fin.configure import load_settings
from stuf_fin.console import xmlview
from stuf_fin.console.app import Mount
from stuf_fin.console.auth import CSRF_LIFETIME, Viewer, csrf_ok, csrf_token
from stuf_fin.console.views import masked_bsn, masked_iban
from stuf_fin.security.accounts import AccountConfigError, load_accounts
from stuf_fin.security.logfilter import mask, mask_personal_data
from stuf_fin.security.passwords import hash_secret

HASH = hash_secret("pw", n=2**4)


def account(**fields):
    return {"name": "Anna", "role": "beheerder", "username": "anna", "password_hash": HASH, **fields}


def test_accounts_are_read_with_their_role_and_personal_data_default():
    beheerder, lezer, mtls = load_accounts({"accounts": [
        account(), account(name="Lex", role="lezer", username="lex"),
        {"name": "Cert", "role": "lezer", "tls_subject": "CN=cert,O=Gemeente", "personal_data": True}]})
    assert (beheerder.role, beheerder.personal_data, beheerder.may_retry) == ("beheerder", True, True)
    assert (lezer.role, lezer.personal_data, lezer.may_retry) == ("lezer", False, False)
    assert mtls.personal_data and mtls.as_client().methods == {"mtls"}
    assert beheerder.as_client().operations == frozenset() and beheerder.as_client().zenders == ()
    assert "pw" not in repr(beheerder) and beheerder.redacted()["password_hash"] == "<hidden>"
    assert load_accounts(None) == ()


@pytest.mark.parametrize(("tables", "message"), [
    ([account(role="admin")], "'role' must be 'lezer' or 'beheerder'"),
    ([account(password_hash=None)], "'username' and 'password_hash' go together"),
    ([account(password_hash="plain")], "password_hash:"),
    ([account(colour="red")], "unknown key(s) colour"),
    ([account(), account()], "name used twice"),
    ([account(), account(name="Other")], "username 'anna' used twice"),
    ([{"name": "X", "role": "lezer"}], "no credentials"),
    ([account(tls_fingerprint="abc")], "not a SHA-256 fingerprint"),
    ([account(personal_data="yes")], "'personal_data' must be true or false"),
])
def test_unusable_accounts_are_named(tables, message):
    with pytest.raises(AccountConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_accounts({"accounts": tables})


def test_console_settings_are_checked(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'console_port = 8000\n\n[[console.accounts]]\nname = "A"\nrole = "lezer"\n'
                      f'username = "a"\npassword_hash = "{HASH}"\n')
    with pytest.raises(ConfigError, match="console_port must differ from port"):
        load_settings(config_file=str(config), environ={})
    with pytest.raises(ConfigError, match=r"no \[\[console.accounts\]\] are configured"):
        load_settings(environ={"STUF_FIN_CONSOLE_PORT": "8001"})
    with pytest.raises(ConfigError, match="console_query_timeout"):
        load_settings(environ={"STUF_FIN_CONSOLE_QUERY_TIMEOUT": "0"})
    cert = tmp_path / "cert.toml"
    cert.write_text('[[console.accounts]]\nname = "C"\nrole = "lezer"\ntls_subject = "CN=c"\n')
    with pytest.raises(ConfigError, match="tls_client_ca is not set"):
        load_settings(config_file=str(cert), environ={})
    other = tmp_path / "other.toml"
    other.write_text("[console]\nport = 8001\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_settings(config_file=str(other), environ={})
    settings = load_settings(config_file=str(config), environ={"STUF_FIN_PORT": "9000"})
    assert settings.console_port == 8000 and [a.name for a in settings.console_accounts] == ["A"]


def viewer(name="Anna", role="beheerder", method="basic"):
    return Viewer(SimpleNamespace(name=name, role=role), method, "127.0.0.1:1")


def test_a_csrf_token_is_bound_to_the_account_the_key_and_its_age():
    key, now = b"k" * 32, 1_000_000.0
    token = csrf_token(key, viewer(), now)
    assert csrf_ok(key, viewer(), token, now + 60)
    assert not csrf_ok(key, viewer("Bea"), token, now)
    assert not csrf_ok(key, viewer(role="lezer"), token, now)
    assert not csrf_ok(key, viewer(method="mtls"), token, now)
    assert not csrf_ok(b"x" * 32, viewer(), token, now)
    assert not csrf_ok(key, viewer(), token, now + CSRF_LIFETIME + 1)
    assert not csrf_ok(key, viewer(), token, now - 10)  # issued in the future
    for forged in ("", "zz.abc", token.split(".")[0] + ".", token[:-1] + ("0" if token[-1] != "0" else "1")):
        assert not csrf_ok(key, viewer(), forged, now)


def test_xml_is_indented_highlighted_and_escaped_in_the_page():
    data = (b'<?xml version="1.0"?><a:x xmlns:a="urn:a" k="v&amp;w"><!-- c --><a:y>1 &lt;script&gt;'
            b'alert(1)&lt;/script&gt;</a:y></a:x>')
    view = xmlview.view(data, len(data), personal_data=True)
    assert "".join(text for _, text in view.pretty).startswith('<a:x xmlns:a="urn:a" k="v&amp;w">\n  <!-- c -->')
    assert ("x-tag", "a:y") in view.pretty and ("x-value", '"v&amp;w"') in view.pretty
    from stuf_fin.console.views import Facts, Pages

    pages = Pages(load_settings(environ={}), None, Facts("builtin", "SQLite", 0.0, {}))
    html = pages.templates.from_string('{% from "macros.html" import xml_block %}{{ xml_block("Request", x) }}'
                                       ).render(x=view)
    assert "<script>" not in html and "&amp;lt;script&amp;gt;" in html and "&lt;!-- c --&gt;" in html


def test_xml_views_of_large_broken_and_purged_documents():
    big = b"<a>" + b"x" * (xmlview.PRETTY_MAX_BYTES + 10) + b"</a>"
    assert xmlview.view(big[:100], len(big), personal_data=True).truncated
    assert "too large" in xmlview.view(big[:100], len(big), personal_data=True).error
    assert "not well-formed" in xmlview.view(b"<a><b></a>", 10, personal_data=True).error
    assert "DOCTYPE" in xmlview.view(b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', 40, personal_data=True).error
    assert "purged" in xmlview.view(b"", 0, personal_data=True).error
    assert xmlview.view(None, 0, personal_data=True) is None


def test_masking_of_bsn_and_iban():
    text = "<BG:inp.bsn>123456782</BG:inp.bsn><FIN:rekeningnummer>NL91ABNA0417164300</FIN:rekeningnummer>"
    masked = mask_personal_data(text)
    assert "123456782" not in masked and "*****6782" in masked
    assert "NL91ABNA0417164300" not in masked and "NL91**********4300" in masked
    assert "NL91**********4300" in mask("iban NL91 ABNA 0417 1643 00 in a log line")
    assert mask_personal_data("STUF0301 and NL00ABNA0123456789 without context") == \
        "STUF0301 and NL00ABNA0123456789 without context"  # wrong check digits, no IBAN word: left alone
    assert masked_bsn("123456782", False) == "*****6782" and masked_bsn("123456782", True) == "123456782"
    assert masked_iban("NL91ABNA0417164300", False) == "NL91**********4300"
    view = xmlview.view(text.encode(), len(text), personal_data=False)
    assert view.masked and "123456782" not in view.raw and "123456782" not in "".join(t for _, t in view.pretty)


def _call(app, path: str, port: int = 8000) -> list[str]:
    seen: list[str] = []

    async def send(message):
        if message["type"] == "http.response.start":
            seen.append(str(message["status"]))

    asyncio.run(app({"type": "http", "path": path, "method": "GET", "server": ("127.0.0.1", port), "headers": []},
                    None, send))
    return seen


class _Recorder:
    def __init__(self, name: str, calls: list[str]):
        self.name, self.calls = name, calls

    async def __call__(self, scope, receive, send):
        self.calls.append(f"{self.name} {scope['path']}")


def test_the_mount_sends_console_paths_to_the_console_only_where_it_lives():
    calls: list[str] = []
    same = Mount(_Recorder("gateway", calls), _Recorder("console", calls))
    for path in ("/console/", "/console/messages", "/consoles", "/VerstrekVorderingOfVerantwoording", "/health"):
        _call(same, path)
    assert calls == ["console /console/", "console /console/messages", "gateway /consoles",
                     "gateway /VerstrekVorderingOfVerantwoording", "gateway /health"]
    calls.clear()
    own = Mount(_Recorder("gateway", calls), _Recorder("console", calls), console_port=8001)
    assert _call(own, "/console/", 8000) == ["404"]
    assert _call(own, "/health", 8001) == ["404"] and _call(own, "/", 8001) == ["308"]
    _call(own, "/console/messages", 8001)
    _call(own, "/health", 8000)
    assert calls == ["console /console/messages", "gateway /health"]


def test_a_query_that_runs_out_of_time_gives_a_503_page_without_data(tmp_path):
    from contextlib import contextmanager

    from stuf_fin.console.app import Request
    from stuf_fin.console.views import Facts, Pages
    from stuf_fin.store.db import QueryTimeout

    class SlowStore:
        @contextmanager
        def read(self, timeout):
            raise QueryTimeout(f"query stopped after {timeout:g} s")
            yield

    settings = load_settings(environ={"STUF_FIN_CONSOLE_QUERY_TIMEOUT": "0.5"})
    pages = Pages(settings, SlowStore(), Facts("builtin", "SQLite", 0.0, {}))
    request = Request("GET", "/messages", {"ref": ["R1"]}, {}, viewer())
    response = pages.respond(pages.messages, request, {})
    assert response.status == 503 and b"did not answer within 0.5 s" in response.body
    assert b"<table" not in response.body


def test_config_check_shows_the_console_accounts_with_their_hashes_hidden(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'[[console.accounts]]\nname = "Anna"\nrole = "beheerder"\nusername = "anna"\n'
                      f'password_hash = "{HASH}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}
    text = subprocess.run([sys.executable, "-m", "stuf_fin", "--config", str(config), "config", "check"],
                          capture_output=True, text=True, env=env, timeout=120).stdout
    assert '[[console.accounts]] {"name": "Anna", "role": "beheerder"' in text and HASH not in text
    data = json.loads(subprocess.run(
        [sys.executable, "-m", "stuf_fin", "--config", str(config), "config", "check", "--json"],
        capture_output=True, text=True, env=env, timeout=120).stdout)
    assert data["settings"]["console_accounts"][0]["password_hash"] == "<hidden>"
    assert data["sources"]["console_query_timeout"] == "default"


def test_the_console_imports_neither_the_pipeline_nor_the_app():
    code = ("import sys, stuf_fin.console, stuf_fin.console.views, stuf_fin.ops.configcheck; "
            "print(sorted(m for m in sys.modules if m in ('stuf_fin.pipeline', "
            "'stuf_fin.app', 'stuf_fin.serve', 'stuf_fin.cli', 'stuf_fin.selftest')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120).stdout.strip() == "[]"
