"""The run step of action.yml: inputs (INPUT_* variables) in; the suite run, the job summary and the
step's outputs out.

Why a script and not inline shell: it is exercised here as it runs on GitHub (tests/conformance/
test_action.py runs every `run:` step of action.yml with GitHub's environment variables set), and it
keeps the quoting of user inputs out of YAML. Paths the caller gives (a gateway YAML, a baseline, an
expectations file) are relative to the caller's checkout ($GITHUB_WORKSPACE); the suite itself runs
from this action's directory. The step always ends 0 once the suite ran, so the reports are uploaded
whatever the verdict; the action's last step fails the job with the harness's exit status
(conformance/exit_status.py): with a baseline, only a regression fails it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ACTION = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ACTION))

from conformance import exit_status  # noqa: E402  (the action's checkout, not an installed package)
from conformance.report import load_report, render_matrix, render_summary  # noqa: E402


def _input(name: str) -> str:
    return os.environ.get(f"INPUT_{name.upper().replace('-', '_')}", "").strip()


def _caller_path(text: str, workspace: Path) -> str:
    """A path the caller gave, made absolute against their checkout (names stay names)."""
    path = Path(text)
    return str(path if path.is_absolute() else workspace / path)


def conformance_argv(workspace: Path, out_dir: Path) -> list[str]:
    """`python -m conformance ...` for the inputs."""
    gateway = _input("gateway") or "smg"
    if gateway.endswith((".yaml", ".yml")) or (workspace / gateway).is_file():
        gateway = _caller_path(gateway, workspace)
    argv = [sys.executable, "-m", "conformance", "--gateway", gateway]
    argv += ["--report", str(out_dir / "report.yaml"), "--junitxml", str(out_dir / "junit.xml")]
    argv += ["--html", str(out_dir / "report.html")]
    for profile in re.split(r"[,\s]+", _input("profiles")):
        if profile:
            argv += ["--profile", profile]
    for option in ("baseline", "expect"):
        if _input(option):
            argv += [f"--{option}", _caller_path(_input(option), workspace)]
    if _input("strict-baseline").lower() == "true":
        argv.append("--strict-baseline")
    if _input("jobs"):
        argv += ["--jobs", _input("jobs")]
    cluster = _input("cluster") or "embedded"
    if cluster != "embedded":
        argv += ["--cluster", cluster]
    return argv + shlex.split(_input("args"))


def job_summary(report_path: Path, status: int) -> str:
    """The Markdown for $GITHUB_STEP_SUMMARY: the terminal summary, then the one-column matrix."""
    if not report_path.is_file():
        return f"## Discovery conformance\n\nNo report was written (exit status {status}); see the log.\n"
    report = load_report(report_path)
    impl = report.get("implementation") or {}
    return (
        f"## Discovery conformance of {impl.get('name', '?')} ({impl.get('version', '?')})\n\n"
        f"Exit status **{status}**.\n\n```\n{render_summary(report)}\n```\n\n{render_matrix([report])}\n"
    )


def _append(variable: str, text: str) -> None:
    target = os.environ.get(variable)
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)


def main() -> int:
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    out_dir = Path(os.environ.get("RUNNER_TEMP") or workspace) / "sgl-conformance-report"
    out_dir.mkdir(parents=True, exist_ok=True)
    argv = conformance_argv(workspace, out_dir)
    print("+ " + shlex.join(argv), flush=True)
    status = subprocess.run(argv, cwd=ACTION, check=False).returncode
    if not 0 <= status <= exit_status.INCOMPLETE:
        status = exit_status.INCOMPLETE  # killed by a signal: never a pass
    _append("GITHUB_STEP_SUMMARY", job_summary(out_dir / "report.yaml", status))
    outputs = {
        "exit-status": str(status),
        "out-dir": str(out_dir),
        "report": str(out_dir / "report.yaml"),
        "html": str(out_dir / "report.html"),
    }
    _append("GITHUB_OUTPUT", "".join(f"{key}={value}\n" for key, value in outputs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
