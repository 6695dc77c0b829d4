"""Several slots at once: a round of cases spread over them, one gateway per slot, run side by side.

Why: a live verdict mostly waits -- for pods to come up, for the gateway to follow, for a settle
window -- so N gateways (one per config, each on its slot's own cluster: slot.py) give nearly N times
the verdicts. A case goes to the slot already running its config when there is one (shrinking keeps
the config and changes the pods, so its gateway is reused), otherwise to the least busy slot.

Stopping: every wait of every slot goes through the pool's clock (fixtures.waiting.Clock, the one
injection point for time), whose sleep ends the case with `Cancelled` once the run is stopped -- by
`--duration`'s deadline or by a signal (the main thread gets KeyboardInterrupt, stops the slots, and
re-raises it once they have ended). So a deadline bounds a round, and a Ctrl-C never leaves a slot
thread running.
"""

from __future__ import annotations

import concurrent.futures
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance import signals
from conformance.fuzz.scenario import FuzzScenario
from conformance.fuzz.slot import GatewayRefused, Slot
from conformance.fuzz.timing import FuzzTiming
from fixtures.waiting import Clock
from reference import Semantics

DEFAULT_SLOTS = 4
RESTART_COST = 1.0  # a gateway start, in units of one case
WAIT_SLICE = 0.25  # seconds the main thread waits at a time (a signal is handled between slices)


class Cancelled(BaseException):
    """The run was stopped (deadline or signal) while a case ran; not an Exception, so nothing eats it."""


class Stopper:
    """The pool's clock: a sleep that ends with Cancelled once `stop()` was called or the deadline passed."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.deadline: float | None = None
        self.reason = ""

    def stop(self, reason: str) -> None:
        if not self.event.is_set():
            self.reason = reason
            self.event.set()

    def passed(self) -> bool:
        """True once the deadline (if any) has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def sleep(self, seconds: float) -> None:
        if self.deadline is not None:
            seconds = min(seconds, max(0.0, self.deadline - time.monotonic()))
        if self.event.wait(seconds) or self.passed():
            if not self.reason:
                self.reason = "deadline"
            raise Cancelled(self.reason)

    def clock(self) -> Clock:
        return Clock(now=time.monotonic, sleep=self.sleep)


@dataclass
class Verdict:
    """What running one case gave: the case with its result, or the gateway's refusal of its config."""

    case: FuzzScenario
    result: FuzzScenario | None = None
    refused: str = ""


class Slots:
    """`count` slots for one gateway. Use as a context manager; `run(cases)` gives one Verdict per case."""

    def __init__(
        self,
        gateway: str,
        *,
        count: int = DEFAULT_SLOTS,
        timing: FuzzTiming | None = None,
        cap: float | None = None,
        settle: float | None = None,
        semantics: Semantics = Semantics.PR_25294,
        workdir: Path | None = None,
    ) -> None:
        from fixtures.gateways import get_driver

        self.gateway = gateway
        self.driver = get_driver(gateway)
        self.timing = timing or FuzzTiming.of(self.driver.timing, cap=cap, settle=settle)
        self.semantics = semantics
        self.count = max(1, count)
        self.stopper = Stopper()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sgl-fuzz-")
            workdir = Path(self._tmp.name)
        self.workdir = workdir
        self.slots: list[Slot] = []
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    def __enter__(self) -> Slots:
        try:
            for index in range(self.count):
                slot = Slot(
                    self.driver,
                    timing=self.timing,
                    semantics=self.semantics,
                    workdir=self.workdir / f"slot-{index}",
                    clock=self.stopper.clock(),
                )
                self.slots.append(slot)
                slot.open()
            self._executor = concurrent.futures.ThreadPoolExecutor(self.count, thread_name_prefix="fuzz-slot")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every gateway and cluster (side by side); idempotent."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        threads = [threading.Thread(target=slot.close, name="fuzz-slot-close") for slot in self.slots]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.slots = []
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    @property
    def starts(self) -> int:
        """Gateway starts so far, over every slot."""
        return sum(slot.starts for slot in self.slots)

    def run(self, cases: Sequence[FuzzScenario]) -> list[Verdict]:
        """Run `cases` side by side over the slots; one Verdict each, in order.

        Raises Cancelled when the run was stopped meanwhile, KeyboardInterrupt (after every slot has
        ended) on a signal, and the first slot's error (a gateway that crashed) otherwise.
        """
        assert self._executor is not None, "use Slots as a context manager"
        if signals.first_signal() is not None:  # one that landed where it could not propagate
            raise KeyboardInterrupt(signals.first_signal())
        plan = self._assign(cases)
        futures = [
            self._executor.submit(self._run_on, self.slots[index], [(i, cases[i]) for i in mine])
            for index, mine in enumerate(plan)
            if mine
        ]
        try:
            while True:
                done, pending = concurrent.futures.wait(futures, timeout=WAIT_SLICE)
                if not pending:
                    break
                if any(f.exception() is not None for f in done):
                    self.stopper.stop("error")  # the rest is moot: stop them
        except KeyboardInterrupt:
            self.stopper.stop("interrupted")
            concurrent.futures.wait(futures)
            raise
        errors: list[BaseException] = [e for f in futures if (e := f.exception()) is not None]
        for error in errors:
            if not isinstance(error, Cancelled):
                raise error
        if errors:
            raise Cancelled(self.stopper.reason)
        verdicts: dict[int, Verdict] = {}
        for future in futures:
            verdicts.update(future.result())
        return [verdicts[i] for i in range(len(cases))]

    def _assign(self, cases: Sequence[FuzzScenario]) -> list[list[int]]:
        """Case indexes per slot, each case where the round ends soonest: a case costs one unit on a
        slot whose gateway (running, or started for an earlier case of the round) has its config, and
        RESTART_COST more elsewhere. Shrinking's cases stay with their gateway; a batch of equal
        configs spreads over idle slots."""
        plan: list[list[int]] = [[] for _ in self.slots]
        load = [0.0 for _ in self.slots]
        started: list[set[str]] = [set() for _ in self.slots]
        for i, case in enumerate(cases):
            key = repr(case.config)
            costs = [
                load[j] + 1 + (0 if key in started[j] or slot.runs(case.config) else RESTART_COST)
                for j, slot in enumerate(self.slots)
            ]
            best = min(range(len(self.slots)), key=lambda j: (costs[j], j))
            load[best] = costs[best]
            plan[best].append(i)
            started[best].add(key)
        return plan

    @staticmethod
    def _run_on(slot: Slot, cases: list[tuple[int, FuzzScenario]]) -> dict[int, Verdict]:
        out: dict[int, Verdict] = {}
        for index, case in cases:
            try:
                out[index] = Verdict(case, result=slot.run(case))
            except GatewayRefused as exc:
                out[index] = Verdict(case, refused=str(exc))
        return out
