"""`--semantics`: the suite measures a gateway against a named version of the discovery rules.

smg 1.13.0 predates upstream PR #25294 (docs/gateways.md "Versions and the PR"): in PD + IGW mode it
does not discover `--selector` pods. Under the default `pr-25294` semantics that fails
igw-mixed-regular-beside-pd (tests/conformance/test_proof.py); under `pre-25294` -- what smg
implements -- the same test must pass, and the report must say which semantics it was judged by.
These outcomes are facts about smg 1.13.0, stated by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import build_parser, pytest_args
from conformance.report import load_report

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_unknown_semantics_is_one_line_and_exit_2() -> None:
    proc = run_cli("--semantics", "v2")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        "python -m conformance: error: unknown semantics 'v2'; choose one of: pr-25294, pre-25294"
    ], proc.stderr


@pytest.mark.parametrize(("given", "passed"), [([], "pr-25294"), (["--semantics", "pre-25294"], "pre-25294")])
def test_semantics_reaches_pytest(given: list[str], passed: str) -> None:
    args = build_parser().parse_args(["--gateway", "reference", *given])
    out = pytest_args(args, "reference", Path("r.yaml"), None)
    assert out[out.index("--semantics") + 1] == passed


@pytest.mark.gateway
@pytest.mark.slow
def test_smg_passes_regular_beside_pd_under_pre_25294(tmp_path: Path) -> None:
    report_path = tmp_path / "smg-pre.yaml"
    proc = run_cli(
        "--gateway",
        "smg",
        "--semantics",
        "pre-25294",
        "-k",
        "regular_beside_pd",
        "--report",
        str(report_path),
        timeout=600,
    )
    output = proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, output
    report = load_report(report_path)
    assert report["semanticsVersion"] == "pre-25294"
    assert [(t["id"], t["outcome"]) for t in report["tests"]] == [("igw-mixed-regular-beside-pd", "Passed")]
    assert "against semantics pre-25294" in proc.stdout
