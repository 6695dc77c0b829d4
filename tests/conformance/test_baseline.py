"""Expected outcomes (conformance/baseline.py): the comparison rules, and the gate through the real CLI.

The rules are checked on reports written out by hand here (every expected verdict is stated, never
computed by the code under test); the end-to-end test runs the reference gateway's ignore-igw variant
(a known bug: it discovers no regular pod beside PD pods) on two tests with an expectations file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance import exit_status
from conformance.baseline import compare, compare_reports, load, with_verdict
from conformance.report import exit_status as report_status
from conformance.report import render_summary
from conformance.validate import UsageError
from tests.conformance.conftest import FAST_CAP, GATE_GROUP, GateRun, cli


def report(outcomes: dict[str, str], *, complete: bool = True, semantics: str = "pr-25294") -> dict[str, Any]:
    return {
        "kind": "ConformanceReport",
        "implementation": {"name": "gw", "version": "gw 1.0"},
        "date": "2026-01-01T00:00:00+00:00",
        "semanticsVersion": semantics,
        "complete": complete,
        "profiles": [],
        "tests": [{"id": k, "outcome": v, "message": f"{k} said {v}"} for k, v in outcomes.items()],
    }


BASE = report({"a": "Passed", "b": "Failed", "c": "NotExpressible", "d": "Passed", "e": "Failed"})


@pytest.mark.parametrize(
    ("now", "regressions", "improvements", "changes"),
    [
        ({"a": "Passed", "b": "Failed", "c": "NotExpressible"}, [], [], []),
        ({"a": "Failed", "b": "Failed"}, ["a"], [], []),
        ({"a": "RejectedConfig"}, ["a"], [], []),
        ({"a": "Skipped", "c": "Failed"}, ["a", "c"], [], []),
        ({"b": "Passed", "c": "Passed"}, [], ["b", "c"], []),
        ({"b": "RejectedConfig", "c": "Skipped"}, [], [], ["b", "c"]),
        ({"new-ok": "Passed", "new-bad": "Failed"}, ["new-bad"], [], []),
    ],
)
def test_each_outcome_change_is_classified(
    now: dict[str, str], regressions: list[str], improvements: list[str], changes: list[str]
) -> None:
    section = compare_reports(BASE, report(now)).to_dict()
    assert [d["id"] for d in section["regressions"]] == regressions
    assert [d["id"] for d in section["improvements"]] == improvements
    assert [d["id"] for d in section["changes"]] == changes


@pytest.mark.parametrize(
    ("now", "strict", "status"),
    [
        ({"a": "Passed", "b": "Failed"}, False, exit_status.PASSED),  # a known failure does not fail
        ({"a": "Passed", "b": "Failed"}, True, exit_status.PASSED),
        ({"b": "Passed"}, False, exit_status.PASSED),  # an improvement is a notice...
        ({"b": "Passed"}, True, exit_status.FAILED),  # ...and a failure when strict
        ({"b": "RejectedConfig"}, True, exit_status.FAILED),
        ({"a": "Failed", "b": "Passed"}, False, exit_status.FAILED),
        ({"c": "NotExpressible"}, False, exit_status.PASSED),  # no longer 3: it was expected
    ],
)
def test_exit_status_of_a_judged_report(now: dict[str, str], strict: bool, status: int) -> None:
    judged = with_verdict(report(now), compare_reports(BASE, report(now), strict=strict))
    assert report_status(judged) == status


def test_an_incomplete_run_stays_incomplete_whatever_the_baseline() -> None:
    now = report({"a": "Passed"}, complete=False)
    assert report_status(with_verdict(now, compare_reports(BASE, now))) == exit_status.INCOMPLETE


def test_summary_lists_regressions_first_with_the_expected_reason() -> None:
    now = report({"a": "Failed", "b": "Passed", "d": "Failed"})
    lines = render_summary(with_verdict(now, compare_reports(BASE, now, source="base.yaml"))).splitlines()
    assert lines[1].startswith("Expected outcomes from base.yaml (gw 1.0, 2026-01-01")
    assert lines[2:7] == [
        "  Regressions (2):",
        "    a: expected Passed (a said Passed), now Failed: a said Failed",
        "    d: expected Passed (d said Passed), now Failed: d said Failed",
        "  Improvements (1):",
        "    b: expected Failed (b said Failed), now Passed: b said Passed",
    ]
    assert lines[-1] == "Result: FAILED: 2 regression(s), 1 improvement(s), 0 change(s)"


def test_a_baseline_of_other_semantics_is_noted() -> None:
    verdict = compare_reports(BASE, report({"a": "Passed"}, semantics="pre-25294"))
    assert verdict.note == "the baseline was judged by semantics pr-25294, this run by pre-25294"


def test_expectations_file_forms(tmp_path: Path) -> None:
    path = tmp_path / "expect.yaml"
    path.write_text("expectations:\n  b: {outcome: Failed, reason: known bug 12}\n  c: NotExpressible\n")
    expectations = load(path, kind="expect")
    assert {k: (v.outcome, v.reason) for k, v in expectations.tests.items()} == {
        "b": ("Failed", "known bug 12"),
        "c": ("NotExpressible", ""),
    }
    section = compare(expectations, report({"a": "Passed", "b": "Failed", "c": "Passed"})).to_dict()
    assert section["matched"] == 2 and section["notInExpectations"] == ["a"]
    assert section["improvements"] == [
        {"id": "c", "expected": "NotExpressible", "observed": "Passed", "message": "c said Passed"}
    ]
    path.write_text("expectations: [a, b]\n")
    with pytest.raises(UsageError, match="expected a mapping `expectations:"):
        load(path, kind="expect")


@GATE_GROUP
def test_the_gate_through_the_cli(gate_run: GateRun) -> None:
    """Exit 1 on the regression, listed first, then the improvement; both in the written report."""
    run, out = gate_run.action, gate_run.report
    assert run.outputs["exit-status"] == str(exit_status.FAILED), run.stdout
    summary = run.stdout[run.stdout.index("Expected outcomes from") :].splitlines()
    assert summary[1] == "  Regressions (1):"
    assert summary[2].startswith(
        "    igw-mixed-regular-beside-pd: expected Passed (PR 25294 is in), now Failed: gateway pools"
    )
    assert summary[3:5] == [
        "  Improvements (1):",
        "    regular-selector-discovery: expected Failed (pretend broken), now Passed",
    ]
    written = yaml.safe_load(out.read_text())
    assert [d["id"] for d in written["expectations"]["regressions"]] == ["igw-mixed-regular-beside-pd"]
    # the same report as the baseline of itself: every outcome as expected
    assert compare_reports(written, written).to_dict()["matched"] == 2


@GATE_GROUP
def test_lf_reruns_only_what_failed_last_time(gate_run: GateRun, tmp_path: Path) -> None:
    """`--lf` through the CLI: after the gate run, only its failed test runs again (same gateway)."""
    out = tmp_path / "lf.yaml"
    argv = ["--gateway", "reference:ignore-igw", "--lf", "--report", str(out), *FAST_CAP]
    proc = cli(*argv, cache=gate_run.cache)
    assert proc.returncode == exit_status.FAILED, proc.stdout + proc.stderr
    assert [t["id"] for t in yaml.safe_load(out.read_text())["tests"]] == ["igw-mixed-regular-beside-pd"]
