"""The gateway clock leaves the harness's own stalls out of a wait, and only those (gatewayclock.py).

Driven by a fake clock: a tick that oversleeps is a stall, a tick on time is not; a wait on the gateway
clock stretches by exactly the stall, never by more than MAX_STRETCH; the stall of each check is
recorded. One test drives a real wait through a real stall (a thread holding the GIL).
"""

from __future__ import annotations

import threading
import time

import pytest

from conformance import convergence
from conformance.gatewayclock import MAX_STRETCH, GatewayClock, HiccupMeter
from conformance.timeouts import TimeoutConfig
from fixtures.waiting import Clock
from reference import Pools, Worker


class FakeTime:
    """A clock that moves only when told; `sleep` may be made to oversleep (a stall)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.oversleep = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds + self.oversleep


def test_a_tick_on_time_is_no_stall_and_a_late_one_counts_beyond_the_tolerance() -> None:
    t = FakeTime()
    meter = HiccupMeter(tick=0.01, tolerance=0.002, clock=t.clock, sleep=t.sleep)
    meter.tick_once()
    assert meter.stalled() == 0.0
    t.oversleep = 0.5
    meter.tick_once()
    assert meter.stalled() == pytest.approx(0.498)


def test_a_stall_in_progress_counts_before_the_meter_wakes() -> None:
    t = FakeTime()
    meter = HiccupMeter(tick=0.01, tolerance=0.0, clock=t.clock, sleep=t.sleep)
    meter.tick_once()
    t.now += 2.01  # the meter is 2 s overdue and has not run yet
    assert meter.stalled() == pytest.approx(2.0)
    t.oversleep = 0.0
    meter.tick_once()  # it wakes: the same stall is committed, not counted twice
    assert meter.stalled() == pytest.approx(2.0)


def test_gateway_time_is_wall_time_minus_the_stall() -> None:
    t = FakeTime()
    meter = HiccupMeter(tick=0.01, tolerance=0.0, clock=t.clock, sleep=t.sleep)
    clock = GatewayClock(meter, wall=t.clock, sleep=t.sleep)
    start = clock.now()
    for _ in range(100):
        meter.tick_once()  # 1 s of ticks on time: no stall
    t.oversleep = 3.0
    meter.tick_once()  # 3 s late
    assert t.now - 100.0 == pytest.approx(4.01)
    assert clock.now() - start == pytest.approx(1.01)
    assert clock.harness_seconds() == pytest.approx(3.0)
    assert clock.as_clock().stalled() == pytest.approx(3.0)  # what a check's share is taken from


def test_gateway_time_never_runs_slower_than_a_quarter_of_wall_time() -> None:
    t = FakeTime()
    meter = HiccupMeter(tick=0.01, tolerance=0.0, clock=t.clock, sleep=t.sleep)
    clock = GatewayClock(meter, wall=t.clock, sleep=t.sleep)
    start = clock.now()
    t.now += 100.0  # a stall as long as the whole wait
    assert clock.now() - start == pytest.approx(100.0 / MAX_STRETCH)


def test_a_wait_on_the_gateway_clock_outlasts_the_harness_stall() -> None:
    """A gateway that converges 1.5 s into a wait with a 1 s cap, during which the harness stalled
    0.8 s: on the gateway clock it took 0.7 s and passes; on the wall clock it fails -- there the
    verdict would have depended on the harness."""
    expected = Pools(regular=[Worker("http://127.0.0.5:8000")])
    timeouts = TimeoutConfig(poll_interval=0.1, consecutive=1, max_time_to_consistency=1.0)

    def attempt(on_gateway_clock: bool) -> float:
        t = FakeTime()
        meter = HiccupMeter(tick=0.1, tolerance=0.0, clock=t.clock, sleep=t.sleep)
        stalls = [0.0, 0.8]  # the wait's second pause comes back 0.8 s late

        def pause(seconds: float) -> None:
            t.oversleep = stalls.pop(0) if stalls else 0.0
            meter.tick_once()  # the meter's tick is the poll: it sleeps until due, plus the stall

        converged_at = t.now + 1.5
        clock = GatewayClock(meter, wall=t.clock, sleep=pause)
        return convergence.must_converge_to(
            expected,
            source=lambda: expected if t.now >= converged_at else Pools(),
            timeouts=timeouts,
            clock=clock.as_clock() if on_gateway_clock else Clock(now=t.clock, sleep=clock.sleep),
        )

    assert attempt(on_gateway_clock=True) == pytest.approx(0.7, abs=0.11)
    with pytest.raises(convergence.ConsistencyFailure, match="within 1 s"):
        attempt(on_gateway_clock=False)


def test_a_real_stall_is_measured() -> None:
    """A thread that holds the GIL for 0.3 s stalls the whole harness process: the meter sees it."""
    meter = HiccupMeter().start()
    try:
        time.sleep(0.05)
        before = meter.stalled()
        hold = threading.Thread(target=_hold_the_gil, args=(0.3,))
        hold.start()
        hold.join()
        time.sleep(0.05)
        assert meter.stalled() - before >= 0.2
    finally:
        meter.stop()


def _hold_the_gil(seconds: float) -> None:
    """One C call at a time that never releases the GIL (a backtracking regex), each twice as long as
    the one before, until one lasted `seconds`."""
    import re

    pattern = re.compile(r"(a+)+b")
    for n in range(16, 40):
        started = time.monotonic()
        pattern.match("a" * n)
        if time.monotonic() - started >= seconds:
            return
