"""A fuzz run says what it finds while it runs, through the real entry point (issue 11).

- A run against a bug variant with a short --duration prints the difference and writes its scenario
  file long before the run ends; the file replays; the whole run, shrinking included, ends near its
  --duration (a run that finds nothing too).
- A run interrupted (SIGINT) while shrinking writes and prints the best example so far and exits 4.
- A run that finds nothing prints no replay hint.
The output is read line by line while the process runs, with the time each line arrived.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from conformance import exit_status
from conformance.fuzz import replay

REPO = Path(__file__).resolve().parents[2]
FOUND = "=== difference found"
# A lifecycle bug the stateful fuzz finds in its first rounds (seed 0: after ~10 s, 2 pods / 4 steps,
# whose shrinking then takes about as long again). That shrinking stops at the deadline with the best
# case so far is tests/fuzz/test_shrink.py's (no gateway, no timing luck).
BUGGY = "reference:keep-deleted"
RUN = ["--mode", "stateful", "--hypothesis-profile", "ci", "--hypothesis-seed", "0", "--slots", "2"]
RUN += ["--cap", "4", "--settle", "0.4"]


class Run:
    """`python -m conformance.fuzz run ...` in the background; `lines` holds (seconds, line) as they come."""

    def __init__(self, *args: str, out: Path) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "conformance.fuzz", "run", *args, "--out", str(out)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic() - self.started, line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float) -> float:
        """Seconds after the start when a line containing `text` arrived; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if text in line:
                    return at
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never printed:\n{self.text()}")

    def finish(self, timeout: float = 60) -> tuple[int, float]:
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        return code, time.monotonic() - self.started

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)


@pytest.mark.long  # ~35 s: tox -e proofs (the interrupted run below also proves the file written as found)
def test_a_difference_is_printed_and_written_at_once_and_the_run_ends_by_its_duration(tmp_path: Path) -> None:
    duration = 30.0
    run = Run("--gateway", BUGGY, *RUN, "--duration", str(duration), out=tmp_path)
    seen = run.wait_for(FOUND, timeout=60)
    written = list(tmp_path.glob("*.yaml"))
    assert len(written) == 1, run.text()  # the file exists as soon as the difference is printed
    code, took = run.finish()
    out = run.text()
    assert code == exit_status.FAILED, out
    assert seen < next(at for at, line in run.lines if "shrunk to" in line), out  # before shrinking
    # --duration bounds the whole run, shrinking included (start-up and the stop are extra)
    assert took < duration + 20, out
    assert "stopped shrinking at the --duration deadline" in out or "found a difference (shrunk" in out, out
    assert f"replay: python -m conformance replay {written[0]}" in out
    case = yaml.safe_load(written[0].read_text())
    assert case["differences"] and case["differences"][0].startswith("unexpected "), case  # a worker kept
    assert replay.main([str(written[0]), "--cap", "4", "--settle", "0.4"]) == exit_status.FAILED


def test_an_interrupted_run_writes_the_best_example_and_exits_4(tmp_path: Path) -> None:
    run = Run("--gateway", BUGGY, *RUN, "--duration", "120", out=tmp_path)
    run.wait_for(FOUND, timeout=60)
    run.proc.send_signal(signal.SIGINT)
    code, _ = run.finish()
    out = run.text()
    assert code == exit_status.INCOMPLETE, out
    assert "interrupted by SIGINT" in out and "best example so far" in out, out
    written = list(tmp_path.glob("*.yaml"))
    assert len(written) == 1 and yaml.safe_load(written[0].read_text())["differences"], out
    assert "Traceback" not in out, out


def test_a_run_that_finds_nothing_ends_at_its_duration_without_a_replay_hint(tmp_path: Path) -> None:
    duration = 3.0
    args = ["--gateway", "reference", "--mode", "differential", "--hypothesis-profile", "ci"]
    run = Run(*args, "--slots", "1", "--max-pods", "2", "--duration", str(duration), out=tmp_path)
    code, took = run.finish()
    out = run.text()
    assert code == exit_status.PASSED and "no difference found against reference" in out, out
    assert took < duration + 20, out
    assert "replay" not in out and not list(tmp_path.iterdir()), out
