"""Fuzz figures (issue 6): live verdicts per second (reference verdicts: tests/bench/reference.py).

How it measures:
- live verdicts: the differential fuzz's `verdict()` on one embedded cluster with one reused gateway
  (a fixed PD config, so the gateway starts once), batches of 4 pods from `pods_for(live=True)`;
  pods checked per second, including pod creation, the gateway's convergence and the settle window
  (the driver's timing, which dominates: smg needs a 2.5 s window, the reference 1 s).
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.fuzz.differential import verdict
from conformance.fuzz.live import LiveCluster
from conformance.strategies import pods_for
from fixtures.clusters.podspec import PodSpec
from reference import ServiceDiscoveryConfig
from tests.bench import Figure, benchmark

LIVE_BATCHES = 5
# PD without IGW: both gateways agree with the reference here, so a verdict costs a passing check
# (a failing one costs the whole cap and would measure the cap, not the gateway).
CONFIG = ServiceDiscoveryConfig(
    enabled=True,
    port=8000,
    pd_mode=True,
    prefill_selector={"app": "sglang", "component": "prefill"},
    decode_selector={"app": "sglang", "component": "decode"},
)


def _draw(strategy: st.SearchStrategy, count: int) -> list:
    out: list = []

    @settings(max_examples=count, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: object) -> None:
        out.append(value)

    collect()
    return out


def _live(gateway: str) -> Figure:
    batches = _draw(pods_for(CONFIG, min_size=4, max_size=4, live=True), LIVE_BATCHES)
    with LiveCluster(gateway) as live:
        live.use_config(CONFIG)
        start = time.perf_counter()
        checked = 0
        for batch in batches:
            verdict(live, CONFIG, [PodSpec.from_pod(p) for p in batch])
            checked += len(batch)
        took = time.perf_counter() - start
    note = f"{LIVE_BATCHES} batches of 4, settle {live.timeouts.settle:g} s, {live.starts} gateway start(s)"
    return Figure(f"live verdicts ({gateway})", checked / took, "pods/s", note=note)


@benchmark("fuzz")
def fuzz_figures() -> list[Figure]:
    return [_live("reference"), _live("smg")]
