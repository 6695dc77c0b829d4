"""Bad input, through the real entry points: one line on stderr, exit 2, in seconds, nothing started.

One table covers the CLI (`python -m conformance`, `matrix`, `replay`), option files, gateway YAML and
the fuzz CLI. For each row the run is watched from outside (tests/chaos/procs.py): no child process
and no listening socket may ever appear (so no API server, no gateway, no reaper was started), no
report may be written, and a file the user already had stays as it was. "In seconds" is measured as
the CPU time the run used (under 5 s), which a busy machine does not inflate.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.chaos.procs import COOKIE_VAR, RunWatch

REPO = Path(__file__).resolve().parents[2]
EARLIER = "an earlier report the user keeps\n"
FILES = {
    "timeouts-inf.yaml": "settle: .inf\n",
    "timeouts-nan.yaml": "max_time_to_consistency: .nan\n",
    "timeouts-list.yaml": "- settle\n",
    "gw-broken.yaml": "command: [\n",
    "gw-inf.yaml": "name: x\ncommand: [a]\nreadiness: {timeout_seconds: .inf}\n",
    "gw-grace.yaml": "name: x\ncommand: [a]\nstop_grace_seconds: -1\n",
    "gw-venv.yaml": "name: x\ncommand: ['{venv}/bin/gw']\n",
    "a-file": "not a directory\n",
    "report.yaml": EARLIER,
    "expect-bad.yaml": "expectations: {no-match: Broken}\n",
    "expect-typo.yaml": "expectations: {no-match-x: Failed}\n",
    "scenario.yaml": "kind: sgl-fuzz-scenario\ngateway: reference\nmode: differential\nconfig: {}\n",
}
C, M, F, R = (
    ["conformance"],
    ["conformance", "matrix", "--gateway", "reference"],
    ["conformance.fuzz", "run"],
    [
        "conformance",
        "replay",
    ],
)
REPORT = ["--report", "{tmp}/report.yaml"]  # the user's earlier report: must survive every bad run
CASES = [
    # names
    ([*C, "--gateway", "no-such-gateway", *REPORT], "unknown gateway 'no-such-gateway'"),
    ([*C, "--gateway", "missing/gw.yaml", *REPORT], "gateway file missing/gw.yaml does not exist"),
    ([*C, "--profile", "nope", *REPORT], "unknown profile 'nope' (known: core, pd, igw-mixed"),
    ([*C, "--cluster", "minikube", *REPORT], "unknown cluster 'minikube'; choose one of embedded, kind"),
    ([*C, "--exempt-feature", "Relabelling", *REPORT], "unknown feature 'Relabelling'; choose from"),
    # cluster options (fixtures/clusters/options.py), the same in a run and a matrix
    ([*M, "--cluster", "minikube"], "unknown cluster 'minikube'; choose one of embedded, kind"),
    ([*C, "--gateway-placement", "sideways", *REPORT], "unknown --gateway-placement 'sideways'; choose"),
    (
        [*C, "--kubeconfig", "{tmp}/kc.yaml", *REPORT],
        "--kubeconfig applies to --cluster existing, not embedded",
    ),
    ([*M, "--cluster-name", "x"], "--cluster-name applies to --cluster kind, not embedded"),
    (
        [*C, "--cluster", "existing", "--kubeconfig", "{tmp}/none.yaml", *REPORT],
        "kubeconfig {tmp}/none.yaml does not",
    ),
    (
        [*C, "--gateway-placement", "in-cluster", *REPORT],
        "--gateway-placement in-cluster needs --cluster kind",
    ),
    ([*C, "--gateway-image", "x:1", *REPORT], "--gateway-image needs the gateway in the cluster"),
    (
        [*M, "--gateway", "smg", "--cluster", "kind", "--gateway-image", "x:1"],
        "--gateway-image names one gateway's image; a matrix runs each gateway from its own",
    ),
    (
        [*C, "--cluster", "kind", "--gateway", "sglang-router", *REPORT],
        "sglang-router has no container image of its own: pass --gateway-image",
    ),
    ([*C, "--test", "regular-selector-discovry", *REPORT], "did you mean 'regular-selector-discovery'?"),
    ([*C, "-k", "no_such_test", *REPORT], "-k 'no_such_test' selects no conformance test"),
    ([*C, "--bogus", *REPORT], "unrecognized arguments: --bogus"),
    # numbers
    ([*C, "--timeout-override", "settle=.inf", *REPORT], "timeout settle must be seconds or a duration"),
    ([*C, "--timeout-override", "consecutive=0", *REPORT], "timeout consecutive must be positive, got 0"),
    ([*C, "--timeout-override", "settle", *REPORT], "timeout override 'settle' must look like NAME=SECONDS"),
    ([*C, "--timeout-override", "patience=3", *REPORT], "unknown timeout 'patience'"),
    ([*C, "--timeout-override", "settle=1e999", *REPORT], "timeout settle must be seconds or a duration"),
    # option files
    ([*C, "--timeout-config", "{tmp}/timeouts-inf.yaml", *REPORT], "timeout settle must be a finite number"),
    (
        [*C, "--timeout-config", "{tmp}/timeouts-nan.yaml", *REPORT],
        "max_time_to_consistency must be a finite",
    ),
    ([*C, "--timeout-config", "{tmp}/timeouts-list.yaml", *REPORT], "must be a mapping of name: seconds"),
    ([*C, "--timeout-config", "{tmp}/none.yaml", *REPORT], "cannot read timeout config"),
    # gateway YAML
    ([*C, "--gateway", "{tmp}/gw-broken.yaml", *REPORT], "gw-broken.yaml: not valid YAML"),
    ([*C, "--gateway", "{tmp}/gw-inf.yaml", *REPORT], "readiness.timeout_seconds must be a finite number"),
    ([*C, "--gateway", "{tmp}/gw-grace.yaml", *REPORT], "stop_grace_seconds must be >= 0, got -1"),
    ([*C, "--gateway", "{tmp}/gw-venv.yaml", *REPORT], "{venv} is used but there is no install.pip"),
    # output paths
    ([*C, "--report", "{tmp}"], "--report {tmp} is a directory"),
    ([*C, "--report", "{tmp}/a-file/r.yaml"], "cannot be written: {tmp}/a-file is not a directory"),
    ([*C, "--report", "/dev/null"], "--report /dev/null exists and is not a regular file"),
    ([*C, "--junitxml", "/proc/nope/j.xml", *REPORT], "--junitxml /proc/nope/j.xml cannot be written"),
    # expected outcomes (conformance/baseline.py)
    ([*C, "--baseline", "{tmp}/none.yaml", *REPORT], "--baseline {tmp}/none.yaml: cannot read"),
    ([*C, "--baseline", "{tmp}/scenario.yaml", *REPORT], "scenario.yaml is not a ConformanceReport"),
    ([*C, "--expect", "{tmp}/expect-bad.yaml", *REPORT], "outcome 'Broken' is not one of Passed"),
    ([*C, "--expect", "{tmp}/expect-typo.yaml", *REPORT], "unknown test id 'no-match-x'; did you mean"),
    ([*C, "--strict-baseline", *REPORT], "--strict-baseline needs --baseline or --expect"),
    # history (conformance/history.py)
    (
        ["conformance", "history", "--gateway", "smg", "--versions", "1.8..latest"],
        "'latest' is not a release",
    ),
    # matrix
    ([*M, "--gateway", "bogus"], "unknown gateway 'bogus'"),
    ([*M, "--out-dir", "{tmp}/a-file"], "--out-dir {tmp}/a-file is not a directory"),
    ([*M, "-k", "no_such_test", "--out-dir", "{tmp}/m"], "selects no conformance test"),
    # replay
    ([*R, "{tmp}/none.yaml"], "cannot read scenario"),
    ([*R, "{tmp}/scenario.yaml", "--cap", "0"], "argument --cap: must be a finite number of seconds > 0"),
    # fuzz
    ([*F, "--examples", "-5"], "argument --examples: must be at least 1, got -5"),
    ([*F, "--cap", "-1"], "argument --cap: must be a finite number of seconds > 0"),
    ([*F, "--cap", "nan"], "argument --cap: must be a finite number of seconds > 0"),
    ([*F, "--settle", "inf"], "argument --settle: must be a finite number of seconds >= 0"),
    ([*F, "--duration", "-1"], "argument --duration: must be a finite number of seconds >= 0"),
    ([*F, "--steps", "0"], "argument --steps: must be at least 1, got 0"),
    ([*F, "--gateway", "{tmp}/gw-inf.yaml"], "readiness.timeout_seconds must be a finite number"),
    ([*F, "--out", "{tmp}/a-file"], "--out {tmp}/a-file is not a directory"),
    ([*F, "--pd", "maybe"], "argument --pd: must be any, on or off, got 'maybe'"),
    ([*F, "--hypothesis-profile", "zzz"], "unknown Hypothesis profile 'zzz'"),
    (["conformance.fuzz"], "usage: python -m conformance.fuzz {run,replay,coverage}"),
]


def _id(case: tuple[list[str], str]) -> str:
    argv, _ = case
    return " ".join(argv).replace("{tmp}/", "")[:60]


@dataclass
class BadRun:
    """What one bad-input run did, watched from outside."""

    tmp: Path
    code: int
    out: str
    err: str
    cpu: float
    wall: float
    watch: RunWatch
    reports_written: bool


def _run_bad(argv: list[str], tmp: Path) -> BadRun:
    for name, text in FILES.items():
        (tmp / name).write_text(text)
    args = [a.replace("{tmp}", str(tmp)) for a in argv]
    cookie = uuid.uuid4().hex
    reports_before = set(REPO.glob("reports/**/*"))
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=REPO,
        env={**_env(), COOKIE_VAR: cookie},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watch = RunWatch(proc.pid, cookie)
    while True:  # wait4, not poll: the child's own CPU time is the measure, not this machine's load
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        watch.sample(cookie=False)  # the tree is enough while it runs; leftovers() scans the cookie too
        if time.monotonic() - started > 60:
            proc.kill()
        # Each look reads /proc (the tree, the listening sockets): not too often, or the watching costs
        # more CPU than the runs. What a run starts (a reaper, a server) lives until it ends.
        time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return BadRun(
        tmp,
        proc.returncode,
        out,
        err,
        usage.ru_utime + usage.ru_stime,
        time.monotonic() - started,
        watch,
        set(REPO.glob("reports/**/*")) != reports_before,
    )


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, BadRun]:
    """Every row of CASES, six at a time (each run's CPU time is its own, whatever runs beside it)."""
    tmps = [tmp_path_factory.mktemp("bad") for _ in CASES]
    with ThreadPoolExecutor(max_workers=6) as pool:  # each mostly waits (a fresh interpreter, the watch)
        futures = {i: pool.submit(_run_bad, argv, tmps[i]) for i, (argv, _) in enumerate(CASES)}
        return {i: future.result() for i, future in futures.items()}


@pytest.mark.xdist_group("bad-input")  # one worker makes the module's runs once (the bad_runs fixture)
@pytest.mark.parametrize("index", range(len(CASES)), ids=[_id(c) for c in CASES])
def test_bad_input_is_one_line_exit_2_and_starts_nothing(index: int, bad_runs: dict[int, BadRun]) -> None:
    run, message = bad_runs[index], CASES[index][1]
    print(f"{run.cpu:.2f} s CPU, {run.wall:.2f} s wall")
    lines = [ln for ln in run.err.splitlines() if ln.strip()]
    assert run.code == 2, (run.out, run.err)
    assert len(lines) == 1 and "Traceback" not in run.err, run.err
    assert message.replace("{tmp}", str(run.tmp)) in lines[0]
    assert run.cpu < 5, f"{run.cpu:.1f} s of CPU"
    assert not run.watch.started_anything(), (run.watch.processes, run.watch.sockets)
    assert not run.watch.leftovers()
    assert (run.tmp / "report.yaml").read_text() == EARLIER  # never deleted, never truncated
    assert not run.reports_written  # no default report, no matrix directory


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "SGL_CONFORMANCE_CLUSTER"}


