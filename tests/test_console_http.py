"""The console over real HTTP without a browser: access rules, security headers, CSRF, masking, the audit log,
the message log, vorderingen, resends, vrdLv01 results, the settings view, a port of its own."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
import sqlalchemy as sa

from bench import vraag as v
from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store
from stuf_fin.store.tables import console_audit
from tests.support.console import BEHEERDER, READER, Login, console_config, start_console_server, vordering_with_person
from tests.support.polling import wait_for
from tests.support.security import client_table, clients_config
from tests.support.server import free_port, start_server
from tests.support.soap import post

BEA = Login("Bea Beheer", "beheerder", "bea", "bea-" + "z" * 12)
PAGES = ("/console/", "/console/messages", "/console/messages?ref=x", "/console/messages.csv", "/console/vorderingen",
         "/console/outbox", "/console/settings", "/console/audit", "/console/static/console.css")


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """A gateway with the console (a beheerder, a lezer, a second beheerder), a route, and a handle on its store."""
    folder = tmp_path_factory.mktemp("console")
    config = console_config(folder, BEHEERDER, READER, BEA, outbound_url="http://127.0.0.1:9/down")
    server = start_console_server(folder, config)
    store = Store(f"sqlite:///{folder / 'gateway.db'}")
    try:
        yield server, store
    finally:
        store.dispose()
        server.stop()


def get(server, path: str, login: Login | None = BEHEERDER, **kw) -> httpx.Response:
    return httpx.get(server.url + path, auth=login.auth if login else None, timeout=30, **kw)


def audit_rows(store: Store, **where) -> list[sa.Row]:
    with store.begin(write=False) as conn:
        stmt = sa.select(console_audit)
        for column, value in where.items():
            stmt = stmt.where(console_audit.c[column] == value)
        return list(conn.execute(stmt.order_by(console_audit.c.id)))


def test_without_credentials_a_401_challenge_and_no_data(console):
    server, _ = console
    ref = "NODATA-" + uuid.uuid4().hex[:8]
    assert post(server.url, g.di01_vordering([vordering_with_person(0)], referentienummer=ref)).stuurgegeven(
        "berichtcode") == "Bv03"
    for path in (*PAGES, "/console/messages/1", "/console/vorderingen/1", "/console/outbox/1"):
        for auth in (None, ("anna", "wrong password"), ("nobody", "x")):
            response = httpx.get(server.url + path, auth=auth, timeout=30)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"].startswith('Basic realm="stuf-fin console"')
            assert ref not in response.text and "console.css" not in response.text
    refused = httpx.post(server.url + "/console/outbox/retry", data={"id": "1"}, timeout=30)
    assert refused.status_code == 401
    # the log is written by the server's logging thread, after the answer may have gone out
    wait_for(lambda: "console authentication failed" in server.log(), what="the refusal in the server's log")


def test_every_page_has_strict_security_headers_and_no_outside_assets(console):
    server, _ = console
    for path in PAGES:
        response = get(server, path)
        assert response.status_code == 200, (path, response.text[:500])
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == ("private, max-age=3600" if "static" in path else "no-store")
        if response.headers["content-type"].startswith("text/html"):
            assert "<script" not in response.text and " style=" not in response.text
            assert not re.search(r'(?:src|href)="(?:https?:)?//', response.text)


def test_the_console_is_off_without_accounts(tmp_path):
    server = start_server(tmp_path)
    try:
        assert httpx.get(server.url + "/console/", timeout=30).status_code == 404
    finally:
        server.stop()


def test_search_a_referentienummer_open_the_message_and_it_is_audited(console):
    server, store = console
    ref = "FIND-" + uuid.uuid4().hex[:10]
    spec = vordering_with_person(1)
    assert post(server.url, g.di01_vordering([spec], referentienummer=ref)).stuurgegeven("berichtcode") == "Bv03"
    listing = get(server, "/console/messages", params={"ref": ref})
    [ident] = re.findall(r'href="/console/messages/(\d+)"', listing.text)
    page = get(server, f"/console/messages/{ident}")
    assert page.status_code == 200
    assert ref in page.text and "Di01-verstrekVordering" in page.text and "Bv03Bericht" in page.text
    assert spec.vorderingnummer in page.text  # the vordering it created, linked
    [entry] = audit_rows(store, target=f"bericht {ident}")
    assert (entry.account, entry.role, entry.action) == (BEHEERDER.name, "beheerder", "view_message")
    wait_for(lambda: f"console audit: {BEHEERDER.name} (beheerder) view_message bericht {ident}" in server.log(),
             what="the audit line in the server's log")


def test_bsn_and_iban_masked_in_lists_and_for_the_lezer_whole_for_the_beheerder(console):
    server, store = console
    spec = vordering_with_person(2)
    bsn, iban = spec.debiteur.who.bsn, spec.incasso.iban
    ref = "MASK-" + uuid.uuid4().hex[:10]
    post(server.url, g.di01_vordering([spec], referentienummer=ref))
    listing = get(server, "/console/vorderingen", params={"nummer": spec.vorderingnummer, "list": "1"})
    assert "*****" + bsn[5:] in listing.text and bsn not in listing.text and iban not in listing.text
    [ident] = set(re.findall(r'href="/console/vorderingen/(\d+)"', listing.text))
    as_reader = get(server, f"/console/vorderingen/{ident}", READER)
    assert as_reader.status_code == 200 and bsn not in as_reader.text and iban not in as_reader.text
    assert "*****" + bsn[5:] in as_reader.text and iban[:4] + "*" in as_reader.text
    beheerder = get(server, f"/console/vorderingen/{ident}")
    assert bsn in beheerder.text and iban in beheerder.text
    [message] = re.findall(r'href="/console/messages/(\d+)"', get(server, "/console/messages",
                                                                   params={"ref": ref}).text)
    reader_xml = get(server, f"/console/messages/{message}", READER).text
    assert bsn not in reader_xml and iban not in reader_xml and "*****" + bsn[5:] in reader_xml
    assert bsn not in get(server, f"/console/messages/{message}/request.xml", READER).text
    assert bsn in get(server, f"/console/messages/{message}/request.xml").text
    actions = {(r.account, r.action) for r in audit_rows(store)}
    assert {(READER.name, "view_vordering"), (BEHEERDER.name, "view_vordering"), (READER.name, "view_message"),
            (READER.name, "download_request"), (BEHEERDER.name, "download_request")} <= actions


def test_a_fo03_shows_its_stuf_code_and_location_and_a_stuf016_refusal_is_listed_with_the_original(console):
    server, _ = console
    ref = "DUP-" + uuid.uuid4().hex[:10]
    accepted = post(server.url, g.di01_vordering([vordering_with_person(6)], referentienummer=ref))
    refused = post(server.url, g.di01_vordering([vordering_with_person(7)], referentienummer=ref))
    assert (accepted.stuurgegeven("berichtcode"), refused.code) == ("Bv03", "StUF016")
    rows = re.findall(r'href="/console/messages/(\d+)"', get(server, "/console/messages", params={"ref": ref}).text)
    assert len(rows) == 2
    newest, original = rows
    fault_page = get(server, f"/console/messages/{newest}").text
    assert "StUF016" in fault_page and 'class="plek">client' in fault_page
    assert f'href="/console/messages/{newest}"' in get(server, f"/console/messages/{original}").text


def test_csv_export_of_a_search(console):
    server, _ = console
    app = "CSV" + uuid.uuid4().hex[:6].upper()
    refs = []
    for n in range(3):
        ref = uuid.uuid4().hex[:12]
        post(server.url, g.di01_vordering([vordering_with_person(10 + n)], referentienummer=ref,
                                          zender=g.Systeem("1900", app)))
        refs.append(ref)
    response = get(server, "/console/messages.csv", params={"app": app})
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("id,received_at,answered_at,duration_ms")
    assert [line.split(",")[8] for line in lines[1:]] == refs[::-1]  # newest first


def test_retry_needs_the_beheerder_role_and_a_token_of_this_account(console):
    server, store = console
    spec = vordering_with_person(5)  # its status change is queued for a route whose receiver is down: waiting
    post(server.url, g.di01_vordering([spec]))
    post(server.url, g.di01_statuswijziging([g.status_for(spec, "BET")]))
    waiting = wait_for(lambda: re.findall(r'name="id" value="(\d+)"', get(server, "/console/outbox",
                                                                          params={"state": "pending"}).text),
                       "a waiting outbox message", 30)
    reader_page = get(server, "/console/outbox", READER, params={"state": "pending"}).text
    assert waiting[0] in reader_page and "Retry" not in reader_page and 'name="csrf"' not in reader_page
    assert 'type="checkbox"' not in reader_page
    page = get(server, "/console/outbox", params={"state": "pending"}).text
    [token] = re.findall(r'name="csrf" value="([^"]+)"', page)
    retry = server.url + "/console/outbox/retry"
    form = {"csrf": token, "id": "999999", "reference": "auto"}
    host = {"origin": server.url}
    # a lezer with the beheerder's token, a forged form without a token, another account's token, another site
    assert httpx.post(retry, data=form, auth=READER.auth, headers=host).status_code == 403
    assert httpx.post(retry, data={"id": "999999"}, auth=BEHEERDER.auth, headers=host).status_code == 403
    assert httpx.post(retry, data=form, auth=BEA.auth, headers=host).status_code == 403
    assert httpx.post(retry, data=form, auth=BEHEERDER.auth,
                      headers={"origin": "https://evil.example"}).status_code == 403
    assert httpx.post(retry, data=form, auth=BEHEERDER.auth,
                      headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert not [r for r in audit_rows(store, action="retry")]
    # the genuine form gets through the checks (and finds no message 999999) ...
    answer = httpx.post(retry, data=form, auth=BEHEERDER.auth, headers=host)
    assert answer.status_code == 409 and "999999: no such message" in answer.text
    # ... and retries a waiting message, audited
    done = httpx.post(retry, data={**form, "id": waiting[0]}, auth=BEHEERDER.auth, headers=host)
    assert done.status_code == 303 and f"retried={waiting[0]}" in done.headers["location"]
    [entry] = audit_rows(store, action="retry")
    assert (entry.account, entry.target, entry.detail) == (BEHEERDER.name, f"outbox {waiting[0]}",
                                                           "sent at the next round")


def test_the_vorderingen_a_vrdlv01_returned_are_recorded(console):
    server, _ = console
    spec = vordering_with_person(3)
    post(server.url, g.di01_vordering([spec]))
    la01 = post(server.url, v.vrdLv01([v.field("vorderingnummer", spec.vorderingnummer)]))
    assert la01.message.tag.endswith("}vrdLa01")
    [ident] = set(re.findall(r'href="/console/vorderingen/(\d+)"', get(
        server, "/console/vorderingen", params={"nummer": spec.vorderingnummer, "list": "1"}).text))
    # the question is archived just after its answer: poll
    page = wait_for(lambda: (t := get(server, f"/console/vorderingen/{ident}").text) and "vrdLv01" in t and t,
                    "the question on the vordering's page", 30)
    [question] = re.findall(r'href="/console/messages/(\d+)">[^<]*</a></td>\s*<td>vrdLv01', page)
    assert f'href="/console/vorderingen/{ident}"' in get(server, f"/console/messages/{question}").text


def test_a_status_change_shows_in_the_history_with_its_message(console):
    server, _ = console
    spec = vordering_with_person(4)
    post(server.url, g.di01_vordering([spec]))
    ref = "STATUS-" + uuid.uuid4().hex[:8]
    post(server.url, g.di01_statuswijziging([g.status_for(spec, "BET")], referentienummer=ref))
    page = get(server, "/console/vorderingen", params={"nummer": spec.vorderingnummer}, follow_redirects=True).text
    assert re.search(r'class="status">BET<', page) and ref in page


def test_the_settings_view_hides_secrets(console):
    server, _ = console
    page = get(server, "/console/settings").text
    assert "console_query_timeout" in page and "&lt;hidden&gt;" in page and "scrypt$" not in page
    assert "tsa:BELASTINGEN" in page and BEHEERDER.name in page


def test_the_audit_log_is_for_the_beheerder(console):
    server, _ = console
    ref = "AUDIT-" + uuid.uuid4().hex[:8]
    post(server.url, g.di01_vordering([vordering_with_person(20)], referentienummer=ref))
    [ident] = re.findall(r'href="/console/messages/(\d+)"', get(server, "/console/messages", params={"ref": ref}).text)
    get(server, f"/console/messages/{ident}", READER)
    assert get(server, "/console/audit", READER).status_code == 403
    page = get(server, "/console/audit", params={"account": READER.name}).text
    assert f'href="/console/messages/{ident}">bericht {ident}</a>' in page and "view_message" in page


def test_console_accounts_and_clients_are_separate(tmp_path):
    clients = clients_config(tmp_path, client_table("tsa", "1900/BELASTINGEN", username="tsa", password="tsa-pw"))
    config = console_config(tmp_path, BEHEERDER, clients=clients.read_text())
    server = start_console_server(tmp_path, config)
    try:
        soap = server.url + "/VerstrekVorderingOfVerantwoording"
        headers = {"content-type": "text/xml", "soapaction": '"x"'}
        assert httpx.post(soap, content=g.soap(g.di01_vordering(1)), auth=BEHEERDER.auth,
                          headers=headers).status_code == 401
        assert httpx.get(server.url + "/console/", auth=("tsa", "tsa-pw")).status_code == 401
        assert httpx.get(server.url + "/console/", auth=BEHEERDER.auth).status_code == 200
    finally:
        server.stop()


def test_the_console_on_a_port_of_its_own(tmp_path):
    port = free_port()
    server = start_console_server(tmp_path, console_config(tmp_path, BEHEERDER), extra_args=("--console-port",
                                                                                               str(port)))
    try:
        console_url = f"http://127.0.0.1:{port}"
        assert httpx.get(console_url + "/console/", auth=BEHEERDER.auth).status_code == 200
        assert httpx.get(console_url + "/").headers["location"] == "/console/"
        assert httpx.get(console_url + "/health").status_code == 404  # only the console there
        assert httpx.get(server.url + "/console/", auth=BEHEERDER.auth).status_code == 404
        assert post(server.url, g.di01_vordering(1)).stuurgegeven("berichtcode") == "Bv03"
    finally:
        server.stop()
