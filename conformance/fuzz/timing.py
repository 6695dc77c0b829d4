"""How long a fuzz check waits, from the gateway driver's declared timing and the command line.

Why apart from conformance.timeouts.TimeoutConfig: the suite's cap is a conformance bound, the same for
every gateway; the fuzz instead wants each check as short as the gateway allows, so it starts from
what the driver declares (fixtures.gateways.base.GatewayTiming, measured: docs/gateways.md#timing) --
never from the gateway's name -- and the user may override the cap and the settle window. What each
number means for a verdict is in check.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.timeouts import TimeoutConfig
from fixtures.gateways.base import GatewayTiming


@dataclass(frozen=True)
class FuzzTiming:
    """The bounds of one fuzz check, in seconds (`consecutive` is a count)."""

    poll_interval: float = 0.1
    consecutive: int = 3
    cap: float = 5.0
    settle: float = 1.0
    """Without a barrier: pools must stay as expected this long after the change. With one: a
    difference that stays this long after the barrier showed is final (the gateway has had its time)."""
    barrier_settle: float = 0.2
    """After the barrier showed, pools must stay as expected this long for a pass."""
    drain: float = 0.0
    """Extra time a worker may linger after the barrier showed (a removal the gateway delays)."""
    gateway_start: float = 30.0

    @classmethod
    def of(
        cls, timing: GatewayTiming, *, cap: float | None = None, settle: float | None = None
    ) -> FuzzTiming:
        """The driver's timing; `cap` overrides the cap, `settle` both settle windows."""
        return cls(
            poll_interval=timing.poll_interval,
            cap=timing.cap if cap is None else cap,
            settle=timing.settle if settle is None else settle,
            barrier_settle=timing.after_barrier if settle is None else settle,
            drain=timing.drain,
        )

    def timeouts(self) -> TimeoutConfig:
        """The suite's TimeoutConfig for what the fuzz shares with it (starting the gateway)."""
        return TimeoutConfig(
            poll_interval=self.poll_interval,
            consecutive=self.consecutive,
            max_time_to_consistency=self.cap,
            settle=self.settle,
            gateway_start=self.gateway_start,
        )
