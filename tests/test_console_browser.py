"""The console in a real headless Chromium (Debian's, driven by Playwright) against a real gateway and a real
outbound receiver, doing what an operator does.  Each page it visits is saved as ``docs/console/<name>.png``
(shown in docs/console.md) when ``STUF_FIN_DOCS_SCREENSHOTS=1``."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest

from stuf_fin.selftest import generator as g
from tests.support.console import BEHEERDER, READER, console_config, start_console_server, vordering_with_person
from tests.support.polling import wait_for
from tests.support.receiver import Receiver
from tests.support.soap import post

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "console"
CHROMIUM = os.environ.get("STUF_FIN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"the console's browser tests need Chromium at {CHROMIUM}: apt-get install chromium "
                    "(.ci/run installs it), or set STUF_FIN_CHROMIUM to its path", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, receiver):
    folder = tmp_path_factory.mktemp("console-browser")
    config = console_config(folder, BEHEERDER, READER, outbound_url=receiver.url)
    server = start_console_server(folder, config, env={"STUF_FIN_OUTBOUND_MAX_ATTEMPTS": "3"})
    yield server
    server.stop()


def session(browser, login):
    context = browser.new_context(http_credentials={"username": login.username, "password": login.password},
                                  viewport={"width": 1280, "height": 860}, locale="nl-NL",
                                  timezone_id="Europe/Amsterdam")
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def shot(page, name: str) -> None:
    """A full-page screenshot (the page rendered); saved into docs/console/ only with STUF_FIN_DOCS_SCREENSHOTS=1,
    so that a test run leaves the checkout as it was."""
    image = page.screenshot(full_page=True)
    assert image.startswith(b"\x89PNG")
    if os.environ.get("STUF_FIN_DOCS_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(image)


def reload_until(page, condition, what: str, timeout: float = 60) -> None:
    """Reload ``page`` until ``condition(page)`` holds (the outbox changes behind the page's back)."""
    def check():
        page.reload()
        return condition(page)
    wait_for(check, what, timeout)


def test_an_operator_follows_a_message_a_fault_a_vordering_and_a_dead_letter(browser, gateway, receiver):
    context, page = session(browser, BEHEERDER)
    # log in: the overview, as the beheerder
    response = page.goto(gateway.url + "/console/")
    assert response.status == 200
    assert page.locator("header .who").inner_text().startswith(BEHEERDER.name)

    # a message just sent: search its referentienummer, open it, see the request and the Bv03
    spec = vordering_with_person(1, prefix=f"WEB{uuid.uuid4().hex[:5].upper()}-")
    ref = "WEB-" + uuid.uuid4().hex[:12]
    assert post(gateway.url, g.di01_vordering([spec], referentienummer=ref)).stuurgegeven("berichtcode") == "Bv03"
    page.get_by_role("link", name="Message log").click()
    page.fill("input[name=ref]", ref)
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.messages tbody tr")
    assert rows.count() == 1 and ref in rows.first.inner_text()
    shot(page, "message-log")
    rows.first.locator("a").first.click()
    assert page.locator("h1").inner_text().startswith("Di01-verstrekVordering")
    request_xml = page.locator("section.xml").nth(0).locator("pre.pretty").inner_text()
    assert "FIN:Di01-verstrekVordering" in request_xml and ref in request_xml
    assert "Bv03Bericht" in page.locator("section.xml").nth(1).locator("pre.pretty").inner_text()
    shot(page, "message")
    message_url = page.url

    # a Fo03: its StUF code and where the error is
    bad = g.di01_vordering([vordering_with_person(2)], referentienummer="WEB-BAD-" + uuid.uuid4().hex[:8])
    bad = re.sub(rb"(<FIN:valutacode>)EUR(</FIN:valutacode>)", rb"\1EURO\2", bad, count=1)
    assert post(gateway.url, bad).code == "StUF055"
    page.goto(gateway.url + "/console/messages?outcome=Fo03&fault=StUF055")
    page.locator("table.messages tbody tr a").first.click()
    assert page.locator("section.fault .code-value").inner_text() == "StUF055"
    assert page.locator("section.fault .plek").inner_text() == "client"
    assert "FIN:valutacode" in page.locator("section.fault .details").inner_text()
    shot(page, "fault")

    # the receiver goes down; a status change for the vordering is queued for it
    receiver.down()
    post(gateway.url, g.di01_statuswijziging([g.status_for(spec, "BET")]))
    # follow the link from the message to the vordering: the status change is in its history
    page.goto(message_url)
    page.get_by_role("link", name=spec.vorderingnummer).first.click()
    assert page.locator("h1").inner_text().startswith("Vordering")
    wait_for(lambda: page.reload() or "BET" in page.locator("table.history td.status").all_inner_texts(),
             "the status change in the history", 30)
    assert page.locator("#bsn").inner_text() == spec.debiteur.who.bsn  # the beheerder sees it whole
    shot(page, "vordering")

    # the status change becomes a dead letter (three refused connections)
    page.goto(gateway.url + "/console/outbox?state=dead")
    reload_until(page, lambda p: p.locator("tbody.item").count() > 0, "a dead letter")
    dead = page.locator("tbody.item").first
    assert "Connection refused" in dead.inner_text()
    outbox_id = dead.locator("input[type=checkbox]").get_attribute("value")
    shot(page, "outbox-dead")

    # the receiver is back: retry it, and it is delivered
    receiver.up()
    dead.locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Retry selected").click()
    assert page.locator("p.done").inner_text().startswith("Queued again")
    page.goto(gateway.url + "/console/outbox?state=delivered")
    reload_until(page, lambda p: p.locator(f'tbody.item a[href="/console/outbox/{outbox_id}"]').count() == 1,
                 "the retried message delivered")
    assert spec.vorderingnummer in str(receiver.processed[-1].message)
    shot(page, "outbox-delivered")

    page.goto(gateway.url + f"/console/outbox/{outbox_id}")
    assert "delivered" in page.locator("h1").inner_text()
    shot(page, "outbox-message")
    page.goto(gateway.url + "/console/")
    shot(page, "overview")
    page.goto(gateway.url + "/console/settings")
    shot(page, "settings")
    page.goto(gateway.url + "/console/audit")
    assert "retry" in page.locator("table.list").inner_text()
    shot(page, "audit")
    context.close()


def test_a_lezer_sees_masked_bsns_gets_no_retry_button_and_a_forged_post_is_refused(browser, gateway, receiver):
    spec = vordering_with_person(3, prefix=f"LEZ{uuid.uuid4().hex[:5].upper()}-")
    post(gateway.url, g.di01_vordering([spec]))
    receiver.answer("http503", "http503", "http503")  # three failed attempts: a dead letter
    try:
        post(gateway.url, g.di01_statuswijziging([g.status_for(spec, "VRW")]))
        context, page = session(browser, READER)
        page.goto(gateway.url + "/console/vorderingen")
        page.fill("input[name=nummer]", spec.vorderingnummer)
        page.get_by_role("button", name="Find").click()
        bsn = spec.debiteur.who.bsn
        assert page.locator("#bsn").inner_text() == "*****" + bsn[5:]  # the lezer: masked on the detail page too
        page.goto(gateway.url + f"/console/vorderingen?nummer={spec.vorderingnummer}&list=1")
        listed = page.locator("table.vorderingen").inner_text()
        assert "*****" + bsn[5:] in listed and bsn not in listed and spec.incasso.iban not in listed
        shot(page, "vorderingen")

        page.goto(gateway.url + "/console/outbox?state=dead")
        reload_until(page, lambda p: p.locator("tbody.item").count() > 0, "a dead letter for the lezer")
        assert page.get_by_role("button", name="Retry selected").count() == 0
        assert page.locator("input[type=checkbox]").count() == 0
        shot(page, "outbox-lezer")
        outbox_id = re.search(r"/console/outbox/(\d+)", page.locator("tbody.item a").first.get_attribute(
            "href")).group(1)

        # a forged POST from the lezer's browser, with a token copied from a beheerder's page: refused
        admin_context, admin = session(browser, BEHEERDER)
        admin.goto(gateway.url + "/console/outbox?state=dead")
        token = admin.locator("input[name=csrf]").first.get_attribute("value")
        admin_context.close()
        forged = page.request.post(gateway.url + "/console/outbox/retry",
                                   form={"csrf": token, "id": outbox_id, "reference": "auto"},
                                   headers={"origin": gateway.url})
        assert forged.status == 403
        page.goto(gateway.url + "/console/outbox?state=dead")
        assert page.locator(f'tbody.item a[href="/console/outbox/{outbox_id}"]').count() == 1  # still dead
        context.close()
    finally:
        receiver.script.clear()
