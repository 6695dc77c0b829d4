"""Suite figures (issue 10): wall time of the whole suite one at a time and side by side.

How it measures: `python -m conformance --gateway G --jobs J` in a subprocess, every profile, for the
reference gateway and smg 1.13.0, with `--jobs 1` and with the default (conformance/machine.py).
Figures per run: wall time (the subprocess, start to exit, installs excluded: smg is installed
first), the sum of the tests' own durations from the report, their ratio (how many tests ran side by
side on average), the CPU time the run used (the process and its children), and the 1-minute load
average before the run and the CPUs, since other work on the machine changes every one of these.
No assertion: a busy machine prints slower numbers.

`SGL_BENCH_SUITE_JOBS="1 4 8"` measures other `--jobs` values (what machine.py's default was chosen
from); `SGL_BENCH_SUITE_GATEWAYS="smg"` only some gateways.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.machine import cpu_count, default_jobs
from conformance.report import load_report
from tests.bench import Figure, benchmark

REPO = Path(__file__).resolve().parents[2]
TARGET_WALL = {"smg": 60.0, "reference": 30.0}  # issue 10: the main job <= 60 s, reference <= 30 s
TARGET_RATIO = 4.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(gateway: str, jobs: int, workdir: Path) -> dict[str, float]:
    """One whole-suite run; its wall time, summed test durations, CPU seconds and the load before it."""
    report = workdir / f"{gateway}-{jobs}.yaml"
    load = os.getloadavg()[0]
    cpu = _children_cpu()
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "--gateway",
            gateway,
            "--jobs",
            str(jobs),
            "--report",
            str(report),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.monotonic() - started
    tests = load_report(report)["tests"]
    return {
        "wall": wall,
        "sum": sum(t["durationSeconds"] for t in tests),
        "tests": len(tests),
        "cpu": _children_cpu() - cpu,
        "load": load,
    }


def _jobs() -> list[int]:
    given = os.environ.get("SGL_BENCH_SUITE_JOBS", "")
    return [int(j) for j in given.split()] if given.strip() else [1, default_jobs()]


def _gateways() -> list[str]:
    given = os.environ.get("SGL_BENCH_SUITE_GATEWAYS", "")
    return given.split() if given.strip() else ["reference", "smg"]


@benchmark("suite")
def suite_figures() -> list[Figure]:
    from fixtures.gateways.install import SMG, ensure_installed

    ensure_installed(SMG)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="sgl-bench-suite-") as tmp:
        for gateway in _gateways():
            for jobs in _jobs():
                m = run_suite(gateway, jobs, Path(tmp))
                note = (
                    f"{m['tests']:.0f} tests, {m['cpu']:.0f} CPU-s, load {m['load']:.1f} before, "
                    f"{cpu_count()} CPUs"
                )
                parallel = jobs > 1
                target = TARGET_WALL[gateway] if parallel and gateway in TARGET_WALL else None
                figures.append(
                    Figure(
                        f"{gateway} --jobs {jobs}: wall",
                        m["wall"],
                        "s",
                        target=f"<= {target:g}" if target else "",
                        met=(m["wall"] <= target) if target else None,
                        note=note,
                    )
                )
                ratio = m["sum"] / m["wall"] if m["wall"] else 0.0
                figures.append(
                    Figure(
                        f"{gateway} --jobs {jobs}: sum of test durations / wall",
                        ratio,
                        "x",
                        target=f">= {TARGET_RATIO:g}" if parallel else "",
                        met=(ratio >= TARGET_RATIO) if parallel else None,
                        note=f"sum {m['sum']:.0f} s",
                    )
                )
    return figures
