"""The convergence helpers against a scripted pool source and a fake clock (the harness's own logic)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from conformance.convergence import ConsistencyFailure, must_converge_to, must_never_show
from conformance.timeouts import TimeoutConfig
from fixtures.waiting import Clock
from reference import Pools, Worker

A = Worker("http://127.0.0.2:8000", None)
B = Worker("http://127.0.0.3:8000", None)
P = Worker("http://127.0.0.4:8000", 8998)
PODS = [
    {"metadata": {"name": n, "namespace": "ns"}, "status": {"podIP": ip}}
    for n, ip in (("a", "127.0.0.2"), ("b", "127.0.0.3"), ("p", "127.0.0.4"), ("barrier", "127.0.0.9"))
]
BARRIER = Worker("http://127.0.0.9:8000", None)
T = TimeoutConfig(poll_interval=1.0, consecutive=3, max_time_to_consistency=10.0, settle=3.0)


def pools(regular: Sequence[Worker] = (), prefill: Sequence[Worker] = ()) -> Pools:
    return Pools(regular=frozenset(regular), prefill=frozenset(prefill), decode=frozenset())


class FakeTime:
    """Time advances only when the helper sleeps (through the Clock it is handed)."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> Clock:
        return Clock(now=lambda: self.now, sleep=self.sleep)


def scripted(clock: FakeTime, script: Callable[[float], Pools]) -> Callable[[], Pools]:
    return lambda: script(clock.now)


def test_converges_after_the_gateway_catches_up() -> None:
    clock = FakeTime()
    source = scripted(clock, lambda t: pools([A]) if t >= 4 else pools())
    took = must_converge_to(pools([A]), source=source, timeouts=T, clock=clock.clock())
    assert took == 4.0
    assert clock.now == 6.0  # three equal snapshots at 4, 5, 6


def test_a_flap_resets_the_run_of_equal_snapshots() -> None:
    clock = FakeTime()
    source = scripted(clock, lambda t: pools() if t == 2 else pools([A]))
    took = must_converge_to(pools([A]), source=source, timeouts=T, clock=clock.clock())
    assert took == 3.0


def test_never_converging_names_missing_and_unexpected_pods() -> None:
    clock = FakeTime()
    source = scripted(clock, lambda t: pools([B]))
    with pytest.raises(ConsistencyFailure) as info:
        must_converge_to(pools([A], [P]), source=source, timeouts=T, pods=lambda: PODS, clock=clock.clock())
    failure = info.value
    assert failure.differing_pods == ["ns/a", "ns/b", "ns/p"]
    assert failure.waited >= 10.0
    text = str(failure)
    assert "did not converge" in text and "10 s" in text
    assert "missing: regular http://127.0.0.2:8000  (pod ns/a)" in text
    assert "missing: prefill http://127.0.0.4:8000 bootstrap_port=8998  (pod ns/p)" in text
    assert "unexpected: regular http://127.0.0.3:8000  (pod ns/b)" in text
    assert failure.observed == pools([B])


def test_a_wrong_bootstrap_port_is_a_difference() -> None:
    clock = FakeTime()
    source = scripted(clock, lambda t: pools([], [Worker(P.url, None)]))
    with pytest.raises(ConsistencyFailure) as info:
        must_converge_to(pools([], [P]), source=source, timeouts=T, pods=lambda: PODS, clock=clock.clock())
    assert info.value.differing_pods == ["ns/p"]


def test_late_convergence_is_a_failure_with_the_measured_time() -> None:
    clock = FakeTime()
    late = TimeoutConfig(poll_interval=1.0, consecutive=3, max_time_to_consistency=10.0, overrun=60.0)
    source = scripted(clock, lambda t: pools([A]) if t >= 52 else pools())
    with pytest.raises(ConsistencyFailure) as info:
        must_converge_to(pools([A]), source=source, timeouts=late, pods=lambda: PODS, clock=clock.clock())
    assert "converged only after 52.0 s" in str(info.value)
    assert "10 s cap" in str(info.value)


def test_a_run_that_starts_before_the_cap_may_finish_after_it() -> None:
    clock = FakeTime()
    source = scripted(clock, lambda t: pools([A]) if t >= 9 else pools())
    assert must_converge_to(pools([A]), source=source, timeouts=T, clock=clock.clock()) == 9.0


def test_source_errors_propagate() -> None:
    def gone() -> Pools:
        raise RuntimeError("gateway exited")

    with pytest.raises(RuntimeError, match="gateway exited"):
        must_converge_to(pools(), source=gone, timeouts=T, clock=Clock(now=lambda: 0.0, sleep=lambda s: None))


def test_absence_proven_after_barrier_and_settle_window() -> None:
    clock = FakeTime()
    source = scripted(clock, lambda t: pools([A, BARRIER]) if t >= 2 else pools([A]))
    took = must_never_show(
        ["127.0.0.3"], barrier_host="127.0.0.9", source=source, timeouts=T, clock=clock.clock()
    )
    assert took == 2.0
    assert clock.now == 5.0  # barrier at 2 s, then the 3 s settle window


def test_an_excluded_pod_showing_during_the_settle_window_fails_naming_it() -> None:
    clock = FakeTime()
    source = scripted(clock, lambda t: pools([A, BARRIER] + ([B] if t >= 2 else [])))
    with pytest.raises(ConsistencyFailure) as info:
        must_never_show(
            ["127.0.0.3"],
            barrier_host="127.0.0.9",
            source=source,
            timeouts=T,
            pods=lambda: PODS,
            clock=clock.clock(),
        )
    assert info.value.differing_pods == ["ns/b"]
    assert "excluded pod(s) shown" in str(info.value) and "2.0 s" in str(info.value)


def test_a_barrier_that_never_shows_cannot_prove_absence() -> None:
    clock = FakeTime()
    with pytest.raises(ConsistencyFailure, match="barrier pod ns/barrier never showed"):
        must_never_show(
            ["127.0.0.3"],
            barrier_host="127.0.0.9",
            source=lambda: pools([A]),
            timeouts=T,
            pods=lambda: PODS,
            clock=clock.clock(),
        )
    assert clock.now >= 10.0
