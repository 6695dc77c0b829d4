"""Longest tests first, spread over the workers: the order xdist hands conformance tests out in.

Why: xdist's work-stealing scheduler gives each worker a contiguous slice of the collection, and the
suite is collected profile by profile -- so the overlap tests (the longest: flaps held 8 s, drains)
land on one or two workers and the run waits for them, however many workers are idle. Here the
pending tests are first ordered so that each worker's slice starts with a long test and the slices
weigh about the same (the classic longest-processing-time rule); stealing then evens out what the
estimates missed.

Expected durations: each test's last measured duration for this gateway (kept in pytest's cache after
a run, `conformance/durations/<gateway>`), else a guess from its profile. Only the order in which tests
start changes: verdicts, the report (built in the selection's order) and the JUnit file do not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from xdist.scheduler import WorkStealingScheduling  # type: ignore[import-untyped]

GUESS_SECONDS = {"overlap": 15.0, "resilience": 10.0, "lifecycle": 8.0, "scale": 60.0}
"""A profile's typical test length when no earlier run measured it (seconds; the rest: DEFAULT)."""
DEFAULT_SECONDS = 5.0


def expected_seconds(profiles: Sequence[str], measured: float | None) -> float:
    """The duration to plan with: the last measured one, else the longest guess of its profiles."""
    if measured is not None:
        return measured
    return max((GUESS_SECONDS.get(p, DEFAULT_SECONDS) for p in profiles), default=DEFAULT_SECONDS)


def slice_sizes(count: int, slices: int) -> list[int]:
    """How xdist's work stealing cuts `count` pending tests for `slices` idle workers (in order)."""
    sizes = []
    for i in range(slices):
        size = count // (slices - i)
        sizes.append(size)
        count -= size
    return sizes


def balanced_order(weights: Sequence[float], slices: int) -> list[int]:
    """Indices such that xdist's contiguous slices (slice_sizes) weigh about the same: heaviest test
    first, each to the lightest slice with room (longest processing time first), each slice's
    heaviest test at its front."""
    slices = max(1, min(slices, len(weights)))
    room = slice_sizes(len(weights), slices)
    parts: list[list[int]] = [[] for _ in range(slices)]
    totals = [0.0] * slices
    for index in sorted(range(len(weights)), key=lambda i: -weights[i]):
        part = min((p for p in range(slices) if len(parts[p]) < room[p]), key=lambda p: totals[p])
        parts[part].append(index)
        totals[part] += weights[index]
    return [index for part in parts for index in part]


def scheduler_class(weight_of: Callable[[str], float]) -> type[WorkStealingScheduling]:
    """A work-stealing scheduler that deals the tests out by `weight_of(nodeid)` first."""

    class LongestFirst(WorkStealingScheduling):  # type: ignore[misc]  # xdist ships no types
        _ordered = False

        def check_schedule(self) -> None:
            if not self._ordered and self.pending and self.collection is not None:
                self._ordered = True
                weights = [weight_of(self.collection[i]) for i in self.pending]
                order = balanced_order(weights, len(self.node2pending) or 1)
                self.pending[:] = [self.pending[i] for i in order]
            super().check_schedule()

    return LongestFirst


def durations_of(report: Mapping[str, Any]) -> dict[str, float]:
    """test id -> seconds, from a ConformanceReport (what the next run plans with)."""
    return {t["id"]: float(t["durationSeconds"]) for t in report.get("tests") or [] if "durationSeconds" in t}
