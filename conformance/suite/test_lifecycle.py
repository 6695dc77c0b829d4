"""lifecycle: the gateway follows pods as they change (unready, relabel, delete, recreate).

Each test reaches a converged state, changes one thing, and requires the pools to converge again to what
the reference says for the new state, within the cap. Known divergences (docs/gateways.md#lifecycle):
sglang-router 0.3.2 keeps workers of unready / relabelled pods and of pods deleted without a graceful
step; smg 1.13.0 re-adds a pod that comes back only at its 60 s pass -- beyond the cap, so a failure.
"""

from __future__ import annotations

from conformance.features import Feature
from conformance.registry import conformance_test
from conformance.scenario import Scenario, pod
from conformance.suite.labels import APP, OTHER_APP

GRACE_SECONDS = 3


def two_workers(scenario: Scenario) -> None:
    """Pods a and b, both regular workers, and the gateway converged on them (test_overlap uses it too)."""
    scenario.create(pod("a", APP, expect="regular"), pod("b", APP, expect="regular"))
    scenario.start(selector=APP)
    scenario.must_converge(label="initial")


@conformance_test(
    id="lifecycle-unready",
    description="A worker whose pod turns Ready=False is removed.",
    features=[Feature.READINESS_LOSS],
)
def test_unready_pod_removed(scenario: Scenario) -> None:
    two_workers(scenario)
    scenario.set_ready("a", False)
    scenario.must_converge(label="unready")


@conformance_test(
    id="lifecycle-ready-again",
    description="A worker removed because its pod turned unready is added back when the pod is Ready again.",
    features=[Feature.READINESS_LOSS],
)
def test_ready_again_readded(scenario: Scenario) -> None:
    two_workers(scenario)
    scenario.set_ready("a", False)
    scenario.must_converge(label="unready")
    scenario.set_ready("a", True)
    scenario.must_converge(label="ready-again")


@conformance_test(
    id="lifecycle-relabel-out",
    description="A worker whose pod is relabelled so it no longer matches the selector is removed.",
    features=[Feature.RELABEL],
)
def test_relabel_out_removed(scenario: Scenario) -> None:
    two_workers(scenario)
    scenario.relabel("a", OTHER_APP)
    scenario.must_converge(label="relabelled-out")


@conformance_test(
    id="lifecycle-relabel-back-in",
    description="A pod relabelled out and then back in is a worker again.",
    features=[Feature.RELABEL],
)
def test_relabel_back_in_readded(scenario: Scenario) -> None:
    two_workers(scenario)
    scenario.relabel("a", OTHER_APP)
    scenario.must_converge(label="relabelled-out")
    scenario.relabel("a", APP)
    scenario.must_converge(label="relabelled-in")


@conformance_test(
    id="lifecycle-graceful-delete",
    description="A pod deleted gracefully stops being a worker once it is terminating, and stays gone.",
    features=[Feature.DELETION],
)
def test_graceful_delete_removed(scenario: Scenario) -> None:
    two_workers(scenario)
    scenario.delete("a", grace_seconds=GRACE_SECONDS)
    scenario.must_converge(label="terminating")
    scenario.wait_gone("a")
    scenario.must_converge(label="deleted")


@conformance_test(
    id="lifecycle-delete-without-graceful-step",
    description="A pod deleted at once (grace 0: no terminating step) is removed.",
    features=[Feature.DELETION],
)
def test_delete_at_once_removed(scenario: Scenario) -> None:
    two_workers(scenario)
    scenario.delete("a", grace_seconds=0)
    scenario.wait_gone("a")
    scenario.must_converge(label="deleted")


@conformance_test(
    id="lifecycle-recreate-new-ip",
    description="A pod deleted and recreated under the same name with a new IP is the new worker only.",
    features=[Feature.RECREATION],
)
def test_recreate_with_new_ip(scenario: Scenario) -> None:
    two_workers(scenario)
    scenario.delete("a", grace_seconds=0)
    scenario.wait_gone("a")
    scenario.create(pod("a", APP, expect="regular"))
    scenario.must_converge(label="recreated")
