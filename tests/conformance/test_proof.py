"""The proof that the harness tells gateways apart: real runs of `python -m conformance`.

Issue 4, "Proof": the reference gateway passes every test; deliberately broken variants of it fail
exactly the tests they should; smg 1.13.0 and sglang-router 0.3.2 (neither has PR #25294,
gateway-facts.md section 0) fail the igw-mixed tests, and sglang-router 0.3.2 fails readiness loss,
relabel out and delete without a graceful step (section 3b) -- each failure naming the pods that differ.
Expected outcomes here are facts about the gateways, stated by hand, never computed by the harness.
Runs go through the CLI in a subprocess (the same path a user takes) and are judged from the report.
The reference runs the full suite; the others only the profiles needed, with a short cap where the
expected failures are "never converges", to keep the default run short.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.report import load_report

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.gateway, pytest.mark.slow]

LIFECYCLE = {
    "lifecycle-unready",
    "lifecycle-ready-again",
    "lifecycle-relabel-out",
    "lifecycle-relabel-back-in",
    "lifecycle-graceful-delete",
    "lifecycle-delete-without-graceful-step",
    "lifecycle-recreate-new-ip",
}
NEEDS_PR_25294 = {"igw-mixed-regular-beside-pd", "igw-mixed-empty-pd-selectors"}


# Every proof run, started together: the runs mostly wait on gateways and settle windows, so running
# them side by side (each with its own embedded API server on its own random 127.x.y.0 block) cuts the
# default test run by minutes without making any single run slower than its caps allow.
RUNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference",),
    "ignore-igw": (
        "reference:ignore-igw",
        "--profile",
        "igw-mixed,pd,warnings",
        "--timeout-override",
        "max_time_to_consistency=6",
    ),
    "never-remove": (
        "reference:never-remove",
        "--profile",
        "core,lifecycle",
        "--timeout-override",
        "max_time_to_consistency=6",
    ),
    "smg": ("smg", "--profile", "igw-mixed"),
    "sglang-router": (
        "sglang-router",
        "--profile",
        "igw-mixed,lifecycle",
        "--timeout-override",
        "max_time_to_consistency=6",
    ),
}


class SuiteRun:
    """One `python -m conformance` subprocess, started at once and judged when a test asks for it."""

    def __init__(self, name: str, gateway: str, args: tuple[str, ...], workdir: Path) -> None:
        self.name, self.gateway, self.args = name, gateway, args
        self.report_path = workdir / f"{name}.yaml"
        self.output_path = workdir / f"{name}.out"
        self.started = time.monotonic()
        with self.output_path.open("w") as out:
            report = ["--report", str(self.report_path)]
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "conformance", "--gateway", gateway, *report, *args],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def result(self, expect_status: int) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        try:
            status = self.proc.wait(timeout=900)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        output = self.output_path.read_text()
        wall = time.monotonic() - self.started
        print(f"{self.gateway} {' '.join(self.args)}: {wall:.1f} s, exit {status}\n{output[-3000:]}")
        assert self.report_path.exists(), output[-3000:]
        assert status == expect_status, output[-3000:]
        report = load_report(self.report_path)
        return report, {t["id"]: t for t in report["tests"]}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SuiteRun]]:
    workdir = tmp_path_factory.mktemp("proof")
    started: dict[str, SuiteRun] = {}
    try:
        for name, (gateway, *args) in RUNS.items():
            started[name] = SuiteRun(name, gateway, tuple(args), workdir)
        yield started
    finally:
        for run in started.values():
            run.stop()


def names_pod(test: dict[str, Any], name: str) -> bool:
    """The test's differing pods include `name` (live, or "name (deleted)")."""
    return any(re.search(rf"/{re.escape(name)}( \(deleted\))?$", p) for p in test.get("differingPods") or [])


def outcomes(tests: dict[str, dict[str, Any]], outcome: str) -> set[str]:
    return {tid for tid, t in tests.items() if t["outcome"] == outcome}


