"""Report aggregation: the success / partial / failure rules, exit status, summary and matrix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from conformance.features import Feature
from conformance.registry import ConformanceTest, Outcome
from conformance.report import (
    TestResult,
    build_report,
    exit_status,
    load_report,
    profile_status,
    render_matrix,
    render_summary,
    write_report,
)


def result(
    test_id: str, outcome: Outcome, profiles: tuple[str, ...] = ("core",), **evidence: object
) -> TestResult:
    return TestResult(
        test_id, "d", ["RegularSelectorDiscovery"], list(profiles), outcome, "why", 1.0, dict(evidence)
    )


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([Outcome.PASSED, Outcome.PASSED], "success"),
        ([Outcome.PASSED, Outcome.SKIPPED], "partial"),
        ([Outcome.PASSED, Outcome.NOT_EXPRESSIBLE], "partial"),
        ([Outcome.PASSED, Outcome.NOT_EXPRESSIBLE, Outcome.FAILED], "failure"),
        ([Outcome.PASSED, Outcome.REJECTED_CONFIG], "failure"),
    ],
)
def test_profile_result_rules(outcomes: list[Outcome], expected: str) -> None:
    results = [result(f"t{i}", o) for i, o in enumerate(outcomes)]
    assert profile_status("core", results)["result"] == expected


def test_statistics_and_test_lists() -> None:
    results = [
        result("ok", Outcome.PASSED),
        result("bad", Outcome.FAILED),
        result("refused", Outcome.REJECTED_CONFIG),
        result("ne", Outcome.NOT_EXPRESSIBLE),
        result("skip", Outcome.SKIPPED),
        result("elsewhere", Outcome.FAILED, profiles=("pd",)),
    ]
    status = profile_status("core", results)
    assert status["statistics"] == {"Passed": 1, "Skipped": 1, "Failed": 2, "NotExpressible": 1, "NotRun": 0}
    assert status["failedTests"] == ["bad", "refused"]
    assert status["skippedTests"] == ["skip"]
    assert status["notExpressibleTests"] == ["ne"]


def _report(results: list[TestResult], **extra: Any) -> dict:
    return build_report(
        results=results,
        implementation={"name": "smg", "version": "smg 1.13.0"},
        harness_version="0.1.0",
        cluster_provider="embedded",
        semantics_version="pr-25294",
        timeouts={"settle": 3.0},
        wall_seconds=12.34,
        date=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
        **extra,
    )


def test_report_round_trip_and_shape(tmp_path: Path) -> None:
    failing = result(
        "bad", Outcome.FAILED, expected={"regular": [{"url": "http://127.0.0.2:8000"}]}, logTail="a\nb"
    )
    report = _report([result("ok", Outcome.PASSED), failing])
    path = write_report(report, tmp_path / "sub" / "r.yaml")
    loaded = load_report(path)
    assert loaded["kind"] == "ConformanceReport"
    assert loaded["apiVersion"].endswith("/v1alpha1")
    assert loaded["date"] == "2026-11-26T00:00:00+00:00"
    assert loaded["implementation"]["version"] == "smg 1.13.0"
    assert [p["name"] for p in loaded["profiles"]] == ["core"]  # profiles without tests are left out
    assert loaded["tests"][1]["expected"] == {"regular": [{"url": "http://127.0.0.2:8000"}]}
    assert loaded["tests"][1]["logTail"] == "a\nb"
    assert "logTail: |" in path.read_text()


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ([Outcome.PASSED], 0),
        ([Outcome.PASSED, Outcome.FAILED], 1),
        ([Outcome.REJECTED_CONFIG], 1),
        ([Outcome.PASSED, Outcome.NOT_EXPRESSIBLE], 3),
        ([], 4),  # nothing was checked: never a pass, never a verdict
    ],
)
def test_exit_status(outcomes: list[Outcome], status: int) -> None:
    assert exit_status(_report([result(f"t{i}", o) for i, o in enumerate(outcomes)])) == status


def test_summary_names_profiles_and_failing_pods() -> None:
    report = _report([result("ok", Outcome.PASSED), result("bad", Outcome.FAILED, differingPods=["ns/a"])])
    text = render_summary(report)
    assert "smg 1.13.0" in text
    assert "core" in text and "FAILURE" in text
    assert "Failed          bad: why [pods: ns/a]" in text
    assert text.splitlines()[-1] == "Result: FAILED"
    assert len(text.splitlines()) <= 8


def test_summary_names_at_most_eight_pods_per_test() -> None:
    pods = [f"ns/w-{i}" for i in range(300)]  # a scale test can differ in hundreds
    text = render_summary(_report([result("scale", Outcome.FAILED, differingPods=pods)]))
    line = next(ln for ln in text.splitlines() if "scale:" in ln)
    assert line.endswith(
        "[pods: ns/w-0, ns/w-1, ns/w-2, ns/w-3, ns/w-4, ns/w-5, ns/w-6, ns/w-7, ... (292 more in the report)]"
    )


def test_matrix_has_tests_as_rows_and_gateways_as_columns() -> None:
    a = _report([result("one", Outcome.PASSED), result("two", Outcome.PASSED)])
    b = _report([result("one", Outcome.FAILED), result("two", Outcome.NOT_EXPRESSIBLE)])
    table = render_matrix([a, b], labels=["reference", "smg"])
    lines = table.splitlines()
    assert lines[0] == "| test | profile | reference | smg |"
    assert "| one | core | pass | **FAIL** |" in lines
    assert "| two | core | pass | n/e |" in lines
    assert "| *profile core* | core | **success** | **failure** |" in lines


NOT_RUN = [
    ConformanceTest("later", "d", (Feature.REGULAR_DISCOVERY,)),
    ConformanceTest("pd-later", "d", (Feature.PD_CLASSIFICATION,)),
]


def test_interrupted_run_is_incomplete_everywhere(tmp_path: Path) -> None:
    """All that ran passed, but two selected tests never ran: no part of the report may read as a pass."""
    report = _report(
        [result("ok", Outcome.PASSED)], not_run=NOT_RUN, incomplete_reason="interrupted by SIGINT"
    )
    assert report["complete"] is False
    assert report["incompleteReason"] == "interrupted by SIGINT"
    assert report["notRunTests"] == ["later", "pd-later"]
    profiles = {p["name"]: p for p in report["profiles"]}
    assert profiles["core"]["result"] == "incomplete" and profiles["core"]["notRunTests"] == ["later"]
    assert profiles["pd"]["result"] == "incomplete"  # a profile none of whose tests ran is still listed
    assert profiles["core"]["statistics"]["NotRun"] == 1
    assert exit_status(report) == 4
    text = render_summary(report)
    assert "ALL PASSED" not in text
    assert "Not run (2): later, pd-later" in text
    assert (
        text.splitlines()[-1] == "Result: INCOMPLETE (interrupted by SIGINT; 1 of 3 selected tests finished)"
    )
    assert exit_status(load_report(write_report(report, tmp_path / "r.yaml"))) == 4


def test_a_failure_stands_in_an_incomplete_run() -> None:
    report = _report([result("bad", Outcome.FAILED)], not_run=NOT_RUN[:1], incomplete_reason="x")
    assert report["profiles"][0]["result"] == "failure"
    assert report["profiles"][0]["notRunTests"] == ["later"]
    assert exit_status(report) == 4  # the run still did not finish: CI must see that first


def test_matrix_marks_tests_an_interrupted_run_never_reached() -> None:
    done = _report([result("ok", Outcome.PASSED), result("later", Outcome.PASSED)])
    cut = _report(
        [result("ok", Outcome.PASSED)], not_run=NOT_RUN[:1], incomplete_reason="interrupted by SIGTERM"
    )
    lines = render_matrix([done, cut], labels=["reference", "smg"]).splitlines()
    assert "| later | core | pass | *not run* |" in lines
    assert "| *profile core* | core | **success** | **incomplete** |" in lines
    assert any(ln.startswith("| *result* |") and "INCOMPLETE (interrupted by SIGTERM" in ln for ln in lines)


def test_report_is_replaced_whole_and_a_failed_write_keeps_the_old_one(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "r.yaml"
    target.write_text("an earlier report\n")
    target.chmod(0o640)
    report = _report([result("ok", Outcome.PASSED)])

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt("SIGINT")  # a signal between writing the temporary file and the rename

    monkeypatch.setattr("conformance.atomic.os.replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report(report, target)
    assert target.read_text() == "an earlier report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]  # no temporary file left
    monkeypatch.undo()
    write_report(report, target)
    assert load_report(target)["complete"] is True
    assert target.stat().st_mode & 0o777 == 0o640  # the file keeps its mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]
