"""The proof that the overlap and slow-API tests tell gateways apart: real runs against smg and sglang-router.

Issue 13, "Proof": changes that do not wait for the gateway find what one-change-at-a-time tests cannot.
Measured here (docs/overlap.md), and stated by hand below -- never computed by the harness:

- smg 1.13.0 keeps a pod that flaps within its ~1 s batching window, but a flap that ends after smg
  has acted on its first half loses the worker: smg drains it for 5 s and removes it although the pod
  is Ready (or matching) again, and re-adds it only at its 60 s pass (log: "Reconciling workers: 0 to
  add, 1 to remove", "Draining 1 worker(s) for 5s before removal"). Bursts, recreation at once and a
  slow API server it follows.
- sglang-router 0.3.2 never removes a worker on an unready / relabel-out event or a DELETED event
  without a terminating step (docs/gateways.md#lifecycle), so flaps look fine, but recreation at once
  leaves the old IPs, and bursts leave every pod that went that way -- and a pod relabelled from prefill
  to decode stays a prefill worker and never becomes a decode one. At scale it sees 500 pods at once
  but registers their workers through a job queue at about 10 to 20 a second (each job ~0.6 s here:
  connection-mode probe, metadata, a tokenizer download that fails offline), so listing 500 workers
  takes 25-40 s, beyond the 15 s cap.

The reference gateway runs these tests in test_proof.py's full run (they are in the default selection);
the scale profile is proven against it here (about two minutes; the other runs fit beside it). Runs
go through the CLI in subprocesses started together (each its own embedded cluster on its own
127.x.y.0 block), judged from their reports. sglang-router's
expected failures never converge, so it runs with a short cap.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.test_proof import Plan, SuiteRun, names_pod, outcomes

pytestmark = [pytest.mark.gateway, pytest.mark.slow, pytest.mark.long]  # ~2.5 min: tox -e proofs

OVERLAP = {
    "overlap-ready-flap",
    "overlap-ready-flap-during-drain",
    "overlap-relabel-flap",
    "overlap-relabel-flap-during-drain",
    "overlap-recreate-at-once",
    "overlap-burst-regular",
    "overlap-burst-pd",
}
NEW = OVERLAP | {"resilience-slow-apiserver"}
SELECT = ("--profile", "overlap,resilience", *(arg for tid in sorted(NEW) for arg in ("--test", tid)))

RUNS: dict[str, Plan] = {
    "smg": Plan("smg", SELECT, 2),
    "sglang-router": Plan("sglang-router", (*SELECT, "--timeout-override", "max_time_to_consistency=6"), 2),
    "reference-scale": Plan("reference", ("--profile", "scale"), 1),
    "sglang-router-scale": Plan("sglang-router", ("--profile", "scale", "--test", "scale-regular"), 1),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SuiteRun]]:
    """Every run started at once; each stopped at the end (whatever happened)."""
    workdir = tmp_path_factory.mktemp("proof-overlap")
    with contextlib.ExitStack() as stops:
        started = {}
        for name, plan in RUNS.items():
            started[name] = run = SuiteRun(name, plan, workdir)
            stops.callback(run.stop)
        yield started


def _line(test: dict[str, Any], pattern: str) -> bool:
    return re.search(pattern, test.get("message") or "", re.MULTILINE) is not None


def test_smg_1_13_loses_a_worker_whose_flap_outlasts_its_batching(runs: dict[str, SuiteRun]) -> None:
    report, tests = runs["smg"].result(expect_status=1)
    assert "1.13.0" in report["implementation"]["version"]
    assert set(tests) == NEW
    during_drain = {"overlap-ready-flap-during-drain", "overlap-relabel-flap-during-drain"}
    assert outcomes(tests, "Failed") == during_drain
    assert outcomes(tests, "Passed") == NEW - during_drain
    for tid in during_drain:
        assert len(tests[tid]["differingPods"]) == 1 and names_pod(tests[tid], "a"), tid
        assert _line(tests[tid], r"^  missing: regular http://\S+ +\(pod \S+/a\)$"), tests[tid]["message"]


def test_sglang_router_0_3_2_keeps_what_a_burst_or_recreation_took_away(runs: dict[str, SuiteRun]) -> None:
    report, tests = runs["sglang-router"].result(expect_status=1)
    assert "0.3.2" in report["implementation"]["version"]
    assert set(tests) == NEW
    kept = {"overlap-recreate-at-once", "overlap-burst-regular", "overlap-burst-pd"}
    assert outcomes(tests, "Failed") == kept
    assert outcomes(tests, "Passed") == NEW - kept
    recreated = tests["overlap-recreate-at-once"]
    assert names_pod(recreated, "a")  # both earlier IPs of a, "a (deleted)"
    assert len(re.findall(r"^  unexpected: regular .*/a \(deleted\)\)$", recreated["message"], re.M)) == 2
    regular = tests["overlap-burst-regular"]
    for name in ("r1", "r3", "r4"):  # deleted at once, unready, relabelled out
        assert names_pod(regular, name), name
    assert len(regular["differingPods"]) == 3
    pd = tests["overlap-burst-pd"]
    for name in ("p1", "p2", "p3", "d3"):  # deleted at once, unready, prefill -> decode, relabelled out
        assert names_pod(pd, name), name
    assert len(pd["differingPods"]) == 4
    assert _line(pd, r"^  missing: decode http://\S+ +\(pod \S+/p3\)$")  # never becomes a decode worker
    assert _line(pd, r"^  unexpected: prefill http://\S+ bootstrap_port=8998 +\(pod \S+/p3\)$")


def test_the_reference_passes_the_scale_profile_and_reports_its_figures(runs: dict[str, SuiteRun]) -> None:
    report, tests = runs["reference-scale"].result(expect_status=0)
    assert set(tests) == {"scale-regular", "scale-pd"}
    for test in tests.values():
        figures = test["figures"]
        assert figures["workers"] == 500
        assert 0 < figures["firstWorkerSeconds"] <= figures["allWorkersSeconds"]
        assert figures["churnChanges"] == 600
    scale = report["latency"]["scale"]
    assert [s["test"] for s in scale] == ["scale-regular", "scale-pd"]


def test_sglang_router_0_3_2_lists_500_workers_only_after_the_cap(runs: dict[str, SuiteRun]) -> None:
    report, tests = runs["sglang-router-scale"].result(expect_status=1)
    assert "0.3.2" in report["implementation"]["version"]
    test = tests["scale-regular"]
    assert test["outcome"] == "Failed" and "did not converge" in test["message"]
    assert [c["label"] for c in test["timeline"]["checks"]] == ["initial"]  # before any churn
    differing = test["differingPods"]
    assert 0 < len(differing) < 500 and all(re.search(r"/w-\d+$", p) for p in differing)
    lines = [
        ln
        for ln in test["message"].splitlines()
        if ln.startswith("  missing:") or ln.startswith("  unexpected:")
    ]
    assert len(lines) == len(differing) and all(ln.startswith("  missing: regular") for ln in lines)
    assert test["figures"]["workers"] == 500 and "allWorkersSeconds" not in test["figures"]
