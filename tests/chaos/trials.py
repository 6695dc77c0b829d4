"""One chaos trial: start a real run, kill it at a chosen moment, judge what it said and what it left.

A trial runs a real entry point (`python -m conformance`, `matrix`, the fuzz) against a real gateway
(the reference gateway, smg 1.13.0 -- optionally from an empty gateways directory, so the kill can
land in pip), sends SIGINT (to the run's process group, as a terminal's Ctrl-C does), SIGTERM or
SIGKILL (to the run's PID only, as a CI runner does), or SIGINT twice, at a seeded random moment,
and then checks the issue's three promises:

- the exit status is never 0 unless the run completed (and then its report says so), and a run
  stopped by SIGINT/SIGTERM exits 4 -- 0 only if it had already finished every test;
- nothing of the run is left: no process (by tree and by the trial's own environment cookie) and no
  listening socket (tests/chaos/procs.py), after a short grace for the run's reaper;
- no report claims completeness it does not have: a report saying `complete: true` lists exactly the
  selected test, passed; the output has no traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.chaos.procs import COOKIE_VAR, RunWatch

REPO = Path(__file__).resolve().parents[2]
SELECTION = ["--profile", "core", "-k", "regular_selector"]  # one quick test: regular-selector-discovery
SELECTED_ID = "regular-selector-discovery"
# Three tests side by side (three xdist workers, each with its own cluster): interrupts reach a controller.
PARALLEL = ["--profile", "core", "-k", "regular_selector or multi_label or no_match", "--jobs", "3"]
PARALLEL_IDS = ["regular-selector-discovery", "multi-label-and", "no-match"]
SIGNALS = ("SIGINT", "SIGTERM", "SIGKILL", "SIGINT*2")
# Upper end of the random kill moment per kind: about the length of an undisturbed run.
KIND_SECONDS = {
    "reference": 7.0,
    "smg": 9.0,
    "smg-install": 35.0,
    "matrix": 18.0,
    "fuzz": 12.0,
    "parallel": 14.0,
}
STOP_BOUND = {"SIGINT": 30.0, "SIGTERM": 30.0, "SIGINT*2": 5.0, "SIGKILL": 5.0}
LEFTOVER_GRACE = 10.0  # the reaper sweeps within milliseconds; this is for a loaded machine
SAMPLE_EVERY = 0.05


@dataclass(frozen=True)
class Trial:
    kind: str  # a key of KIND_SECONDS
    signal: str  # one of SIGNALS
    delay: float  # seconds after the anchor
    anchor: str = "start"  # "start" of the run, or "child": the first process it starts besides its reaper


@dataclass
class Result:
    trial: Trial
    status: int | None = None
    signalled: bool = False  # False: the run had ended before the signal was due
    stop_seconds: float | None = None  # from the (first) signal to the exit
    reports: dict[str, str] = field(default_factory=dict)  # path name -> none/complete/incomplete
    leaks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    started_processes: int = 0
    sockets: int = 0

    def line(self) -> str:
        t = self.trial
        at = f"{t.delay:.2f} s" + (" after its first child" if t.anchor == "child" else "")
        when = f"at {at}" if self.signalled else f"due at {at}, run had ended"
        stop = f" after {self.stop_seconds:.1f} s" if self.stop_seconds is not None else ""
        reports = ", ".join(f"{k}: {v}" for k, v in sorted(self.reports.items())) or "no report"
        verdict = "ok" if not self.problems else "PROBLEM: " + "; ".join(self.problems)
        return (
            f"{t.kind:<11} {t.signal:<8} {when}: exit {self.status}{stop}; {reports}; "
            f"{self.started_processes} processes, {self.sockets} listening sockets seen; "
            f"leaks {len(self.leaks)}; {verdict}"
        )


def command(kind: str, workdir: Path) -> tuple[list[str], dict[str, str]]:
    """The argv and extra environment of one run of `kind`, writing into `workdir`."""
    py = [sys.executable, "-m"]
    if kind in ("reference", "smg", "smg-install"):
        gateway = "reference" if kind == "reference" else "smg"
        extra = {"SGL_CONFORMANCE_GATEWAYS_DIR": str(workdir / "gateways")} if kind == "smg-install" else {}
        argv = [*py, "conformance", "--gateway", gateway, *SELECTION, "--report", str(workdir / "run.yaml")]
        return argv, extra
    if kind == "parallel":
        argv = [
            *py,
            "conformance",
            "--gateway",
            "reference",
            *PARALLEL,
            "--report",
            str(workdir / "run.yaml"),
        ]
        return argv, {}
    if kind == "matrix":
        gateways = ["--gateway", "reference", "--gateway", "smg"]
        return [*py, "conformance", "matrix", *gateways, *SELECTION, "--out-dir", str(workdir / "m")], {}
    if kind == "fuzz":
        fuzz = [
            "--mode",
            "differential",
            "--hypothesis-profile",
            "ci",
            "--examples",
            "4",
            "--hypothesis-seed",
            "1",
        ]
        return [
            *py,
            "conformance.fuzz",
            "run",
            "--gateway",
            "reference",
            *fuzz,
            "--out",
            str(workdir / "f"),
        ], {}
    raise ValueError(f"unknown trial kind {kind!r}")


def run_trial(trial: Trial, workdir: Path) -> Result:
    """Run, kill, wait, look for leftovers, judge. Leftovers found are killed (by PID) afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    argv, extra = command(trial.kind, workdir)
    cookie = uuid.uuid4().hex
    env = {**os.environ, **extra, COOKIE_VAR: cookie}
    result = Result(trial)
    with open(workdir / "output.txt", "wb") as out:
        proc = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    watch = RunWatch(proc.pid, cookie)
    anchor = time.monotonic() if trial.anchor == "start" else None
    try:
        while proc.poll() is None and (anchor is None or time.monotonic() - anchor < trial.delay):
            watch.sample()
            if anchor is None and _has_child(watch):
                anchor = time.monotonic()
            time.sleep(SAMPLE_EVERY)
        result.signalled = proc.poll() is None
        signalled_at = time.monotonic()
        if result.signalled:
            _send(proc, trial.signal)
        deadline = signalled_at + (STOP_BOUND[trial.signal] if result.signalled else 600.0)
        while proc.poll() is None and time.monotonic() < deadline:
            watch.sample()
            time.sleep(SAMPLE_EVERY)
        if proc.poll() is None:
            result.problems.append(f"still running {deadline - signalled_at:.0f} s after {trial.signal}")
            proc.kill()
        result.status = proc.wait()
        if result.signalled:
            result.stop_seconds = time.monotonic() - signalled_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    grace = time.monotonic() + LEFTOVER_GRACE
    while watch.leftovers() and time.monotonic() < grace:
        time.sleep(0.1)
    result.leaks = watch.leftovers()
    _clean_up(watch)
    result.started_processes = len(watch.processes) - 1
    result.sockets = len(watch.sockets)
    output = (workdir / "output.txt").read_text(errors="replace")
    _judge(result, workdir, output)
    return result


