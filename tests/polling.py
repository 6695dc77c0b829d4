"""Bounded polling for the harness's own tests: wait for a condition, fail naming what was awaited.

One helper for every test package, so a hang always becomes an assertion with the last value seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

T = TypeVar("T")


def wait_until(
    pred: Callable[[], T | Literal[False] | None], timeout: float, what: str = "", interval: float = 0.05
) -> T:
    """Poll `pred` until it returns something truthy and return it; AssertionError after `timeout` s.

    `pred` may answer None or False for "not yet" (`cond and value`), which is never returned.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what or pred} not reached within {timeout}s (last: {last!r})")
