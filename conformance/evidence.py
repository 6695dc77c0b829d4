"""What one conformance test leaves behind for its report: the evidence, and a timeline of every check.

Why a type: the report's evidence used to be an untyped dict written from ten places. `Evidence`
names each piece (requested / effective config, timings per check, expected / observed pools, time
waited, the pods that differ, the gateway's log tail, the pods as the API server held them) and
`to_report()` is the one place that decides what a report entry carries (more when the test did not
pass). The plugin reads it; nothing else writes report keys.

The timeline is what a reader needs to see *how* a check went, not only that it failed: for each
check its polls -- (t, expected workers per pool, observed workers per pool, equal?) -- its cap and
its result (the convergence point, or the time it failed), and between the checks a mark for each
change the test made (create / relabel / unready / ready / delete / recreate, with pod names, or a
fault). Times are seconds since the scenario began, on the scenario's clock (fixtures/waiting.py).
It is stored compactly: counts, not workers (`equal` still tells a bootstrap-port difference); runs
of identical polls keep their first and last; a long check keeps at most MAX_POLLS polls. Passed
tests keep the marks and checks without polls. Report form (docs/interfaces.md, "Evidence"):

    timeline:
      marks: [[0.41, create, [a, b]], [2.95, unready, [a]]]
      checks:
      - {label: initial, start: 0.9, cap: 15.9, change: start, result: converged, seconds: 0.2, at: 1.1,
         end: 1.5, polls: [[0.9, [2, 0, 0], [0, 0, 0], false], [1.1, [2, 0, 0], [2, 0, 0], true], ...]}

A convergence check also says what it waited for (`change`: start, add, remove, re-add, replace, none;
conformance/latency.py) and, once passed, the `seconds` it measured: the report's latency figures are
these, gathered over every test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.registry import Outcome
from fixtures.waiting import SYSTEM_CLOCK, Clock
from reference import POOL_NAMES, Pools

MAX_POLLS = 60
Counts = tuple[int, ...]
"""Workers per pool, in reference.POOL_NAMES order (regular, prefill, decode)."""
Poll = tuple[float, Counts, Counts, bool]
"""(t, expected counts, observed counts, observed == expected) for one read of the gateway's pools."""


def counts(pools: Pools) -> Counts:
    return tuple(len(pools.pool(name)) for name in POOL_NAMES)


def _ms(t: float) -> float:
    return round(t, 3)


@dataclass
class CheckTrace:
    """One check (convergence, absence, holding, a log wait): its polls and how it ended."""

    label: str
    start: float
    cap: float
    expected: Pools | None
    polls: list[Poll] = field(default_factory=list)
    result: str = ""
    at: float | None = None
    end: float | None = None
    origin: float = 0.0
    change: str | None = None
    """What the check waits for the gateway to do (conformance.latency.ChangeKind: add, remove, ...)."""
    seconds: float | None = None
    """The time the check measured (its timing), once it passed: the latency figures read it."""

    def poll(self, t: float, observed: Pools) -> None:
        """Record one read at clock time `t` (equal: the same workers and bootstrap ports as expected)."""
        want = counts(self.expected) if self.expected is not None else ()
        self.polls.append((t - self.origin, want, counts(observed), observed == self.expected))

    def finish(self, result: str, *, at: float | None, end: float) -> None:
        """`result` ("converged", "failed", "held", ...) with its point in clock time (`at`)."""
        self.result = result
        self.at = None if at is None else at - self.origin
        self.end = end - self.origin

    def to_report(self, *, with_polls: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "start": _ms(self.start), "cap": _ms(self.cap)}
        if self.change is not None:
            out["change"] = self.change
        out["result"] = self.result or "unfinished"
        if self.seconds is not None:
            out["seconds"] = _ms(self.seconds)
        if self.at is not None:
            out["at"] = _ms(self.at)
        if self.end is not None:
            out["end"] = _ms(self.end)
        if with_polls:
            out["polls"] = [[_ms(t), list(e), list(o), eq] for t, e, o, eq in compact(self.polls)]
        return out


def compact(polls: list[Poll], limit: int = MAX_POLLS) -> list[Poll]:
    """Runs of identical polls keep their first and last; then at most `limit`, changes first."""

    def state(poll: Poll) -> tuple[Counts, Counts, bool]:
        return poll[1], poll[2], poll[3]

    last = len(polls) - 1
    kept = [
        p
        for i, p in enumerate(polls)
        if i in (0, last) or state(p) != state(polls[i - 1]) or state(p) != state(polls[i + 1])
    ]
    if len(kept) <= limit:
        return kept
    changes = [i for i, p in enumerate(kept) if i in (0, len(kept) - 1) or state(p) != state(kept[i - 1])]
    chosen = set(_spread(changes, limit))
    others = [i for i in range(len(kept)) if i not in chosen]
    chosen.update(_spread(others, limit - len(chosen)))
    return [kept[i] for i in sorted(chosen)]


