"""How many tests to run side by side on this machine (`python -m conformance --jobs`'s default).

Why these numbers: a conformance test mostly waits -- for a gateway to batch, drain and settle, for
barrier and settle windows -- and uses little CPU (measured: 2 cores, the suite one at a time used
about a quarter of one core). So several tests per core fit. The figures below were measured with
`tox -e bench` (tests/bench/suite.py) on 2 cores; README "How long" has them.
"""

from __future__ import annotations

import os

JOBS_PER_CPU = 6
"""Tests side by side per core by default. Measured on 2 cores, whole suite, wall time (`tox -e bench --
suite`, SGL_BENCH_SUITE_JOBS="8 12 16"): reference gateway 33.7 s / 29.7 s / 32.8 s, smg 46.5 s / 38.5 s
at 8 / 12 workers; beyond 12 the workers' own start-up (~1.5 CPU-s each, all at once) costs more than
the waits it overlaps."""
MAX_DEFAULT_JOBS = 16
"""Never more workers by default: each is a Python process with its own cluster (~100 MB)."""


def cpu_count() -> int:
    """Cores this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def default_jobs(cpus: int | None = None) -> int:
    return max(1, min(MAX_DEFAULT_JOBS, JOBS_PER_CPU * (cpus or cpu_count())))


def choose_jobs(requested: int | None, selected: int) -> int:
    """`--jobs` if given, else the machine's default; never more than the tests selected."""
    jobs = requested if requested is not None else default_jobs()
    return max(1, min(jobs, selected)) if selected else max(1, jobs)
