"""Authentication and authorisation over real HTTPS: a ``stuf-fin serve`` with TLS, a client CA and
four client systems (mutual TLS by subject and by fingerprint, HTTP Basic, WS-Security)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from tests.support.certs import client_context, issue, make_ca
from tests.support.kit import requires_kit
from tests.support.polling import wait_for
from tests.support.security import body_of, client_table, clients_config, post, start_https_server, vordering, vraag
from tests.support.server import free_port, start_server
from tests.support.wss import envelope_with_token, fresh_digest_envelope

pytestmark = requires_kit

WSS_SECRET = "wss-geheim-0123456789"
BASIC_PASSWORD = "fa-geheim-0123456789"
VRAAG = {"port": "BeantwoordVraag", "operation": "vrdLv01"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca, other_ca = make_ca(folder, "ca", "Test CA"), make_ca(folder, "other-ca", "Other CA")
    return {
        "ca": ca,
        "server": issue(folder, "server", ca, "localhost", server=True),
        "tsa": issue(folder, "tsa", ca, "tsa.test"),
        "inn": issue(folder, "inn", ca, "inn.test"),
        "stranger": issue(folder, "stranger", ca, "stranger.test"),
        "other": issue(folder, "other", other_ca, "tsa.test"),  # same subject, wrong CA
    }


@pytest.fixture(scope="module")
def server(pki, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("secure-gateway")
    config = clients_config(
        workdir,
        client_table("tsa", "0363/TSA01", operations=["Di01-verstrekVordering", "vrdLv01"],
                     tls_subject="CN=tsa.test,O=Gemeente Test,C=NL"),
        client_table("inn", "0363/INN01", operations=["Di01-verstrekVorderingStatusWijziging"],
                     tls_fingerprint=pki["inn"].fingerprint),
        client_table("fa", "0363/FA001", operations=["Di01-verstrekVordering"], username="fa",
                     password=BASIC_PASSWORD),
        client_table("wss", "0363/WSS01", username="wss", secret_env="TEST_WSS_SECRET"),
        log_format="text")
    server = start_https_server(workdir, config, pki["ca"], pki["server"], env={"TEST_WSS_SECRET": WSS_SECRET})
    yield server
    server.stop()


def _client(pki, name: str | None) -> httpx.Client:
    return httpx.Client(verify=client_context(pki["ca"], pki[name] if name else None))


def _accepted(answer) -> bool:
    """Past authentication and authorisation: a StUF answer that is no 401/StUF052/StUF013."""
    return answer.status != 401 and answer.berichtcode is not None and answer.code not in ("StUF052", "StUF013")


# -- mutual TLS ---------------------------------------------------------------------------------------------
def test_mtls_by_subject_accepted(server, pki):
    with _client(pki, "tsa") as client:
        answer = post(server.url, vordering("0363", "TSA01"), client=client)
    assert _accepted(answer), answer.text


def test_mtls_by_fingerprint_accepted(server, pki):
    with _client(pki, "inn") as client:
        answer = post(server.url, vordering("0363", "INN01"), client=client)
    # authenticated as inn, but inn may not send vorderingen: StUF052 proves the identity was recognised
    assert answer.status == 500 and answer.code == "StUF052" and answer.berichtcode == "Fo03"


def test_certificate_of_another_ca_is_refused_in_the_handshake(server, pki):
    with pytest.raises(httpx.TransportError), _client(pki, "other") as client:
        post(server.url, vordering("0363", "TSA01"), client=client)


def test_unmapped_certificate_and_no_certificate_get_401(server, pki):
    for name in ("stranger", None):
        with _client(pki, name) as client:
            answer = post(server.url, vordering("0363", "TSA01"), client=client)
        assert answer.status == 401 and "FailedAuthentication" in answer.text


def test_public_endpoints_need_no_credentials(server, pki):
    with _client(pki, None) as client:
        assert client.get(server.url + "/health").status_code == 200
        assert client.get(server.url + "/BeantwoordVraag?wsdl").status_code == 200


# -- authorisation: zender and operation ---------------------------------------------------------------------
def test_zender_of_another_client_is_stuf052(server, pki):
    with _client(pki, "tsa") as client:
        answer = post(server.url, vordering("0363", "INN01"), client=client)
    assert answer.code == "StUF052" and "INN01" in answer.reply.details


def test_unknown_zender_is_stuf013(server, pki):
    with _client(pki, "tsa") as client:
        answer = post(server.url, vordering("0363", "ONBEKEND"), client=client)
    assert answer.code == "StUF013" and answer.berichtcode == "Fo03"


def test_refused_operation_on_the_vraag_port_is_fo02_stuf052(server, pki):
    with _client(pki, "inn") as client:
        answer = post(server.url, vraag("0363", "INN01"), client=client, **VRAAG)
    assert answer.status == 500 and answer.berichtcode == "Fo02" and answer.code == "StUF052"
    assert "berichtcode Lv01, entiteittype VRD" in answer.reply.details


def test_allowed_vraag_passes_authorisation(server, pki):
    with _client(pki, "tsa") as client:
        answer = post(server.url, vraag("0363", "TSA01"), client=client, **VRAAG)
    assert _accepted(answer), answer.text


# -- HTTP Basic ------------------------------------------------------------------------------------------------
def test_basic_accepted_and_refused(server, pki):
    with _client(pki, None) as client:
        ok = post(server.url, vordering("0363", "FA001"), client=client, headers=_basic("fa", BASIC_PASSWORD))
        wrong = post(server.url, vordering("0363", "FA001"), client=client, headers=_basic("fa", "fout"))
        unknown = post(server.url, vordering("0363", "FA001"), client=client, headers=_basic("xx", BASIC_PASSWORD))
    assert _accepted(ok), ok.text
    assert wrong.status == unknown.status == 401 and wrong.text == unknown.text


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + __import__("base64").b64encode(f"{user}:{password}".encode()).decode()}


# -- WS-Security ----------------------------------------------------------------------------------------------
def test_wss_digest_accepted(server, pki):
    with _client(pki, None) as client:
        answer = post(server.url, fresh_digest_envelope("wss", WSS_SECRET, body_of(vordering("0363", "WSS01"))),
                      client=client)
    assert _accepted(answer), answer.text


def test_wss_password_text_accepted(server, pki):
    data = envelope_with_token("wss", WSS_SECRET, message=body_of(vordering("0363", "WSS01")))
    with _client(pki, None) as client:
        assert _accepted(post(server.url, data, client=client))


def test_wss_wrong_password_stale_created_and_replayed_nonce_are_401(server, pki):
    message = body_of(vordering("0363", "WSS01"))
    wrong = fresh_digest_envelope("wss", "niet-het-geheim", message)
    stale = envelope_with_token("wss", WSS_SECRET, message=message, digest=True, nonce=os.urandom(16),
                                created=datetime.now(UTC) - timedelta(minutes=10))
    replay = fresh_digest_envelope("wss", WSS_SECRET, body_of(vordering("0363", "WSS01")))
    with _client(pki, None) as client:
        assert post(server.url, wrong, client=client).status == 401
        assert post(server.url, stale, client=client).status == 401
        assert _accepted(post(server.url, replay, client=client))
        assert post(server.url, replay, client=client).status == 401
    # the log is written by the server's logging thread, after the answer may have gone out
    wait_for(lambda: "nonce replayed" in server.log() and "older than" in server.log(),
             "the replayed nonce and the stale Created in the server's log")


def test_no_password_in_the_log(server):
    log = server.log()
    assert WSS_SECRET not in log and BASIC_PASSWORD not in log


# -- audit: the authenticated identity is archived ------------------------------------------------------------
def test_identity_is_archived(server, pki):
    data = vordering("0363", "TSA01")
    with _client(pki, "tsa") as client:
        answer = post(server.url, data, client=client)
    assert answer.berichtcode == "Bv03", answer.text
    from stuf_fin.store.tables import bericht

    referentienummer = answer.reply.stuurgegeven("crossRefnummer")
    engine = sa.create_engine(f"sqlite:///{server.log_path.parent / 'gateway.db'}")
    with engine.connect() as conn:
        row = conn.execute(sa.select(bericht).where(bericht.c.referentienummer == referentienummer)).one()
    engine.dispose()
    assert row.authenticated_identity == "tsa"
    assert row.zender_applicatie == "TSA01"


# -- secure by default -------------------------------------------------------------------------------------
def _serve(tmp_path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}
    return subprocess.run([sys.executable, "-m", "stuf_fin", "serve", "--port", str(free_port()),
                           "--database-url", f"sqlite:///{tmp_path / 'g.db'}", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)


def test_public_bind_without_authentication_is_refused(tmp_path):
    result = _serve(tmp_path, "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0 without authentication" in result.stderr
    assert not (tmp_path / "g.db").exists()  # refused before anything else


def test_allow_anonymous_starts_with_a_warning(tmp_path):
    server = start_server(tmp_path, extra_args=("--host", "0.0.0.0", "--allow-anonymous"))
    try:
        assert httpx.get(server.url + "/health").status_code == 200
    finally:
        server.stop()
    assert "ANONYMOUS ACCESS" in server.log() and "WARNING" in server.log()


def test_client_certificate_required_refuses_clients_without_one(pki, tmp_path):
    config = clients_config(tmp_path, client_table("tsa", "0363/TSA01", tls_subject="CN=tsa.test,O=Gemeente Test,C=NL"))
    server = start_https_server(tmp_path, config, pki["ca"], pki["server"], client=pki["tsa"],
                                env={"STUF_FIN_TLS_CLIENT_CERT_REQUIRED": "true"})
    try:
        with pytest.raises(httpx.TransportError), _client(pki, None) as client:
            client.get(server.url + "/health")
        with _client(pki, "tsa") as client:
            assert _accepted(post(server.url, vordering("0363", "TSA01"), client=client))
    finally:
        server.stop()
