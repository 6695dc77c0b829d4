"""overlap: changes faster than the gateway -- flaps, recreation at once, bursts across roles.

Every lifecycle test waits for convergence before its next change; a real cluster does not. Each test
here converges, then makes its changes at the moments declared below without waiting for the gateway
(conformance/scenario/timed.py), then requires the pools to converge to the reference's desired state
for the FINAL cluster state within the cap, and to stay there until `hold` seconds after the last
change (TimeoutConfig.hold): a removal the gateway still had pending from an overlapped change must
not take a worker the final state keeps.

The moments sit inside the windows measured of the real gateways (docs/gateways.md#timing,
docs/overlap.md): smg collects pod events for about a second before it acts (a flap shorter than that
never reaches it) and drains a removed worker for 5 s more; sglang-router 0.3.2 acts on each event
at once. A flap of INSIDE_BATCH seconds ends inside that first second; one of INSIDE_DRAIN seconds
ends after smg has acted on the first half and while its removal still drains. A change done more than
its tolerance after its moment (a busy machine) makes the test "not expressible", never a verdict.
"""

from __future__ import annotations

from conformance.features import Feature
from conformance.registry import conformance_test
from conformance.scenario import Scenario, pod
from conformance.scenario.timed import Change, create, delete, ready, recreate, relabel, unready
from conformance.suite.labels import APP, DECODE, OTHER_APP, PREFILL
from conformance.suite.test_lifecycle import two_workers

INSIDE_BATCH = 0.5
"""Flap gap (s) inside a ~1 s batching window: the pod is back before the gateway acts."""
INSIDE_BATCH_TOLERANCE = 0.4
"""The second half of an INSIDE_BATCH flap must be done before 0.9 s, still inside the window."""
INSIDE_DRAIN = 2.0
"""Flap gap (s) past a ~1 s batch, inside the 5 s drain that follows it."""
INSIDE_DRAIN_TOLERANCE = 1.5
"""An INSIDE_DRAIN flap's second half must be done before 3.5 s, well inside the drain."""
BURST_WITHIN = 1.0
"""A burst's changes are all done within this many seconds of its start."""
BOOTSTRAP = "8998"


def _overlapped(scenario: Scenario, *changes: Change, tolerance: float) -> None:
    """Two workers converged, then `changes` without waiting; the final state must show and hold."""
    two_workers(scenario)
    done = scenario.apply(*changes, tolerance=tolerance)
    scenario.must_converge_and_hold(since=done.last, label="after-changes")


@conformance_test(
    id="overlap-ready-flap",
    description="A pod that turns unready and Ready again within a second stays a worker.",
    features=[Feature.READINESS_FLAP],
)
def test_ready_flap(scenario: Scenario) -> None:
    _overlapped(scenario, unready("a"), ready("a", at=INSIDE_BATCH), tolerance=INSIDE_BATCH_TOLERANCE)


@conformance_test(
    id="overlap-ready-flap-during-drain",
    description="A pod that turns unready and is Ready again two seconds later stays a worker.",
    features=[Feature.READINESS_FLAP],
)
def test_ready_flap_during_drain(scenario: Scenario) -> None:
    _overlapped(scenario, unready("a"), ready("a", at=INSIDE_DRAIN), tolerance=INSIDE_DRAIN_TOLERANCE)


@conformance_test(
    id="overlap-relabel-flap",
    description="A pod relabelled out of the selector and back in within a second stays a worker.",
    features=[Feature.RELABEL_FLAP],
)
def test_relabel_flap(scenario: Scenario) -> None:
    out, back = relabel("a", OTHER_APP), relabel("a", APP, at=INSIDE_BATCH)
    _overlapped(scenario, out, back, tolerance=INSIDE_BATCH_TOLERANCE)


@conformance_test(
    id="overlap-relabel-flap-during-drain",
    description="A pod relabelled out of the selector and back in two seconds later stays a worker.",
    features=[Feature.RELABEL_FLAP],
)
def test_relabel_flap_during_drain(scenario: Scenario) -> None:
    out, back = relabel("a", OTHER_APP), relabel("a", APP, at=INSIDE_DRAIN)
    _overlapped(scenario, out, back, tolerance=INSIDE_DRAIN_TOLERANCE)


@conformance_test(
    id="overlap-recreate-at-once",
    description="A pod deleted and recreated at once with a new IP, twice within a second, is the newest "
    "worker only.",
    features=[Feature.RECREATE_AT_ONCE],
)
def test_recreate_at_once(scenario: Scenario) -> None:
    _overlapped(scenario, recreate("a"), recreate("a", at=INSIDE_BATCH), tolerance=INSIDE_BATCH_TOLERANCE)


# Regular mode: 8 changes in one second -- two pods come, two go (at once / gracefully), one turns
# unready, one is relabelled out, one is relabelled in, one turns Ready.
REGULAR_BURST = (
    create(pod("r7", APP)),
    create(pod("r8", APP)),
    delete("r1", grace_seconds=0),
    delete("r2"),
    unready("r3"),
    relabel("r4", OTHER_APP),
    relabel("x1", APP),
    ready("u1"),
)


@conformance_test(
    id="overlap-burst-regular",
    description=f"{len(REGULAR_BURST)} changes to regular workers within a second converge to the final "
    "state.",
    features=[Feature.CHANGE_BURST],
)
def test_burst_regular(scenario: Scenario) -> None:
    scenario.create(
        *(pod(f"r{i}", APP, expect="regular") for i in range(1, 7)),
        pod("x1", OTHER_APP, expect="-"),
        pod("u1", APP, ready=False, expect="-"),
    )
    scenario.start(selector=APP)
    scenario.must_converge(label="initial")
    done = scenario.apply(*REGULAR_BURST, tolerance=BURST_WITHIN)
    scenario.must_converge_and_hold(since=done.last, label="after-changes")


# PD mode: 8 changes in one second across prefill and decode -- a prefill and a decode pod come, one of
# each goes, one prefill turns unready, a prefill pod becomes a decode pod (same URL, other role), a
# decode pod is relabelled out and a stranger relabelled in as decode.
PD_BURST = (
    create(pod("p4", PREFILL, bootstrap_port=BOOTSTRAP)),
    create(pod("d4", DECODE)),
    delete("p1", grace_seconds=0),
    delete("d1"),
    unready("p2"),
    relabel("p3", DECODE),
    relabel("d3", OTHER_APP),
    relabel("x1", DECODE),
)


@conformance_test(
    id="overlap-burst-pd",
    description=f"{len(PD_BURST)} changes across prefill and decode workers within a second converge to "
    "the final state.",
    features=[Feature.CHANGE_BURST],
)
def test_burst_pd(scenario: Scenario) -> None:
    scenario.create(
        *(pod(f"p{i}", PREFILL, bootstrap_port=BOOTSTRAP, expect="prefill") for i in range(1, 4)),
        *(pod(f"d{i}", DECODE, expect="decode") for i in range(1, 4)),
        pod("x1", OTHER_APP, expect="-"),
    )
    scenario.start(pd_mode=True, prefill_selector=PREFILL, decode_selector=DECODE)
    scenario.must_converge(label="initial")
    done = scenario.apply(*PD_BURST, tolerance=BURST_WITHIN)
    scenario.must_converge_and_hold(since=done.last, label="after-changes")
