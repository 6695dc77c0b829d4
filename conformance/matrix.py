"""`python -m conformance matrix`: the suite per gateway, each in a child run, then one Markdown table.

Why a child process per gateway: each run owns its cluster, gateway and workers and ends them; the
matrix only forwards a signal, collects the reports and renders them (conformance/report.py).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

from conformance import exit_status, signals, validate
from conformance.cli import (
    CHILD_STOP_SECONDS,
    REPO,
    REPORT_DIR,
    _selection_args,
    check_selection,
    gateway_label,
    suite_parser,
    unique_name,
)
from fixtures.clusters.options import ClusterOptions


def build_matrix_parser() -> argparse.ArgumentParser:
    parser = suite_parser(
        "python -m conformance matrix", "Run the suite per gateway; one Markdown table.", many_gateways=True
    )
    parser.add_argument(
        "--out-dir", help="reports and matrix.md go here (default: a new reports/matrix-<time>-<random>/)"
    )
    parser.add_argument("--markdown", help="the Markdown table (default: OUT_DIR/matrix.md)")
    return parser


def run_matrix(args: argparse.Namespace) -> int:
    from conformance.atomic import write_atomic
    from conformance.report import load_report, render_matrix
    from fixtures.lifetime import guard_run

    out_dir = Path(args.out_dir) if args.out_dir else REPORT_DIR / unique_name("matrix")
    validate.check_output_dir(out_dir, "--out-dir")
    target = Path(args.markdown) if args.markdown else out_dir / "matrix.md"
    validate.check_output_file(target, "--markdown")
    check_selection(args, args.gateway[0])
    guard_run()
    reports, labels, statuses = [], [], []
    stopped: str | None = None
    for index, gateway in enumerate(args.gateway):
        label = gateway_label(gateway)
        report = out_dir / f"{label}.yaml"
        cmd = [sys.executable, "-m", "conformance", "--gateway", gateway, "--report", str(report)]
        cmd += _selection_args(args) + ClusterOptions.from_namespace(args).argv()
        cmd += ["-v"] if args.verbose else []
        cmd += ["--jobs", str(args.jobs)] if args.jobs is not None else []
        started = time.time()
        print(f"== {gateway}", flush=True)
        returncode = _run_child(cmd)
        status = returncode if 0 <= returncode <= exit_status.INCOMPLETE else exit_status.INCOMPLETE
        statuses.append(status)
        print(f"== {gateway}: {time.time() - started:.1f} s (exit {returncode})", flush=True)
        if report.exists() and report.stat().st_mtime >= started - 1:  # this run's, not an older file's
            reports.append(load_report(report))
            labels.append(label)
        else:
            print(f"python -m conformance matrix: {gateway}: no report written", file=sys.stderr)
        if signals.first_signal() or status == exit_status.USAGE:
            stopped = f"interrupted by {signals.first_signal()}" if signals.first_signal() else "usage error"
            rest = args.gateway[index + 1 :]
            if rest:
                statuses.append(exit_status.INCOMPLETE)
                stopped += f"; not run: {', '.join(rest)}"
            break
    if reports:
        table = render_matrix(reports, labels=labels)
        if stopped:
            table += f"\n**INCOMPLETE**: the matrix stopped early ({stopped}).\n"
        write_atomic(target, table)
        print(table)
        print(f"matrix: {target}")
    return exit_status.worst(statuses)


def _run_child(cmd: list[str]) -> int:
    """One gateway's run in its own process group, so a terminal's Ctrl-C reaches only this process,
    which forwards exactly one signal: the child then unwinds and stops its gateway and workers. A
    second signal ends this process at once (signals.py) and the child dies with it (PDEATHSIG)."""
    from fixtures.lifetime import die_with_parent

    proc = subprocess.Popen(cmd, cwd=REPO, process_group=0, preexec_fn=die_with_parent())
    try:
        return proc.wait()
    except KeyboardInterrupt:
        sig = signal.Signals[signals.first_signal() or "SIGINT"]
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            return proc.wait(timeout=CHILD_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
