"""tests/lint_beside.py: the lint runs beside the test command; both verdicts reach the exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.lint_beside import lint_commands

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def _tox_ini(tmp_path: Path, *commands: str) -> Path:
    path = tmp_path / "tox.ini"
    path.write_text("[testenv:lint]\ncommands =\n" + "".join(f"    {c}\n" for c in commands))
    return path


def _run(tox_ini: Path, *command: str) -> subprocess.CompletedProcess[str]:
    argv = [PY, "-m", "tests.lint_beside", "--tox-ini", str(tox_ini), "--", *command]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


def test_the_lint_is_tox_lint_envs_commands() -> None:
    commands = lint_commands()
    assert ["ruff", "check", "."] in commands and ["mypy"] in commands


def test_a_failing_lint_fails_a_passing_run_and_shows_its_output(tmp_path: Path) -> None:
    ini = _tox_ini(tmp_path, f"{PY} -c \"print('lint says no'); raise SystemExit(3)\"", f"{PY} -c pass")
    proc = _run(ini, PY, "-c", "print('tests ran')")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "tests ran" in proc.stdout and "lint says no" in proc.stdout
    assert "lint failed:" in proc.stdout and proc.stdout.count("lint> ") == 2  # every command ran


def test_a_failing_command_keeps_its_status_whatever_the_lint_says(tmp_path: Path) -> None:
    proc = _run(_tox_ini(tmp_path, f"{PY} -c pass"), PY, "-c", "raise SystemExit(5)")
    assert proc.returncode == 5


def test_both_passing_is_zero(tmp_path: Path) -> None:
    assert _run(_tox_ini(tmp_path, f"{PY} -c pass"), PY, "-c", "pass").returncode == 0


def test_a_lint_command_that_cannot_start_is_a_failed_lint_not_a_traceback(tmp_path: Path) -> None:
    proc = _run(_tox_ini(tmp_path, "no-such-linter --check ."), PY, "-c", "pass")
    assert proc.returncode == 1
    assert "cannot run no-such-linter: No such file or directory" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
