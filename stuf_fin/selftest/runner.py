"""Runs the selected scenarios in order (provider scenarios first, then consumer scenarios), step by step, and
collects a :class:`~stuf_fin.selftest.results.RunResult`.

A scenario's steps run in order; a step whose precondition failed is "not run".  The runner never sends two
messages at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

from stuf_fin.selftest.listener import Listener
from stuf_fin.selftest.results import NOT_RUN, Exchange, Outcome, RunResult, ScenarioResult, StepResult
from stuf_fin.selftest.scenarios import CONSUMER
from stuf_fin.selftest.session import Numbers, Options, ProviderSession, Reporter, Steps
from stuf_fin.stuf.operations import PORT_KENNISGEVING, PORT_VRAAG


def run(options: Options, reporter: Reporter, settings_shown: dict[str, str]) -> RunResult:
    """Run ``options.scenarios``; Ctrl-C ends the run (what ran so far is kept, the run does not pass)."""
    from stuf_fin.selftest import consumer, provider

    result = RunResult(options.role, datetime.now(UTC), settings_shown)
    numbers = Numbers(random.Random(options.seed))
    session: ProviderSession | None = None
    listener: Listener | None = None
    if options.listen and any(s.kind == CONSUMER for s in options.scenarios):  # OSError: the address is taken
        host, port = options.listen
        listener = Listener(host, port, options.zender, on_unexpected=_unexpected(result, reporter))
        reporter.say(f"listening on {listener.base_url}: the system under test sends to "
                     f"{listener.base_url}/{PORT_KENNISGEVING} and {listener.base_url}/{PORT_VRAAG}")
    try:
        for scenario in options.scenarios:
            scenario_result = ScenarioResult(scenario)
            result.scenarios.append(scenario_result)
            steps = Steps(scenario_result, reporter)
            if scenario.kind == CONSUMER:
                assert listener is not None  # consumer scenarios are chosen only with a listen address
                consumer.play(scenario, consumer.ConsumerSession(options, listener, reporter), steps)
            else:
                session = session or ProviderSession(options, numbers)
                provider.play(scenario, session, steps)
            for step in scenario.steps[len(scenario_result.steps):]:  # a scenario that ended early
                scenario_result.steps.append(StepResult(scenario, step, Outcome(NOT_RUN, "-", "not reached")))
    except KeyboardInterrupt:
        result.interrupted = True
        reporter.say("interrupted: the run does not pass")
    finally:
        if session is not None:
            session.close()
        if listener is not None:
            listener.close()
        result.finished = datetime.now(UTC)
    return result


def _unexpected(result: RunResult, reporter: Reporter) -> Callable[[Exchange], None]:
    def record(exchange: Exchange) -> None:
        result.unexpected.append(exchange)
        reporter.say(f"received out of turn on {exchange.url}: {exchange.note}")

    return record
