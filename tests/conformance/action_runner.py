"""A tiny runner of action.yml's `run:` steps, as GitHub runs them (tests/conformance/test_action.py).

It reads action.yml, substitutes the only expressions the steps may use (`inputs.*`,
`steps.<id>.outputs.*`) and runs each `run:` step with bash in order, with GitHub's variables and files
(GITHUB_ACTION_PATH, GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV,
exported to the steps after), `python` first on PATH as actions/setup-python leaves it, and stops at a
failed step. The `uses:` steps (setup-python, upload-artifact) are GitHub's own and left out.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ActionRun:
    results: list[tuple[str, int]]
    """(step id or name, exit status) per step run, in order."""
    outputs: dict[str, str]
    """The run step's outputs (GITHUB_OUTPUT)."""
    stdout: str
    """What the steps printed, in order."""
    summary: str
    """The job summary (GITHUB_STEP_SUMMARY)."""


def run_steps(
    inputs: dict[str, str], tmp: Path, skip: set[str], env: dict[str, str] | None = None
) -> ActionRun:
    """Every run step not in `skip`, in order (`env`: more variables, as a workflow's `env:` gives)."""
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
    printed = []
    for step in spec["runs"]["steps"]:
        if "run" not in step or step.get("id") in skip:
            continue
        assert "${{" not in step["run"], "inputs reach scripts through env, never pasted into the shell"
        step_env = {
            **(env or {}),
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
            ["bash", "-ec", step["run"]],
            cwd=tmp / "caller",
            env=step_env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        printed.append(proc.stdout + proc.stderr)
        results.append((step.get("id") or step["name"], proc.returncode))
        exported |= outputs_of(files["GITHUB_ENV"])  # GitHub exports these to the steps after
        if step.get("id") == "run":
            outputs = outputs_of(files["GITHUB_OUTPUT"])
        if proc.returncode != 0:
            break  # GitHub stops at a failed step (the upload step's always() is GitHub's own)
    return ActionRun(results, outputs, "".join(printed), files["GITHUB_STEP_SUMMARY"].read_text())
