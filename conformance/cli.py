"""`python -m conformance`: run the suite against one gateway, or compare several in a matrix.

`python -m conformance --gateway {reference,smg,sglang-router,PATH.yaml} [--profile ...] [--test ID]
[-k EXPR] [--report PATH] [--junitxml PATH] [--timeout-config FILE]` runs pytest on conformance/suite
with the plugin in this process, prints the summary and exits with the status of the one table in
conformance/exit_status.py (also in `--help` and README.md). `python -m conformance matrix --gateway A
--gateway B ...` runs one child `python -m conformance` per gateway (gateways never share state) and
prints and writes one Markdown table; `python -m conformance replay FILE` replays a fuzz scenario.

Order of a run, and why:
1. every argument, option file and output path is checked (conformance/validate.py) and the selection
   is collected (an unknown `--test` id, a `-k` that selects nothing): a mistake is one line on
   stderr and exit 2, in about a second, with nothing started and no file touched;
2. the run is guarded (fixtures/lifetime): whatever it starts dies with it, SIGKILL included;
3. the verdict comes from the report this run built in memory, never from a file on disk (which may
   be an earlier run's); a run that did not finish exits 4, whatever its finished tests said;
4. reports are written to a temporary file and renamed over the target at the end. Without
   `--report` each run gets its own `reports/<gateway>-<time>-<random>.yaml`, so concurrent runs never
   overwrite each other; an explicit path is replaced only by a complete new report.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance import exit_status, signals, validate
from conformance.features import PROFILES
from conformance.validate import OneLineParser, UsageError
from fixtures.clusters.options import ClusterOptions, add_argparse_options
from reference import Semantics

SUITE = Path(__file__).resolve().parent / "suite"
REPO = SUITE.parent.parent
REPORT_DIR = Path("reports")
CHILD_STOP_SECONDS = 60.0
CACHE_DIR_VAR = "SGL_CONFORMANCE_CACHE_DIR"
"""Where `--lf` remembers each gateway's failures (default .pytest_cache/conformance/<gateway>/)."""


class InternalError(Exception):
    """The harness cannot run (e.g. the suite does not import): exit 4, one line, no test ran."""


def _common(parser: argparse.ArgumentParser, *, many_gateways: bool) -> None:
    if many_gateways:
        parser.add_argument("--gateway", action="append", required=True, help="repeat per gateway")
    else:
        parser.add_argument(
            "--gateway", default="reference", help="reference | smg | sglang-router | PATH.yaml"
        )
    parser.add_argument("--profile", action="append", default=[], help=f"one of {', '.join(PROFILES)}")
    parser.add_argument(
        "--test", action="append", default=[], metavar="ID", help="only this conformance test id (repeat)"
    )
    parser.add_argument("--timeout-config", help="YAML file with TimeoutConfig fields")
    parser.add_argument("--timeout-override", action="append", default=[], metavar="NAME=SECONDS")
    add_argparse_options(parser)  # --cluster embedded|kind|existing, --kubeconfig, ... (one set)
    parser.add_argument(
        "-k", dest="keyword", help="only tests matching this pytest -k expression (conformance ids match)"
    )
    parser.add_argument(
        "--lf",
        "--last-failed",
        dest="last_failed",
        action="store_true",
        help="only the tests that failed in this gateway's last run (all when none failed)",
    )
    parser.add_argument(
        "--exempt-feature", action="append", default=[], help="a feature not claimed (CamelCase name)"
    )
    parser.add_argument(
        "--semantics",
        default=Semantics.PR_25294.value,
        help=f"the discovery rules expectations come from: {', '.join(m.value for m in Semantics)}",
    )
    parser.add_argument(
        "--jobs",
        type=validate.count_arg(1),
        default=None,
        metavar="N",
        help="tests side by side (pytest-xdist workers, each with its own embedded cluster); "
        "default: chosen from the machine (conformance/machine.py); 1 = one at a time, in order",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="pytest's verbose output, short tracebacks"
    )


def suite_parser(prog: str, description: str, *, many_gateways: bool) -> argparse.ArgumentParser:
    """A parser with the options every suite run takes, the exit-status table as its epilog."""
    parser = OneLineParser(
        prog=prog,
        description=description,
        epilog=exit_status.TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser, many_gateways=many_gateways)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = suite_parser(
        "python -m conformance",
        "Kubernetes service-discovery conformance for SGLang-style gateways. "
        "Also: `python -m conformance matrix ...`, `python -m conformance replay FILE ...`, "
        "`python -m conformance list`, `python -m conformance history ...`.",
        many_gateways=False,
    )
    parser.add_argument(
        "--report", help="ConformanceReport YAML (default: a new reports/<gateway>-<time>-<random>.yaml)"
    )
    parser.add_argument("--junitxml", help="JUnit XML (pytest's own, with the run's completeness)")
    parser.add_argument("--html", help="the report as one self-contained HTML page (timelines per check)")
    gate = parser.add_argument_group(
        "expected outcomes (a CI gate: fail on regressions, conformance/baseline.py)"
    )
    gate.add_argument(
        "--baseline", metavar="REPORT", help="an earlier ConformanceReport: its outcomes are expected"
    )
    gate.add_argument(
        "--expect", metavar="FILE", help="YAML `expectations: {TEST-ID: OUTCOME or {outcome, reason}}`"
    )
    gate.add_argument(
        "--strict-baseline", action="store_true", help="an improvement or other change fails the run too"
    )
    return parser


