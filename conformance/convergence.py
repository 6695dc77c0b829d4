"""Eventual-consistency assertions: convergence by N equal snapshots, absence by barrier + settle window.

ARCHITECTURE.md "How a conformance test runs", steps 5 and 6; Gateway API's
`MakeRequestAndExpectEventuallyConsistentResponse` (anchors.md section 1.1) with every check inside the
retry loop (gateway-api #1242, anchors.md section 5). Both helpers take the suite's one TimeoutConfig;
nothing here sleeps for a fixed time to "let things settle": absence is proven by a barrier pod that
must show first, then a settle window during which the excluded pods must never show.

The helpers know nothing about clusters or gateways: they read a pool source (a callable returning
`reference.Pools`) and, to name pods in failure messages, a callable returning the pods as the API
server holds them. Worker urls are mapped back to pods by the host part (the pod IP).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conformance.timeouts import TimeoutConfig
from reference import Pools

PoolSource = Callable[[], Pools]
PodSource = Callable[[], Sequence[Mapping[str, Any]]]
ROLES = ("regular", "prefill", "decode")


@dataclass(eq=False)
class ConsistencyFailure(AssertionError):
    """The gateway's pools did not become (or stay) what the reference says, with the evidence."""

    summary: str
    expected: Pools | None = None
    observed: Pools | None = None
    waited: float = 0.0
    differing_pods: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [self.summary]
        if self.differing_pods:
            lines.append("pods that differ: " + ", ".join(self.differing_pods))
        lines.extend(self.details)
        return "\n".join(lines)


def url_host(url: str) -> str:
    """The host of a worker url ("http://127.0.0.5:8000" -> "127.0.0.5"; bare "ip:port" too)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return parts.hostname or url


def pod_names_by_ip(pods: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """podIP -> "namespace/name" for every pod that has an IP."""
    names: dict[str, str] = {}
    for pod in pods:
        ip = (pod.get("status") or {}).get("podIP")
        meta = pod.get("metadata") or {}
        if ip:
            names[ip] = f"{meta.get('namespace', '?')}/{meta.get('name', '?')}"
    return names


def entries(pools: Pools) -> set[tuple[str, str, int | None]]:
    """(role, url, bootstrap_port) for every worker: the comparison key of ARCHITECTURE.md step 5."""
    return {(role, w.url, w.bootstrap_port) for role in ROLES for w in getattr(pools, role)}


def describe_difference(
    expected: Pools, observed: Pools, names: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """(lines naming each missing / unexpected worker with its pod, sorted pod names that differ)."""
    want, got = entries(expected), entries(observed)
    lines: list[str] = []
    pods: set[str] = set()
    for label, items in (("missing", want - got), ("unexpected", got - want)):
        for role, url, port in sorted(items, key=lambda e: (e[1], e[0])):
            pod = names.get(url_host(url), "no pod with this IP")
            pods.add(pod)
            extra = f" bootstrap_port={port}" if port is not None else ""
            lines.append(f"  {label}: {role} {url}{extra}  (pod {pod})")
    return lines, sorted(pods)


def _poll(source: PoolSource) -> Pools:
    return source()


def must_converge_to(
    expected: Pools,
    *,
    source: PoolSource,
    timeouts: TimeoutConfig,
    pods: PodSource | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Poll until `timeouts.consecutive` snapshots in a row equal `expected`, within the cap.

    Returns the measured time to consistency: seconds from the call to the first snapshot of the
    final equal run. On failure raises ConsistencyFailure with the diff of the last snapshot, the
    time waited, and the pods that differ. With `timeouts.overrun` > 0 it keeps polling past the cap
    to report when (if ever) the gateway caught up -- still a failure. Exceptions from `source`
    (e.g. the gateway exited) propagate.
    """
    start = clock()
    cap = start + timeouts.max_time_to_consistency
    hard_stop = cap + timeouts.overrun
    # a run of equal snapshots that began before the cap may finish just after it
    grace_stop = hard_stop + timeouts.consecutive * timeouts.poll_interval * 2
    run_start: float | None = None
    streak = 0
    observed: Pools | None = None
    while True:
        now = clock()
        observed = _poll(source)
        if observed == expected:
            if streak == 0:
                run_start = now
            streak += 1
            if streak >= timeouts.consecutive:
                assert run_start is not None
                measured = run_start - start
                if clock() <= cap or run_start <= cap:
                    return measured
                raise _late(expected, observed, measured, timeouts, pods)
        else:
            streak, run_start = 0, None
        now = clock()
        finishing_run = run_start is not None and run_start <= cap and now < grace_stop
        if now >= hard_stop and not finishing_run:
            break
        sleep(timeouts.poll_interval)
    waited = clock() - start
    names = pod_names_by_ip(pods()) if pods else {}
    lines, differing = describe_difference(expected, observed, names)
    return _raise(
        ConsistencyFailure(
            f"gateway pools did not converge to the reference within {timeouts.max_time_to_consistency:g} s "
            f"(cap; waited {waited:.1f} s, needed {timeouts.consecutive} equal snapshots)",
            expected,
            observed,
            waited,
            differing,
            [*lines, _diff_text(expected, observed)],
        )
    )


def _late(
    expected: Pools, observed: Pools, measured: float, timeouts: TimeoutConfig, pods: PodSource | None
) -> ConsistencyFailure:
    names = pod_names_by_ip(pods()) if pods else {}
    return ConsistencyFailure(
        f"gateway converged only after {measured:.1f} s, beyond the "
        f"{timeouts.max_time_to_consistency:g} s cap on time to consistency",
        expected,
        observed,
        measured,
        sorted(set(names.values())),
    )


def _raise(exc: ConsistencyFailure) -> float:
    raise exc


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
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Prove absence: the barrier (created by the caller just before) must show, then settle.

    Every snapshot, from the call until `timeouts.settle` seconds after the barrier host first shows,
    must contain no worker on an excluded host. Returns the time the barrier took to show. Raises
    ConsistencyFailure naming the excluded pod that showed, or saying that the barrier never showed
    within the cap (absence then cannot be proven, which is a failure too).
    """
    excluded = set(excluded_hosts)
    start = clock()
    cap = start + timeouts.max_time_to_consistency
    barrier_seen: float | None = None
    while True:
        observed = _poll(source)
        now = clock()
        shown = {url_host(url) for _, url, _ in entries(observed)}
        leaked = shown & excluded
        if leaked:
            names = pod_names_by_ip(pods()) if pods else {}
            who = sorted(names.get(h, h) for h in leaked)
            raise ConsistencyFailure(
                f"excluded pod(s) shown by the gateway after {now - start:.1f} s: {', '.join(who)}",
                None,
                observed,
                now - start,
                who,
                [f"  observed: {observed}"],
            )
        if barrier_seen is None and barrier_host in shown:
            barrier_seen = now
        if barrier_seen is not None and now - barrier_seen >= timeouts.settle:
            return barrier_seen - start
        if barrier_seen is None and now >= cap:
            names = pod_names_by_ip(pods()) if pods else {}
            barrier = names.get(barrier_host, barrier_host)
            raise ConsistencyFailure(
                f"barrier pod {barrier} never showed within the {timeouts.max_time_to_consistency:g} s cap; "
                "absence of the excluded pods cannot be proven",
                None,
                observed,
                now - start,
                [barrier],
                [f"  observed: {observed}"],
            )
        sleep(timeouts.poll_interval)
