"""One fuzz check: the gateway's pools against the reference, absence proven by a barrier, not by sleep.

Why its own loop rather than conformance.convergence.must_converge_to: the fuzz asks the same question
as the suite (docs/architecture.md#proving-absence) thousands of times, so each answer must cost as
little as the gateway allows, and a difference must be called as soon as it is certain -- shrinking
reruns failing cases, and a failing check that waits out the whole cap makes shrinking crawl. It is
the same primitive (fixtures.waiting.poll on the run's clock) with the same outcome type
(ConsistencyFailure, naming the pods that differ).

After a change the caller creates a *barrier pod*, one the reference says must be discovered, in a
watched namespace (slot.py); `expected` includes it. A gateway handles a namespace's watch events in
order, so once the barrier shows, it has handled every event before it. Then, with the FuzzTiming:

- pass: `consecutive` snapshots in a row equal `expected`, the last at least `barrier_settle` after
  the barrier first showed (a worker the gateway registers a little after the barrier still counts);
- difference, early: the same unequal snapshot `consecutive` times, at least `settle` after the
  barrier showed -- plus `drain` when the gateway shows a worker the reference does not have (a
  removal it delays on purpose, smg's 5 s drain, is not final before);
- difference, at the cap (counted from the change): the pools never became and stayed equal, or the
  barrier never showed.

A config under which the reference discovers no pod at all cannot have a barrier; then (the caller
says why, and the scenario file records it) equal snapshots must last `settle` from the change -- the
settle window -- and a stable difference is final at the same point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from conformance.contracts import PoolSource
from conformance.convergence import ConsistencyFailure
from conformance.differences import describe_difference, entries, url_host
from conformance.fuzz.timing import FuzzTiming
from fixtures.waiting import Clock, poll
from reference import Pools

Names = Callable[[], Mapping[str, str]]
"""podIP -> "namespace/name" of every pod the case made (gone ones too), read when a check fails."""


def _hosts(pools: Pools) -> set[str]:
    return {url_host(url) for _, url, _ in entries(pools)}


def _lingering(expected: Pools, observed: Pools) -> bool:
    """The gateway shows a worker the reference does not have at all: maybe a removal it delays."""
    wanted = {(pool, url) for pool, url, _ in entries(expected)}
    return any((pool, url) not in wanted for pool, url, _ in entries(observed))


def judge(
    expected: Pools,
    *,
    source: PoolSource,
    timing: FuzzTiming,
    since: float,
    barrier_host: str | None,
    clock: Clock,
    names: Names,
) -> float:
    """Poll `source` until the verdict (see the module doc); returns the seconds the gateway took.

    `since` is the clock time of the change, `barrier_host` the barrier pod's IP (None: no barrier).
    Raises ConsistencyFailure with the last snapshot, the differing pods and the time waited.
    """
    cap_at = since + timing.cap
    # an equal run that began before the cap may end just after it
    grace_at = cap_at + timing.consecutive * timing.poll_interval * 2
    window_from: float | None = since if barrier_host is None else None
    pass_window = timing.settle if barrier_host is None else timing.barrier_settle
    streak, run_start = 0, since
    same, previous = 0, None
    observed = Pools.empty()
    for sample in poll(source, interval=timing.poll_interval, clock=clock, start=since):
        observed, now = sample.value, sample.t
        if window_from is None and barrier_host in _hosts(observed):
            window_from = now
        if observed == expected:
            if streak == 0:
                run_start = now
            streak += 1
            same, previous = 0, None
            if streak >= timing.consecutive and window_from is not None and now - window_from >= pass_window:
                return run_start - since
            if now >= grace_at or (now >= cap_at and run_start > cap_at):
                break
            continue
        streak = 0
        same = same + 1 if observed == previous else 1
        previous = observed
        if window_from is not None and same >= timing.consecutive:
            final_after = timing.settle + (timing.drain if _lingering(expected, observed) else 0.0)
            if now - window_from >= final_after:
                raise _failure(expected, observed, now - since, names, timing, early=True)
        if now >= cap_at:
            break
    waited = clock.now() - since
    raise _failure(expected, observed, waited, names, timing, early=False, barrier=window_from is None)


def _failure(
    expected: Pools,
    observed: Pools,
    waited: float,
    names: Names,
    timing: FuzzTiming,
    *,
    early: bool,
    barrier: bool = False,
) -> ConsistencyFailure:
    named = dict(names())
    lines, differing = describe_difference(expected, observed, named)
    if barrier:
        summary = f"the barrier pod never showed within the {timing.cap:g} s cap"
    elif early:
        summary = f"gateway pools still differ from the reference {waited:.1f} s after the change (settled)"
    else:
        summary = f"gateway pools did not converge to the reference within the {timing.cap:g} s cap"
    return ConsistencyFailure(summary, expected, observed, waited, differing, lines, named)
