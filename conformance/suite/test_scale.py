"""scale: 500 pods over 5 namespaces, then churn at 20 changes/s for 30 s, then convergence.

Not in the default selection (`--profile scale`): about a minute per test and gateway. Each test
creates PODS pods spread over NAMESPACES namespaces, starts the gateway cluster-wide (a selector with a
label unique to the run, so other tests' pods never match), requires it to list them all within the
cap -- recording the time from its start to the first and to every worker (`figures`, the report's
latency section) -- then applies the churn plan (conformance/suite/churn.py: creates, unready,
relabelled out, deleted at once and gracefully, each pod touched at most once) without waiting, and
requires convergence to the final state within the cap. Regular workers in one test, prefill and
decode in the other: three roles, each gateway in a mode it supports.

A churn change done more than CHURN_TOLERANCE seconds after its moment means the cluster could not
keep the pace: the test is then "not expressible" (conformance/scenario/timed.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from conformance.features import Feature
from conformance.latency import ALL_WORKERS, FIRST_WORKER, SCALE_WORKERS
from conformance.registry import conformance_test
from conformance.scenario import Scenario
from conformance.suite.churn import Role, ScalePlan, plan
from conformance.suite.labels import APP, DECODE, PREFILL

PODS = 500
NAMESPACES = 5
CHURN_RATE = 20.0
"""Changes per second."""
CHURN_SECONDS = 30.0
CHURN_TOLERANCE = 10.0
"""How far behind its plan the cluster may fall (s) and still count as churning at CHURN_RATE."""

REGULAR = (Role("w", APP, "regular"),)
PD = (Role("p", PREFILL, "prefill", bootstrap_port="8998"), Role("d", DECODE, "decode"))


def _build(scenario: Scenario, roles: tuple[Role, ...]) -> tuple[ScalePlan, dict[str, str]]:
    run = {"conformance-run": uuid.uuid4().hex[:12]}
    namespaces = [scenario.ns] + [scenario.other_namespace() for _ in range(NAMESPACES - 1)]
    made = plan(
        roles=roles,
        namespaces=[ns.name for ns in namespaces],
        pods=PODS,
        rate=CHURN_RATE,
        seconds=CHURN_SECONDS,
        run=run,
    )
    for ns in namespaces:
        scenario.create(*(row for row in made.pods if row.spec.namespace == ns.name), namespace=ns)
    return made, run


def _converge_from_start(scenario: Scenario) -> None:
    """The initial convergence, with the time from the gateway's start to its first and to all workers."""
    started = next(t for t, action, _ in reversed(scenario.timeline.marks) if action == "start gateway")
    expected = scenario.expected()
    scenario.evidence.figures[SCALE_WORKERS] = len(expected)
    try:
        scenario.must_converge(label="initial")
    finally:  # a late gateway (with `overrun`) still gets its figures
        trace = scenario.timeline.checks[-1]
        first = next((t for t, _, observed, _ in trace.polls if sum(observed) > 0), None)
        if first is not None:
            scenario.evidence.figures[FIRST_WORKER] = first - started
        if trace.at is not None:
            scenario.evidence.figures[ALL_WORKERS] = trace.at - started


def _churn(scenario: Scenario, made: ScalePlan) -> None:
    done = scenario.apply(*made.churn, tolerance=CHURN_TOLERANCE)
    scenario.evidence.figures["churnChanges"] = len(made.churn)
    scenario.evidence.figures["churnChangesPerSecond"] = len(made.churn) / max(done.span, 1e-9)
    scenario.must_converge_and_hold(since=done.last, label="after-churn")


def _scale(
    scenario: Scenario, roles: tuple[Role, ...], config: Callable[[dict[str, str]], dict[str, Any]]
) -> None:
    """The pods of the plan, the gateway started with `config(run labels)`, all listed, churn, final state."""
    made, run = _build(scenario, roles)
    scenario.start(namespace=None, **config(run))
    _converge_from_start(scenario)
    _churn(scenario, made)


@conformance_test(
    id="scale-regular",
    description=f"{PODS} regular workers over {NAMESPACES} namespaces are listed, then followed through "
    f"{CHURN_RATE:g} changes/s for {CHURN_SECONDS:g} s.",
    features=[Feature.SCALE],
)
def test_scale_regular(scenario: Scenario) -> None:
    _scale(scenario, REGULAR, lambda run: {"selector": {**APP, **run}})


@conformance_test(
    id="scale-pd",
    description=f"{PODS} prefill and decode workers over {NAMESPACES} namespaces are listed, then followed "
    f"through {CHURN_RATE:g} changes/s for {CHURN_SECONDS:g} s.",
    features=[Feature.SCALE],
)
def test_scale_pd(scenario: Scenario) -> None:
    _scale(
        scenario,
        PD,
        lambda run: {
            "pd_mode": True,
            "prefill_selector": {**PREFILL, **run},
            "decode_selector": {**DECODE, **run},
        },
    )
