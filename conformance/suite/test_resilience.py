"""resilience: the gateway keeps following the cluster through API server faults (embedded cluster only).

docs/architecture.md#profiles: watch dropped, 410 Expired, LIST failing must not drain workers, API server
restart; and an API server that answers slowly. Each test converges, injects one fault through the cluster's
fault injection (`scenario.faults`; kind and existing clusters have none, so the tests are Skipped there,
declared before a gateway starts: docs/clusters.md), then changes the cluster and requires the pools to
converge to what the reference says. kube-rs gateways re-watch from their last resourceVersion when a stream
ends and relist on 410 (docs/gateways.md#lifecycle).
"""

from __future__ import annotations

from conformance.features import Feature
from conformance.registry import conformance_test
from conformance.scenario import Scenario, pod
from conformance.suite.labels import APP

FAILING_LISTS = 3
SLOW_SECONDS = 2.0
"""How late the slow API server answers every request (the gateway's re-watch and relist included)."""
GRACE_SECONDS = 30


def _converged_with(scenario: Scenario, *names: str) -> None:
    scenario.create(*(pod(name, APP, expect="regular") for name in names))
    scenario.start(selector=APP)
    scenario.must_converge(label="initial")


def _expire_watches(scenario: Scenario) -> None:
    """Move the cluster's resourceVersion past the gateway's without a pod event it sees, then compact.

    A change in another namespace is invisible to the gateway's namespace-scoped pod watch, so its last
    resourceVersion is now older than the compacted one and its next watch gets 410 Expired.
    """
    scenario.other_namespace()
    scenario.faults.compact()


@conformance_test(
    id="resilience-watch-dropped",
    description="After the API server ends every watch, a pod created next is still discovered.",
    features=[Feature.WATCH_RECOVERY],
)
def test_watch_dropped(scenario: Scenario) -> None:
    _converged_with(scenario, "a")
    scenario.faults.drop_watches()
    scenario.create(pod("b", APP, expect="regular"))
    scenario.must_converge(label="after-drop")


@conformance_test(
    id="resilience-watch-expired",
    description="When the re-watch gets 410 Expired (history compacted), the gateway relists and follows on.",
    features=[Feature.WATCH_EXPIRY_RELIST],
)
def test_watch_expired(scenario: Scenario) -> None:
    _converged_with(scenario, "a")
    _expire_watches(scenario)
    scenario.faults.drop_watches()
    scenario.create(pod("b", APP, expect="regular"))
    scenario.must_converge(label="after-expiry")


@conformance_test(
    id="resilience-list-failing-keeps-workers",
    description="While the relist after 410 Expired fails with 500 the workers stay, and changes show after.",
    features=[Feature.LIST_FAILURE_TOLERANCE],
)
def test_list_failing_keeps_workers(scenario: Scenario) -> None:
    _converged_with(scenario, "a", "b")
    _expire_watches(scenario)
    scenario.faults.fail_lists(FAILING_LISTS, 500)
    scenario.faults.drop_watches()
    scenario.must_hold_while_lists_fail()
    scenario.must_converge(label="after-failing-lists")
    scenario.create(pod("c", APP, expect="regular"))
    scenario.must_converge(label="after-recovery")


@conformance_test(
    id="resilience-apiserver-restart",
    description="After the API server restarts (same address and objects), a pod created next is discovered.",
    features=[Feature.APISERVER_RESTART],
)
def test_apiserver_restart(scenario: Scenario) -> None:
    _converged_with(scenario, "a")
    scenario.faults.restart()
    scenario.create(pod("b", APP, expect="regular"))
    scenario.must_converge(label="after-restart")


@conformance_test(
    id="resilience-slow-apiserver",
    description="Changes made while the API server answers every request 2 s late show once it recovers.",
    features=[Feature.SLOW_APISERVER],
)
def test_slow_apiserver(scenario: Scenario) -> None:
    scenario.create(pod("c", APP, ready=False, expect="-"))
    _converged_with(scenario, "a", "b")
    scenario.timeline.mark(f"API server slow ({SLOW_SECONDS:g} s)")
    scenario.faults.delay(SLOW_SECONDS)
    scenario.faults.drop_watches()  # the gateway's next watch waits on the slow server
    # Changes every gateway follows one at a time (docs/gateways.md#lifecycle), made through the slow
    # server too (a few requests each): a pod turns Ready, another is deleted gracefully.
    scenario.set_ready("c", True)
    scenario.delete("a", grace_seconds=GRACE_SECONDS)
    scenario.faults.delay(0)  # recovered: the cap counts from here
    scenario.timeline.mark("API server recovered")
    scenario.must_converge(label="after-recovery")
