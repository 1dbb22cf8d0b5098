"""The consumer scenarios (1, 2, 3, 6, 7, 8): the runner is the counterpart on ``--listen``, tells the operator
what to make their system send, waits, checks what arrives (:func:`stuf_fin.selftest.checks.check_received`) and
answers as the scenario prescribes."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from lxml import etree

from stuf_fin.namespaces import ZKN_IDENTIFICATIE, F, S
from stuf_fin.selftest import checks
from stuf_fin.selftest import generator as g
from stuf_fin.selftest.listener import Counterpart, Listener, Received, Reply, answer, refuse
from stuf_fin.selftest.results import FAIL, PASS, Outcome, StepResult
from stuf_fin.selftest.scenarios import Scenario
from stuf_fin.selftest.session import Options, Reporter, Steps
from stuf_fin.stuf import answers
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.operations import OPERATIONS, PORT_KENNISGEVING, PORT_VRAAG, Operation

Check = Callable[[etree._Element], list[str]]  # more problems of a received message
Respond = Callable[[checks.Arrival], tuple[Reply, list[str], list[str]]]  # a Counterpart's answer
OPERATION = {op.name: op for op in OPERATIONS}
VORDERING, STATUS, VERANTWOORDING = ("Di01-verstrekVordering", "Di01-verstrekVorderingStatusWijziging",
                                     "Di01-verstrekFinancieleVerantwoording")


@dataclass
class ConsumerSession:
    options: Options
    listener: Listener
    reporter: Reporter
    seen: dict[tuple[str, str], str] = field(default_factory=dict)  # (zender, referentienummer) -> content digest

    def url(self, port: str) -> str:
        return f"{self.listener.base_url}/{port}"

    def check(self, arrival: checks.Arrival, operation: Operation) -> tuple[list[str], list[str]]:
        problems, notes = checks.check_received(
            arrival, operation, self.options.validator, port_path=operation.port,
            runner=self.options.expect_runner, system=self.options.expect_system)
        sg = arrival.stuurgegevens
        if sg.referentienummer:
            key, digest = (str(sg.zender or ""), sg.referentienummer), arrival.content_digest()
            earlier = self.seen.setdefault(key, digest)
            if earlier != digest:
                problems.append(f"referentienummer {sg.referentienummer} was used before by this zender for "
                                "another message (StUF016)")
        return problems, notes

    def wait(self, step: StepResult, counterpart: Counterpart, timeout: float | None = None) -> Received | None:
        try:
            received = counterpart.received.get(timeout=self.options.wait if timeout is None else timeout)
        except queue.Empty:
            return None
        step.exchanges.append(received.exchange)
        return received


def play(scenario: Scenario, c: ConsumerSession, steps: Steps) -> None:
    PLAYS[scenario.number](scenario, c, steps)


def _verdict(received: Received | None, c: ConsumerSession, what: str, done: str) -> Outcome:
    if received is None:
        return Outcome(FAIL, "nothing", f"no {what} arrived within {c.options.wait:g} s")
    if received.problems:
        return Outcome(FAIL, f"{received.arrival.operation_name}, {len(received.problems)} problem(s)",
                       "; ".join(received.problems), received.notes)
    return Outcome(PASS, f"{received.arrival.operation_name} → {received.reply.label}",
                   f"{done} (referentienummer {received.arrival.stuurgegevens.referentienummer})", received.notes)


def _invalid(problems: list[str]) -> StufFault:
    """The StUF055 the test platform refuses an invalid message with, naming its problems."""
    return StufFault("StUF055", "stuf-fin selftest: " + "; ".join(problems))


def _acknowledging(c: ConsumerSession, operation: Operation, extra: Check | None = None) -> Respond:
    """Answer valid messages with Bv03, invalid ones with a Fo03 StUF055 naming the problems."""

    def respond(arrival: checks.Arrival) -> tuple[Reply, list[str], list[str]]:
        problems, notes = c.check(arrival, operation)
        if extra is not None and arrival.message is not None:
            problems += extra(arrival.message)
        if problems:
            return refuse(arrival, _invalid(problems), c.options.zender), problems, notes
        return answer(answers.bv03(arrival.stuurgegevens, c.options.zender)), problems, notes

    return respond


def _announce(c: ConsumerSession, scenario: Scenario, text: str) -> None:
    c.reporter.say(f"scenario {scenario.number}: {text} (waiting up to {c.options.wait:g} s)")


# -- 1, 6, 7: one message, acknowledged -------------------------------------------------------------------------

def _zaak(message: etree._Element) -> list[str]:
    without = [o.findtext(F + "vorderingnummer") for o in message.iter(F + "object")
               if not (o.findtext(f"{F}isOntstaanInZaak/{F}gerelateerde/{ZKN_IDENTIFICATIE}") or "").strip()]
    return [f"vordering(en) {', '.join(map(str, without[:5]))} without isOntstaanInZaak (scenario 1 asks for a "
            "vordering linked to a Zaak)"] if without else []


def _one(scenario: Scenario, c: ConsumerSession, steps: Steps, name: str, instruction: str,
         extra: Check | None = None) -> None:
    operation = OPERATION[name]
    counterpart = Counterpart(scenario.number, f"a {name}", {name}, _acknowledging(c, operation, extra))
    c.listener.serve(counterpart)
    try:
        _announce(c, scenario, instruction.format(url=c.url(PORT_KENNISGEVING)))
        steps.run("1", lambda r: _verdict(c.wait(r, counterpart), c, name, "valid; answered Bv03"))
    finally:
        c.listener.serve(None)


def scenario_1(scenario: Scenario, c: ConsumerSession, steps: Steps) -> None:
    _one(scenario, c, steps, VORDERING, "make the TSA send a Di01-verstrekVordering with a vordering linked to a "
         "Zaak (isOntstaanInZaak) to {url}", _zaak)


def scenario_6(scenario: Scenario, c: ConsumerSession, steps: Steps) -> None:
    _one(scenario, c, steps, STATUS, "make the inningsysteem send a Di01-verstrekVorderingStatusWijziging to {url}")


def scenario_7(scenario: Scenario, c: ConsumerSession, steps: Steps) -> None:
    _one(scenario, c, steps, VERANTWOORDING, "make the inningsysteem send a Di01-verstrekFinancieleVerantwoording "
         "to {url}")


# -- 2: two questions, the minimal and the maximal answer ----------------------------------------------------------

def _la01(c: ConsumerSession, arrival: checks.Arrival, maximal: bool) -> etree._Element:
    sg = arrival.stuurgegevens
    message = arrival.message
    assert message is not None  # (a schema-valid question)
    number = (message.findtext(f"{F}gelijk/{F}vorderingnummer") or "").strip()
    today = date.today()
    if maximal:
        obj = g.answer_object(g.maximal_vordering(number, c.options.tsa, today=today))
    else:
        spec = g.minimal_vordering(number, c.options.tsa, today=today)
        spec.status = g.StatusSpec("VRW", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), totaal_betaald=0)
        obj = g.answer_object(spec)
        for child in list(obj):
            if etree.QName(child).localname not in ("vorderingnummer", "vorderingstatus"):
                obj.remove(child)
    obj.set(S + "sleutelVerzendend", number[:40] or "1")
    return etree.fromstring(g.vrdLa01([obj], zender=sg.ontvanger or c.options.zender, ontvanger=sg.zender))


def scenario_2(scenario: Scenario, c: ConsumerSession, steps: Steps) -> None:
    operation = OPERATION["vrdLv01"]
    answered = []

    def respond(arrival: checks.Arrival) -> tuple[Reply, list[str], list[str]]:
        problems, notes = c.check(arrival, operation)
        if arrival.message is not None and not (arrival.message.findtext(f"{F}gelijk/{F}vorderingnummer")
                                                or "").strip():
            problems.append("the vrdLv01 does not ask for a vorderingnummer (gelijk/vorderingnummer): scenario 2 "
                            "asks for one vordering")
        if problems:
            return refuse(arrival, _invalid(problems), c.options.zender), problems, notes
        answered.append(arrival)
        reply = answer(_la01(c, arrival, maximal=len(answered) > 1))
        reply.label = "the maximal vrdLa01" if len(answered) > 1 else "the minimal vrdLa01"
        return reply, problems, notes

    counterpart = Counterpart(scenario.number, "two vrdLv01 questions", {"vrdLv01"}, respond)
    c.listener.serve(counterpart)
    try:
        _announce(c, scenario, f"make the TSA ask twice for one vordering (vrdLv01 with gelijk/vorderingnummer) at "
                  f"{c.url(PORT_VRAAG)}; the first question gets the minimal, the second the maximal vrdLa01")
        steps.run("1", lambda r: _verdict(c.wait(r, counterpart), c, "vrdLv01", "valid; answered with the minimal "
                                          "vrdLa01"))
        steps.run("2", lambda r: _verdict(c.wait(r, counterpart), c, "second vrdLv01", "valid; answered with the "
                                          "maximal vrdLa01"))
    finally:
        c.listener.serve(None)


# -- 3, 8: refused with Fo03; no blind resend ------------------------------------------------------------------

REFUSAL = "stuf-fin selftest scenario {n}: the test platform answers every message of this scenario with a Fo03"


def _refusing(c: ConsumerSession, scenario: Scenario, operation: Operation) -> Respond:
    def respond(arrival: checks.Arrival) -> tuple[Reply, list[str], list[str]]:
        problems, notes = c.check(arrival, operation)
        refusal = _invalid(problems) if problems else StufFault("StUF058", REFUSAL.format(n=scenario.number))
        return refuse(arrival, refusal, c.options.zender), problems, notes

    return respond


def _no_blind_resend(c: ConsumerSession, step: StepResult, counterpart: Counterpart, first: checks.Arrival) -> Outcome:
    window = c.options.resend_window
    deadline = time.monotonic() + window
    sg = first.stuurgegevens
    digest = first.content_digest()
    identical, other, blind = 0, 0, []
    while (left := deadline - time.monotonic()) > 0:
        received = c.wait(step, counterpart, timeout=left)
        if received is None:
            break
        again = received.arrival.stuurgegevens
        seconds = (received.arrival.at - first.at).total_seconds()
        if received.arrival.content_digest() != digest:
            other += 1
        elif again.referentienummer == sg.referentienummer:
            identical += 1
        else:
            blind.append(f"{again.referentienummer} after {seconds:.1f} s")
    notes = []
    if identical:
        notes.append(f"{identical} identical resend(s) with the same referentienummer (allowed after a Fo03 "
                     "with plek server: StUF 03.01 §4.4)")
    if other:
        notes.append(f"{other} other message(s) of the same kind arrived (answered Fo03 too)")
    if blind:
        return Outcome(FAIL, f"{len(blind)} blind resend(s)",
                       f"the refused message was sent again with a new referentienummer ({'; '.join(blind[:5])}): "
                       "after a Fo03 a sender resends unchanged (plek server) or fixes the message first (plek "
                       "client), it never repeats it as a new message (StUF 03.01 §4.4)", notes)
    return Outcome(PASS, "no blind resend", f"watched {window:g} s after the Fo03: the refused message was not "
                   "sent again with a new referentienummer", notes)


def _refused_scenario(scenario: Scenario, c: ConsumerSession, steps: Steps, name: str, system: str) -> None:
    operation = OPERATION[name]
    counterpart = Counterpart(scenario.number, f"a {name} (to refuse)", {name}, _refusing(c, scenario, operation))
    c.listener.serve(counterpart)
    first: list[checks.Arrival] = []

    def receive(step: StepResult) -> Outcome:
        received = c.wait(step, counterpart)
        if received is not None:
            first.append(received.arrival)
        return _verdict(received, c, name, "valid; answered Fo03 StUF058 (plek server)")

    try:
        _announce(c, scenario, f"make the {system} send a {name} to {c.url(PORT_KENNISGEVING)}; it is refused with "
                  f"Fo03 StUF058 (plek server), then the runner watches {c.options.resend_window:g} s for a blind "
                  "resend")
        steps.run("1", receive)
        steps.run("2", lambda r: _no_blind_resend(c, r, counterpart, first[0]), needs=("1",))
    finally:
        c.listener.serve(None)


def scenario_3(scenario: Scenario, c: ConsumerSession, steps: Steps) -> None:
    _refused_scenario(scenario, c, steps, VORDERING, "TSA")


def scenario_8(scenario: Scenario, c: ConsumerSession, steps: Steps) -> None:
    _refused_scenario(scenario, c, steps, VERANTWOORDING, "inningsysteem")


PLAYS = {1: scenario_1, 2: scenario_2, 3: scenario_3, 6: scenario_6, 7: scenario_7, 8: scenario_8}
