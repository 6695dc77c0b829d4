"""One real gate run shared by the tests of expected outcomes, --lf, the HTML report and the Action.

It is the GitHub Action's own run (tests/conformance/action_runner.py runs action.yml's steps as GitHub
would): a known-buggy gateway (the reference's ignore-igw variant drops regular pods beside PD pods)
runs two tests, with an expectations file in the caller's checkout saying that one of them passes (it
fails: a regression) and the other fails (it passes: an improvement). The job must then fail on the
regression, and the run leaves the YAML, JUnit and HTML reports and the job summary. One run for all
of them keeps the default test run fast (GATE_GROUP keeps its readers on one xdist worker); the
failing check's cap is lowered to 3 s because it waits the whole cap.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.cli import CACHE_DIR_VAR
from tests.conformance.action_runner import ActionRun, run_steps

REPO = Path(__file__).resolve().parents[2]
GATE_TESTS = ["igw-mixed-regular-beside-pd", "regular-selector-discovery"]
FAST_CAP = ["--timeout-override", "max_time_to_consistency=3", "--jobs", "1"]  # two tests: no workers
GATE_GROUP = pytest.mark.xdist_group("gate-run")
"""Tests that read the gate run: on one xdist worker, so the run happens once."""


def cli(*argv: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """`python -m conformance`, remembering failures (--lf) in `cache`, not in the checkout."""
    return subprocess.run(
        [sys.executable, "-m", "conformance", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, CACHE_DIR_VAR: str(cache)},
    )


@dataclass(frozen=True)
class GateRun:
    action: ActionRun
    report: Path
    html: Path
    cache: Path
    runner_temp: Path


@pytest.fixture(scope="session")
def gate_run(tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    tmp = tmp_path_factory.mktemp("gate")
    (tmp / "caller" / "ci").mkdir(parents=True)
    (tmp / "caller" / "ci" / "expect.yaml").write_text(
        "expectations:\n"
        "  igw-mixed-regular-beside-pd: {outcome: Passed, reason: PR 25294 is in}\n"
        "  regular-selector-discovery: {outcome: Failed, reason: pretend broken}\n"
    )
    tests = " ".join(f"--test {test_id}" for test_id in GATE_TESTS)
    inputs = {
        "gateway": "reference:ignore-igw",
        "profiles": "core, igw-mixed",
        "expect": "ci/expect.yaml",
        "args": f"{tests} {' '.join(FAST_CAP)}",
    }
    cache = tmp / "cache"
    action = run_steps(inputs, tmp, skip={"install"}, env={CACHE_DIR_VAR: str(cache)})
    out = Path(action.outputs.get("out-dir", tmp / "runner" / "sgl-conformance-report"))
    return GateRun(action, out / "report.yaml", out / "report.html", cache, tmp / "runner")
