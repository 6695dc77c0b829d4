"""warnings: the gateway logs the reference's misconfiguration warnings (read from its log, ANSI stripped).

Texts come from reference.warn_if_misconfigured (PR #25294: "--selector is set in PD mode without IGW
mode enabled; ... selector will be ignored") and reference.should_include ("PD mode enabled but both
prefill_selector and decode_selector are empty", logged per pod event, so a pod is created to trigger
it). smg's launcher forces IGW on (docs/gateways.md#igw-forced-on), which makes the first test not
expressible there.
"""

from __future__ import annotations

import pytest

from conformance.features import Feature
from conformance.registry import conformance_test
from conformance.scenario import TABLE_SEMANTICS, Scenario, SuiteTableError, pod
from conformance.suite.labels import DECODE, PREFILL, REGULAR
from reference import PD_SELECTORS_EMPTY, SELECTOR_IGNORED_WITHOUT_IGW


def _must_log_expected(scenario: Scenario, wanted: str) -> None:
    expected = scenario.expected_warnings()
    if wanted not in expected and scenario.semantics is not TABLE_SEMANTICS:
        pytest.skip(f"semantics {scenario.semantics} has no such warning: {wanted!r}")
    if wanted not in expected:  # the scenario no longer triggers the warning it is about
        raise SuiteTableError(f"the reference does not warn {wanted!r} here; it warns {expected}")
    for text in expected:
        scenario.must_log(text)


@conformance_test(
    id="warn-selector-ignored-without-igw",
    description="--selector in PD mode without IGW logs warn_if_misconfigured's 'selector will be ignored'.",
    features=[Feature.MISCONFIG_WARNINGS],
    relies_on=["igw_mode"],
)
def test_warns_selector_ignored_without_igw(scenario: Scenario) -> None:
    scenario.create(pod("pre-a", PREFILL), pod("reg-a", REGULAR))
    scenario.start(
        pd_mode=True, igw_mode=False, selector=REGULAR, prefill_selector=PREFILL, decode_selector=DECODE
    )
    _must_log_expected(scenario, SELECTOR_IGNORED_WITHOUT_IGW)


@conformance_test(
    id="warn-pd-selectors-empty",
    description="PD + IGW with no selector at all logs the both-PD-selectors-empty warning.",
    features=[Feature.MISCONFIG_WARNINGS],
)
def test_warns_pd_selectors_empty(scenario: Scenario) -> None:
    scenario.create(pod("pre-a", PREFILL))
    # IGW on: the real gateways (and the reference gateway) refuse PD mode without any selector otherwise
    scenario.start(pd_mode=True, igw_mode=True)
    _must_log_expected(scenario, PD_SELECTORS_EMPTY)
