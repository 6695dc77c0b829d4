"""The gateway clock: the time a wait charges to the gateway, with the harness's own stalls left out.

Why: a cap (`max_time_to_consistency`, the settle window, ...) bounds the *gateway*. But the harness
measures it from a process that shares the machine: its poller, its embedded API server and its fake
workers are threads of the same process, and when that process is not scheduled -- many tests side by
side, a busy CI runner, two busy loops beside the run (`tox -e stress`) -- the gateway's events are
served late, its pools are read late, and a quiet gateway would be measured slow. A verdict must not
depend on that (docs/architecture.md, "How runs scale").

How: a *hiccup meter* (the idea of jHiccup): one daemon thread per process sleeps `TICK` seconds
over and over and adds up how much later than asked it woke up. That lateness is time in which the
harness process could not run -- the CPU was taken by others, or our own threads held the GIL -- and
no part of the harness (poller, API server, workers) could act for the gateway. `GatewayClock.now()`
is the monotonic clock minus the lateness accumulated since the clock was made, so a wait on it
stretches in wall time exactly as long as the harness stalled. Two bounds keep it honest:

- lateness below `TOLERANCE` per tick (ordinary timer slack) is not counted, so on a quiet machine
  gateway time and wall time agree to the millisecond;
- gateway time never runs slower than `1 / MAX_STRETCH` of wall time, so every wait still ends (a
  cap of 15 s lasts at most 60 s of wall time, however busy the machine is).

It is used by the pytest plugin for every conformance test (one clock per test, passed to
`Scenario(clock=...)`): the wait primitive reads `clock.now()` and pauses with `clock.sleep()`
(`fixtures/waiting.py`'s `Clock` shape). Each check's stalls are recorded beside its timing in the
report (`harnessSeconds`), so a reader sees how much the harness itself took out of each wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fixtures.waiting import Clock

TICK = 0.01
"""Seconds the meter sleeps between two looks at the clock."""
TOLERANCE = 0.002
"""Lateness per tick not counted as a stall (timer slack on an idle machine is ~0.1 ms)."""
MAX_STRETCH = 4.0
"""Gateway time advances at least at 1/MAX_STRETCH of wall time: every wait ends."""


class HiccupMeter:
    """Adds up how late a sleeping thread of this process wakes (seconds of stall since it started).

    `stalled(now)` also counts a stall still in progress (the meter is overdue), so a reading taken
    while the meter itself is starved is right, and readings never decrease.
    """

    def __init__(
        self,
        *,
        tick: float = TICK,
        tolerance: float = TOLERANCE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.tick = tick
        self.tolerance = tolerance
        self._clock = clock
        self._sleep = sleep
        # (stall committed so far, when the meter is due back): replaced as one tuple, read lock-free
        self._state = (0.0, clock() + tick)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> HiccupMeter:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sgl-hiccup-meter", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick_once()

    def tick_once(self) -> None:
        """Sleep until the next tick is due and commit its lateness (the thread's loop; tests call it)."""
        committed, due = self._state
        self._sleep(max(0.0, due - self._clock()))
        now = self._clock()
        self._state = (committed + max(0.0, now - due - self.tolerance), now + self.tick)

    def stalled(self, now: float | None = None) -> float:
        """Seconds of stall so far, including one in progress at `now`."""
        committed, due = self._state
        now = self._clock() if now is None else now
        return committed + max(0.0, now - due - self.tolerance)


_METER: HiccupMeter | None = None
_METER_LOCK = threading.Lock()


def process_meter() -> HiccupMeter:
    """This process's meter, started on first use (one thread per process, however many clocks)."""
    global _METER
    with _METER_LOCK:
        if _METER is None:
            _METER = HiccupMeter().start()
        return _METER


class GatewayClock:
    """`now()` / `sleep()` for waits: wall time minus the harness's stalls (module docstring).

    `harness_seconds()` is the stall charged to the harness since the clock was made (the waits' Clock
    carries it as `stalled`; a check's share is the difference across it: conformance/scenario/checks.py).
    """

    def __init__(
        self,
        meter: HiccupMeter | None = None,
        *,
        wall: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_stretch: float = MAX_STRETCH,
    ) -> None:
        self._meter = meter if meter is not None else process_meter()
        self._wall = wall
        self._sleep = sleep
        self._max_stretch = max_stretch
        self._origin = wall()
        self._stall_origin = self._meter.stalled(self._origin)
        self._last_now = 0.0

    def _excluded(self, wall_now: float) -> float:
        elapsed = wall_now - self._origin
        stalled = self._meter.stalled(wall_now) - self._stall_origin
        return min(max(0.0, stalled), elapsed * (1.0 - 1.0 / self._max_stretch))

    def now(self) -> float:
        """Gateway time in seconds (monotonic, starts near the wall clock's value)."""
        wall_now = self._wall()
        value = wall_now - self._excluded(wall_now)
        self._last_now = max(self._last_now, value)  # never backwards, whatever the meter did
        return self._last_now

    def sleep(self, seconds: float) -> None:
        """Pause (wall time): the stall it may suffer shows in `now()`."""
        self._sleep(seconds)

    def harness_seconds(self) -> float:
        """Seconds left out of gateway time since this clock was made."""
        return self._excluded(self._wall())

    def as_clock(self) -> Clock:
        """This clock in the shape every wait takes (fixtures/waiting.py), its stalls as `stalled`."""
        return Clock(now=self.now, sleep=self.sleep, stalled=self.harness_seconds)
