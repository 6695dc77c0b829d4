"""Eventual-consistency assertions: convergence by N equal snapshots, absence by barrier + settle window.

docs/architecture.md, "How a test runs" steps 5 and 6 and "Proving absence"; as Gateway API's
`MakeRequestAndExpectEventuallyConsistentResponse` (docs/conventions.md) every check is inside the
retry loop. All three checks are uses of the one poll primitive (fixtures/waiting.py) paced by the
suite's TimeoutConfig; nothing here sleeps for a fixed time to "let things settle": absence is proven
by a barrier pod that must show first, then a settle window during which the excluded pods must never
show.

Time: every check takes `clock=` (fixtures.waiting.Clock), the one injection point for time; the
Scenario hands down its own (docs/interfaces.md). The checks know nothing about clusters or gateways:
they read a pool source and, to name pods in failure messages, a pod source; a `trace`
(conformance.evidence.CheckTrace) records each poll for the report's timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from conformance.contracts import PodSource, PoolSource
from conformance.differences import describe_difference, entries, pod_names_by_ip, url_host
from conformance.timeouts import TimeoutConfig
from fixtures.waiting import SYSTEM_CLOCK, Clock, poll
from reference import Pools

__all__ = [
    "ConsistencyFailure",
    "Trace",
    "describe_difference",
    "must_converge_to",
    "must_never_show",
    "must_stay",
    "pod_names_by_ip",
    "url_host",
]


class Trace(Protocol):
    """Where a check records its polls and its end (conformance.evidence.CheckTrace)."""

    def poll(self, t: float, observed: Pools) -> None: ...

    def finish(self, result: str, *, at: float | None, end: float) -> None: ...


class _NoTrace:
    def poll(self, t: float, observed: Pools) -> None:
        pass

    def finish(self, result: str, *, at: float | None, end: float) -> None:
        pass


@dataclass(eq=False)
class ConsistencyFailure(AssertionError):
    """The gateway's pools did not become (or stay) what the reference says, with the evidence.

    `names` maps pod IPs to pod names as they were when the check failed (the fuzz keys its findings
    by them).
    """

    summary: str
    expected: Pools | None = None
    observed: Pools | None = None
    waited: float = 0.0
    differing_pods: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [self.summary]
        if self.differing_pods:
            lines.append("pods that differ: " + ", ".join(self.differing_pods))
        lines.extend(self.details)
        return "\n".join(lines)


def _names(pods: PodSource | None) -> dict[str, str]:
    return pod_names_by_ip(pods()) if pods else {}


def must_converge_to(
    expected: Pools,
    *,
    source: PoolSource,
    timeouts: TimeoutConfig,
    pods: PodSource | None = None,
    clock: Clock = SYSTEM_CLOCK,
    trace: Trace | None = None,
    since: float | None = None,
    settle: float = 0.0,
) -> float:
    """Poll until `timeouts.consecutive` snapshots in a row equal `expected`, within the cap.

    Returns the measured time to consistency: seconds from the start to the first snapshot of the
    final equal run. The start is the call, or `since` (a clock time: when the change was made).
    With `settle` > 0 a run counts only once `settle` seconds have passed since the start (so a
    worker the gateway adds late is still seen). On failure raises ConsistencyFailure with the diff
    of the last snapshot, the time waited, and the pods that differ. With `timeouts.overrun` > 0 it
    keeps polling past the cap to report when (if ever) the gateway caught up -- still a failure.
    Exceptions from `source` (e.g. the gateway exited) propagate.
    """
    trace = trace or _NoTrace()
    start = clock.now() if since is None else since
    cap = start + timeouts.max_time_to_consistency
    hard_stop = cap + timeouts.overrun
    # a run of equal snapshots that began before the cap may finish just after it, or once `settle` has
    # passed when that is later than the cap (a hold longer than the cap: the run must still be going)
    grace_stop = max(hard_stop, start + settle) + timeouts.consecutive * timeouts.poll_interval * 2
    run_start: float | None = None
    streak = 0
    observed = Pools.empty()
    for sample in poll(source, interval=timeouts.poll_interval, clock=clock, start=start):
        observed = sample.value
        trace.poll(sample.t, observed)
        if observed == expected:
            if run_start is None:
                run_start = sample.t
            streak += 1
            if streak >= timeouts.consecutive and clock.now() - start >= settle:
                measured = run_start - start
                if clock.now() <= cap or run_start <= cap:
                    trace.finish("converged", at=run_start, end=clock.now())
                    return measured
                trace.finish("late", at=run_start, end=clock.now())
                names = _names(pods)
                raise ConsistencyFailure(
                    f"gateway converged only after {measured:.1f} s, beyond the "
                    f"{timeouts.max_time_to_consistency:g} s cap on time to consistency",
                    expected,
                    observed,
                    measured,
                    sorted(set(names.values())),
                    names=names,
                )
        else:
            streak, run_start = 0, None
        now = clock.now()
        finishing_run = run_start is not None and run_start <= cap and now < grace_stop
        if now >= hard_stop and not finishing_run:
            break
    waited = clock.now() - start
    trace.finish("failed", at=None, end=clock.now())
    names = _names(pods)
    lines, differing = describe_difference(expected, observed, names)
    raise ConsistencyFailure(
        f"gateway pools did not converge to the reference within {timeouts.max_time_to_consistency:g} s "
        f"(cap; waited {waited:.1f} s, needed {timeouts.consecutive} equal snapshots)",
        expected,
        observed,
        waited,
        differing,
        [*lines, _diff_text(expected, observed)],
        names,
    )


def _diff_text(expected: Pools, observed: Pools) -> str:
    """reference's own PoolsDiff rendering (expected.diff(observed)), indented."""
    try:
        text = str(expected.diff(observed))
    except Exception as exc:  # the diff is evidence, never a reason to lose the failure
        text = f"(PoolsDiff unavailable: {exc})"
    return "  PoolsDiff: " + text.replace("\n", "\n    ")