def _spread(indices: list[int], count: int) -> list[int]:
    """`count` of `indices`, evenly spaced, the first and last among them."""
    if count <= 0 or not indices:
        return []
    if count >= len(indices):
        return list(indices)
    if count == 1:
        return [indices[0]]
    return [indices[round(k * (len(indices) - 1) / (count - 1))] for k in range(count)]


class Timeline:
    """The marks and checks of one scenario, on its clock."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.origin = clock.now()
        self.marks: list[tuple[float, str, tuple[str, ...]]] = []
        self.checks: list[CheckTrace] = []

    def now(self) -> float:
        """Seconds since the scenario began."""
        return self.clock.now() - self.origin

    def mark(self, action: str, *pods: str) -> None:
        """A change the test made (with the pods it touched), now."""
        self.marks.append((self.now(), action, pods))

    def begin(self, label: str, *, cap_seconds: float, expected: Pools | None) -> CheckTrace:
        """A check starting now, which must end within `cap_seconds`."""
        start = self.now()
        trace = CheckTrace(
            label=label,
            start=start,
            cap=start + cap_seconds,
            expected=expected,
            origin=self.origin,
        )
        self.checks.append(trace)
        return trace

    def to_report(self, *, with_polls: bool) -> dict[str, Any]:
        return {
            "marks": [[_ms(t), action, list(pods)] for t, action, pods in self.marks],
            "checks": [check.to_report(with_polls=with_polls) for check in self.checks],
        }


@dataclass
class Evidence:
    """Everything one test records for its report entry (see the module docstring)."""

    requested_config: dict[str, Any] | None = None
    effective_config: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    harness_seconds: dict[str, float] = field(default_factory=dict)
    """Per timing key, the seconds the harness itself stalled during that check (left out of its time)."""
    expected: Pools | None = None
    observed: Pools | None = None
    waited_seconds: float | None = None
    differing_pods: list[str] = field(default_factory=list)
    log_tail: str = ""
    pods: list[dict[str, Any]] = field(default_factory=list)
    timeline: Timeline | None = None
    figures: dict[str, float] = field(default_factory=dict)
    """Numbers a test measured beyond its checks' timings (the scale tests: workers, time to the first
    and to all of them, the churn rate reached), reported as `figures`."""

    def timing(self, label: str, seconds: float, *, harness: float = 0.0) -> None:
        """Time one check took, under `label` (a repeated label gets "-2", "-3", ...), and the seconds
        of it the harness stalled (not counted in `seconds`)."""
        key, n = label, 2
        while key in self.timings:
            key, n = f"{label}-{n}", n + 1
        self.timings[key] = _ms(seconds)
        self.harness_seconds[key] = _ms(max(0.0, harness))  # always: a report's fields never depend on load

    def failure(
        self, *, expected: Pools | None, observed: Pools | None, waited: float, differing: list[str]
    ) -> None:
        """The evidence of a check that failed: the last snapshot against what was expected."""
        self.expected, self.observed = expected, observed
        self.waited_seconds = _ms(waited)
        self.differing_pods = list(differing)

    def to_report(self, outcome: Outcome) -> dict[str, Any]:
        """The report entry's evidence (camelCase keys); more of it when the test did not pass."""
        out: dict[str, Any] = {}
        requested, effective = self.requested_config, self.effective_config
        if requested and effective and requested != effective:
            out["requestedConfig"] = requested
            out["effectiveConfig"] = effective
        elif requested:
            out["config"] = requested
        out["timings"] = dict(self.timings)
        out["harnessSeconds"] = dict(self.harness_seconds)
        if self.figures:
            out["figures"] = {key: _ms(value) for key, value in self.figures.items()}
        passed = outcome is Outcome.PASSED
        if self.timeline is not None:
            out["timeline"] = self.timeline.to_report(with_polls=not passed)
        if not passed:
            out["differingPods"] = list(self.differing_pods)
            out["waitedSeconds"] = self.waited_seconds
            out["expected"] = self.expected.to_dict() if self.expected is not None else None
            out["observed"] = self.observed.to_dict() if self.observed is not None else None
            out["pods"] = list(self.pods)
            if outcome in (Outcome.FAILED, Outcome.REJECTED_CONFIG):
                out["logTail"] = self.log_tail
        return out
