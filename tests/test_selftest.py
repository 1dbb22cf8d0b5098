"""``stuf-fin selftest`` as an integrator runs it (a subprocess): every provider scenario against our own gateway,
the consumer scenarios with our gateway's outbox and with ``stuf-fin send`` as the senders, and deliberately wrong
providers and senders, whose scenarios must fail with a reason a person understands."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest
from junitparser import JUnitXml

from stuf_fin.selftest import generator as g
from tests.support.fakes import FakeProvider
from tests.support.outbound import FAST
from tests.support.polling import wait_for
from tests.support.server import free_port, start_server
from tests.support.soap import post

ROLE_SCENARIOS = {"inningsysteem": [9, 10, 11, 12], "tsa": [4, 5], "financiele-administratie": [13, 14]}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}


def selftest(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stuf_fin", "selftest", *args], capture_output=True, text=True,
                          env=_env(), timeout=timeout)


def start_selftest(folder: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    out = folder / "selftest.out"
    with open(out, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "stuf_fin", "selftest", *args], stdout=log,
                                   stderr=subprocess.STDOUT, env=_env())
    return process, out


def verdicts(junit: Path) -> dict[int, str | None]:
    """Scenario number -> None when it passed, else the failure message."""
    found = {}
    for suite in JUnitXml.fromfile(str(junit)):
        for case in suite:
            number = int(case.name.split(":")[0].split()[1])
            found[number] = case.result[0].message if case.result else None
    return found


def wait_for_scenario(listen: str, number: int, process: subprocess.Popen, out: Path) -> None:
    """Poll the listener's status until the runner waits for scenario ``number``."""
    def waiting() -> bool:
        assert process.poll() is None, f"selftest ended early:\n{out.read_text()}"
        try:
            status = httpx.get(listen + "/", timeout=2).json()
        except httpx.TransportError:
            return False
        return bool(status["waiting"]) and status["waiting"]["scenario"] == number

    wait_for(waiting, f"the runner to wait for scenario {number}", 60)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("selftest-gateway"))
    yield server
    server.stop()


# -- provider scenarios against our gateway -----------------------------------------------------------------------