def test_reference_gateway_passes_every_test(runs: dict[str, SuiteRun]) -> None:
    from conformance.features import resolve_profiles, selected_by
    from conformance.registry import REGISTRY
    from tests.conformance.test_registry import _load_suite

    _load_suite()
    default = resolve_profiles(None)  # the scale profile runs only when named (test_proof_overlap.py)
    suite_ids = {
        tid
        for tid, decl in REGISTRY.items()
        if not tid.startswith("x-") and selected_by(decl.features, default)
    }
    report, tests = runs["reference"].result(expect_status=0)
    assert set(tests) == suite_ids
    assert outcomes(tests, "Passed") == suite_ids
    assert {p["result"] for p in report["profiles"]} == {"success"}


def test_ignore_igw_variant_fails_exactly_the_mixed_discovery_tests(runs: dict[str, SuiteRun]) -> None:
    _, tests = runs["ignore-igw"].result(expect_status=1)
    assert outcomes(tests, "Failed") == NEEDS_PR_25294
    assert outcomes(tests, "Passed") == set(tests) - NEEDS_PR_25294
    assert names_pod(tests["igw-mixed-regular-beside-pd"], "reg-a")


def test_never_remove_variant_fails_exactly_the_removal_tests(runs: dict[str, SuiteRun]) -> None:
    _, tests = runs["never-remove"].result(expect_status=1)
    assert outcomes(tests, "Failed") == LIFECYCLE
    assert outcomes(tests, "Passed") == set(tests) - LIFECYCLE
    for tid in LIFECYCLE:
        assert names_pod(tests[tid], "a"), tid
        assert tests[tid]["expected"] is not None and tests[tid]["observed"] is not None


def test_smg_1_13_fails_the_mixed_discovery_tests(runs: dict[str, SuiteRun]) -> None:
    report, tests = runs["smg"].result(expect_status=1)
    assert "1.13.0" in report["implementation"]["version"]
    regular = tests["igw-mixed-regular-beside-pd"]
    assert regular["outcome"] == "Failed"
    assert names_pod(regular, "reg-a")
    # smg refuses "PD without PD selectors" at startup (gateway-facts.md section 1, startup checks)
    assert tests["igw-mixed-empty-pd-selectors"]["outcome"] == "RejectedConfig"
    assert "selector" in tests["igw-mixed-empty-pd-selectors"]["message"]
    # smg's launcher forces IGW on: "PD without IGW" cannot be expressed (gateway-facts.md section 2)
    without_igw = tests["igw-mixed-pd-without-igw-ignores-selector"]
    assert without_igw["outcome"] == "NotExpressible"
    assert "igw_mode=True" in without_igw["message"]
    assert without_igw["effectiveConfig"]["igw_mode"] is True
    assert tests["igw-mixed-pd-igw-without-selector"]["outcome"] == "Passed"


def test_sglang_router_0_3_2_fails_mixed_discovery_and_removals(runs: dict[str, SuiteRun]) -> None:
    report, tests = runs["sglang-router"].result(expect_status=1)
    assert "0.3.2" in report["implementation"]["version"]
    failed = outcomes(tests, "Failed")
    required = NEEDS_PR_25294 | {
        "lifecycle-unready",
        "lifecycle-relabel-out",
        "lifecycle-delete-without-graceful-step",
    }
    assert required <= failed
    for tid in required - NEEDS_PR_25294:
        assert names_pod(tests[tid], "a"), tid
    assert names_pod(tests["igw-mixed-regular-beside-pd"], "reg-a")
    # measured here: 0.3.2 in IGW mode also demands --selector, so PD + IGW without it is refused
    refused = tests["igw-mixed-pd-igw-without-selector"]
    assert refused["outcome"] == "RejectedConfig"
    assert "requires a non-empty selector" in refused["message"]
    assert tests["igw-mixed-pd-without-igw-ignores-selector"]["outcome"] == "Passed"