def gateway_label(gateway: str) -> str:
    """A file-name-safe label: "smg" -> "smg", "my/gw.yaml" -> "gw", "reference:ignore-igw" -> ..."""
    base = Path(gateway).stem if gateway.endswith((".yaml", ".yml")) else gateway
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-") or "gateway"


def unique_name(prefix: str) -> str:
    """`<prefix>-<YYYYmmdd-HHMMSS>-<6 hex>`: distinct for two runs started in the same second."""
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def check_common(args: argparse.Namespace, gateways: Sequence[str]) -> None:
    """Everything but the selection (which needs a collection): raises UsageError."""
    for gateway in gateways:
        validate.check_gateway(gateway)
    validate.check_profiles(args.profile)
    validate.check_timeouts(args.timeout_config, args.timeout_override)
    from conformance.cluster_options import check as check_cluster

    check_cluster(args, list(gateways))
    validate.check_features(args.exempt_feature)
    try:
        Semantics.parse(args.semantics)
    except ValueError as exc:  # unknown name: one line listing the valid ones
        raise UsageError(str(exc)) from None


def pytest_args(
    args: argparse.Namespace,
    gateway: str,
    report: Path | None,
    junitxml: str | Path | None,
    jobs: int = 1,
) -> list[str]:
    """The pytest command line for one gateway (`jobs` > 1: that many xdist workers)."""
    from conformance.distributed import xdist_args

    out = [
        str(SUITE),
        "-p",
        "conformance.plugin",
        "-o",
        "addopts=--strict-markers",
        # The suite needs neither; not loading them saves seconds at every start (Hypothesis alone ~1 s).
        "-p",
        "no:hypothesispytest",
        "-p",
        "no:pytest-kind-ng",
        "-p",
        "no:anyio",  # installed for lightkube (the client-matrix tests); its plugin imports asyncio's world
        # pytest's hunt for exceptions raised in __del__ runs a full garbage collection as each session
        # ends (~0.2 CPU-s with the kubernetes client loaded, in every worker); the suite reports none.
        "-p",
        "no:unraisableexception",
        "--rootdir",
        str(REPO),
        "--gateway",
        gateway,
        *ClusterOptions.from_namespace(args).argv(),
        "--semantics",
        args.semantics,
        # pytest's cache (--lf) per gateway: "the last failed" are this gateway's, not another's
        "-o",
        f"cache_dir={os.environ.get(CACHE_DIR_VAR) or '.pytest_cache/conformance'}/{gateway_label(gateway)}",
    ]
    if report is not None:
        out += ["--report", str(report)]
    out += _expectation_args(args)
    out += ["-v", "--tb=short"] if args.verbose else ["-q", "--tb=no", "--no-header"]
    out += _selection_args(args)
    if junitxml:
        out += ["--junitxml", str(junitxml)]
    return out + xdist_args(jobs)


def _selection_args(args: argparse.Namespace) -> list[str]:
    """The options a run and a matrix child share (everything but gateway, report and JUnit)."""
    out: list[str] = []
    for profile in args.profile:
        out += ["--profile", profile]
    for test_id in args.test:
        out += ["--test", test_id]
    if args.timeout_config:
        out += ["--timeout-config", args.timeout_config]
    for item in args.timeout_override:
        out += ["--timeout-override", item]
    for feature in args.exempt_feature:
        out += ["--exempt-feature", feature]
    if args.keyword:
        out += ["-k", args.keyword]
    if args.last_failed:
        out += ["--lf"]
    return out


def _expectation_args(args: argparse.Namespace) -> list[str]:
    """--baseline / --expect / --html / --strict-baseline, passed on to the plugin (a single run only)."""
    out: list[str] = []
    for option in ("baseline", "expect", "html"):
        if getattr(args, option, None):
            out += [f"--{option}", getattr(args, option)]
    return out + (["--strict-baseline"] if getattr(args, "strict_baseline", False) else [])


class _Verdict:
    """Catches the report the plugin built in this process (the verdict never comes from disk)."""

    def __init__(self) -> None:
        self.report: dict[str, Any] | None = None

    def _take(self, config: Any) -> None:
        from conformance.plugin import final_report

        self.report = self.report or final_report(config)

    def pytest_sessionfinish(self, session: Any) -> None:
        self._take(session.config)

    def pytest_unconfigure(self, config: Any) -> None:
        self._take(config)


