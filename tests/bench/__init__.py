"""Benchmarks that print numbers (`python -m tests.bench`, tox env `bench`); never timed tests.

Why: issue 3 asks for throughput/latency/memory figures of the embedded API server in its closing note,
and later issues add reference-model and live-gateway figures. Each module registers functions with
`@benchmark("name")`; a function returns `Figure`s and makes no assertions about time, so a slow
machine prints slow numbers instead of failing a build.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

#: modules whose import registers benchmarks; add yours here
MODULES: tuple[str, ...] = (
    "tests.bench.apiserver",
    "tests.bench.reference",
    "tests.bench.fuzz",
    "tests.bench.latency",
    "tests.bench.suite",
)


@dataclass(frozen=True)
class Figure:
    """One measured number. `met` is None when there is no target, else whether the target was met."""

    metric: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""


Benchmark = Callable[[], list[Figure]]
BENCHMARKS: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    """Register `fn` under `name` (names are unique; order of registration is the run order)."""

    def register(fn: Benchmark) -> Benchmark:
        if name in BENCHMARKS:
            raise ValueError(f"benchmark {name!r} registered twice")
        BENCHMARKS[name] = fn
        return fn

    return register


def load_all() -> dict[str, Benchmark]:
    """Import every module in MODULES and return the registry."""
    for module in MODULES:
        importlib.import_module(module)
    return BENCHMARKS
