"""action.yml: its run steps executed as GitHub runs them, end to end; the verdict step; the README.

The run itself is the shared gate run (tests/conformance/conftest.py: the action's steps through
tests/conformance/action_runner.py, the install step left out -- the test's interpreter already has the
pinned requirements; `tox -e lint` checks action.yml against GitHub's schema).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.conformance.action_runner import REPO, action
from tests.conformance.conftest import GATE_GROUP, GateRun


@GATE_GROUP
def test_the_action_fails_the_job_on_a_regression_and_leaves_its_reports(gate_run: GateRun) -> None:
    run = gate_run.action
    assert run.results == [("run", 0), ("Verdict", 1)], run.stdout  # the job fails as the expectations say
    assert run.outputs["exit-status"] == "1"
    out_dir = Path(run.outputs["out-dir"])
    assert out_dir == gate_run.runner_temp / "sgl-conformance-report"  # what the upload step uploads
    assert {p.name for p in out_dir.iterdir()} >= {"report.yaml", "junit.xml", "report.html"}
    report = yaml.safe_load((out_dir / "report.yaml").read_text())
    assert sorted(t["id"] for t in report["tests"]) == [
        "igw-mixed-regular-beside-pd",
        "regular-selector-discovery",
    ]
    assert run.summary.startswith("## Discovery conformance of reference:ignore-igw (reference:ignore-igw ")
    assert "Exit status **1**." in run.summary
    assert (
        "  Regressions (1):\n    igw-mixed-regular-beside-pd: expected Passed (PR 25294 is in)" in run.summary
    )
    assert "| igw-mixed-regular-beside-pd | igw-mixed | **FAIL** |" in run.summary
    assert "::error title=conformance::exit status 1" in run.stdout


def test_the_verdict_step_fails_the_job_with_the_exit_status(tmp_path: Path) -> None:
    verdict = next(s for s in action()["runs"]["steps"] if s.get("name") == "Verdict")
    for status, code in (("0", 0), ("1", 1), ("4", 4), ("", 4)):  # no status: the run step never finished
        proc = subprocess.run(
            ["bash", "-ec", verdict["run"]],
            env={"PATH": "/usr/bin:/bin", "STATUS": status},
            capture_output=True,
        )
        assert proc.returncode == code, proc.stdout


def test_the_readme_shows_the_example_workflow() -> None:
    example = (REPO / "docs" / "examples" / "gateway-conformance.yml").read_text()
    jobs = example[example.index("jobs:") :]
    assert jobs in (REPO / "README.md").read_text()
