"""pd: prefill/decode classification, prefill wins, bootstrap-port annotation, one PD selector only.

Semantics: reference.should_include / pod type / bootstrap port (docs/gateways.md#discovery-rules): in PD
mode a pod is prefill if it matches the prefill selector (first match wins), else decode if it matches
the decode selector; only prefill workers carry a bootstrap port, read from `sglang.ai/bootstrap-port`
as a u16, a value that does not parse giving no port.
"""

from __future__ import annotations

from conformance.features import Feature
from conformance.registry import conformance_test
from conformance.scenario import ABSENT, Scenario, pod
from conformance.suite.labels import (
    APP,
    DECODE,
    DECODE_OR_BOTH,
    OTHER_APP,
    PREFILL,
    PREFILL_AND_DECODE,
    REGULAR,
)

PD = {"pd_mode": True, "prefill_selector": PREFILL, "decode_selector": DECODE}


@conformance_test(
    id="pd-classification",
    description="In PD mode prefill-selector pods are prefill workers, decode-selector pods decode workers.",
    features=[Feature.PD_CLASSIFICATION],
)
def test_pd_classification(scenario: Scenario) -> None:
    scenario.create(
        pod("pre-a", PREFILL, expect="prefill"),
        pod("dec-a", DECODE, expect="decode"),
        pod("app-only", APP, expect=ABSENT),
        pod("other", OTHER_APP, expect=ABSENT),
    )
    scenario.start(**PD)
    scenario.must_never_show("app-only", "other", barrier=pod("barrier", DECODE, expect="decode"))


@conformance_test(
    id="pd-prefill-wins",
    description="A pod matching both the prefill and the decode selector is a prefill worker.",
    features=[Feature.PD_CLASSIFICATION],
)
def test_prefill_wins(scenario: Scenario) -> None:
    scenario.create(
        pod("both", PREFILL_AND_DECODE, expect="prefill"),
        pod("decode-only", DECODE_OR_BOTH, expect="decode"),
    )
    scenario.start(pd_mode=True, prefill_selector=PREFILL, decode_selector=DECODE_OR_BOTH)
    scenario.must_converge()


@conformance_test(
    id="pd-bootstrap-port-valid",
    description="A prefill pod's valid bootstrap-port annotation becomes its worker's bootstrap port, "
    "including the spellings a u16 parse accepts (a sign, leading zeros).",
    features=[Feature.PD_CLASSIFICATION, Feature.BOOTSTRAP_PORT],
)
def test_bootstrap_port_valid(scenario: Scenario) -> None:
    # "+8998" and "08998" are ports too: the annotation is parsed as Rust's u16 (reference.pods.parse_u16,
    # conformance/corners.py); the expected port of each pod is the reference's.
    scenario.create(
        pod("pre-8998", PREFILL, bootstrap_port="8998", expect="prefill"),
        pod("pre-1", PREFILL, bootstrap_port="1", expect="prefill"),
        pod("pre-plus", PREFILL, bootstrap_port="+8998", expect="prefill"),
        pod("pre-zero", PREFILL, bootstrap_port="08998", expect="prefill"),
        pod("dec-annotated", DECODE, bootstrap_port="8999", expect="decode"),  # decode: no port
    )
    scenario.start(**PD)
    scenario.must_converge()


@conformance_test(
    id="pd-bootstrap-port-missing",
    description="A prefill pod without the bootstrap-port annotation is a prefill worker without a port.",
    features=[Feature.PD_CLASSIFICATION, Feature.BOOTSTRAP_PORT],
)
def test_bootstrap_port_missing(scenario: Scenario) -> None:
    scenario.create(pod("pre-plain", PREFILL, expect="prefill"), pod("dec-a", DECODE, expect="decode"))
    scenario.start(**PD)
    scenario.must_converge()


@conformance_test(
    id="pd-bootstrap-port-invalid",
    description="An unparsable bootstrap-port annotation (not a u16) gives a prefill worker without a port.",
    features=[Feature.PD_CLASSIFICATION, Feature.BOOTSTRAP_PORT],
)
def test_bootstrap_port_invalid(scenario: Scenario) -> None:
    scenario.create(
        pod("pre-abc", PREFILL, bootstrap_port="abc", expect="prefill"),
        pod("pre-too-big", PREFILL, bootstrap_port="70000", expect="prefill"),
        pod("pre-negative", PREFILL, bootstrap_port="-1", expect="prefill"),
        pod("pre-empty", PREFILL, bootstrap_port="", expect="prefill"),
    )
    scenario.start(**PD)
    scenario.must_converge()


@conformance_test(
    id="pd-prefill-selector-only",
    description="With only a prefill selector, prefill pods are discovered and decode-looking pods are not.",
    features=[Feature.PD_CLASSIFICATION],
)
def test_prefill_selector_only(scenario: Scenario) -> None:
    scenario.create(pod("pre-a", PREFILL, expect="prefill"), pod("dec-a", DECODE, expect=ABSENT))
    scenario.start(pd_mode=True, prefill_selector=PREFILL)
    scenario.must_never_show("dec-a", barrier=pod("barrier", PREFILL, expect="prefill"))


@conformance_test(
    id="pd-decode-selector-only",
    description="With only a decode selector, decode pods are discovered and prefill-looking pods are not.",
    features=[Feature.PD_CLASSIFICATION],
)
def test_decode_selector_only(scenario: Scenario) -> None:
    scenario.create(
        pod("dec-a", DECODE, expect="decode"),
        pod("pre-a", PREFILL, expect=ABSENT),
        pod("regular", REGULAR, expect=ABSENT),
    )
    scenario.start(pd_mode=True, decode_selector=DECODE)
    scenario.must_never_show("pre-a", "regular", barrier=pod("barrier", DECODE, expect="decode"))
