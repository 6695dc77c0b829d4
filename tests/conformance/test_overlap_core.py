"""Changes at given moments (conformance/scenario/timed.py), converge-and-hold, and what each check measured.

On the in-memory cluster and gateway of test_scenario_core (the Protocols only) with a fake clock, so
the moments are exact: a schedule sleeps until each change is due and never waits for the gateway; a
cluster too slow to build the premise makes the test not expressible; a gateway that shows the final
state at once but drops a worker a few seconds later (smg's drain after an overlapped flap) fails the
hold, naming the pod; a conformant one passes. Expected values are stated by hand.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from conformance.convergence import ConsistencyFailure
from conformance.registry import NotExpressible, Outcome
from conformance.scenario import Scenario, pod
from conformance.scenario.timed import create, delete, ready, recreate, relabel, unready
from reference import Pools
from tests.conformance.test_scenario_core import APP, FakeNamespace, Pod, scenario
from tests.polling import FakeTime

OTHER = {"app": "other"}


def _converged(tmp_path: Path, **kwargs: Any) -> tuple[Scenario, FakeTime]:
    scn, time = scenario(tmp_path, **kwargs)
    scn.create(pod("a", APP, expect="regular"), pod("b", APP, expect="regular"))
    scn.start(selector=APP)
    scn.must_converge(label="initial")
    return scn, time


def test_changes_are_made_at_their_moments_without_waiting_for_the_gateway(tmp_path: Path) -> None:
    scn, time = _converged(tmp_path)
    begin = time.now
    time.sleeps.clear()
    done = scn.apply(unready("a"), relabel("b", OTHER, at=2.0), ready("a", at=0.5), tolerance=0.1)
    assert time.sleeps == [0.5, 1.5]  # in `at` order, each as soon as it is due; no polls in between
    assert done.span == 2.0 and done.last == begin + 2.0
    assert [str(c) for c in done.changes] == ["unready a", "ready a", "relabel b"]
    marks = [(round(t - begin, 3), action, pods) for t, action, pods in scn.timeline.marks[-3:]]
    assert marks == [(0.0, "unready", ("a",)), (0.5, "ready", ("a",)), (2.0, "relabel", ("b",))]
    assert scn.evidence.timings["changes-span"] == 2.0 and scn.evidence.timings["changes-late"] == 0.0


def test_every_kind_of_change_reaches_the_cluster(tmp_path: Path) -> None:
    scn, _ = _converged(tmp_path)
    first_ip = scn.cluster.find("a")[1]["status"]["podIP"]
    scn.apply(
        create(pod("c", APP)),
        delete("b", grace_seconds=0),
        recreate("a"),
        tolerance=0.0,
    )
    names = sorted(p["metadata"]["name"] for p in scn.pods())
    assert names == ["a", "c"]
    assert scn.cluster.find("a")[1]["status"]["podIP"] != first_ip  # a new IP


class SlowNamespace(FakeNamespace):
    """Each readiness write takes `cost` seconds of the (fake) clock: a cluster under load."""

    time: FakeTime
    cost = 0.7

    def set_ready(self, name: str, ready: bool) -> Pod:
        self.time.sleep(self.cost)
        return super().set_ready(name, ready)


def test_a_cluster_too_slow_for_the_premise_makes_the_test_not_expressible(tmp_path: Path) -> None:
    scn, time = _converged(tmp_path)
    slow = SlowNamespace(scn.ns.name)
    slow.time, slow.stored, slow.specs = time, scn.ns.stored, scn.ns.specs  # type: ignore[attr-defined]
    scn.cluster.namespaces[0] = slow
    # the first write ends at 0.7 s, so the second (due at 0.5 s) starts late and ends at 1.4 s
    late = r"change ready a 0\.90 s after its moment \(\+0\.5 s; tolerance 0\.4 s\)"
    with pytest.raises(NotExpressible, match=late):
        scn.apply(unready("a"), ready("a", at=0.5), tolerance=0.4)
    assert scn.evidence.timings["changes-late"] == 0.9  # recorded before the verdict
    scn.apply(unready("a"), ready("a", at=0.5), tolerance=1.0)  # within the tolerance: the premise holds


class DrainsAfterFlap:
    """A gateway like smg 1.13.0 (docs/gateways.md#lifecycle): it hears of pod `a` turning unready when
    the change is made (as a watch would: from the scenario's timeline), keeps showing the old worker
    for `drain` seconds, then drops it for good -- even though `a` is Ready again by then."""

    def __init__(self, drain: float) -> None:
        self.drain = drain
        self.scenario: Scenario | None = None
        self.first: Pools | None = None

    def view(self, pools: Pools, pods: list[Pod]) -> Pools:
        self.first = self.first or pools
        timeline = self.scenario.timeline if self.scenario else None
        marks = timeline.marks if timeline else []
        unready_at = next((t for t, action, names in marks if action == "unready" and "a" in names), None)
        if timeline is None or unready_at is None:
            return pools
        if timeline.now() < unready_at + self.drain:
            return self.first
        a: Any = next(p for p in pods if p["metadata"]["name"] == "a")  # type: ignore[index]
        lost = f"http://{a['status']['podIP']}:8000"
        return Pools(frozenset(w for w in pools.regular if w.url != lost), pools.prefill, pools.decode)


def _draining(tmp_path: Path) -> tuple[Scenario, FakeTime]:
    gateway = DrainsAfterFlap(drain=6.0)
    scn, time = _converged(tmp_path, view=gateway.view)
    gateway.scenario = scn
    return scn, time


def test_hold_catches_a_worker_drained_after_the_final_state_showed(tmp_path: Path) -> None:
    scn, _ = _draining(tmp_path)
    done = scn.apply(unready("a"), ready("a", at=2.0), tolerance=0.1)
    with pytest.raises(ConsistencyFailure, match="did not converge") as info:
        scn.must_converge_and_hold(since=done.last, label="after-flap")
    assert info.value.differing_pods == ["ns-0/a"]
    assert scn.evidence.differing_pods == ["ns-0/a"]


def test_without_the_hold_the_same_gateway_would_pass(tmp_path: Path) -> None:
    scn, time = _draining(tmp_path)
    scn.apply(unready("a"), ready("a", at=2.0), tolerance=0.1)
    assert scn.must_converge(label="after-flap") == 0.0  # the final state shows at once...
    time.sleep(6.0)
    assert len(scn.gateway.pools()) == 1  # type: ignore[union-attr]  # ...and is lost later


def test_a_conformant_gateway_holds_for_the_hold_window(tmp_path: Path) -> None:
    scn, time = _converged(tmp_path)
    done = scn.apply(unready("a"), ready("a", at=2.0), tolerance=0.1)
    assert scn.must_converge_and_hold(since=done.last) == 0.0
    assert time.now - done.last >= scn.timeouts.hold  # it watched the whole window


def test_a_hold_longer_than_the_cap_keeps_a_run_that_began_within_it(tmp_path: Path) -> None:
    scn, time = _converged(tmp_path)
    scn.timeouts = dataclasses.replace(scn.timeouts, hold=20.0)  # the cap is 10 s, polls 1 s apart
    done = scn.apply(unready("a"), ready("a", at=0.5), tolerance=0.1)
    assert scn.must_converge_and_hold(since=done.last) == 0.0
    assert time.now - done.last >= 20.0


def test_each_check_says_what_it_waited_for_and_the_report_has_figures(tmp_path: Path) -> None:
    scn, _ = _converged(tmp_path)  # initial: start
    scn.set_ready("a", False)
    scn.must_converge(label="unready")  # remove
    scn.set_ready("a", True)
    scn.must_converge(label="ready-again")  # re-add
    scn.create(pod("c", APP))
    scn.must_converge(label="created")  # add
    scn.recreate("c")
    scn.must_converge(label="recreated")  # replace
    scn.relabel("b", APP)
    scn.must_converge(label="same")  # none
    report = scn.evidence.to_report(Outcome.PASSED)
    changes = [(c["label"], c["change"], c["seconds"]) for c in report["timeline"]["checks"]]
    assert changes == [
        ("initial", "start", 0.0),
        ("unready", "remove", 0.0),
        ("ready-again", "re-add", 0.0),
        ("created", "add", 0.0),
        ("recreated", "replace", 0.0),
        ("same", "none", 0.0),
    ]


def test_a_barrier_check_counts_as_an_add(tmp_path: Path) -> None:
    scn, _ = _converged(tmp_path)
    scn.create(pod("x", OTHER))
    scn.must_never_show("x", barrier=pod("barrier", APP, expect="regular"))
    kinds = [(c.label, c.change) for c in scn.timeline.checks]
    assert kinds == [
        ("initial", "start"),
        ("before-barrier", "none"),
        ("barrier", "add"),
        ("after-barrier", "none"),
    ]
