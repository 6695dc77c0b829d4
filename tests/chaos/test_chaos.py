"""Real runs killed at seeded random moments: they never pass, never leave anything, never lie.

A handful of trials in the default run (the reference gateway and smg 1.13.0, SIGINT / SIGTERM /
SIGKILL / Ctrl-C twice, each at a random moment within 2.5 s of the run starting its first gateway,
when the gateway is starting, watching or being checked; and a run of three tests side by side,
`--jobs 3`, killed while its tests run); `tox -e chaos -- --trials 100` is the long
version with every kind of run (matrix, fuzz, smg installing from scratch). What is checked is in
tests/chaos/trials.py.
Set SGL_CHAOS_SEED to draw other moments.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.chaos.trials import Trial, run_trial

pytestmark = [pytest.mark.gateway, pytest.mark.slow]
SEED = int(os.environ.get("SGL_CHAOS_SEED", "20261130"))
LONG = pytest.mark.long  # the default run keeps one trial per way a run ends; tox -e proofs runs all
CASES = [
    pytest.param("reference", "SIGINT", marks=LONG),
    pytest.param("reference", "SIGTERM", marks=LONG),
    pytest.param("reference", "SIGKILL", marks=LONG),
    pytest.param("smg", "SIGINT*2"),
    pytest.param("smg", "SIGKILL"),
    # side by side (--jobs 3): the controller forwards one signal to its workers; the second ends all
    pytest.param("parallel", "SIGINT"),
    pytest.param("parallel", "SIGKILL", marks=LONG),
]
# Seconds after the run's first child (xdist's first worker, for `parallel`) within which to signal:
# for the runs side by side, while their tests run rather than while the workers start.
WINDOW = {"parallel": (3.0, 9.0)}


@pytest.fixture(scope="module", autouse=True)
def smg_installed() -> None:
    """Install smg before the clock starts (the long version also kills runs while pip installs)."""
    from fixtures.gateways.install import SMG, ensure_installed

    ensure_installed(SMG)


@pytest.mark.parametrize(("kind", "signal_name"), CASES, ids=[f"{c.values[0]}-{c.values[1]}" for c in CASES])
def test_killed_run_never_passes_and_leaves_nothing(kind: str, signal_name: str, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}-{kind}-{signal_name}")
    low, high = WINDOW.get(kind, (0.0, 2.5))
    trial = Trial(kind, signal_name, round(rng.uniform(low, high), 2), anchor="child")
    result = run_trial(trial, tmp_path)
    print(f"seed {SEED}: {result.line()}")
    assert result.signalled, f"the run ended before the signal: {result.line()}"
    # The signal came after the run had started a child (the anchor): there was something to leave behind.
    # (How many more the scan saw by then depends on how busy the machine is: not part of the verdict.)
    assert result.started_processes >= 1, result.line()
    assert not result.problems, result.line() + "\n" + (tmp_path / "output.txt").read_text()[-3000:]
