"""Side by side, the pieces the controller relies on (conformance/distributed.py, session.py, machine.py).

The end-to-end proof that a run side by side reports what a run one at a time does is in
tests/conformance/test_proof.py (`test_one_at_a_time_and_side_by_side_agree`); interrupted runs side
by side are in tests/chaos (the `parallel` trials).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance import machine
from conformance.distributed import RunDir, declaration_for, xdist_args
from conformance.outcomes import SETUP_FAILED
from conformance.registry import REGISTRY, Outcome
from conformance.report import TestResult
from conformance.session import ConformanceRun
from tests.conformance.test_registry import _load_suite


def _run() -> ConformanceRun:
    opt = argparse.Namespace(
        gateway="reference",
        profile=[],
        timeout_config=None,
        timeout_override=[],
        cluster="embedded",
        exempt_feature=[],
        conformance_tests=[],
        semantics="pr-25294",
        report=None,
        xmlpath=None,
    )
    return ConformanceRun(opt)


def _result(test_id: str, outcome: Outcome = Outcome.PASSED) -> TestResult:
    decl = REGISTRY[test_id]
    return TestResult(
        id=test_id,
        description=decl.description,
        features=[str(f) for f in decl.features],
        profiles=decl.profiles,
        outcome=outcome,
        message="" if outcome is Outcome.PASSED else "gateway pools did not converge",
        duration=1.5,
        evidence={
            "timings": {"converge": 0.2},
            "harnessSeconds": {"converge": 0.01},
            "pods": [{"a": (1, 2)}],
        },
    )


def test_the_controller_finds_a_declaration_by_node_id() -> None:
    decl = declaration_for("conformance/suite/test_core.py::test_no_match")
    assert decl is not None and decl.id == "no-match"
    assert declaration_for("conformance/suite/test_core.py::test_no_such_function") is None
    assert declaration_for("conformance/suite/nowhere.py::test_x") is None
    assert declaration_for("tests/conformance/test_distributed.py::test_x") is None  # not a conformance test


def test_a_result_crosses_to_the_controller_unchanged() -> None:
    _load_suite()
    result = _result("no-match", Outcome.FAILED)
    back = TestResult.from_wire(result.to_wire())
    assert back.to_dict() == TestResult.from_wire(back.to_wire()).to_dict()
    assert back.outcome is Outcome.FAILED and back.evidence["pods"] == [{"a": [1, 2]}]
    assert back.to_dict()["message"] == result.message


def test_the_report_keeps_the_selection_order_whatever_finished_first() -> None:
    _load_suite()
    run = _run()
    run.selected = [REGISTRY[t] for t in ("regular-selector-discovery", "no-match", "lifecycle-unready")]
    for test_id in ("lifecycle-unready", "regular-selector-discovery", "no-match"):
        run.record(_result(test_id))
    run.record(_result("no-match"))  # a report logged twice counts once
    report = run.report()
    assert [t["id"] for t in report["tests"]] == [
        "regular-selector-discovery",
        "no-match",
        "lifecycle-unready",
    ]
    assert report["complete"] is True


def test_a_gateway_not_prepared_is_named_once_as_one_at_a_time() -> None:
    """Side by side, two workers may fail to prepare the gateway at once; the report names the first
    test of the selection, as a run one at a time (which stops there) does."""
    _load_suite()
    run = _run()
    run.selected = [REGISTRY[t] for t in ("regular-selector-discovery", "no-match", "lifecycle-unready")]
    why = f"{SETUP_FAILED}: pip failed"
    run.not_judged["no-match"] = why
    run.not_judged["regular-selector-discovery"] = why
    run.stopped("stopped (Interrupted)")
    report = run.report()
    assert report["incompleteReason"] == f"regular-selector-discovery: {why}; stopped (Interrupted)"
    assert report["notRunTests"] == ["regular-selector-discovery", "no-match", "lifecycle-unready"]


def test_the_run_directory_keeps_the_first_stop_reason(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path)
    assert run_dir.stop_reason() is None
    run_dir.stop("the gateway could not be prepared: first")
    run_dir.stop("the gateway could not be prepared: second")
    assert run_dir.stop_reason() == "the gateway could not be prepared: first"


def test_one_job_is_plain_pytest_and_more_are_xdist_workers_that_are_never_restarted() -> None:
    assert xdist_args(1) == ["-p", "no:xdist"]
    args = xdist_args(6)
    assert args[args.index("-n") + 1] == "6"
    assert args[args.index("--max-worker-restart") + 1] == "0"


def test_jobs_default_from_the_machine_and_never_exceed_the_selection() -> None:
    assert machine.default_jobs(cpus=2) == 2 * machine.JOBS_PER_CPU
    assert machine.default_jobs(cpus=64) == machine.MAX_DEFAULT_JOBS
    assert machine.choose_jobs(None, 3) == min(3, machine.default_jobs())
    assert machine.choose_jobs(6, 32) == 6
    assert machine.choose_jobs(6, 2) == 2
    assert machine.choose_jobs(1, 32) == 1


def test_side_by_side_the_controller_refuses_a_bad_selection_before_any_test() -> None:
    """pytest's own `-n`: the workers collect, the controller refuses (pytest's usage error, exit 4)."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    base = [sys.executable, "-m", "pytest", "conformance/suite", "-p", "conformance.plugin", "-o", "addopts="]
    base += ["-p", "no:cacheprovider", "-p", "xdist", "-n", "2"]
    for extra, message in (
        (["--test", "no-mach"], "unknown test id 'no-mach'; did you mean 'no-match'?"),
        (["-k", "no_such_test"], "-k 'no_such_test' selects no conformance test"),
    ):
        proc = subprocess.run([*base, *extra], cwd=repo, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 4, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert message in proc.stderr
        assert "passed" not in proc.stdout and "failed" not in proc.stdout