def _has_child(watch: RunWatch) -> bool:
    """The run has started something besides its reaper (a gateway, pip, a matrix child)."""
    return any(pid != watch.root and "reaper.py" not in cmd for pid, (_, cmd) in watch.processes.items())


def _send(proc: subprocess.Popen[bytes], name: str) -> None:
    if name == "SIGKILL":
        proc.send_signal(signal.SIGKILL)
    elif name == "SIGTERM":
        proc.send_signal(signal.SIGTERM)
    else:  # a terminal's Ctrl-C goes to the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
        if name == "SIGINT*2":
            time.sleep(0.5)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)


def _clean_up(watch: RunWatch) -> None:
    """Kill what the run left (only PIDs it was seen to own), so one leak does not spoil later trials."""
    for pid in watch.alive():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _judge(result: Result, workdir: Path, output: str) -> None:
    trial, status = result.trial, result.status
    reports = _reports(trial.kind, workdir)
    for name, report in reports.items():
        result.reports[name] = (
            "none" if report is None else ("complete" if report.get("complete") else "incomplete")
        )
        if report is not None and report.get("complete") is True:
            tests = report.get("tests") or []
            selected = PARALLEL_IDS if trial.kind == "parallel" else [SELECTED_ID]
            if [(t.get("id"), t.get("outcome")) for t in tests] != [(i, "Passed") for i in selected]:
                result.problems.append(f"{name} claims completeness but holds {[t.get('id') for t in tests]}")
    complete = bool(reports) and all(r is not None and r.get("complete") is True for r in reports.values())
    if trial.kind == "fuzz":
        complete = "no difference found" in output
    if status == 0 and not complete:
        result.problems.append("exit 0 but the run did not complete")
    if not result.signalled and status != 0:
        result.problems.append(f"finished undisturbed with exit {status}")
    if result.signalled:
        expected = {-signal.SIGKILL} if trial.signal == "SIGKILL" else {0, 4}
        if status not in expected:
            result.problems.append(f"exit {status} after {trial.signal} (expected one of {sorted(expected)})")
    if "Traceback" in output:
        result.problems.append("a traceback in the output")
    if result.leaks:
        result.problems.append(f"left behind: {', '.join(result.leaks)}")


def _reports(kind: str, workdir: Path) -> dict[str, dict[str, Any] | None]:
    if kind == "fuzz":
        return {}
    paths = (
        [workdir / "run.yaml"]
        if kind != "matrix"
        else [workdir / "m" / "reference.yaml", workdir / "m" / "smg.yaml"]
    )
    out: dict[str, dict[str, Any] | None] = {}
    for path in paths:
        try:
            out[path.name] = yaml.safe_load(path.read_text())
        except FileNotFoundError:
            out[path.name] = None
    return out
