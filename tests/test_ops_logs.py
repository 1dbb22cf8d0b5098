"""Structured logs: every line of a real server is JSON, one line per message handled with the expected
fields, and no BSN appears unmasked; the text format for a terminal."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import sys
import threading

import pytest

from stuf_fin.config import Settings
from stuf_fin.ops import observe
from stuf_fin.ops.logging import JsonFormatter, configure_logging, flush_logs
from stuf_fin.selftest import generator
from tests.support.polling import wait_for
from tests.support.server import start_server
from tests.support.soap import post

MESSAGE_FIELDS = {"time", "level", "logger", "message", "port", "operation", "zender", "referentienummer",
                  "outcome", "fault_code", "duration_ms"}


def _bsn(rng: random.Random) -> str:
    return generator.random_eleven_test_number(rng)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("logs"))
    yield server
    server.stop()


def _message_lines(server, count: int) -> list[dict]:
    def lines():
        found = [json.loads(line) for line in server.log().splitlines() if '"stuf_fin.messages"' in line]
        return found if len(found) >= count else None

    return wait_for(lines, f"{count} message log lines")


def test_one_json_line_per_message_with_the_fields_and_no_bsn(server):
    rng = random.Random(7)
    debiteur_bsn, referentienummer_bsn, echoed_bsn = _bsn(rng), _bsn(rng), _bsn(rng)

    accepted = generator.random_vordering(rng, 0, prefix="LOG-")
    accepted.debiteur = generator.DebiteurSpec(dataclasses.replace(generator.random_persoon(rng), bsn=debiteur_bsn))
    reply = post(server.url, generator.di01_vordering([accepted], referentienummer=referentienummer_bsn))
    assert reply.stuurgegeven("berichtcode") == "Bv03"

    refused = generator.random_vordering(rng, 1, prefix="LOG-")
    refused.indicator_factuur_uitgestuurd = f"BSN {echoed_bsn}"  # the schema error quotes this value
    reply = post(server.url, generator.di01_vordering([refused], referentienummer="log-refused-1"))
    assert reply.code == "StUF055" and echoed_bsn in reply.details  # the sender gets its own data back

    lines = _message_lines(server, 2)
    text = server.log()
    for line in text.splitlines():
        json.loads(line)  # every line of the server is one JSON object
    for bsn in (debiteur_bsn, referentienummer_bsn, echoed_bsn):
        assert bsn not in text

    by_outcome = {line["outcome"]: line for line in lines}
    ok, fault = by_outcome["Bv03"], by_outcome["Fo03"]
    assert set(ok) >= MESSAGE_FIELDS and set(fault) >= MESSAGE_FIELDS
    assert ok["level"] == "INFO" and ok["operation"] == "Di01-verstrekVordering"
    assert ok["port"] == "VerstrekVorderingOfVerantwoording"
    assert ok["zender"] == "1900/BELASTINGEN/productie/generator"
    assert ok["referentienummer"] == "*****" + referentienummer_bsn[5:]  # 9 digits passing the eleven test: masked
    assert ok["fault_code"] is None and ok["duration_ms"] > 0
    assert fault["referentienummer"] == "log-refused-1"
    assert fault["fault_code"] == "StUF055" and "*****" + echoed_bsn[5:] in fault["fault_details"]


# -- in process: the formats ----------------------------------------------------------------------------------
@pytest.fixture
def captured(capsys):
    """Configure logging as serve does (format given per test); restore the root logger afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    def configure(log_format: str) -> None:
        configure_logging(Settings(log_format=log_format))

    yield configure
    flush_logs()
    root.handlers[:], level = saved
    root.setLevel(level)


def test_text_format_is_one_readable_line(captured, capsys):
    captured("text")
    observe.message_handled(port="BeantwoordVraag", operation="vrdLv01", outcome="Fo02", fault_code="StUF064",
                            seconds=0.0123, zender="0363/TSA01", referentienummer="r-1",
                            details="vordering 123456782 niet gevonden")
    flush_logs()  # written by the listener thread
    line = capsys.readouterr().err.strip()
    assert "INFO    stuf_fin.messages: vrdLv01 from 0363/TSA01 ref r-1: Fo02 StUF064 in 12.3 ms" in line
    assert "123456782" not in line and "*****6782" in line
    assert not line.startswith("{")


def test_json_formatter_masks_extra_fields():
    record = logging.LogRecord("stuf_fin.messages", logging.INFO, __file__, 1, "x", None, None)
    record.referentienummer = "bsn 111222333"
    record.fault_details = "postgresql://gw:geheim@db/stuf_fin"
    record.duration_ms = 1.5
    line = json.loads(JsonFormatter().format(record))
    assert line["referentienummer"] == "bsn *****2333"
    assert "geheim" not in line["fault_details"]
    assert line["duration_ms"] == 1.5


def test_transport_faults_are_logged_as_messages_too(captured, capsys):
    captured("json")
    observe.message_handled(port="VerstrekVorderingOfVerantwoording", operation="unknown", outcome="Fo03",
                            fault_code="StUF055", details="geen welgevormde XML")
    flush_logs()
    line = json.loads(capsys.readouterr().err.strip())
    assert line["message"] == "message: Fo03 StUF055: geen welgevormde XML"
    assert line["duration_ms"] is None and line["fault_code"] == "StUF055"


def test_a_request_thread_only_queues_its_log_line(captured, capsys, monkeypatch):
    """Formatting and writing happen on the listener thread: a blocked stderr does not hold up the thread that
    logs, and the line arrives once the listener has written it."""
    writing, released = threading.Event(), threading.Event()
    writers: list[str] = []
    stream = sys.stderr

    class BlockedStderr:
        def write(self, text: str) -> int:
            writers.append(threading.current_thread().name)
            writing.set()
            released.wait(10)
            return stream.write(text)

        def flush(self) -> None:
            stream.flush()

    monkeypatch.setattr(sys, "stderr", BlockedStderr())
    captured("json")
    observe.message_handled(port="BeantwoordVraag", operation="vrdLv01", outcome="La01", seconds=0.001)
    assert writing.wait(10)  # the listener writes (and is blocked) while this thread has returned already
    assert writers and threading.current_thread().name not in writers
    released.set()
    flush_logs()
    assert json.loads(capsys.readouterr().err.strip())["operation"] == "vrdLv01"
