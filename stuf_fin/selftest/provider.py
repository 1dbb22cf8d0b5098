"""The provider scenarios (4, 5, 9-14): the runner sends fresh messages from the generator to ``--endpoint`` and
judges every answer (:mod:`stuf_fin.selftest.checks`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from stuf_fin.namespaces import XSI_NIL, F
from stuf_fin.selftest import checks
from stuf_fin.selftest import generator as g
from stuf_fin.selftest.results import FAIL, PASS, Outcome, StepResult
from stuf_fin.selftest.scenarios import Scenario
from stuf_fin.selftest.session import ProviderSession, Steps

MAX_SHOWN = 8  # differences named in a reason


def play(scenario: Scenario, s: ProviderSession, steps: Steps) -> None:
    PLAYS[scenario.number](s, steps)


# -- helpers -------------------------------------------------------------------------------------------------

def _vordering(s: ProviderSession, spec: g.VorderingSpec) -> bytes:
    return g.di01_vordering([spec], **s.addressing)


def _accepted(s: ProviderSession, step: StepResult, message: bytes, what: str) -> Outcome:
    answer, sent = s.send(step, message)
    return checks.judge_accepted(answer, sent, s.options.validator, what=what)


def _refused(s: ProviderSession, step: StepResult, message: bytes, what: str) -> Outcome:
    answer, sent = s.send(step, message)
    return checks.judge_refused(answer, sent, s.options.validator, what=what)


def _random_vordering(s: ProviderSession, scenario: int) -> g.VorderingSpec:
    spec = g.random_vordering(s.rng, 0, today=s.today, tsa=s.options.tsa)
    spec.vorderingnummer = s.numbers.vorderingnummer(scenario)
    spec.gerelateerde_vorderingnummer = None
    return spec


def _now(offset: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- scenario 9: vordering min, its status, vordering max, all of it ----------------------------------------------

def scenario_9(s: ProviderSession, steps: Steps) -> None:
    minimal = g.minimal_vordering(s.numbers.vorderingnummer(9), s.options.tsa, today=s.today)
    maximal = g.maximal_vordering(s.numbers.vorderingnummer(9), s.options.tsa, today=s.today, rng=s.rng,
                                  gerelateerde_vorderingnummer=minimal.vorderingnummer,
                                  sleutel_verzendend=f"selftest-{s.numbers.run}")
    steps.run("1", lambda r: _accepted(s, r, _vordering(s, minimal),
                                       f"the minimal vordering {minimal.vorderingnummer}"))
    steps.run("2", lambda r: _minimal_question(s, r, minimal), needs=("1",))
    steps.run("3", lambda r: _accepted(s, r, _vordering(s, maximal),
                                       f"the maximal vordering {maximal.vorderingnummer}"))
    steps.run("4", lambda r: _maximal_question(s, r, maximal), needs=("3",))


def _question(s: ProviderSession, step: StepResult, spec: g.VorderingSpec,
              scope: str | etree._Element) -> tuple[Outcome, etree._Element | None]:
    message = g.vrdLv01(spec.vorderingnummer, scope=scope, zender=s.options.zender, ontvanger=s.options.ontvanger)
    answer, sent = s.send(step, message)
    return checks.judge_la01(answer, sent, s.options.validator, vorderingnummer=spec.vorderingnummer)


def _minimal_question(s: ProviderSession, step: StepResult, spec: g.VorderingSpec) -> Outcome:
    outcome, obj = _question(s, step, spec, g.status_scope())
    if obj is None:
        return outcome
    asked = {"vorderingnummer", "vorderingstatus"}
    extra = [etree.QName(c).localname for c in obj if isinstance(c.tag, str)
             and etree.QName(c).localname not in asked]
    if extra:
        outcome.notes.append(f"elements that were not asked: {', '.join(extra[:10])}")
    status = obj.find(F + "vorderingstatus")
    if status is None:
        outcome.notes.append("the asked vorderingstatus is missing (StUF 03.01: what is asked is answered, "
                             "xsi:nil when there is no value)")
    elif status.get(XSI_NIL) != "true":
        outcome.notes.append(f"status {status.findtext(F + 'status')} (set by the system: none was sent)")
    return outcome


def _maximal_question(s: ProviderSession, step: StepResult, spec: g.VorderingSpec) -> Outcome:
    outcome, obj = _question(s, step, spec, "alles")
    if obj is None:
        return outcome
    comparison = checks.compare_object(g.vordering_element(spec), obj)
    notes = outcome.notes + comparison.notes
    if comparison.differences:
        shown = "; ".join(comparison.differences[:MAX_SHOWN])
        more = len(comparison.differences) - MAX_SHOWN
        return Outcome(FAIL, f"vrdLa01, {len(comparison.differences)} difference(s)",
                       f"the vrdLa01 does not hold the vordering as it was sent: {shown}"
                       + (f" (+{more} more)" if more > 0 else ""), notes)
    return Outcome(PASS, f"vrdLa01, {comparison.values} values equal",
                   f"the vrdLa01 holds vordering {spec.vorderingnummer} exactly as sent ({comparison.values} values)",
                   notes)


# -- scenarios 10, 11, 12 --------------------------------------------------------------------------------------

def scenario_10(s: ProviderSession, steps: Steps) -> None:
    spec = _random_vordering(s, 10)
    steps.run("1", lambda r: _accepted(s, r, _vordering(s, spec), f"vordering {spec.vorderingnummer}"))
    steps.run("2", lambda r: _refused(s, r, _vordering(s, spec),
                                      f"vordering {spec.vorderingnummer} a second time (accepted in step 1)"),
              needs=("1",))


def scenario_11(s: ProviderSession, steps: Steps) -> None:
    spec = _random_vordering(s, 11)
    spec.indicator_factuur_uitgestuurd = "J"
    spec.creatiedatum = s.today - timedelta(days=60)
    spec.factuurdatum, spec.vervaldatum = s.today - timedelta(days=45), s.today - timedelta(days=30)
    spec.invorderingsregime, spec.termijnen = None, []
    steps.run("1", lambda r: _refused(s, r, _vordering(s, spec),
                                      f"vordering {spec.vorderingnummer} with vervaldatum {spec.vervaldatum} "
                                      "(in the past)"))


def scenario_12(s: ProviderSession, steps: Steps) -> None:
    number = s.numbers.vorderingnummer(12)

    def body(step: StepResult) -> Outcome:
        message = g.vrdLv01(number, scope="alles", zender=s.options.zender, ontvanger=s.options.ontvanger)
        answer, sent = s.send(step, message)
        return checks.judge_not_found(answer, sent, s.options.validator, vorderingnummer=number)

    steps.run("1", body)


# -- scenarios 4 and 5: status changes ---------------------------------------------------------------------------

def scenario_4(s: ProviderSession, steps: Steps) -> None:
    given = s.options.vorderingnummer
    spec = _random_vordering(s, 4)
    if given:
        spec.vorderingnummer, spec.organisatie_nnp_id = given, ""
        steps.run("0", lambda r: Outcome(PASS, "given", f"vordering {given} exists in the system "
                                                        "(--vorderingnummer)"))
    else:
        def precondition(step: StepResult) -> Outcome:
            outcome = _accepted(s, step, _vordering(s, spec), f"vordering {spec.vorderingnummer}")
            if not outcome.passed:
                outcome.reason += ("; the status changes need a vordering the system knows: give one with "
                                   "--vorderingnummer (and --tsa)")
            return outcome

        steps.run("0", precondition)
    number, tsa, nnp = spec.vorderingnummer, spec.tsa, spec.organisatie_nnp_id
    minimal = g.StatusWijzigingSpec(number, tsa, nnp, g.StatusSpec("VRW", _now()))
    maximal = g.StatusWijzigingSpec(
        number, tsa, nnp, g.StatusSpec("BET", _now(timedelta(seconds=1)), totaal_betaald=spec.totaalbedrag_incl_btw,
                                       deel_bedrag_betaald=spec.totaalbedrag_incl_btw, opmerkingen="Betaald"),
        previous=g.StatusSpec("VRW", _now(), totaal_betaald=0, deel_bedrag_betaald=0, opmerkingen="Verwerkt"),
        metagegevens=True)
    for key, change, what in (("1", minimal, "the minimal status change"), ("2", maximal, "the maximal status change")):
        def accept(r: StepResult, c: g.StatusWijzigingSpec = change, w: str = what) -> Outcome:
            return _accepted(s, r, g.di01_statuswijziging([c], **s.addressing), f"{w} of vordering {number}")

        steps.run(key, accept, needs=("0",))


def scenario_5(s: ProviderSession, steps: Steps) -> None:
    number = s.numbers.vorderingnummer(5)
    change = g.StatusWijzigingSpec(number, s.options.tsa, "", g.StatusSpec("BET", _now(), totaal_betaald=0))
    steps.run("1", lambda r: _refused(s, r, g.di01_statuswijziging([change], **s.addressing),
                                      f"a status change of vordering {number}, which it never received"))


# -- scenarios 13 and 14: verantwoordingen ------------------------------------------------------------------------

def _verantwoording(s: ProviderSession, spec: g.VerantwoordingSpec) -> bytes:
    return g.di01_financiele_verantwoording([spec], **s.addressing)


def scenario_13(s: ProviderSession, steps: Steps) -> None:
    minimal = g.minimal_verantwoording(s.numbers.verantwoordingsnummer(), today=s.today)
    maximal = g.maximal_verantwoording(s.numbers.verantwoordingsnummer(), today=s.today, rng=s.rng)
    steps.run("1", lambda r: _accepted(s, r, _verantwoording(s, minimal),
                                       f"the minimal verantwoording {minimal.verantwoordingsnummer}"))
    steps.run("2", lambda r: _accepted(s, r, _verantwoording(s, maximal),
                                       f"the maximal verantwoording {maximal.verantwoordingsnummer}"))


def scenario_14(s: ProviderSession, steps: Steps) -> None:
    spec = g.maximal_verantwoording(s.numbers.verantwoordingsnummer(), today=s.today, rng=s.rng)
    number = spec.verantwoordingsnummer
    steps.run("0", lambda r: _accepted(s, r, _verantwoording(s, spec), f"verantwoording {number}"))
    steps.run("1", lambda r: _refused(s, r, _verantwoording(s, spec),
                                      f"verantwoording {number} a second time (accepted in step 0)"), needs=("0",))


PLAYS = {4: scenario_4, 5: scenario_5, 9: scenario_9, 10: scenario_10, 11: scenario_11, 12: scenario_12,
         13: scenario_13, 14: scenario_14}
