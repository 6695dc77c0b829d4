"""Reference figures (issues 6 and 10): verdicts per second of `reference.expected_pools`.

How it measures: pre-generated (config, pods) batches from `conformance.strategies.configs_and_pods`
(300 batches of up to 8 pods, derandomized, so every run judges the same pods), judged 20 times per
round; one verdict = one pod judged. Seven rounds; the median is the figure (the spread is in the note),
so one disturbed round on a shared machine does not move it.
"""

from __future__ import annotations

import statistics
import time

from hypothesis import HealthCheck, given, settings

from conformance.strategies import configs_and_pods
from reference import ServiceDiscoveryConfig, expected_pools
from tests.bench import Figure, benchmark

BATCHES = 300
REPEATS = 20
ROUNDS = 7
TARGET = 300_000  # issue 10


def draw_batches(count: int) -> list[tuple[ServiceDiscoveryConfig, list[dict]]]:
    """`count` derandomized draws of `configs_and_pods(max_size=8)`."""
    out: list[tuple[ServiceDiscoveryConfig, list[dict]]] = []

    @settings(max_examples=count, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(configs_and_pods(max_size=8))
    def collect(value: tuple[ServiceDiscoveryConfig, list[dict]]) -> None:
        out.append(value)

    collect()
    return out


def verdicts_per_second(batches: list[tuple[ServiceDiscoveryConfig, list[dict]]]) -> float:
    """One round: every batch judged REPEATS times; pods judged per second."""
    pods = sum(len(batch) for _, batch in batches)
    start = time.perf_counter()
    for _ in range(REPEATS):
        for config, batch in batches:
            expected_pools(batch, config)
    return REPEATS * pods / (time.perf_counter() - start)


@benchmark("reference")
def reference_figures() -> list[Figure]:
    batches = draw_batches(BATCHES)
    rates = [verdicts_per_second(batches) for _ in range(ROUNDS)]
    median = statistics.median(rates)
    note = f"{len(batches)} batches, median of {ROUNDS} rounds ({min(rates):,.0f}-{max(rates):,.0f})"
    return [Figure("reference verdicts", median, "pods/s", f">= {TARGET:,}", median >= TARGET, note)]
