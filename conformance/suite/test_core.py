"""core: regular selector discovery, multi-label AND, no match, readiness gating, namespace scoping.

Semantics: reference.matches_selector / should_include / is_healthy (docs/gateways.md#discovery-rules):
equality-only selectors, every term must match, an empty selector matches nothing, only Running + Ready
pods with a podIP are workers. Absence is always proven by a barrier pod (conformance.convergence).
"""

from __future__ import annotations

import uuid

from conformance.features import Feature
from conformance.registry import conformance_test
from conformance.scenario import ABSENT, Scenario, pod
from conformance.suite.labels import APP, OTHER_APP, REGULAR, plus


@conformance_test(
    id="regular-selector-discovery",
    description="A pod whose labels match the selector is discovered as a regular worker; others are not.",
    features=[Feature.REGULAR_DISCOVERY],
)
def test_regular_selector_discovery(scenario: Scenario) -> None:
    scenario.create(
        pod("match-a", APP, expect="regular"),
        pod("match-b", plus(APP, tier="gpu"), expect="regular"),
        pod("other-app", OTHER_APP, expect=ABSENT),
        pod("no-labels", {}, expect=ABSENT),
    )
    scenario.start(selector=APP)
    scenario.must_never_show("other-app", "no-labels", barrier=pod("barrier", APP, expect="regular"))


@conformance_test(
    id="multi-label-and",
    description="With several selector terms a pod must carry every one of them (AND, equality only).",
    features=[Feature.MULTI_LABEL_SELECTOR],
)
def test_multi_label_and(scenario: Scenario) -> None:
    scenario.create(
        pod("both-terms", REGULAR, expect="regular"),
        pod("superset", plus(REGULAR, zone="a"), expect="regular"),
        pod("app-only", APP, expect=ABSENT),
        pod("role-only", {"role": "regular"}, expect=ABSENT),
        pod("wrong-role", plus(APP, role="prefill"), expect=ABSENT),
    )
    scenario.start(selector=REGULAR)
    scenario.must_never_show(
        "app-only", "role-only", "wrong-role", barrier=pod("barrier", REGULAR, expect="regular")
    )


@conformance_test(
    id="no-match",
    description="Near-miss labels (other case, other key, value prefix) match nothing: no worker at all.",
    features=[Feature.REGULAR_DISCOVERY],
)
def test_no_match(scenario: Scenario) -> None:
    scenario.create(
        pod("value-case", {"app": "SGLang"}, expect=ABSENT),
        pod("key-case", {"App": "sglang"}, expect=ABSENT),
        pod("value-prefix", {"app": "sglang-x"}, expect=ABSENT),
        pod("empty-value", {"app": ""}, expect=ABSENT),
    )
    scenario.start(selector=APP)
    scenario.must_never_show(
        "value-case", "key-case", "value-prefix", "empty-value", barrier=pod("barrier", APP, expect="regular")
    )


@conformance_test(
    id="readiness-gating-pending",
    description="A Pending pod that matches the selector is not a worker.",
    features=[Feature.READINESS_GATING],
)
def test_pending_pod_not_discovered(scenario: Scenario) -> None:
    scenario.create(pod("ready", APP, expect="regular"), pod("pending", APP, phase="Pending", expect=ABSENT))
    scenario.start(selector=APP)
    scenario.must_never_show("pending", barrier=pod("barrier", APP, expect="regular"))


@conformance_test(
    id="readiness-gating-not-ready",
    description="A Running pod whose Ready condition is False is not a worker, though its server answers.",
    features=[Feature.READINESS_GATING],
)
def test_not_ready_pod_not_discovered(scenario: Scenario) -> None:
    scenario.create(pod("ready", APP, expect="regular"), pod("not-ready", APP, ready=False, expect=ABSENT))
    scenario.start(selector=APP)
    scenario.must_never_show("not-ready", barrier=pod("barrier", APP, expect="regular"))


@conformance_test(
    id="readiness-gating-no-pod-ip",
    description="A Running, Ready pod without a podIP is not a worker (and does not disturb discovery).",
    features=[Feature.READINESS_GATING],
)
def test_pod_without_ip_not_discovered(scenario: Scenario) -> None:
    scenario.create(pod("ready", APP, expect="regular"), pod("no-ip", APP, has_ip=False, expect=ABSENT))
    scenario.start(selector=APP)
    scenario.must_never_show("no-ip", barrier=pod("barrier", APP, expect="regular"))


@conformance_test(
    id="namespace-scoped",
    description="With a namespace configured, matching pods in other namespaces are not discovered.",
    features=[Feature.NAMESPACE_SCOPING],
)
def test_namespace_scoped(scenario: Scenario) -> None:
    elsewhere = scenario.other_namespace()
    scenario.create(pod("here", APP, expect="regular"))
    scenario.create(pod("elsewhere", APP, expect=ABSENT), namespace=elsewhere)
    scenario.start(selector=APP)  # scoped to the test's namespace
    scenario.must_never_show("elsewhere", barrier=pod("barrier", APP, expect="regular"))


@conformance_test(
    id="namespace-all",
    description="Without a namespace configured, matching pods in every namespace are discovered.",
    features=[Feature.NAMESPACE_SCOPING],
)
def test_all_namespaces(scenario: Scenario) -> None:
    run = {"app": "sglang", "conformance-run": uuid.uuid4().hex[:12]}  # unique: other tests' pods never match
    elsewhere = scenario.other_namespace()
    scenario.create(pod("here", run, expect="regular"))
    scenario.create(pod("elsewhere", run, expect="regular"), namespace=elsewhere)
    scenario.start(selector=run, namespace=None)
    scenario.must_converge()
