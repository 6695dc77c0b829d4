"""The proof that the harness tells gateways apart, and that running tests side by side changes nothing.

Issue 4, "Proof": the reference gateway passes every test; deliberately broken variants of it fail
exactly the tests they should; smg 1.13.0 and sglang-router 0.3.2 (neither has PR #25294,
docs/gateways.md) fail the igw-mixed tests, and sglang-router 0.3.2 fails readiness loss, relabel out
and delete without a graceful step -- each failure naming the pods that differ. Expected outcomes here
are facts about the gateways, stated by hand, never computed by the harness. Runs go through the CLI
in a subprocess (the same path a user takes) and are judged from the report.

Issue 10: tests run one at a time (`--jobs 1`) and side by side give identical outcomes per test id,
with the same report fields, against the reference gateway and against smg. smg runs one selection
both ways; it holds every kind of outcome (Passed, Failed, RejectedConfig, NotExpressible) and a test
that restarts the API server (it needs its cluster to itself). The reference gateway runs such a
selection one at a time, compared with the same tests of its whole suite side by side (a harder
test: more run beside them), which spares the default run a third run of reference gateways.

What runs, and why it is enough (the default `tox` run stays under three minutes on two cores, so it
runs a smaller selection that tells the same gateways apart; `tox -e proofs` runs the full one, with
SGL_PROOF_FULL=1): the reference gateway runs one test of every default profile but overlap (whose
premises are timed to the second and are proven in test_proof_overlap.py), side by side -- the full
selection is the whole suite. Each variant runs tests that exercise its bug *and* tests of the same
profiles that do not (they must pass: the variant is otherwise conformant), with a short cap where the
expected failures are "never converges"; the full selection adds every other test of those profiles.
Every run starts at once, so the module takes about as long as its longest run.

Issue 12: the same selections on `--cluster existing` with the gateway in the cluster give identical
outcomes per test id, for the reference gateway and for smg (docs/clusters.md#proven-here). The
existing cluster is an embedded API server started on its own (`python -m fixtures.apiserver`, a
process of its own as someone else's cluster would be, RBAC enforced, the gateways' images mapped to
local commands), given to the suite only by its kubeconfig; the embedded side is this module's
reference and smg runs (not run twice). The resilience tests need fault injection and are declared
Skipped there, so they are left out of the comparison. The full-suite comparison is `tox -e parity`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.report import load_report

REPO = Path(__file__).resolve().parents[2]
# One harness worker runs them all: the module's runs are shared by its tests (xdist's loadgroup).
pytestmark = [pytest.mark.gateway, pytest.mark.slow, pytest.mark.xdist_group("proof")]

FULL = os.environ.get("SGL_PROOF_FULL") == "1"
"""`tox -e proofs`: every selection below at its full size."""

LIFECYCLE = {
    "lifecycle-unready",
    "lifecycle-ready-again",
    "lifecycle-relabel-out",
    "lifecycle-relabel-back-in",
    "lifecycle-graceful-delete",
    "lifecycle-delete-without-graceful-step",
    "lifecycle-recreate-new-ip",
}
# The lifecycle tests whose removal is the whole point (the ones never-remove and sglang-router fail
# for different reasons: unready, relabelled out, deleted without a graceful step).
REMOVALS = {"lifecycle-unready", "lifecycle-relabel-out", "lifecycle-delete-without-graceful-step"}
NEEDS_PR_25294 = {"igw-mixed-regular-beside-pd", "igw-mixed-empty-pd-selectors"}
IGW_MIXED = NEEDS_PR_25294 | {
    "igw-mixed-pd-without-igw-ignores-selector",
    "igw-mixed-pd-igw-without-selector",
}
SHORT_CAP = ("--timeout-override", "max_time_to_consistency=6")

# ignore-igw: the igw-mixed tests (two exercise the bug, two do not), plus PD discovery without IGW
# and the warnings (IGW-dependent texts), which must still pass.
IGNORE_IGW_TESTS = IGW_MIXED | (
    {"pd-classification", "warn-selector-ignored-without-igw", "warn-pd-selectors-empty"}
    if FULL
    else {"pd-classification"}
)
# never-remove: lifecycle tests remove a worker; two core tests never do and must pass.
NEVER_REMOVE_LIFECYCLE = LIFECYCLE if FULL else REMOVALS | {"lifecycle-graceful-delete"}
NEVER_REMOVE_TESTS = NEVER_REMOVE_LIFECYCLE | {"regular-selector-discovery", "readiness-gating-not-ready"}
SGLANG_ROUTER_REMOVALS = REMOVALS if FULL else {"lifecycle-unready"}
SGLANG_ROUTER_TESTS = IGW_MIXED | SGLANG_ROUTER_REMOVALS
# One at a time vs side by side: an API server restart (a test that needs its cluster alone) among
# tests of other profiles; for smg, all four outcomes.
SAME_REFERENCE = ("resilience-apiserver-restart", "lifecycle-graceful-delete", "igw-mixed-regular-beside-pd")
SAME_SMG = (*sorted(IGW_MIXED), "resilience-apiserver-restart", "pd-bootstrap-port-valid")
# The reference gateway's selection: SAME_REFERENCE and one test of every other default profile.
# (Its tests but the resilience one also run on an existing cluster, the gateway in it: parity.)
REFERENCE_TESTS = {
    *SAME_REFERENCE,
    "regular-selector-discovery",
    "pd-classification",
    "warn-pd-selectors-empty",
}


def _tests(ids: Any) -> tuple[str, ...]:
    return tuple(arg for test_id in sorted(ids) for arg in ("--test", test_id))


@dataclass(frozen=True)
class Plan:
    gateway: str
    args: tuple[str, ...]
    jobs: int


# Each xdist worker costs ~2.5 CPU-seconds to start (pytest, the kubernetes client, its own cluster) and
# the runs share two cores with the rest of the default run: side by side only where that is what a
# run proves (the reference's selection, smg's comparison); the variants' few tests run one at a time.
RUNS: dict[str, Plan] = {
    "reference": Plan("reference", () if FULL else _tests(REFERENCE_TESTS), 4 if FULL else 2),
    "reference-one-at-a-time": Plan("reference", _tests(SAME_REFERENCE), 1),
    "ignore-igw": Plan("reference:ignore-igw", _tests(IGNORE_IGW_TESTS) + SHORT_CAP, 2 if FULL else 1),
    "never-remove": Plan("reference:never-remove", _tests(NEVER_REMOVE_TESTS) + SHORT_CAP, 2 if FULL else 1),
    "smg": Plan("smg", _tests(SAME_SMG), 2),
    "smg-one-at-a-time": Plan("smg", _tests(SAME_SMG), 1),
    "sglang-router": Plan("sglang-router", _tests(SGLANG_ROUTER_TESTS) + SHORT_CAP, 2 if FULL else 1),
}


# Parity runs: the embedded side's selection on an existing cluster (resilience needs fault injection).
PARITY = {
    "reference": tuple(sorted(REFERENCE_TESTS - {"resilience-apiserver-restart"})),
    "smg": tuple(t for t in SAME_SMG if t != "resilience-apiserver-restart"),
}


class SuiteRun:
    """One `python -m conformance` subprocess, started at once and judged when a test asks for it."""

    def __init__(self, name: str, plan: Plan, workdir: Path) -> None:
        self.name, self.plan = name, plan
        self.report_path = workdir / f"{name}.yaml"
        self.output_path = workdir / f"{name}.out"
        self.started = time.monotonic()
        argv = ["--gateway", plan.gateway, "--jobs", str(plan.jobs), "--report", str(self.report_path)]
        with self.output_path.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "conformance", *argv, *plan.args],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def result(self, expect_status: int) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        try:
            status = self.proc.wait(timeout=600)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        output = self.output_path.read_text()
        wall = time.monotonic() - self.started
        print(f"{self.name} (--jobs {self.plan.jobs}): {wall:.1f} s, exit {status}\n{output[-3000:]}")
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
    from fixtures.gateways.install import SGLANG_ROUTER, SMG, ensure_installed
    from tests.conformance.parity import ApiServer

    for package in (SMG, SGLANG_ROUTER):  # once, before the runs race for the install lock
        ensure_installed(package)
    workdir = tmp_path_factory.mktemp("proof")
    started: dict[str, SuiteRun] = {}
    cluster = ApiServer(workdir)
    try:
        for name, plan in RUNS.items():
            started[name] = SuiteRun(name, plan, workdir)
        cluster.start()  # someone else's cluster, for the parity runs
        existing = ("--cluster", "existing", "--kubeconfig", str(cluster.kubeconfig))
        for gateway, ids in PARITY.items():
            name = f"{gateway}-existing"
            jobs = 2 if FULL else 1  # a few tests: one process, not three (the default run's CPU)
            started[name] = SuiteRun(name, Plan(gateway, (*existing, *_tests(ids)), jobs), workdir)
        yield started
    finally:
        for run in started.values():
            run.stop()
        cluster.stop()


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
    selected = suite_ids if FULL else REFERENCE_TESTS
    assert suite_ids >= REFERENCE_TESTS  # the short selection names tests that exist
    assert set(tests) == selected
    assert outcomes(tests, "Passed") == selected
    assert {p["result"] for p in report["profiles"]} == {"success"}


def test_ignore_igw_variant_fails_exactly_the_mixed_discovery_tests(runs: dict[str, SuiteRun]) -> None:
    _, tests = runs["ignore-igw"].result(expect_status=1)
    assert set(tests) == IGNORE_IGW_TESTS
    assert outcomes(tests, "Failed") == NEEDS_PR_25294
    assert outcomes(tests, "Passed") == IGNORE_IGW_TESTS - NEEDS_PR_25294
    assert names_pod(tests["igw-mixed-regular-beside-pd"], "reg-a")


def test_never_remove_variant_fails_exactly_the_removal_tests(runs: dict[str, SuiteRun]) -> None:
    _, tests = runs["never-remove"].result(expect_status=1)
    assert set(tests) == NEVER_REMOVE_TESTS
    assert outcomes(tests, "Failed") == NEVER_REMOVE_LIFECYCLE
    assert outcomes(tests, "Passed") == NEVER_REMOVE_TESTS - NEVER_REMOVE_LIFECYCLE
    for tid in NEVER_REMOVE_LIFECYCLE:
        assert names_pod(tests[tid], "a"), tid
        assert tests[tid]["expected"] is not None and tests[tid]["observed"] is not None


def test_smg_1_13_fails_the_mixed_discovery_tests(runs: dict[str, SuiteRun]) -> None:
    report, tests = runs["smg"].result(expect_status=1)
    assert "1.13.0" in report["implementation"]["version"]
    regular = tests["igw-mixed-regular-beside-pd"]
    assert regular["outcome"] == "Failed"
    assert names_pod(regular, "reg-a")
    # smg refuses "PD without PD selectors" at startup (docs/gateways.md, startup checks)
    assert tests["igw-mixed-empty-pd-selectors"]["outcome"] == "RejectedConfig"
    assert "selector" in tests["igw-mixed-empty-pd-selectors"]["message"]
    # smg's launcher forces IGW on: "PD without IGW" cannot be expressed (docs/gateways.md#igw-forced-on)
    without_igw = tests["igw-mixed-pd-without-igw-ignores-selector"]
    assert without_igw["outcome"] == "NotExpressible"
    assert "igw_mode=True" in without_igw["message"]
    assert without_igw["effectiveConfig"]["igw_mode"] is True
    assert tests["igw-mixed-pd-igw-without-selector"]["outcome"] == "Passed"


def test_sglang_router_0_3_2_fails_mixed_discovery_and_removals(runs: dict[str, SuiteRun]) -> None:
    report, tests = runs["sglang-router"].result(expect_status=1)
    assert "0.3.2" in report["implementation"]["version"]
    assert set(tests) == SGLANG_ROUTER_TESTS
    assert outcomes(tests, "Failed") == NEEDS_PR_25294 | SGLANG_ROUTER_REMOVALS
    for tid in SGLANG_ROUTER_REMOVALS:
        assert names_pod(tests[tid], "a"), tid
    assert names_pod(tests["igw-mixed-regular-beside-pd"], "reg-a")
    # measured here: 0.3.2 in IGW mode also demands --selector, so PD + IGW without it is refused
    refused = tests["igw-mixed-pd-igw-without-selector"]
    assert refused["outcome"] == "RejectedConfig"
    assert "requires a non-empty selector" in refused["message"]
    assert tests["igw-mixed-pd-without-igw-ignores-selector"]["outcome"] == "Passed"


def _same_tests(one: dict[str, Any], side: dict[str, Any]) -> None:
    """Every test of `one` is in `side`, in the same order, with the same outcome and the same fields."""
    ids = [t["id"] for t in one["tests"]]
    by_id = {t["id"]: t for t in side["tests"]}
    assert [t for t in (t["id"] for t in side["tests"]) if t in ids] == ids  # the selection's order
    for test in one["tests"]:
        other = by_id[test["id"]]
        assert (test["outcome"], set(test)) == (other["outcome"], set(other)), test["id"]
    assert one["implementation"] == side["implementation"] and one["complete"] == side["complete"]


def test_one_at_a_time_and_side_by_side_agree_on_the_reference_gateway(runs: dict[str, SuiteRun]) -> None:
    one, tests = runs["reference-one-at-a-time"].result(expect_status=0)
    side, _ = runs["reference"].result(expect_status=0)
    assert set(tests) == set(SAME_REFERENCE)
    _same_tests(one, side)


def test_one_at_a_time_and_side_by_side_agree_on_smg(runs: dict[str, SuiteRun]) -> None:
    one, tests = runs["smg-one-at-a-time"].result(expect_status=1)
    side, _ = runs["smg"].result(expect_status=1)
    assert set(tests) == set(SAME_SMG)
    assert {t["outcome"] for t in tests.values()} == {"Passed", "Failed", "RejectedConfig", "NotExpressible"}
    _same_tests(one, side)
    assert [(p["name"], p["result"], p["statistics"]) for p in one["profiles"]] == [
        (p["name"], p["result"], p["statistics"]) for p in side["profiles"]
    ]


@pytest.mark.parametrize("gateway", ["reference", "smg"])
def test_existing_cluster_in_cluster_gateway_matches_embedded(
    runs: dict[str, SuiteRun], gateway: str
) -> None:
    from tests.conformance.parity import differences

    embedded, _ = runs[gateway].result(expect_status=0 if gateway == "reference" else 1)
    existing, tests = runs[f"{gateway}-existing"].result(expect_status=0 if gateway == "reference" else 1)
    assert (embedded["clusterProvider"], embedded["gatewayPlacement"]) == ("embedded", "local")
    assert (existing["clusterProvider"], existing["gatewayPlacement"]) == ("existing", "in-cluster")
    assert set(tests) == set(PARITY[gateway]) and existing["complete"]
    on_embedded = {t["id"]: t["outcome"] for t in embedded["tests"] if t["id"] in tests}
    assert differences(on_embedded, {tid: t["outcome"] for tid, t in tests.items()}) == []
