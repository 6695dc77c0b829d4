"""Bounded polling for the harness's own tests: wait for a condition, fail naming what was awaited.

One helper for every test package, so a hang always becomes an assertion with the last value seen.
It is fixtures/waiting.py's `wait_for` with a truthy test and an AssertionError. `FakeTime` is the
clock tests hand to the waits they check: time advances only when a wait sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from fixtures.waiting import Clock, WaitTimeout, wait_for

T = TypeVar("T")


def wait_until(
    pred: Callable[[], T | Literal[False] | None], timeout: float, what: str = "", interval: float = 0.05
) -> T:
    """Poll `pred` until it returns something truthy and return it; AssertionError after `timeout` s.

    `pred` may answer None or False for "not yet" (`cond and value`), which is never returned.
    """
    try:
        return wait_for(pred, timeout=timeout, what=what or repr(pred), interval=interval, accept=bool)
    except WaitTimeout as exc:
        raise AssertionError(f"{what or pred} not reached within {timeout}s (last: {exc.last!r})") from None


class FakeTime:
    """A clock for waits under test: `now` moves only by the sleeps the wait asks for (kept in `sleeps`)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> Clock:
        return Clock(now=lambda: self.now, sleep=self.sleep)
