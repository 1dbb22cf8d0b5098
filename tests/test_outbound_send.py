"""``stuf-fin send`` against a real StUF receiver: SOAPActions, a summary, a journal that makes a failed or
interrupted bulk run resume without sending an acknowledged message again."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from lxml import etree

from stuf_fin.namespaces import FIN, STUF
from stuf_fin.selftest import generator as g
from tests.support.outbound import environment, run_cli
from tests.support.polling import wait_for
from tests.support.receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def messages(folder: Path, n: int) -> list[str]:
    """``n`` Di01 vordering messages (every third in a SOAP envelope); their referentienummers in file order."""
    folder.mkdir(parents=True, exist_ok=True)
    rng, run = random.Random(n), uuid.uuid4().hex[:8]
    refs = []
    for i in range(n):
        ref = f"SEND-{run}-{i:03d}"
        data = g.di01_vordering([g.random_vordering(rng, i, prefix=f"S{run}-")], referentienummer=ref)
        (folder / f"bericht-{i:03d}.xml").write_bytes(g.soap(data) if i % 3 == 0 else data)
        refs.append(ref)
    return refs


def send(*args: str) -> subprocess.CompletedProcess:
    return run_cli("send", *args)


def test_a_bulk_run_that_failed_half_way_resumes_from_its_journal(tmp_path, receiver):
    refs = messages(tmp_path / "in", 50)
    journal = tmp_path / "run.journal"
    receiver.answer(*["bv03"] * 20, "drop", *["fo03-server"] * 4)
    receiver.default = "http503"  # then the receiver fails for the rest
    command = (str(tmp_path / "in"), "--to", receiver.url, "--concurrency", "4", "--journal", str(journal))
    first = send(*command)
    assert first.returncode == 1
    assert "50 file(s): 20 Bv03, 4 Fo03, 26 not delivered" in first.stdout, first.stdout + first.stderr
    assert "Fo03 StUF058 (server): 4" in first.stdout
    acknowledged = {r.referentienummer for r in receiver.received if r.answer == "Bv03"}
    assert len(acknowledged) == 20

    receiver.default = "bv03"
    second = send(*command)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "50 file(s): 30 Bv03, 20 accepted earlier (journal)" in second.stdout
    assert sorted(receiver.processed_refs()) == sorted(refs)  # every message processed exactly once
    for ref in refs:
        copies = receiver.received_for(ref)
        assert len({c.digest for c in copies}) == 1  # resent unchanged
        if ref in acknowledged:
            assert len(copies) == 1  # never sent again
    dropped = next(r.referentienummer for r in receiver.received if r.answer == "drop")
    assert [c.answer for c in receiver.received_for(dropped)] == ["drop", "Bv03 (again)"]

    third = send(*command)
    assert third.returncode == 0 and "50 accepted earlier (journal)" in third.stdout
    assert len(receiver.received) == 20 + 1 + 4 + 25 + 30  # nothing more was sent


def test_an_interrupted_run_resumes_without_sending_anything_twice(tmp_path, receiver):
    refs = messages(tmp_path / "in", 12)
    journal = tmp_path / "run.journal"
    receiver.answer(*["bv03"] * 5, "hold")
    command = [sys.executable, "-m", "stuf_fin", "send", str(tmp_path / "in"), "--to", receiver.url, "--journal",
               str(journal)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment())
    try:
        wait_for(receiver.held.is_set, what="the sixth message in flight")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    receiver.release()
    wait_for(lambda: len(receiver.received) == 6, what="the held message recorded")
    rerun = subprocess.run(command, capture_output=True, text=True, env=environment(), timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "12 file(s): 7 Bv03, 5 accepted earlier (journal)" in rerun.stdout
    assert receiver.processed_refs() == refs  # in file order, each once
    assert [len(receiver.received_for(ref)) for ref in refs] == [1] * 5 + [2] + [1] * 6
    assert receiver.received_for(refs[5])[1].answer == "Bv03 (again)"


def test_soapaction_per_message_and_what_is_not_sent(tmp_path, receiver):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a-vordering.xml").write_bytes(g.di01_vordering(1))
    (folder / "b-fvw.xml").write_bytes(g.soap(g.di01_financiele_verantwoording(1)))
    spec = g.random_vordering(random.Random(3), 1)
    (folder / "c-status.xml").write_bytes(g.di01_statuswijziging([g.status_for(spec)]))
    invalid = etree.fromstring(g.di01_vordering(1))
    invalid.find(f".//{{{FIN}}}valutacode").text = "XXX"
    (folder / "d-invalid.xml").write_bytes(etree.tostring(invalid))
    (folder / "e-other.xml").write_bytes(b"<html/>")
    (folder / "f-broken.xml").write_bytes(b"<FIN:oops")
    result = send(str(folder), "--to", receiver.url)
    assert result.returncode == 1
    assert "6 file(s): 3 Bv03, 3 not sent" in result.stdout
    assert "d-invalid.xml: not sent: fails the schema" in result.stderr and "valutacode" in result.stderr
    assert "e-other.xml: not sent: html is no StUF-FIN message" in result.stderr
    assert [r.soap_action for r in receiver.received] == [
        f'"{FIN}/Di01-verstrekVordering"', f'"{FIN}/Di01-verstrekFinancieleVerantwoording"',
        f'"{FIN}/Di01-verstrekVorderingStatusWijziging"']

    anyway = send(str(folder / "d-invalid.xml"), "--to", receiver.url, "--no-validate")
    assert anyway.returncode == 1 and "Fo03 StUF055 (client)" in anyway.stdout
    assert receiver.received[-1].answer == "Fo03 StUF055"
    assert f"{{{STUF}}}" not in anyway.stdout
