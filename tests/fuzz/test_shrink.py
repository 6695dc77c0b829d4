"""Shrinking on its own (no gateway): smaller cases that fail alike win, and a deadline stops it with
the best case so far, reported and written as it improved (issue 11: --duration bounds shrinking)."""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conformance.fuzz.pool import Stopper, Verdict
from conformance.fuzz.reporting import Reporter, Tally
from conformance.fuzz.scenario import BATCH, FuzzScenario, load
from conformance.fuzz.shrink import Lookup, shrink
from fixtures.clusters.podspec import PodSpec
from reference import ServiceDiscoveryConfig

CONFIG = ServiceDiscoveryConfig(enabled=True, selector={"app": "sglang"}, port=8000)
CULPRIT = "pod-5"  # the one pod the "gateway" below mishandles


@dataclass
class FakeSlots:
    """What shrink uses of the slots: how many run side by side, and the run's stopper."""

    count: int = 2
    stopper: Stopper = field(default_factory=Stopper)


def _case(names: Sequence[str]) -> FuzzScenario:
    pods = [PodSpec(name, {"app": "sglang", "extra": "x"}) for name in names]
    return FuzzScenario(gateway="fake", mode="differential", config=CONFIG, pods=pods)


def _judge(case: FuzzScenario) -> FuzzScenario:
    """A gateway that never shows the culprit pod (whatever its labels)."""
    result = case.fresh()
    if any(p.name == CULPRIT and "app" in p.labels for p in case.pods):
        result.failed_at = BATCH
        result.differences = [f"missing regular default/{CULPRIT}"]
    return result


def _lookup(stopper: Stopper, seconds: float, runs: list[int]) -> Lookup:
    def lookup(batch: Sequence[FuzzScenario]) -> list[Verdict]:
        runs.append(len(batch))
        stopper.sleep(seconds)  # a live round costs time; raises Cancelled at the deadline
        return [Verdict(case, result=_judge(case)) for case in batch]

    return lookup


def test_shrinking_finds_the_one_pod_that_fails(tmp_path: Path) -> None:
    slots = FakeSlots()
    found = _judge(_case([f"pod-{i}" for i in range(8)]))
    runs: list[int] = []
    reporter = Reporter(tmp_path, stream=io.StringIO())
    tally = Tally(gateway="fake", mode="differential")
    reporter.difference(tally, found)
    best, stopped = shrink(slots, found, _lookup(slots.stopper, 0.0, runs), reporter=reporter, tally=tally)  # type: ignore[arg-type]
    assert stopped == ""
    # one pod left, with only the label that matters, renamed pod-0 only if it stays failing alike
    assert [p.name for p in best.pods] == [CULPRIT] and best.pods[0].labels == {"app": "sglang"}, (
        best.describe()
    )
    assert reporter.path is not None and load(reporter.path).pods == best.pods  # the file holds the best
    assert all(size <= slots.count for size in runs)  # candidates go a round (one per slot) at a time


def test_a_deadline_stops_shrinking_with_the_best_case_so_far(tmp_path: Path) -> None:
    slots = FakeSlots()
    found = _judge(_case([f"pod-{i}" for i in range(16)]))
    out = io.StringIO()
    reporter = Reporter(tmp_path, stream=out)
    tally = Tally(gateway="fake", mode="differential")
    reporter.difference(tally, found)
    slots.stopper.deadline = time.monotonic() + 1.0
    began = time.monotonic()
    best, stopped = shrink(slots, found, _lookup(slots.stopper, 0.3, []), reporter=reporter, tally=tally)  # type: ignore[arg-type]
    assert stopped == "deadline" and time.monotonic() - began < 2.0
    finished = len(best.pods) == 1 and best.pods[0].labels == {"app": "sglang"}
    assert best.failed and len(best.pods) < 16 and not finished, best.describe()  # improved, unfinished
    assert tally.found is best and "shrunk to" in out.getvalue()
    assert reporter.path is not None and load(reporter.path).pods == best.pods
