"""One real gate run shared by the tests of expected outcomes, --lf and the HTML report.

A known-buggy gateway (the reference's ignore-igw variant: it drops regular pods beside PD pods) runs
two tests with expectations that one passes (it fails: a regression) and the other fails (it
passes: an improvement), writing the YAML and the HTML report. One run for all of them keeps the
default test run fast (GATE_GROUP keeps its readers on one xdist worker); the failing check's cap is
lowered to 3 s because it waits the whole cap.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.cli import CACHE_DIR_VAR

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
    proc: subprocess.CompletedProcess[str]
    report: Path
    html: Path
    cache: Path


@pytest.fixture(scope="session")
def gate_run(tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    tmp = tmp_path_factory.mktemp("gate")
    expect = tmp / "expect.yaml"
    expect.write_text(
        "expectations:\n"
        "  igw-mixed-regular-beside-pd: {outcome: Passed, reason: PR 25294 is in}\n"
        "  regular-selector-discovery: {outcome: Failed, reason: pretend broken}\n"
    )
    report, html = tmp / "r.yaml", tmp / "r.html"
    tests = [arg for test_id in GATE_TESTS for arg in ("--test", test_id)]
    argv = ["--gateway", "reference:ignore-igw", "--report", str(report), "--html", str(html)]
    proc = cli(*argv, "--expect", str(expect), *tests, *FAST_CAP, cache=tmp)
    return GateRun(proc, report, html, tmp)
