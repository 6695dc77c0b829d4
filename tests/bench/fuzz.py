"""Fuzz figures (issue 11): live verdicts per second, stateful steps per second, a real run's rate, coverage.

How it measures (every figure is the median of ROUNDS runs back to back; the spread and the machine's
load average are in the note -- the machine is shared, so read the load before the number):
- live verdicts: the fuzz's slots (conformance/fuzz/pool.py, DEFAULT_SLOTS gateways side by side, one
  per slot) judging differential cases of one fixed regular config, BATCH pods each from
  `pods_for(live=True)`; pods judged per second, including pod creation, the barrier, the gateway's
  convergence and the settle window after the barrier. The config is fixed so that gateway starts do
  not count (that is the real-run figure), and regular, so both gateways agree with the reference
  (in PD mode smg reads a bootstrap port the reference does not): a verdict costs a passing check.
- stateful steps: programs of STEPS steps (`stateful.programs`, pace settle) of a fixed regular config
  against the reference gateway; steps judged per second.
- a real run: the differential engine (engine.py) with the rounds `python -m conformance.fuzz run`
  draws (a few configs per round; every new config is a gateway start, refused configs included)
  under the `ci` profile; pods judged per second.
- coverage: `python -m conformance.fuzz coverage` (branch coverage of reference/'s decisions by the
  generators under the `ci` profile), run in its own interpreter.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.fuzz import differential, engine, profiles, run, stateful
from conformance.fuzz.pool import DEFAULT_SLOTS, Slots
from conformance.fuzz.reporting import Reporter
from conformance.fuzz.scenario import FuzzScenario
from reference import ServiceDiscoveryConfig
from tests.bench import Figure, benchmark

ROUNDS = 3
BATCH = 16
CASES = 3 * DEFAULT_SLOTS  # cases per measured run (after one warm-up round that starts the gateways)
STEPS = 8
REGULAR_CONFIG = ServiceDiscoveryConfig(
    enabled=True, port=8000, selector={"app": "sglang", "role": "regular"}
)
TARGETS = {"reference": 50.0, "smg": 10.0}
STATEFUL_TARGET = 5.0
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _draw(strategy: st.SearchStrategy[FuzzScenario], count: int) -> list[FuzzScenario]:
    out: list[FuzzScenario] = []

    @settings(max_examples=count, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: FuzzScenario) -> None:
        out.append(value)

    collect()
    return out[:count]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def _median(measure: Callable[[], float]) -> tuple[float, str]:
    values = [measure() for _ in range(ROUNDS)]
    return statistics.median(values), f"median of {ROUNDS} ({min(values):.1f}-{max(values):.1f})"


def _rate(slots: Slots, cases: list[FuzzScenario], count: Callable[[FuzzScenario], int]) -> float:
    """Run `cases` (a round at a time, one per slot) after a warm-up; judged units per second."""
    slots.run(cases[: slots.count])  # warm-up: the gateways start
    start = time.perf_counter()
    judged = 0
    for first in range(0, len(cases), slots.count):
        for verdict in slots.run(cases[first : first + slots.count]):
            assert verdict.result is not None and not verdict.result.failed, verdict.result
            judged += count(verdict.result)
    return judged / (time.perf_counter() - start)


def _live(gateway: str) -> Figure:
    strategy = differential.cases(gateway, configs=st.just(REGULAR_CONFIG), max_pods=BATCH)
    cases = [c for c in _draw(strategy, 4 * CASES) if len(c.pods) == BATCH] or _draw(strategy, CASES)
    cases = (cases * CASES)[: CASES + DEFAULT_SLOTS]

    def measure() -> float:
        with Slots(gateway) as slots:
            return _rate(slots, cases, lambda case: len(case.pods))

    value, spread = _median(measure)
    target = TARGETS[gateway]
    note = f"{DEFAULT_SLOTS} slots, batches of {BATCH}, {spread}, {_load()}"
    return Figure(f"live verdicts ({gateway})", value, "pods/s", f">= {target:g}", value >= target, note)


def _stateful() -> Figure:
    strategy = stateful.programs("reference", configs=st.just(REGULAR_CONFIG), max_steps=STEPS)
    cases = [c for c in _draw(strategy, 8 * CASES) if len(c.steps) >= STEPS // 2][: CASES + DEFAULT_SLOTS]

    def measure() -> float:
        with Slots("reference") as slots:
            return _rate(slots, cases, lambda case: len(case.steps))

    value, spread = _median(measure)
    note = f"{DEFAULT_SLOTS} slots, programs of {STEPS // 2}-{STEPS} steps, pace settle, {spread}, {_load()}"
    ok = value >= STATEFUL_TARGET
    return Figure("stateful steps (reference)", value, "steps/s", f">= {STATEFUL_TARGET:g}", ok, note)


def _real_run() -> Figure:
    chosen = profiles.fuzz_settings(profiles.CI, max_examples=6)
    args = run.build_parser().parse_args(["--mode", "differential"])

    def measure() -> float:
        with Slots("reference") as slots:
            rounds = run.strategy("differential", args, chosen, slots.count)  # what the command draws
            fuzzed = engine.fuzz(
                slots, rounds, chosen, mode="differential", reporter=Reporter(None), by_round=True
            )
        return fuzzed.tally.rate()

    value, spread = _median(measure)
    note = f"ci profile, 6 rounds, drawn configs (rounds share a few), {spread}, {_load()}"
    return Figure("real differential run (reference)", value, "pods/s", note=note)


def _coverage() -> Figure:
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.fuzz", "coverage"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    last = [line for line in proc.stdout.splitlines() if line.startswith("decisions")]
    value = float(last[0].split(":")[1].split("%")[0]) if last else float("nan")
    total = [line for line in proc.stdout.splitlines() if line.startswith("TOTAL")]
    note = "pods.py, selection.py, desired.py; all of reference/: " + (total[0].split()[-1] if total else "?")
    return Figure("branch coverage of reference/ decisions (ci)", value, "%", note=note)


@benchmark("fuzz")
def fuzz_figures() -> list[Figure]:
    return [_live("reference"), _live("smg"), _stateful(), _real_run(), _coverage()]
