"""What a fuzz run says while it runs: progress, the first difference at once, each shrinking step.

Why: a long run that prints nothing until shrinking ends loses what it found when it is stopped or
runs out of time (issue 11). So the first difference is printed and written to its scenario file the
moment it is seen; every smaller failing case that shrinking finds rewrites the same file and prints
"shrunk to N pods / M steps"; progress lines say how far the run is (examples, verdicts per second,
differences); and the last word -- found, nothing found, stopped -- comes with a replay command only
when there is something to replay.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from conformance.fuzz.scenario import FuzzScenario

PROGRESS_EVERY = 10.0  # seconds between two progress lines


@dataclass
class Tally:
    """What a run has done so far (one per mode of a run; counts only grow)."""

    gateway: str
    mode: str
    examples: int = 0  # Hypothesis examples: rounds of cases
    cases: int = 0  # cases run live (a repeated case is answered from the cache)
    pods: int = 0  # pods judged: batch pods, created pods and barriers' checks (differential)
    steps: int = 0  # steps judged (stateful)
    refused: int = 0  # cases whose config the gateway refused at startup
    differences: int = 0  # failing cases run (shrinking runs many)
    found: FuzzScenario | None = None  # the smallest failing case so far
    started: float = field(default_factory=time.monotonic)

    @property
    def verdicts(self) -> int:
        """Live verdicts: pods judged by a differential check, steps by a stateful one."""
        return self.pods + self.steps

    def rate(self, now: float | None = None) -> float:
        elapsed = (time.monotonic() if now is None else now) - self.started
        return self.verdicts / elapsed if elapsed > 0 else 0.0


class Reporter:
    """Prints to `stream` and keeps the found case's file in `out` (None: print only)."""

    def __init__(
        self,
        out: Path | None,
        *,
        stream: TextIO | None = None,
        every: float = PROGRESS_EVERY,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.out = out
        self.stream = stream or sys.stdout
        self.every = every
        self.seed = seed
        self.clock = clock
        self.path: Path | None = None
        self._last_progress = clock()

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def progress(self, tally: Tally, *, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self._last_progress < self.every:
            return
        self._last_progress = now
        unit = "steps" if tally.mode == "stateful" else "pods"
        found = f", best {tally.found.size_text()}" if tally.found is not None else ""
        self.say(
            f"[{now - tally.started:6.0f} s] {tally.mode}: {tally.examples} examples, {tally.cases} cases, "
            f"{tally.verdicts} verdicts ({unit}, {tally.rate(now):.1f}/s), {tally.refused} refused, "
            f"{tally.differences} differences{found}"
        )

    def difference(self, tally: Tally, case: FuzzScenario) -> None:
        """A failing case: the first is printed whole and written; a smaller one rewrites the file."""
        best = tally.found
        if best is not None and case.size() >= best.size():
            return
        tally.found = case
        case.seed = None if self.seed is None else str(self.seed)
        written = self._write(case)  # first: once a difference is printed, its file exists
        if best is None:
            self.say(
                f"\n=== difference found ({tally.gateway}, {tally.mode}, after {self._elapsed(tally)}) ==="
            )
            self.say(case.describe())
            if written:
                self.say(f"scenario written to {self.path}; shrinking it ...")
            return
        self.say(f"shrunk to {case.size_text()}" + (f": rewrote {self.path}" if written else ""))

    def finished(self, tally: Tally, *, stopped: str = "") -> None:
        """The last word on a mode that found something (`stopped`: why shrinking ended early)."""
        case = tally.found
        if case is None:
            return
        self._write(case)  # again: a signal may have cut the last write short
        if stopped:
            self.say(f"\n=== {stopped}: the best example so far ({case.size_text()}) ===")
        else:
            self.say(f"\n=== found a difference (shrunk to {case.size_text()}) ===")
        self.say(case.describe())
        if self.path is not None:
            self.say(f"scenario: {self.path}")
            self.say(f"replay: python -m conformance replay {self.path} --gateway {case.gateway}")

    def _elapsed(self, tally: Tally) -> str:
        return f"{self.clock() - tally.started:.1f} s"

    def _write(self, case: FuzzScenario) -> bool:
        if self.out is None:
            return False
        if self.path is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            name = case.gateway.replace(":", "-").replace("/", "_")
            self.path = _unused(self.out / f"{name}-{case.mode}-{stamp}.yaml")
        case.write(self.path)
        return True


def _unused(path: Path) -> Path:
    """`path`, or `path` with -2, -3 ... when a file of that name exists (two runs in one second)."""
    candidate, n = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate
