"""The authentication middleware in process (ASGI calls, no server): every method accepted and refused."""

from __future__ import annotations

import asyncio
import base64
import os
from datetime import timedelta

import pytest

from stuf_fin.asgi import read_body
from stuf_fin.security.authenticate import Authenticator
from stuf_fin.security.clients import load_clients
from stuf_fin.security.middleware import IDENTITY, AuthMiddleware
from stuf_fin.security.passwords import hash_secret
from stuf_fin.security.tlsnames import fingerprint_pem
from tests.support.wss import created_now, envelope_with_token

PEM = """-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUYWJjZGVmZ2hpamtsbW5vcHFyc3QwCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----
"""


class Echo:
    """The protected app: records what it was given."""

    def __init__(self):
        self.scope = None
        self.body = b""

    async def __call__(self, scope, receive, send):
        self.scope = scope
        if scope["type"] == "http" and scope["method"] == "POST":  # as the gateway reads it: once, maybe from scope
            self.body = await read_body(scope, receive, 10**9, 5)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _clients():
    return load_clients([
        {"name": "tsa", "zenders": ["0363/BELASTINGEN"], "operations": ["*"], "username": "tsa",
         "password_hash": hash_secret("pw-tsa", n=2**10)},
        {"name": "inn", "zenders": ["/INNING"], "operations": ["*"], "username": "inn", "secret_env": "INN",
         "methods": ["wss-digest"]},
        {"name": "cert", "zenders": ["/CERTAPP"], "operations": ["*"], "tls_subject": "CN=cert.example.nl,O=Gemeente"},
        {"name": "print", "zenders": ["/PRINTAPP"], "operations": ["*"], "tls_fingerprint": fingerprint_pem(PEM)},
    ], {"INN": "inn-secret"})


def _call(app, *, method="POST", path="/VerstrekVorderingOfVerantwoording", headers=(), body=b"", tls=None,
          query=b""):
    scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": list(headers),
             "client": ("192.0.2.1", 5000)}
    if tls is not None:
        scope["extensions"] = {"tls": tls}
    sent, chunks = [], [body[i:i + 1000] for i in range(0, len(body), 1000)] or [b""]

    async def receive():
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = sent[0]["status"]
    return status, dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
def echo():
    return Echo()


@pytest.fixture
def app(echo):
    return AuthMiddleware(echo, Authenticator(_clients(), nonce_cache_size=1000), max_body_bytes=100_000,
                          read_timeout=5)


def _basic(user, password):
    return (b"authorization", b"Basic " + base64.b64encode(f"{user}:{password}".encode()))


def test_no_credentials_is_401_with_a_soap_fault(app, echo):
    status, headers, body = _call(app, body=envelope_with_token(None, None))
    assert status == 401 and b"wsse:FailedAuthentication" in body and b"Fault" in body
    assert headers[b"www-authenticate"].startswith(b"Basic realm=")
    assert echo.scope is None


@pytest.mark.parametrize(("method", "path", "query"), [("GET", "/health", b""), ("GET", "/ready", b""),
                                                       ("GET", "/BeantwoordVraag", b"wsdl"),
                                                       ("HEAD", "/xsd/stuf0301.xsd", b"")])
def test_public_paths(app, echo, method, path, query):
    assert _call(app, method=method, path=path, query=query)[0] == 200
    assert IDENTITY not in echo.scope


def test_metrics_and_other_gets_need_credentials(app):
    assert _call(app, method="GET", path="/metrics")[0] == 401


def test_basic(app, echo):
    assert _call(app, headers=[_basic("tsa", "pw-tsa")], body=b"x")[0] == 200
    assert echo.scope[IDENTITY] == "tsa" and echo.body == b"x"
    assert _call(app, headers=[_basic("tsa", "pw-tsa")], body=b"x")[0] == 200  # from the verified cache


@pytest.mark.parametrize("header", [_basic("tsa", "wrong"), _basic("nobody", "pw-tsa"), _basic("inn", "inn-secret"),
                                    (b"authorization", b"Basic !!!"), (b"authorization", b"Bearer abc"),
                                    (b"authorization", b"Basic " + base64.b64encode(b"no-colon"))])
def test_basic_refused(app, echo, header):
    assert _call(app, headers=[header], body=b"x")[0] == 401
    assert echo.scope is None


def test_client_cannot_set_its_own_identity(app, echo):
    scope_identity = [(b"stuf_fin.identity", b"tsa")]
    assert _call(app, headers=scope_identity)[0] == 401


def test_wss_password_text_and_redaction(app, echo):
    body = envelope_with_token("tsa", "pw-tsa")
    assert _call(app, body=body)[0] == 200
    assert echo.scope[IDENTITY] == "tsa" and echo.scope["stuf_fin.auth_method"] == "wss-text"
    assert b"pw-tsa" not in echo.body and echo.body.endswith(b"</SOAP-ENV:Envelope>")


def test_wss_digest_fresh_stale_replayed(app, echo):
    nonce = os.urandom(16)
    body = envelope_with_token("inn", "inn-secret", digest=True, created=created_now(), nonce=nonce)
    assert _call(app, body=body)[0] == 200 and echo.scope[IDENTITY] == "inn"
    assert _call(app, body=body)[0] == 401  # replayed nonce
    stale = envelope_with_token("inn", "inn-secret", digest=True, created=created_now() - timedelta(minutes=10),
                                nonce=os.urandom(16))
    assert _call(app, body=stale)[0] == 401
    wrong = envelope_with_token("inn", "other", digest=True, created=created_now(), nonce=os.urandom(16))
    assert _call(app, body=wrong)[0] == 401
    text_not_allowed = envelope_with_token("inn", "inn-secret")
    assert _call(app, body=text_not_allowed)[0] == 401


def test_wrong_password_does_not_burn_the_nonce(app):
    nonce = os.urandom(16)
    wrong = envelope_with_token("inn", "other", digest=True, created=created_now(), nonce=nonce)
    right = envelope_with_token("inn", "inn-secret", digest=True, created=created_now(), nonce=nonce)
    assert _call(app, body=wrong)[0] == 401
    assert _call(app, body=right)[0] == 200


def test_wss_body_over_the_limit_is_413(app):
    assert _call(app, body=b"<" + b"x" * 200_000)[0] == 413


def test_mtls_by_subject_and_fingerprint(app, echo):
    tls = {"client_cert_chain": [PEM.replace("MIIBsz", "MIIBsy")], "client_cert_name": "O=Gemeente,CN=cert.example.nl"}
    assert _call(app, tls=tls, body=b"x")[0] == 200 and echo.scope[IDENTITY] == "cert"
    assert _call(app, tls={"client_cert_chain": [PEM], "client_cert_name": "CN=other"})[0] == 200
    assert echo.scope[IDENTITY] == "print"


def test_unmapped_certificate_falls_back_to_other_credentials(app, echo):
    tls = {"client_cert_chain": [PEM.replace("MIIBsz", "MIIBsy")], "client_cert_name": "CN=stranger"}
    assert _call(app, tls=tls)[0] == 401
    assert _call(app, tls=tls, headers=[_basic("tsa", "pw-tsa")])[0] == 200 and echo.scope[IDENTITY] == "tsa"


def test_lifespan_passes_through(echo):
    calls = []

    async def inner(scope, receive, send):
        calls.append(scope["type"])

    asyncio.run(AuthMiddleware(inner, Authenticator(_clients()), max_body_bytes=10, read_timeout=1)(
        {"type": "lifespan"}, None, None))
    assert calls == ["lifespan"]
