"""`python -m conformance history --gateway smg --versions 1.8.0..1.13.0`: conformance across releases.

Why: "compare implementations" used to stop at the two built-in releases, though PyPI holds every smg
release and every sglang-router one. When did each behaviour appear, or regress? This runs the chosen
profiles against each release (`smg@1.9.0`: its own venv under .gateways/, installed on first use,
fixtures/gateways/registry.py), a few releases at a time, and prints and writes one matrix: test x
release, each outcome that changed from the release before marked, plus a column of those changes.

A release the driver cannot run is a column saying why, not a crash: each release first runs one
probe test (regular-selector-discovery); if the gateway could not be installed, crashed or refused
the plain configuration at start-up, or never answered on its pools URL (a missing flag or endpoint),
the column reads "cannot run: <why>" and its suite is not run. Otherwise the suite runs in its own
`python -m conformance` child, its report and log kept in the output directory.

Exit status: 0 when every release has a column (whatever its outcomes: this is a survey, not a gate),
2 for a usage error, 4 when interrupted or a release's run did not finish.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from packaging.version import InvalidVersion, Version

from conformance import exit_status
from conformance.atomic import write_atomic
from conformance.history_matrix import Column, History, render, to_data
from conformance.report import load_report
from conformance.validate import OneLineParser, UsageError

PYPI_GATEWAYS = {"smg": "smg", "sglang-router": "sglang-router"}
PROBE_TEST = "regular-selector-discovery"
HEARTBEAT_SECONDS = 60.0
START_FAILURE = re.compile(r"crashed during start-up|never answered|did not answer|rejected config")


# -- releases ------------------------------------------------------------------------------------------


def parse_versions(spec: str, available: Callable[[], Sequence[str]]) -> list[str]:
    """ "1.8.0..1.13.0" (every final release in between, both ends included, from `available()`),
    "1.8.0,1.10.1" (exactly these) or one release. UsageError for an empty or malformed range."""
    if ".." not in spec:
        versions = [v.strip() for v in spec.split(",") if v.strip()]
        for v in versions:
            _version(v)
        if not versions:
            raise UsageError("--versions names no release")
        return versions
    low_text, _, high_text = spec.partition("..")
    low, high = _version(low_text.strip()), _version(high_text.strip())
    chosen = sorted((v for v in available() if _is_release(v) and low <= Version(v) <= high), key=Version)
    if not chosen:
        raise UsageError(f"--versions {spec}: no release in that range")
    return chosen


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise UsageError(f"--versions: {text!r} is not a release number (e.g. 1.8.0..1.13.0)") from None


def _is_release(text: str) -> bool:
    try:
        return not Version(text).is_prerelease
    except InvalidVersion:
        return False


def pypi_versions(dist: str) -> list[str]:
    """The releases PyPI lists for `dist`, through pip (the ordinary client, its index settings)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", dist, "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    match = re.search(r"Available versions:\s*(.+)", proc.stdout)
    if proc.returncode != 0 or match is None:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        raise UsageError(f"cannot list the releases of {dist}: {lines[-1] if lines else 'no answer'}")
    return [v.strip() for v in match.group(1).split(",") if v.strip()]


# -- running -------------------------------------------------------------------------------------------


class Children:
    """The child runs alive now, so an interruption reaches each of them exactly once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen[bytes]] = set()
        self.stopping = False

    def run(self, argv: list[str], log: Path, cwd: Path) -> int:
        from fixtures.lifetime import die_with_parent

        with self.lock:
            if self.stopping:
                return exit_status.INCOMPLETE
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    process_group=0,
                    preexec_fn=die_with_parent(),
                )
            self.procs.add(proc)
        try:
            return proc.wait()
        finally:
            with self.lock:
                self.procs.discard(proc)

    def stop(self, sig: int = signal.SIGINT) -> None:
        with self.lock:
            self.stopping = True
            for proc in self.procs:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(sig)


def release_column(
    gateway: str,
    version: str,
    base_argv: list[str],
    out_dir: Path,
    children: Children,
    say: Callable[[str], None],
) -> Column:
    """Probe one release, then run its suite; a column either way."""
    from conformance.cli import REPO

    log = out_dir / f"{version}.log"
    column = Column(version, log=log)
    started = time.monotonic()
    target = f"{gateway}@{version}"
    probe = out_dir / f"{version}-probe.yaml"
    say(f"{target}: installing on first use and probing ({PROBE_TEST})")
    argv = [
        sys.executable,
        "-m",
        "conformance",
        "--gateway",
        target,
        "--test",
        PROBE_TEST,
        "--report",
        str(probe),
    ]
    status = children.run(argv, log, REPO)
    why = _cannot_run(probe, status)
    if why:
        column.cannot_run, column.exit_status = why, status
        column.seconds = time.monotonic() - started
        column.summary = f"cannot run: {why}"
        return column
    report = out_dir / f"{version}.yaml"
    say(f"{target}: probe ran; running the suite")
    argv = [sys.executable, "-m", "conformance", "--gateway", target, "--report", str(report), *base_argv]
    column.exit_status = children.run(argv, log, REPO)
    column.seconds = time.monotonic() - started
    if report.is_file():
        column.report = load_report(report)
        tests = column.report.get("tests") or []
        passed = sum(1 for t in tests if t["outcome"] == "Passed")
        column.summary = (
            f"done in {column.seconds:.0f} s: {len(tests)} tests, {passed} passed, "
            f"{len(tests) - passed} not (exit {column.exit_status})"
        )
    else:
        column.cannot_run = f"no report (exit {column.exit_status}; see {log.name})"
        column.summary = column.cannot_run
    return column


def _cannot_run(probe: Path, status: int) -> str:
    """Why the probe says the release cannot run, or "" when it ran (passing or not)."""
    if not probe.is_file():
        return f"the probe wrote no report (exit {status})"
    report = load_report(probe)
    if report.get("complete") is False:
        return str(report.get("incompleteReason") or "the probe did not finish")
    tests = report.get("tests") or []
    message = str(tests[0].get("message") or "") if tests else ""
    if tests and tests[0].get("outcome") != "Passed" and START_FAILURE.search(message):
        return _flags_only(message.splitlines()[0])[:300]
    return ""


def _flags_only(line: str) -> str:
    """ "unrecognized arguments: --port 8 --selector a=b" -> "... --port --selector": the flags a release
    lacks, without this run's ports and namespace (so two surveys read the same)."""
    head, sep, rest = line.partition("unrecognized arguments:")
    if not sep:
        return line
    return f"{head}{sep} " + " ".join(word for word in rest.split() if word.startswith("--"))


