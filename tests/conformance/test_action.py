"""action.yml: every `run:` step executed as GitHub runs it (its env, GITHUB_* files), end to end.

A tiny runner reads action.yml, substitutes the only expressions the steps may use (`inputs.*`,
`steps.<id>.outputs.*`) and runs each `run:` step with bash in order, with GitHub's variables set
(GITHUB_ACTION_PATH, GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV).
Left out: the `uses:` steps (setup-python, upload-artifact: GitHub's own) and the install step (pip
into a fresh venv; the test's interpreter already has the pinned requirements). The caller's
checkout is a temporary directory holding an expectations file, given by a relative path.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
EXPRESSION = re.compile(r"\$\{\{\s*(inputs|steps)\.([\w-]+)(?:\.outputs\.([\w-]+))?\s*\}\}")


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text())
    return data


def outputs_of(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def run_steps(
    inputs: dict[str, str], tmp: Path, skip: set[str]
) -> tuple[list[tuple[str, int]], dict[str, str]]:
    """Every run step not in `skip`, in order; (name, exit status) per step and the run step's outputs."""
    spec = action()
    values = {name: str(i.get("default", "")) for name, i in spec["inputs"].items()} | inputs
    files = {k: tmp / f"{k.lower()}.txt" for k in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV")}
    for path in files.values():
        path.touch()
    outputs: dict[str, str] = {}

    def expand(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            kind, name, output = match.groups()
            return values[name] if kind == "inputs" else outputs.get(output or "", "")

        out = EXPRESSION.sub(one, text)
        assert "${{" not in out, f"an expression the test runner does not know: {text}"
        return out

    setup_python = tmp / "setup-python"  # what actions/setup-python leaves: `python` first on PATH
    setup_python.mkdir()
    (setup_python / "python").symlink_to(sys.executable)
    exported = {} if "install" not in skip else {"SGL_CONFORMANCE_PYTHON": sys.executable}
    results = []
    for step in spec["runs"]["steps"]:
        if "run" not in step or step.get("id") in skip:
            continue
        assert "${{" not in step["run"], "inputs reach scripts through env, never pasted into the shell"
        env = {
            "PATH": f"{setup_python}:/usr/bin:/bin",
            "HOME": str(tmp),
            "GITHUB_ACTION_PATH": str(REPO),
            "GITHUB_WORKSPACE": str(tmp / "caller"),
            "RUNNER_TEMP": str(tmp / "runner"),
            **exported,
            **{k: str(v) for k, v in files.items()},
            **{k: expand(str(v)) for k, v in (step.get("env") or {}).items()},
        }
        proc = subprocess.run(
            ["bash", "-ec", step["run"]], cwd=tmp / "caller", env=env, timeout=600, check=False
        )
        results.append((step.get("id") or step["name"], proc.returncode))
        exported |= outputs_of(files["GITHUB_ENV"])  # GitHub exports these to the steps after
        if step.get("id") == "run":
            outputs = outputs_of(files["GITHUB_OUTPUT"])
        if proc.returncode != 0:
            break  # GitHub stops at a failed step (the upload step's always() is GitHub's own)
    return results, outputs


def test_the_action_runs_end_to_end_against_the_reference_gateway(tmp_path: Path) -> None:
    caller = tmp_path / "caller"
    (caller / "ci").mkdir(parents=True)
    (caller / "ci" / "expect.yaml").write_text("expectations:\n  regular-selector-discovery: Passed\n")
    inputs = {
        "gateway": "reference",
        "profiles": "core",
        "expect": "ci/expect.yaml",
        "args": "--test regular-selector-discovery",
    }
    results, outputs = run_steps(inputs, tmp_path, skip={"install"})
    assert results == [("run", 0), ("Verdict", 0)]
    assert outputs["exit-status"] == "0"
    out_dir = Path(outputs["out-dir"])
    assert out_dir == tmp_path / "runner" / "sgl-conformance-report"
    assert {p.name for p in out_dir.iterdir()} >= {"report.yaml", "junit.xml", "report.html"}
    report = yaml.safe_load((out_dir / "report.yaml").read_text())
    assert [t["id"] for t in report["tests"]] == ["regular-selector-discovery"]
    assert report["expectations"]["matched"] == 1
    summary = (tmp_path / "github_step_summary.txt").read_text()
    assert summary.startswith("## Discovery conformance of reference (reference ")
    assert "Result: PASSED: no regression (1 as expected" in summary
    assert "| regular-selector-discovery | core | pass |" in summary


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