def test_help_shows_the_exit_status_table() -> None:
    from conformance.exit_status import TABLE

    for argv in (
        ["conformance"],
        ["conformance", "matrix"],
        ["conformance", "replay"],
        ["conformance.fuzz", "run"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", *argv, "--help"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,  # a safety net only: on a busy machine --help can take seconds
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert " ".join(TABLE.split()) in " ".join(proc.stdout.split()), argv


def test_readme_has_the_same_exit_status_table() -> None:
    from conformance.exit_status import TABLE

    readme = (REPO / "README.md").read_text()
    assert TABLE in readme


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


ONE_TEST = ["--profile", "core", "-k", "regular_selector or no_match"]


def test_a_gateway_that_cannot_be_prepared_makes_the_run_incomplete(tmp_path: Path) -> None:
    """Not a gateway failure, not a pass: the run stops at the first test and says why (exit 4)."""
    gw = tmp_path / "gw.yaml"
    gw.write_text(
        "name: unprepared\ncommand: ['{env:SGL_CONFORMANCE_NO_SUCH_VARIABLE}', '--port', '{port}']\n"
    )
    report = tmp_path / "r.yaml"
    proc = run_cli("--gateway", str(gw), *ONE_TEST, "--report", str(report))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    data = yaml.safe_load(report.read_text())
    assert data["complete"] is False and data["tests"] == []
    assert data["notRunTests"] == ["regular-selector-discovery", "no-match"]  # the second never started
    assert "the gateway could not be prepared" in data["incompleteReason"]
    assert "SGL_CONFORMANCE_NO_SUCH_VARIABLE is not set" in data["incompleteReason"]
    assert "Result: INCOMPLETE (regular-selector-discovery: the gateway could not be prepared" in proc.stdout
    assert "ALL PASSED" not in proc.stdout and "Traceback" not in proc.stdout + proc.stderr


def test_a_gateway_that_crashes_at_startup_fails_as_a_crash(tmp_path: Path) -> None:
    gw = tmp_path / "gw.yaml"
    crash = "import os, signal; print('loading model list', flush=True); os.kill(os.getpid(), signal.SIGSEGV)"
    gw.write_text(yaml.safe_dump({"name": "crashy", "command": ["{python}", "-c", crash]}))
    report = tmp_path / "r.yaml"
    proc = run_cli(
        "--gateway", str(gw), "--profile", "core", "-k", "regular_selector", "--report", str(report)
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (test,) = yaml.safe_load(report.read_text())["tests"]
    assert test["outcome"] == "Failed"  # never RejectedConfig: it refused nothing
    assert test["message"].startswith("GatewayCrashed: crashy crashed during start-up: killed by SIGSEGV")
    assert "last log lines: loading model list" in test["message"]


def test_pytest_users_get_the_same_checks(tmp_path: Path) -> None:
    base = [
        sys.executable,
        "-m",
        "pytest",
        "conformance/suite",
        "-p",
        "conformance.plugin",
        "-p",
        "no:cacheprovider",
    ]
    for extra, message in (
        (["--profile", "nope"], "unknown profile 'nope'"),
        (["--report", str(tmp_path)], f"--report {tmp_path} is a directory"),
        (["-k", "no_such_test"], "selects no conformance test"),
    ):
        proc = subprocess.run(
            [*base, *extra], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
        )
        assert proc.returncode == 4, proc.stdout + proc.stderr  # pytest's usage-error status
        assert message in proc.stderr, proc.stderr
        assert "passed" not in proc.stdout
