"""Bounded polling for the harness's own tests: wait for a condition, fail naming what was awaited.

One helper for every test package, so a hang always becomes an assertion with the last value seen.
It is fixtures/waiting.py's `wait_for` with a truthy test and an AssertionError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from fixtures.waiting import WaitTimeout, wait_for

T = TypeVar("T")


def wait_until(
    pred: Callable[[], T | Literal[False] | None], timeout: float, what: str = "", interval: float = 0.05
) -> T:
    """Poll `pred` until it returns something truthy and return it; AssertionError after `timeout` s.

    `pred` may answer None or False for "not yet" (`cond and value`), which is never returned.
    """
    try:
        return wait_for(pred, timeout=timeout, what=what or repr(pred), interval=interval, accept=bool)  # type: ignore[arg-type]
    except WaitTimeout as exc:
        raise AssertionError(f"{what or pred} not reached within {timeout}s (last: {exc.last!r})") from None