def must_never_show(
    excluded_hosts: Iterable[str],
    *,
    barrier_host: str,
    source: PoolSource,
    timeouts: TimeoutConfig,
    pods: PodSource | None = None,
    clock: Clock = SYSTEM_CLOCK,
    trace: Trace | None = None,
) -> float:
    """Prove absence: the barrier (created by the caller just before) must show, then settle.

    Every snapshot, from the call until `timeouts.settle` seconds after the barrier host first shows,
    must contain no worker on an excluded host. Returns the time the barrier took to show. Raises
    ConsistencyFailure naming the excluded pod that showed, or saying that the barrier never showed
    within the cap (absence then cannot be proven, which is a failure too).
    """
    trace = trace or _NoTrace()
    excluded = set(excluded_hosts)
    start = clock.now()
    cap = start + timeouts.max_time_to_consistency
    barrier_seen: float | None = None
    for sample in poll(source, interval=timeouts.poll_interval, clock=clock, start=start):
        observed = sample.value
        trace.poll(sample.t, observed)
        now = clock.now()
        shown = {url_host(url) for _, url, _ in entries(observed)}
        leaked = shown & excluded
        if leaked:
            trace.finish("excluded shown", at=sample.t, end=now)
            names = _names(pods)
            who = sorted(names.get(h, h) for h in leaked)
            raise ConsistencyFailure(
                f"excluded pod(s) shown by the gateway after {now - start:.1f} s: {', '.join(who)}",
                None,
                observed,
                now - start,
                who,
                [f"  observed: {observed}"],
                names,
            )
        if barrier_seen is None and barrier_host in shown:
            barrier_seen = now
        if barrier_seen is not None and now - barrier_seen >= timeouts.settle:
            trace.finish("settled", at=barrier_seen, end=now)
            return barrier_seen - start
        if barrier_seen is None and now >= cap:
            trace.finish("barrier never showed", at=None, end=now)
            names = _names(pods)
            barrier = names.get(barrier_host, barrier_host)
            raise ConsistencyFailure(
                f"barrier pod {barrier} never showed within the {timeouts.max_time_to_consistency:g} s cap; "
                "absence of the excluded pods cannot be proven",
                None,
                observed,
                now - start,
                [barrier],
                [f"  observed: {observed}"],
                names,
            )
    raise AssertionError("unreachable: poll() never ends")  # pragma: no cover


def must_stay(
    expected: Pools,
    *,
    source: PoolSource,
    timeouts: TimeoutConfig,
    released: Callable[[], bool],
    why: str,
    pods: PodSource | None = None,
    clock: Clock = SYSTEM_CLOCK,
    trace: Trace | None = None,
) -> tuple[float, bool]:
    """Every snapshot must equal `expected` until `released()` has held for `timeouts.settle` s, or the cap.

    Returns (seconds held, whether `released()` ever became true). A snapshot that differs fails at
    once with ConsistencyFailure ("gateway pools changed after T s while <why>").
    """
    trace = trace or _NoTrace()
    start = clock.now()
    since: float | None = None
    for sample in poll(source, interval=timeouts.poll_interval, clock=clock, start=start):
        observed = sample.value
        trace.poll(sample.t, observed)
        now = clock.now()
        if observed != expected:
            trace.finish("changed", at=sample.t, end=now)
            names = _names(pods)
            lines, differing = describe_difference(expected, observed, names)
            raise ConsistencyFailure(
                f"gateway pools changed after {now - start:.1f} s while {why}",
                expected,
                observed,
                now - start,
                differing,
                lines,
                names,
            )
        if since is None and released():
            since = now
        if (since is not None and now - since >= timeouts.settle) or (
            now - start >= timeouts.max_time_to_consistency
        ):
            trace.finish("held", at=since, end=now)
            return now - start, since is not None
    raise AssertionError("unreachable: poll() never ends")  # pragma: no cover
