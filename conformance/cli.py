"""`python -m conformance`: run the suite against one gateway, or compare several in a matrix.

Issue 4 item 5: `python -m conformance --gateway {reference,smg,sglang-router,PATH.yaml} [--profile ...]
[--report PATH] [--junitxml PATH] [--timeout-config FILE]` runs pytest on conformance/suite with the
plugin, prints the summary and exits 0 only when every selected test passed (1: a test failed or a
config was rejected; 3: none failed but some were not expressible or skipped; 2: bad arguments).
`python -m conformance matrix --gateway A --gateway B ...` runs the suite per gateway, each in its own
process (gateways never share state), and prints and writes one Markdown table.
Bad arguments get a one-line error, never a traceback: they are checked before pytest starts.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from conformance.features import PROFILES, UnknownProfile, resolve_profiles
from conformance.signals import interrupt_on_sigterm
from conformance.timeouts import TimeoutConfigError, load_timeouts
from reference import Semantics

SUITE = Path(__file__).resolve().parent / "suite"
REPO = SUITE.parent.parent
REPORT_DIR = Path("reports")


class UsageError(Exception):
    """A bad command-line argument; the message is the one line the user sees."""


def _common(parser: argparse.ArgumentParser, *, many_gateways: bool) -> None:
    if many_gateways:
        parser.add_argument("--gateway", action="append", required=True, help="repeat per gateway")
    else:
        parser.add_argument(
            "--gateway", default="reference", help="reference | smg | sglang-router | PATH.yaml"
        )
    parser.add_argument("--profile", action="append", default=[], help=f"one of {', '.join(PROFILES)}")
    parser.add_argument("--timeout-config", help="YAML file with TimeoutConfig fields")
    parser.add_argument("--timeout-override", action="append", default=[], metavar="NAME=SECONDS")
    parser.add_argument("--cluster", default=os.environ.get("SGL_CONFORMANCE_CLUSTER", "embedded"))
    parser.add_argument("-k", dest="keyword", help="only tests matching this pytest -k expression")
    parser.add_argument("--exempt-feature", action="append", default=[], help="a feature not claimed")
    parser.add_argument(
        "--semantics",
        default=Semantics.PR_25294.value,
        help=f"the discovery rules expectations come from: {', '.join(m.value for m in Semantics)}",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="pytest's verbose output, short tracebacks"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance",
        description="Kubernetes service-discovery conformance for SGLang-style gateways.",
    )
    _common(parser, many_gateways=False)
    parser.add_argument("--report", help="ConformanceReport YAML (default: reports/<gateway>.yaml)")
    parser.add_argument("--junitxml", help="JUnit XML (pytest's own)")
    return parser


def build_matrix_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance matrix", description="Run the suite per gateway; one Markdown table."
    )
    _common(parser, many_gateways=True)
    parser.add_argument("--out-dir", default=str(REPORT_DIR), help="reports and matrix.md go here")
    parser.add_argument("--markdown", help="the Markdown table (default: OUT_DIR/matrix.md)")
    return parser


def gateway_label(gateway: str) -> str:
    """A file-name-safe label: "smg" -> "smg", "my/gw.yaml" -> "gw", "reference:ignore-igw" -> ..."""
    base = Path(gateway).stem if gateway.endswith((".yaml", ".yml")) else gateway
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-") or "gateway"


def check_gateway(gateway: str) -> None:
    """Refuse unknown gateway names and unusable gateway files before anything starts.

    `get_driver` only reads and validates (a YAML file's schema included); it starts nothing.
    """
    if (gateway.endswith((".yaml", ".yml")) or os.sep in gateway) and not Path(gateway).is_file():
        raise UsageError(f"gateway file {gateway} does not exist")
    try:
        from fixtures.gateways import get_driver

        get_driver(gateway)
    except Exception as exc:
        raise UsageError(" ".join(str(exc).split()) or f"unusable gateway {gateway!r}") from None


def check_common(args: argparse.Namespace, gateways: Sequence[str]) -> None:
    for gateway in gateways:
        check_gateway(gateway)
    try:
        resolve_profiles(args.profile)
        load_timeouts(args.timeout_config, args.timeout_override)
    except (UnknownProfile, TimeoutConfigError) as exc:
        raise UsageError(str(exc)) from None
    try:
        Semantics.parse(args.semantics)
    except ValueError as exc:  # unknown name: one line listing the valid ones
        raise UsageError(str(exc)) from None


def pytest_args(args: argparse.Namespace, gateway: str, report: Path, junitxml: str | None) -> list[str]:
    """The pytest command line for one gateway (also used by the matrix's child processes)."""
    out = [
        str(SUITE),
        "-p",
        "conformance.plugin",
        "-o",
        "addopts=--strict-markers",
        "--rootdir",
        str(REPO),
        "--gateway",
        gateway,
        "--report",
        str(report),
        "--cluster",
        args.cluster,
        "--semantics",
        args.semantics,
    ]
    out += ["-v", "--tb=short"] if args.verbose else ["-q", "--tb=no", "--no-header"]
    for profile in args.profile:
        out += ["--profile", profile]
    if args.timeout_config:
        out += ["--timeout-config", args.timeout_config]
    for item in args.timeout_override:
        out += ["--timeout-override", item]
    for feature in args.exempt_feature:
        out += ["--exempt-feature", feature]
    if args.keyword:
        out += ["-k", args.keyword]
    if junitxml:
        out += ["--junitxml", junitxml]
    return out


def run_one(args: argparse.Namespace) -> int:
    import pytest

    from conformance.report import exit_status, load_report

    report = Path(args.report) if args.report else REPORT_DIR / f"{gateway_label(args.gateway)}.yaml"
    if report.exists():
        report.unlink()
    code = pytest.main(pytest_args(args, args.gateway, report, args.junitxml))
    if not report.exists():
        print(f"error: no conformance test ran (pytest exit status {int(code)})", file=sys.stderr)
        return 1
    return exit_status(load_report(report))


def run_matrix(args: argparse.Namespace) -> int:
    from conformance.report import load_report, render_matrix

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    reports, labels, worst = [], [], 0
    for gateway in args.gateway:
        label = gateway_label(gateway)
        report = out_dir / f"{label}.yaml"
        if report.exists():
            report.unlink()
        cmd = [sys.executable, "-m", "pytest", *pytest_args(args, gateway, report, None)]
        started = time.monotonic()
        print(f"== {gateway}", flush=True)
        returncode = _run_forwarding_interrupts(cmd)
        print(f"== {gateway}: {time.monotonic() - started:.1f} s (pytest exit {returncode})", flush=True)
        if not report.exists():
            print(f"error: {gateway}: no report written", file=sys.stderr)
            worst = 1
            continue
        reports.append(load_report(report))
        labels.append(label)
        worst = max(worst, 0 if returncode == 0 else 1)
    if not reports:
        return 1
    table = render_matrix(reports, labels=labels)
    target = Path(args.markdown) if args.markdown else out_dir / "matrix.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(table)
    print(table)
    print(f"matrix: {target}")
    return worst


def _run_forwarding_interrupts(cmd: list[str]) -> int:
    """Run one gateway's suite; if this process is interrupted, SIGTERM the child and wait for it,
    so its fixture finalizers stop the gateway and workers (the plugin turns SIGTERM into an
    interrupt) instead of orphaning them."""
    proc = subprocess.Popen(cmd, cwd=REPO)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "replay":  # replay a fuzz scenario file (conformance.fuzz.replay, issue 6)
        from conformance.fuzz.replay import main as replay_main

        interrupt_on_sigterm()

        return replay_main(argv[1:])
    matrix = bool(argv) and argv[0] == "matrix"
    parser = build_matrix_parser() if matrix else build_parser()
    args = parser.parse_args(argv[1:] if matrix else argv)
    try:
        check_common(args, args.gateway if matrix else [args.gateway])
    except UsageError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return run_matrix(args) if matrix else run_one(args)
