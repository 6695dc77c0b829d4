"""Latency figures (issue 13): how fast the reference, smg and sglang-router follow the cluster.

How it measures: `python -m conformance matrix` over the three gateways, one after the other (never side
by side: the figures are times), twice --
- the core, lifecycle and resilience profiles: every passed convergence check is classified by what it
  waited for (conformance/latency.py: add, remove, re-add) and its measured seconds gathered;
- the scale profile (500 pods over 5 namespaces, then churn), with `overrun` so that a gateway slower
  than the cap still gets its time to all workers (its test fails either way).
It prints the report's latency table (Markdown, gateways side by side) and returns the same numbers as
figures. Times are the suite's: polls every 0.2 s, so nothing is finer than that.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from conformance.latency import ALL_WORKERS, FIGURE_KINDS, FIRST_WORKER, matrix_table
from conformance.report import load_report
from tests.bench import Figure, benchmark

REPO = Path(__file__).resolve().parents[2]
GATEWAYS = ("reference", "smg", "sglang-router")
PASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core,lifecycle,resilience", ()),
    ("scale", ("--timeout-override", "overrun=60")),
)


def _matrix(profiles: str, extra: tuple[str, ...], out: Path) -> list[dict[str, Any]]:
    cmd = [
        sys.executable,
        "-m",
        "conformance",
        "matrix",
        "--profile",
        profiles,
        "--out-dir",
        str(out),
        *extra,
    ]
    for gateway in GATEWAYS:
        cmd += ["--gateway", gateway]
    subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, check=False)  # failures are findings here
    return [load_report(out / f"{gateway}.yaml") for gateway in GATEWAYS]


def _figures(gateway: str, latency: dict[str, Any]) -> list[Figure]:
    out = []
    for kind in FIGURE_KINDS:
        entry = latency.get(kind.value) or {}
        missed = entry.get("notConverged", 0)
        note = f"n={entry.get('count', 0)}" + (f", {missed} not converged" if missed else "")
        for stat in ("p50", "p95", "max"):
            if stat in entry:
                out.append(Figure(f"{kind.value} {stat} ({gateway})", entry[stat], "s", note=note))
    for run in latency.get("scale") or []:
        for key, what in ((FIRST_WORKER, "first"), (ALL_WORKERS, "all")):
            if key in run:
                out.append(
                    Figure(f"{run['test']} {what} of {int(run['workers'])} ({gateway})", run[key], "s")
                )
    return out


@benchmark("latency")
def latency_figures() -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        for index, (profiles, extra) in enumerate(PASSES):
            reports = _matrix(profiles, extra, Path(tmp) / str(index))
            print(f"-- {profiles}\n{matrix_table(reports, GATEWAYS)}", flush=True)
            for gateway, report in zip(GATEWAYS, reports, strict=True):
                figures.extend(_figures(gateway, report.get("latency") or {}))
    return figures