def run_one(args: argparse.Namespace, selected: int) -> int:
    import pytest

    from conformance.atomic import replace_atomic, temp_path_beside
    from conformance.machine import choose_jobs
    from conformance.report import exit_status as report_status

    report = (
        Path(args.report) if args.report else REPORT_DIR / f"{unique_name(gateway_label(args.gateway))}.yaml"
    )
    junit_tmp = temp_path_beside(args.junitxml) if args.junitxml else None
    verdict = _Verdict()
    try:
        jobs = choose_jobs(args.jobs, selected)
        code: int = pytest.main(pytest_args(args, args.gateway, report, junit_tmp, jobs), plugins=[verdict])
    except KeyboardInterrupt:  # a signal before pytest's session began or after it ended
        code = pytest.ExitCode.INTERRUPTED
    except Exception as exc:
        if not signals.first_signal():
            raise  # a bug of the harness: its traceback is the report
        # pytest (or a fixture) tripped over the interruption while unwinding: say so in one line
        print(
            f"python -m conformance: while stopping: {type(exc).__name__}: {validate.one_line(exc)}",
            file=sys.stderr,
        )
        code = pytest.ExitCode.INTERRUPTED
    finally:
        if junit_tmp is not None and junit_tmp.exists():
            replace_atomic(junit_tmp, args.junitxml)
    if code == pytest.ExitCode.USAGE_ERROR:
        return exit_status.USAGE  # pytest printed the one line ("ERROR: ...")
    if verdict.report is None:
        why = (
            f"interrupted by {signals.first_signal()}"
            if signals.first_signal()
            else f"pytest exit {int(code)}"
        )
        print(f"python -m conformance: incomplete: no test ran ({why}); no report written", file=sys.stderr)
        return exit_status.INCOMPLETE
    return report_status(verdict.report)


class _Count:
    """Counts the tests a collection selected (the plugin has deselected the rest by then)."""

    def __init__(self) -> None:
        self.selected = 0

    def pytest_collection_finish(self, session: Any) -> None:
        self.selected = len(session.items)


def check_selection(args: argparse.Namespace, gateway: str) -> int:
    """Collect the suite quietly, in this process: UsageError for unknown test ids or no test selected.

    Returns how many tests are selected (a run never starts more workers than that)."""
    import pytest

    out, err = io.StringIO(), io.StringIO()
    count = _Count()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = pytest.main(
            # the whole selection, before --lf narrows it (--lf alone never selects nothing)
            [
                *(a for a in pytest_args(args, gateway, None, None) if a != "--lf"),
                "--collect-only",
                "-p",
                "no:cacheprovider",
            ],
            plugins=[count],
        )
    if code == pytest.ExitCode.INTERRUPTED or signals.first_signal():
        raise KeyboardInterrupt(signals.first_signal() or "SIGINT")  # an interrupt, not a usage error
    if code == pytest.ExitCode.USAGE_ERROR:
        lines = [ln.removeprefix("ERROR: ") for ln in err.getvalue().splitlines() if ln.strip()]
        raise UsageError(lines[0] if lines else "bad selection")
    if code != pytest.ExitCode.OK:  # the harness itself is broken: not the user's mistake
        lines = [ln for ln in (out.getvalue() + err.getvalue()).splitlines() if ln.strip()]
        raise InternalError(
            f"cannot collect the suite (pytest exit {int(code)}): {lines[-1] if lines else ''}"
        )
    return count.selected


def main(argv: Sequence[str] | None = None) -> int:
    from fixtures.lifetime import release_run

    signals.install()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "replay":  # replay a fuzz scenario file (conformance.fuzz.replay)
            from conformance.fuzz.replay import main as replay_main

            status = replay_main(argv[1:])
        elif argv and argv[0] == "history":  # one matrix test x release (conformance.history)
            from conformance.history import main as history_main

            status = history_main(argv[1:])
        elif argv and argv[0] == "list":  # the test ids, profiles, features (conformance.listing)
            from conformance.listing import main as list_main

            status = list_main(argv[1:])
        else:
            status = _main(argv)
    except KeyboardInterrupt:
        print(f"python -m conformance: interrupted by {signals.first_signal() or 'Ctrl-C'}", file=sys.stderr)
        status = exit_status.INCOMPLETE
    sys.stdout.flush()
    signals.settle(status)  # the verdict is final: a late signal no longer changes it
    release_run()
    return status


def _main(argv: list[str]) -> int:
    from conformance.matrix import build_matrix_parser, run_matrix

    matrix = bool(argv) and argv[0] == "matrix"
    parser = build_matrix_parser() if matrix else build_parser()
    args = parser.parse_args(argv[1:] if matrix else argv)
    try:
        check_common(args, args.gateway if matrix else [args.gateway])
        if not matrix:
            if args.report:
                validate.check_output_file(args.report, "--report")
            if args.junitxml:
                validate.check_output_file(args.junitxml, "--junitxml")
            if args.html:
                validate.check_output_file(args.html, "--html")
            if args.baseline or args.expect or args.strict_baseline:
                # only then: it imports the registry and with it pytest (~0.1 s of every usage error)
                from conformance.baseline import load_option as load_expectations

                load_expectations(args.baseline, args.expect, args.strict_baseline)
            selected = check_selection(args, args.gateway)  # the plugin checks it again, for pytest users
            return run_one(args, selected)
        return run_matrix(args)
    except UsageError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return exit_status.USAGE
    except InternalError as exc:
        print(f"{parser.prog}: incomplete: {exc}", file=sys.stderr)
        return exit_status.INCOMPLETE
