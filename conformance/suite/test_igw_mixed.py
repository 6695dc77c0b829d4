"""igw-mixed: regular workers beside PD workers in IGW mode (upstream PR #25294).

Semantics (docs/semantics.md#the-rules; docs/gateways.md#discovery-rules): in PD mode a pod
is included if it matches the prefill or decode selector, or -- only with IGW on and a non-empty
`--selector` -- the selector, as a regular worker. Both PD selectors empty no longer returns early when
IGW and a selector are set. No PyPI build has the PR (docs/gateways.md#versions-and-the-pr), so smg 1.13.0 and
sglang-router 0.3.2 are expected to fail here.
"""

from __future__ import annotations

from conformance.features import Feature
from conformance.registry import conformance_test
from conformance.scenario import ABSENT, Scenario, pod
from conformance.suite.labels import APP, DECODE, OTHER_APP, PREFILL, REGULAR

PD_SELECTORS = {"prefill_selector": PREFILL, "decode_selector": DECODE}


@conformance_test(
    id="igw-mixed-regular-beside-pd",
    description="PD + IGW + --selector discovers regular pods beside prefill and decode pods.",
    features=[Feature.IGW_MIXED_DISCOVERY],
)
def test_regular_beside_pd(scenario: Scenario) -> None:
    scenario.create(
        pod("pre-a", PREFILL, bootstrap_port="8998", expect="prefill"),
        pod("dec-a", DECODE, expect="decode"),
        pod("reg-a", REGULAR, expect="regular"),
        pod("other", OTHER_APP, expect=ABSENT),
    )
    scenario.start(pd_mode=True, igw_mode=True, selector=REGULAR, **PD_SELECTORS)
    # a decode barrier: discovered under either semantics (--semantics pre-25294 drops reg-a, not it)
    scenario.must_never_show("other", barrier=pod("barrier", DECODE, expect="decode"))


@conformance_test(
    id="igw-mixed-empty-pd-selectors",
    description="PD + IGW + --selector with both PD selectors empty discovers only the regular pods.",
    features=[Feature.IGW_MIXED_DISCOVERY],
)
def test_empty_pd_selectors(scenario: Scenario) -> None:
    scenario.create(
        pod("reg-a", REGULAR, expect="regular"),
        pod("pre-a", PREFILL, expect=ABSENT),
        pod("dec-a", DECODE, expect=ABSENT),
    )
    scenario.start(pd_mode=True, igw_mode=True, selector=REGULAR)
    scenario.must_never_show("pre-a", "dec-a", barrier=pod("barrier", REGULAR, expect="regular"))


@conformance_test(
    id="igw-mixed-pd-without-igw-ignores-selector",
    description="PD without IGW ignores --selector: regular pods are not discovered, PD pods are.",
    features=[Feature.IGW_MIXED_DISCOVERY],
    relies_on=["igw_mode"],
)
def test_pd_without_igw_ignores_selector(scenario: Scenario) -> None:
    scenario.create(
        pod("pre-a", PREFILL, expect="prefill"),
        pod("dec-a", DECODE, expect="decode"),
        pod("reg-a", REGULAR, expect=ABSENT),
    )
    scenario.start(pd_mode=True, igw_mode=False, selector=REGULAR, **PD_SELECTORS)
    scenario.must_never_show("reg-a", barrier=pod("barrier", DECODE, expect="decode"))


@conformance_test(
    id="igw-mixed-pd-igw-without-selector",
    description="PD + IGW without --selector discovers only the prefill and decode pods.",
    features=[Feature.IGW_MIXED_DISCOVERY],
)
def test_pd_igw_without_selector(scenario: Scenario) -> None:
    scenario.create(
        pod("pre-a", PREFILL, expect="prefill"),
        pod("dec-a", DECODE, expect="decode"),
        pod("reg-a", REGULAR, expect=ABSENT),
        pod("app-only", APP, expect=ABSENT),
    )
    scenario.start(pd_mode=True, igw_mode=True, **PD_SELECTORS)
    scenario.must_never_show("reg-a", "app-only", barrier=pod("barrier", PREFILL, expect="prefill"))