@pytest.mark.parametrize("role", list(ROLE_SCENARIOS))
def test_every_provider_scenario_passes_against_our_gateway(gateway, tmp_path, role):
    report, junit = tmp_path / "report.html", tmp_path / "junit.xml"
    result = selftest("--role", role, "--endpoint", gateway.url, "--report", str(report), "--junit", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert verdicts(junit) == dict.fromkeys(ROLE_SCENARIOS[role])
    assert "PASSED" in result.stdout and "fail" not in result.stdout.split("PASSED")[0].lower()
    html = report.read_text()
    assert "<script" not in html and "http://" not in html.split("<main>")[0] + html.split("</main>")[1]


def test_a_port_url_is_accepted_as_endpoint_and_scenarios_can_be_narrowed(gateway, tmp_path):
    junit = tmp_path / "junit.xml"
    result = selftest("--role", "inningsysteem", "--endpoint", gateway.url + "/BeantwoordVraag/", "--scenario", "12",
                      "--junit", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert verdicts(junit) == {12: None}


def test_scenario_4_with_an_existing_vordering(gateway, tmp_path):
    spec = g.random_vordering(random.Random(4), 1, prefix=f"EXIST{tmp_path.name[-6:]}-", tsa="BESTAAND")
    assert post(gateway.url, g.di01_vordering([spec])).stuurgegeven("berichtcode") == "Bv03"
    junit = tmp_path / "junit.xml"
    result = selftest("--role", "tsa", "--endpoint", gateway.url, "--scenario", "4", "--tsa", "BESTAAND",
                      "--vorderingnummer", spec.vorderingnummer, "--junit", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "exists in the system" in JUnitXml.fromfile(str(junit)).tostring().decode()


def test_usage_errors_exit_2_with_a_reason():
    for args, reason in ((["--role", "tsa"], "give --endpoint"),
                         (["--role", "tsa", "--endpoint", "http://127.0.0.1:1", "--scenario", "9"],
                          "no provider scenario of role tsa"),
                         (["--role", "tsa", "--endpoint", "http://127.0.0.1:1", "--scenario", "15"], "no scenario 15"),
                         (["--role", "tsa", "--listen", "nohost"], "HOST:PORT"),
                         (["--role", "tsa", "--endpoint", "http://127.0.0.1:1", "--zender", "x"], "--zender")):
        result = selftest(*args)
        assert result.returncode == 2 and reason in result.stderr, (args, result.stderr)


# -- deliberately wrong providers ----------------------------------------------------------------------------------

WRONG = {  # mode, role -> {scenario: words its reason must contain, or None when it must pass}
    ("bv03", "inningsysteem"): {9: "expected a vrdLa01", 10: "accepted vordering", 11: "accepted vordering",
                                12: "expected a Fo02 or an empty vrdLa01, got a Bv03"},
    ("bv03", "tsa"): {4: None, 5: "accepted a status change"},
    ("bv03", "financiele-administratie"): {13: None, 14: "accepted verantwoording"},
    ("invalid-la01", "inningsysteem"): {9: "vrdLa01 fails the schema", 10: "accepted vordering",
                                        11: "accepted vordering", 12: "vrdLa01 fails the schema"},
    ("wrong-crossref", "financiele-administratie"): {13: "crossRefnummer", 14: "crossRefnummer"},
    ("wrong-crossref", "tsa"): {4: "crossRefnummer", 5: "accepted a status change"},
}


@pytest.mark.parametrize(("mode", "role"), list(WRONG))
def test_a_wrong_provider_fails_the_right_scenarios_with_a_reason(tmp_path, mode, role):
    fake = FakeProvider(mode)
    try:
        junit = tmp_path / "junit.xml"
        result = selftest("--role", role, "--endpoint", fake.url, "--junit", str(junit), "--timeout", "10")
    finally:
        fake.close()
    expected = WRONG[mode, role]
    assert result.returncode == (0 if all(v is None for v in expected.values()) else 1), result.stdout
    found = verdicts(junit)
    assert set(found) == set(expected)
    for number, words in expected.items():
        if words is None:
            assert found[number] is None, found[number]
        else:
            assert found[number] and words in found[number], (number, found[number])
            assert f"scenario {number} failed: step" in result.stdout


def test_a_provider_that_never_answers_fails_within_the_timeouts(tmp_path):
    fake = FakeProvider("silent")
    try:
        junit = tmp_path / "junit.xml"
        result = selftest("--role", "inningsysteem", "--endpoint", fake.url, "--timeout", "1", "--junit", str(junit),
                          timeout=120)
    finally:
        fake.close()
    assert result.returncode == 1
    found = verdicts(junit)
    assert set(found) == {9, 10, 11, 12} and all("no answer" in found[n] for n in found), found
    assert fake.requests >= 4  # every scenario tried
    for step in ("9 inningsysteem step 2: not run", "9 inningsysteem step 4: not run",
                 "10 inningsysteem step 2: not run"):  # the questions need the vorderingen, step 2 of 10 step 1
        assert step in result.stdout, result.stdout


# -- consumer scenarios --------------------------------------------------------------------------------------------

def _routes(folder: Path, listen: str) -> Path:
    config = folder / "routes.toml"
    config.write_text(f"""
[outbound]
zender = "1900/STUFFIN"

[outbound.tsa."SELFTEST"]
url = "{listen}/VerstrekVorderingOfVerantwoording"
ontvanger = "1900/SELFTEST"

[outbound.financiele_administratie]
url = "{listen}/VerstrekVorderingOfVerantwoording"
ontvanger = "1900/SELFTEST"
""")
    return config


def test_inningsysteem_consumer_scenarios_pass_with_the_gateways_outbox(tmp_path):
    port = free_port()
    listen = f"http://127.0.0.1:{port}"
    server = start_server(tmp_path, env={"STUF_FIN_CONFIG": str(_routes(tmp_path, listen)), **FAST})
    process = None
    try:
        spec = g.random_vordering(random.Random(6), 1, prefix="CONS-", tsa="SELFTEST", today=date.today())
        assert post(server.url, g.di01_vordering([spec])).stuurgegeven("berichtcode") == "Bv03"
        junit, report = tmp_path / "junit.xml", tmp_path / "report.html"
        process, out = start_selftest(tmp_path, "--role", "inningsysteem", "--listen", f"127.0.0.1:{port}",
                                      "--zender", "1900/SELFTEST", "--ontvanger", "1900/STUFFIN", "--wait", "60",
                                      "--resend-window", "2", "--junit", str(junit), "--report", str(report))
        wait_for_scenario(listen, 6, process, out)
        assert post(server.url, g.di01_statuswijziging([g.status_for(spec, "VRW", paid=0)])) \
            .stuurgegeven("berichtcode") == "Bv03"
        for scenario in (7, 8):
            wait_for_scenario(listen, scenario, process, out)
            fvw = g.random_verantwoording(random.Random(scenario), scenario, prefix=f"F{port}-")
            assert post(server.url, g.di01_financiele_verantwoording([fvw])).stuurgegeven("berichtcode") == "Bv03"
        assert process.wait(120) == 0, out.read_text()
    finally:
        if process is not None and process.poll() is None:
            process.kill()
        server.stop()
    assert verdicts(junit) == {6: None, 7: None, 8: None}
    text = out.read_text()
    assert "identical resend(s)" not in text  # notes are in the report, the terminal shows verdicts
    html = report.read_text()
    assert "Di01-verstrekFinancieleVerantwoording received on" in html and "Fo03 StUF058" in html


def _files(folder: Path) -> dict[str, Path]:
    """Messages a TSA sends: a vordering linked to a Zaak, two questions about it, a second vordering."""
    rng = random.Random(1)
    specs = [g.random_vordering(rng, i, prefix=f"TSA{folder.name[-6:]}-", today=date.today()) for i in range(2)]
    for spec in specs:
        spec.zaak_identificatie = "ZAAK-2025-0000001"
    paths = {"vordering": folder / "1-vordering.xml", "vragen": folder / "2-vragen", "tweede": folder / "3.xml"}
    paths["vordering"].write_bytes(g.di01_vordering(specs[:1]))
    paths["vragen"].mkdir()
    for n, scope in ((1, g.status_scope()), (2, "alles")):  # two different questions (send skips duplicates)
        (paths["vragen"] / f"{n}.xml").write_bytes(g.vrdLv01(specs[0].vorderingnummer, scope=scope))
    paths["tweede"].write_bytes(g.di01_vordering(specs[1:]))
    return paths


def _send(listen: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stuf_fin", "send", str(path), "--to",
                           listen + "/VerstrekVorderingOfVerantwoording"], capture_output=True, text=True, env=_env(),
                          timeout=60)


def test_tsa_consumer_scenarios_pass_with_stuf_fin_send(tmp_path):
    port = free_port()
    listen = f"http://127.0.0.1:{port}"
    files = _files(tmp_path)
    junit, report = tmp_path / "junit.xml", tmp_path / "report.html"
    process, out = start_selftest(tmp_path, "--role", "tsa", "--listen", f"127.0.0.1:{port}", "--wait", "60",
                                  "--resend-window", "1", "--junit", str(junit), "--report", str(report))
    try:
        wait_for_scenario(listen, 1, process, out)
        assert _send(listen, files["vordering"]).returncode == 0
        wait_for_scenario(listen, 2, process, out)
        sent = _send(listen, files["vragen"])
        assert sent.returncode == 0 and "2 La01" in sent.stdout, sent.stdout
        wait_for_scenario(listen, 3, process, out)
        refused = _send(listen, files["tweede"])
        assert refused.returncode == 1 and "StUF058" in refused.stdout, refused.stdout
        assert process.wait(60) == 0, out.read_text()
    finally:
        if process.poll() is None:
            process.kill()
    assert verdicts(junit) == {1: None, 2: None, 3: None}
    html = report.read_text()
    assert html.count("the minimal vrdLa01") >= 1 and html.count("the maximal vrdLa01") >= 1


# -- deliberately wrong senders ------------------------------------------------------------------------------------

def test_a_sender_that_repeats_a_refused_message_as_a_new_one_fails_scenario_3(tmp_path):
    port = free_port()
    listen = f"http://127.0.0.1:{port}"
    junit = tmp_path / "junit.xml"
    process, out = start_selftest(tmp_path, "--role", "tsa", "--listen", f"127.0.0.1:{port}", "--scenario", "3",
                                  "--wait", "60", "--resend-window", "3", "--junit", str(junit))
    try:
        wait_for_scenario(listen, 3, process, out)
        spec = g.random_vordering(random.Random(3), 3, prefix=f"BLIND{port}-", today=date.today())
        for _ in range(2):  # the same vordering, each time with a new referentienummer
            reply = httpx.post(listen + "/VerstrekVorderingOfVerantwoording", content=g.soap(g.di01_vordering([spec])),
                               headers={"SOAPAction": f'"{g.FIN}/Di01-verstrekVordering"',
                                        "Content-Type": "text/xml; charset=utf-8"})
            assert reply.status_code == 500 and b"StUF058" in reply.content
        assert process.wait(60) == 1, out.read_text()
    finally:
        if process.poll() is None:
            process.kill()
    reason = verdicts(junit)[3]
    assert "step 2" in reason and "sent again with a new referentienummer" in reason, reason


def test_a_status_change_with_the_correctly_spelled_functie_fails_scenario_6(tmp_path):
    port = free_port()
    listen = f"http://127.0.0.1:{port}"
    junit = tmp_path / "junit.xml"
    process, out = start_selftest(tmp_path, "--role", "inningsysteem", "--listen", f"127.0.0.1:{port}", "--scenario",
                                  "6", "--wait", "60", "--junit", str(junit))
    try:
        wait_for_scenario(listen, 6, process, out)
        spec = g.random_vordering(random.Random(6), 6, tsa="SELFTEST")
        message = g.di01_statuswijziging([g.status_for(spec)]).replace(
            b"verstrekVorderngStatusWijzigng", b"verstrekVorderingStatusWijziging")
        reply = httpx.post(listen + "/VerstrekVorderingOfVerantwoording", content=g.soap(message),
                           headers={"SOAPAction": f"{g.FIN}/Di01-verstrekVorderingStatusWijziging",
                                    "Content-Type": "text/xml"})
        assert reply.status_code == 500 and b"StUF055" in reply.content  # the counterpart refuses it
        assert process.wait(60) == 1, out.read_text()
    finally:
        if process.poll() is None:
            process.kill()
    reason = verdicts(junit)[6]
    assert "functie 'verstrekVorderingStatusWijziging'" in reason and "verstrekVorderngStatusWijzigng" in reason


def test_the_listener_says_what_it_waits_for_and_refuses_what_comes_out_of_turn(tmp_path):
    port = free_port()
    listen = f"http://127.0.0.1:{port}"
    process, out = start_selftest(tmp_path, "--role", "tsa", "--listen", f"127.0.0.1:{port}", "--scenario", "1",
                                  "--wait", "60")
    try:
        wait_for_scenario(listen, 1, process, out)
        status = json.loads(httpx.get(listen + "/").content)
        assert status["waiting"]["operations"] == ["Di01-verstrekVordering"]
        reply = httpx.post(listen + "/BeantwoordVraag", content=g.soap(g.vrdLv01("X")),
                           headers={"SOAPAction": f'"{g.FIN}/vrdLv01"', "Content-Type": "text/xml"})
        assert reply.status_code == 500 and b"Fo02Bericht" in reply.content and b"StUF046" in reply.content
    finally:
        process.kill()
        process.wait(10)


# -- the report in a browser ---------------------------------------------------------------------------------------

def test_the_report_opens_in_headless_chromium_and_shows_every_step(tmp_path):
    from tests.support.browser import chromium_page

    fake = FakeProvider("bv03")
    try:
        report = tmp_path / "report.html"
        result = selftest("--role", "tsa", "--endpoint", fake.url, "--report", str(report))
    finally:
        fake.close()
    assert result.returncode == 1, result.stdout
    with chromium_page() as page:
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.as_uri())
        assert page.locator("#verdict").inner_text() == "FAILED"
        rows = page.locator("tr.step-row")
        assert [rows.nth(i).get_attribute("data-step") for i in range(rows.count())] == ["4.0", "4.1", "4.2", "5.1"]
        for i in range(rows.count()):
            assert rows.nth(i).is_visible()
        assert [page.locator(f"#scenario-{n} h2").inner_text().split(" — ")[0] for n in (4, 5)] == \
            ["Scenario 4", "Scenario 5"]
        step = page.locator("#step-5-1")
        assert "accepted a status change" in step.inner_text() and "expected a Fo03" in step.inner_text()
        message = step.locator("details pre").first
        assert not message.is_visible()  # folded until asked
        step.locator("details summary").first.click()
        text = message.inner_text()
        assert message.is_visible() and "\n  <FIN:stuurgegevens>" in text and "verstrekVorderngStatusWijzigng" in text
        answer = step.locator("details pre").nth(1).inner_text()
        assert "<StUF:Bv03Bericht" in answer  # the fake's wrong answer, as received
        assert requests == [report.as_uri()]  # self-contained: nothing else is fetched
        if os.environ.get("STUF_FIN_DOCS_SCREENSHOTS"):  # refresh the picture in docs/selftest.md
            folder = Path(__file__).resolve().parent.parent / "docs" / "selftest"
            folder.mkdir(exist_ok=True)
            step.scroll_into_view_if_needed()
            page.screenshot(path=str(folder / "report-tsa-step.png"))
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(folder / "report-tsa.png"))
