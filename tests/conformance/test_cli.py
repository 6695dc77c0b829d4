"""The command line: bad arguments get one line and exit 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gateway", "no-such-gateway"], "unknown gateway 'no-such-gateway'"),
        (["--gateway", "missing/gw.yaml"], "gateway file missing/gw.yaml does not exist"),
        (["--profile", "nope"], "unknown profile 'nope' (known: core, pd, igw-mixed"),
        (["--timeout-config", "/no/such/file.yaml"], "cannot read timeout config /no/such/file.yaml"),
        (["--timeout-override", "settle"], "timeout override 'settle' must look like NAME=SECONDS"),
        (["matrix", "--gateway", "reference", "--gateway", "bogus"], "unknown gateway 'bogus'"),
    ],
)
def test_bad_arguments_get_one_line(args: list[str], message: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]
    assert lines[0].startswith("python -m conformance")


def test_unreadable_timeout_file(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("settle: [1\n")
    proc = run_cli("--timeout-config", str(bad))
    assert proc.returncode == 2
    assert "is not valid YAML" in proc.stderr and "Traceback" not in proc.stderr


def test_matrix_requires_a_gateway() -> None:
    proc = run_cli("matrix")
    assert proc.returncode == 2
    assert "--gateway" in proc.stderr and "Traceback" not in proc.stderr


def test_unusable_gateway_file_is_refused_before_any_test(tmp_path: Path) -> None:
    bad = tmp_path / "gw.yaml"
    bad.write_text("command: [\n")
    proc = run_cli("--gateway", str(bad))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{bad}: not valid YAML" in lines[0]
