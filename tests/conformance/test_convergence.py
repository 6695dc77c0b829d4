"""The convergence helpers against a scripted pool source and a fake clock (the harness's own logic)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from conformance.convergence import ConsistencyFailure, must_converge_to, must_never_show, must_stay
from conformance.evidence import Timeline
from conformance.timeouts import TimeoutConfig
from fixtures.waiting import Clock
from reference import Pools, Worker
from tests.polling import FakeTime

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
    text = str(info.value)  # one line naming both ports, not a missing and an unexpected worker
    assert (
        "bootstrap port differs: prefill http://127.0.0.4:8000 expected 8998, observed none  (pod ns/p)"
        in text
    )
    assert "missing:" not in text and "unexpected:" not in text


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


def test_settle_keeps_a_run_from_counting_before_the_window_ends() -> None:
    clock = FakeTime()
    clock.now = 100.0
    source = scripted(clock, lambda t: pools([A]) if t < 104 else pools([A, B]))  # B shows late
    with pytest.raises(ConsistencyFailure) as info:
        must_converge_to(pools([A]), source=source, timeouts=T, since=99.0, settle=6.0, clock=clock.clock())
    assert info.value.observed == pools([A, B])  # a plain convergence would have passed at 100-102


def test_since_counts_the_cap_from_the_change() -> None:
    clock = FakeTime()
    clock.now = 8.0
    source = scripted(clock, lambda t: pools([A]))
    assert must_converge_to(pools([A]), source=source, timeouts=T, since=5.0, clock=clock.clock()) == 3.0


def test_must_stay_holds_until_released_and_settled() -> None:
    clock = FakeTime()
    held, released = must_stay(
        pools([A]),
        source=lambda: pools([A]),
        timeouts=T,
        released=lambda: clock.now >= 2,
        why="LISTs failed",
        clock=clock.clock(),
    )
    assert (held, released) == (5.0, True)  # released at 2 s, then the 3 s settle window


def test_must_stay_gives_up_at_the_cap_when_never_released() -> None:
    clock = FakeTime()
    held, released = must_stay(
        pools([A]),
        source=lambda: pools([A]),
        timeouts=T,
        released=lambda: False,
        why="x",
        clock=clock.clock(),
    )
    assert (held, released) == (10.0, False)


def test_must_stay_fails_at_once_naming_the_change() -> None:
    clock = FakeTime()
    with pytest.raises(ConsistencyFailure) as info:
        must_stay(
            pools([A, B]),
            source=scripted(clock, lambda t: pools([A]) if t >= 1 else pools([A, B])),
            timeouts=T,
            released=lambda: False,
            why="LISTs failed",
            pods=lambda: PODS,
            clock=clock.clock(),
        )
    assert str(info.value).startswith("gateway pools changed after 1.0 s while LISTs failed")
    assert info.value.differing_pods == ["ns/b"]


def test_a_trace_records_every_poll_and_the_convergence_point() -> None:
    clock = FakeTime()
    timeline = Timeline(clock.clock())
    trace = timeline.begin("converge", cap_seconds=10.0, expected=pools([A]))
    source = scripted(clock, lambda t: pools([A]) if t >= 2 else pools([B]))
    must_converge_to(pools([A]), source=source, timeouts=T, clock=clock.clock(), trace=trace)
    assert [(t, observed, equal) for t, _, observed, equal in trace.polls] == [
        (0.0, (1, 0, 0), False),
        (1.0, (1, 0, 0), False),
        (2.0, (1, 0, 0), True),
        (3.0, (1, 0, 0), True),
        (4.0, (1, 0, 0), True),
    ]
    assert (trace.result, trace.at, trace.end) == ("converged", 2.0, 4.0)
