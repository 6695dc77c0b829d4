"""Proof that the live fuzzers find real bugs, and find none in the reference gateway (issue 6, "Proof").

Each test asserts on what was found: the shrunk case's size and the kind of difference, not merely
that the run finished. Bounds are generous next to the measured latencies (docs/gateways.md#timing):
sglang-router shows a change in ~0.2 s and gets 2 s; smg adds in ~1.2 s and gets 5 s (settle window 2 s).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import strategies as st

from conformance.fuzz import differential, profiles, replay, stateful
from conformance.fuzz.live import LiveCluster
from conformance.strategies import discovery_configs
from conformance.timeouts import TimeoutConfig
from reference import ServiceDiscoveryConfig

APP = {"app": "sglang"}


def test_reference_gateway_shows_no_difference() -> None:
    timeouts = TimeoutConfig(poll_interval=0.1, consecutive=3, max_time_to_consistency=5.0, settle=0.4)
    with LiveCluster("reference", timeouts=timeouts) as live:
        drun = differential.fuzz(live, profiles.fuzz_settings(profiles.CI, max_examples=6))
        srun = stateful.fuzz(
            live,
            profiles.fuzz_settings(profiles.CI, max_examples=4, steps=4),
            configs=discovery_configs(pd_mode=False),
        )
    assert drun.found is None, drun.found.describe() if drun.found else ""
    assert srun.found is None, srun.found.describe() if srun.found else ""
    assert drun.examples >= 3 and srun.runs >= 2  # it really ran examples against the gateway


@pytest.mark.gateway
def test_stateful_fuzz_finds_sglang_router_keeping_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    config = ServiceDiscoveryConfig(enabled=True, selector={**APP, "role": "regular"}, port=8000)
    timeouts = TimeoutConfig(poll_interval=0.1, consecutive=3, max_time_to_consistency=2.0, settle=0.4)
    with LiveCluster("sglang-router", timeouts=timeouts) as live:
        run = stateful.fuzz(
            live, profiles.fuzz_settings(profiles.CI, max_examples=15, steps=5), configs=st.just(config)
        )
    found = run.found
    assert found is not None, "the stateful fuzz found no lifecycle difference in sglang-router 0.3.2"
    creates = [s for s in found.steps if s.op == "create"]
    assert len(creates) <= 2 and len(found.steps) <= 3, found.describe()
    assert found.steps[found.failed_at].op in {"set_ready", "relabel", "set_phase", "delete", "recreate"}
    # a worker kept: the gateway shows a worker the reference dropped, and misses nothing
    assert found.differences and all(d.startswith("unexpected ") for d in found.differences), (
        found.differences
    )

    path = found.write(tmp_path / "found.yaml")
    capsys.readouterr()
    code = replay.main([str(path), "--gateway", "sglang-router", "--cap", "2", "--settle", "0.4"])
    out = capsys.readouterr().out
    assert code == 1 and "REPRODUCED" in out, out


@pytest.mark.gateway
def test_differential_fuzz_finds_smg_missing_regular_worker_in_pd_igw() -> None:
    config = ServiceDiscoveryConfig(
        enabled=True,
        selector={**APP, "role": "regular"},
        port=8000,
        pd_mode=True,
        igw_mode=True,
        prefill_selector={**APP, "component": "prefill"},
        decode_selector={**APP, "component": "decode"},
    )
    timeouts = TimeoutConfig(poll_interval=0.2, consecutive=3, max_time_to_consistency=5.0, settle=2.0)
    with LiveCluster("smg", timeouts=timeouts) as live:
        cases = differential.live_cases(configs=st.just(config), max_pods=3)
        run = differential.fuzz(live, profiles.fuzz_settings(profiles.CI, max_examples=15), cases=cases)
    found = run.found
    assert found is not None, "the differential fuzz found no difference in smg 1.13.0 with PD+IGW"
    assert len(found.pods) == 1, found.describe()
    assert found.differences == [f"missing regular default/{found.pods[0].name}"], found.describe()
    assert found.pods[0].labels.items() >= config.selector.items()