def run_history(
    gateway: str,
    versions: Sequence[str],
    base_argv: list[str],
    out_dir: Path,
    parallel: int,
    say: Callable[[str], None] = print,
) -> History:
    """Every release's column (in `versions` order), `parallel` releases at a time."""
    history = History(gateway)
    children = Children()
    columns: dict[str, Column] = {}
    started = time.monotonic()
    total = len(versions)

    def progress(text: str) -> None:
        say(f"[{len(columns)}/{total} done, {time.monotonic() - started:.0f} s] {text}")

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures: dict[Future[Column], str] = {
            pool.submit(release_column, gateway, v, base_argv, out_dir, children, progress): v
            for v in versions
        }
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=HEARTBEAT_SECONDS, return_when=FIRST_COMPLETED)
                for future in done:
                    column = columns[futures[future]] = future.result()
                    progress(f"{gateway}@{column.version}: {column.summary}")
                if not done:
                    running = ", ".join(futures[f] for f in pending if f.running())
                    progress(f"still running: {running}")
        except KeyboardInterrupt:
            from conformance import signals

            history.interrupted = f"interrupted by {signals.first_signal() or 'SIGINT'}"
            children.stop()
            for future in pending:
                future.cancel()
            for future in futures:
                with contextlib.suppress(Exception):
                    if not future.cancelled():
                        columns[futures[future]] = future.result()
    history.columns = [columns.get(v) or Column(v, cannot_run="not run (interrupted)") for v in versions]
    return history


# -- command line --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m conformance history",
        description="Run the suite against several releases of a PyPI gateway; one matrix test x release.",
        epilog="exit status: 0 every release has a column (a survey, not a gate); 2 usage; 4 interrupted "
        "or a release's run did not finish",
    )
    parser.add_argument("--gateway", required=True, choices=sorted(PYPI_GATEWAYS))
    parser.add_argument("--versions", required=True, help="A..B (every release in between), or A,B,C")
    parser.add_argument(
        "--profile", action="append", default=[], help="profiles to run (default: all default)"
    )
    parser.add_argument(
        "--test", action="append", default=[], metavar="ID", help="only this test id (repeat)"
    )
    parser.add_argument("-k", dest="keyword", help="only tests matching this -k expression")
    parser.add_argument("--timeout-override", action="append", default=[], metavar="NAME=SECONDS")
    parser.add_argument("--parallel", type=int, default=2, help="releases run at once (default 2)")
    parser.add_argument("--jobs", type=int, help="tests side by side within each release's run (--jobs)")
    parser.add_argument(
        "--out-dir", help="reports, logs, history.md/.yaml (default: reports/history-<gw>-...)"
    )
    return parser


def main(argv: Sequence[str]) -> int:
    from conformance.cli import REPORT_DIR, unique_name
    from conformance.features import UnknownProfile, resolve_profiles

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.parallel < 1:
            raise UsageError("--parallel must be at least 1")
        try:
            resolve_profiles(args.profile)
        except UnknownProfile as exc:
            raise UsageError(str(exc)) from None
        versions = parse_versions(args.versions, lambda: pypi_versions(PYPI_GATEWAYS[args.gateway]))
        out_dir = Path(args.out_dir) if args.out_dir else REPORT_DIR / unique_name(f"history-{args.gateway}")
        out_dir.mkdir(parents=True, exist_ok=True)
    except (UsageError, OSError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return exit_status.USAGE
    base: list[str] = []
    for option, values in (
        ("--profile", args.profile),
        ("--test", args.test),
        ("--timeout-override", args.timeout_override),
    ):
        for value in values:
            base += [option, value]
    if args.keyword:
        base += ["-k", args.keyword]
    if args.jobs:
        base += ["--jobs", str(args.jobs)]
    print(
        f"history of {args.gateway}: {', '.join(versions)} ({args.parallel} at a time) -> {out_dir}",
        flush=True,
    )
    history = run_history(
        args.gateway, versions, base, out_dir, args.parallel, say=lambda s: print(s, flush=True)
    )
    table = render(history)
    import yaml

    write_atomic(out_dir / "history.md", table)
    write_atomic(out_dir / "history.yaml", yaml.safe_dump(to_data(history), sort_keys=False, width=110))
    print(table)
    print(f"history: {out_dir / 'history.md'}")
    finished = all(c.cannot_run or (c.report or {}).get("complete", True) for c in history.columns)
    return exit_status.INCOMPLETE if history.interrupted or not finished else exit_status.PASSED
