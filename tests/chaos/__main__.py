"""`python -m tests.chaos [--trials N] [--seed S] [--kinds ...]` (tox -e chaos): kill real runs, count.

The long version of tests/chaos/test_chaos.py: N trials (tests/chaos/trials.py) with seeded random
kinds, signals and moments, one line each, then the figures: leaks, exit statuses per signal, how
long runs took to stop, and every problem found. Exits 1 when any trial found a problem.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.chaos.trials import KIND_SECONDS, SIGNALS, Result, Trial, run_trial

DEFAULT_KINDS = ("reference", "smg", "smg-install", "matrix", "fuzz", "parallel")


def plan(trials: int, seed: int, kinds: list[str], signals: list[str]) -> list[Trial]:
    """The trials, reproducible from the seed: a kind, a signal and a moment -- from the start of the run,
    or from the first process it starts -- within the run's usual span."""
    rng = random.Random(seed)
    out = []
    for _ in range(trials):
        kind, sig = rng.choice(kinds), rng.choice(signals)
        if rng.random() < 0.5:  # anywhere in the run, validation and start-up included
            out.append(Trial(kind, sig, round(rng.uniform(0.2, KIND_SECONDS[kind]), 2)))
        else:  # while something it started is alive (gateway, pip, matrix child)
            out.append(Trial(kind, sig, round(rng.uniform(0.0, KIND_SECONDS[kind] / 2), 2), anchor="child"))
    return out


def summary(results: list[Result], seconds: float) -> str:
    lines = [f"== {len(results)} trials in {seconds:.0f} s"]
    leaks = sum(len(r.leaks) for r in results)
    lines.append(f"leaks (processes or listening sockets left after {len(results)} runs): {leaks}")
    by_signal: dict[str, Counter[str]] = {}
    for r in results:
        key = r.trial.signal if r.signalled else "(ended before the signal)"
        by_signal.setdefault(key, Counter())[f"exit {r.status}"] += 1
    for key, counts in sorted(by_signal.items()):
        lines.append(f"  {key:<26} " + ", ".join(f"{v} x {k}" for k, v in sorted(counts.items())))
    reports = Counter(state for r in results for state in r.reports.values())
    lines.append("reports: " + ", ".join(f"{v} {k}" for k, v in sorted(reports.items())))
    for sig in SIGNALS:
        stops = [r.stop_seconds for r in results if r.signalled and r.trial.signal == sig and r.stop_seconds]
        if stops:
            lines.append(
                f"stop after {sig:<8}: median {statistics.median(stops):.1f} s, max {max(stops):.1f} s"
                f" ({len(stops)} runs)"
            )
    problems = [r for r in results if r.problems]
    lines.append(f"trials with problems: {len(problems)}")
    lines += [f"  {r.line()}" for r in problems]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--kinds", nargs="+", choices=sorted(KIND_SECONDS), default=list(DEFAULT_KINDS))
    parser.add_argument("--signals", nargs="+", choices=SIGNALS, default=list(SIGNALS))
    parser.add_argument("--workdir", type=Path, help="keep each trial's output here (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sgl-chaos-"))
    print(
        f"chaos: {args.trials} trials, seed {args.seed}, kinds {' '.join(args.kinds)}; outputs in {workdir}"
    )
    started = time.monotonic()
    results = []
    for i, trial in enumerate(plan(args.trials, args.seed, args.kinds, args.signals), 1):
        result = run_trial(trial, workdir / f"{i:03d}")
        results.append(result)
        print(f"#{i:03d} {result.line()}", flush=True)
    print(summary(results, time.monotonic() - started))
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
