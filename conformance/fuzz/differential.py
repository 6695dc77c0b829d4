"""Differential fuzz: a generated config and pod batch, the live gateway versus the reference.

Why this exists: issue 6, "Differential fuzz against a live gateway". Per example: the gateway runs
the generated config (reused when the config is unchanged, see live.py), the whole batch of pods is
created at once, and the gateway's pools must converge to `reference.expected_pools` over the pods as
the API server holds them (live.fuzz_timeouts). Pods come from `conformance.strategies.pods_for(live=True)`,
whose labels are derived from the config's selectors: independent labels almost never hit a selector
(anchors.md section 4, "the probe lesson").

On a difference Hypothesis shrinks the case. Every run's verdict is cached by its case, so shrinking
never pays twice for the same (config, pods), and a gateway's timing noise cannot make Hypothesis call
the failure flaky. The last failing run is the shrunk one; it is kept in `DifferentialRun.found`, printed,
and written as a scenario file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from conformance.convergence import ConsistencyFailure
from conformance.fuzz.live import GatewayRefused, LiveCluster
from conformance.fuzz.scenario import BATCH, FuzzScenario
from conformance.strategies import discovery_configs, pods_for
from fixtures.clusters.podspec import PodSpec
from reference import ServiceDiscoveryConfig

Case = tuple[ServiceDiscoveryConfig, list[PodSpec]]


def live_cases(
    *,
    pd_mode: bool | None = None,
    igw_mode: bool | None = None,
    max_pods: int = 6,
    configs: st.SearchStrategy[ServiceDiscoveryConfig] | None = None,
) -> st.SearchStrategy[Case]:
    """A config and a batch of pod plans a live cluster can hold, aimed at that config."""
    base = configs if configs is not None else discovery_configs(pd_mode=pd_mode, igw_mode=igw_mode)
    return base.flatmap(
        lambda config: pods_for(config, max_size=max_pods, live=True).map(
            lambda pods: (config, [PodSpec.from_pod(pod) for pod in pods])
        )
    )


def _key(case: Case) -> str:
    config, plans = case
    return repr((config, plans))


@dataclass
class DifferentialRun:
    """The outcome of one fuzz run: examples tried, configs the gateway refused, the shrunk failure."""

    gateway: str
    examples: int = 0
    refused: int = 0
    found: FuzzScenario | None = None
    cache: dict[str, FuzzScenario | None] = field(default_factory=dict)
    error: BaseException | None = None


def verdict(live: LiveCluster, config: ServiceDiscoveryConfig, plans: list[PodSpec]) -> FuzzScenario:
    """Run one case: the scenario with `failed_at` set when the gateway differs from the reference.

    Raises GatewayRefused when the gateway will not start with `config`.
    """
    scenario = FuzzScenario(
        gateway=live.gateway_name,
        mode="differential",
        config=config,
        pods=list(plans),
        semantics=live.semantics.value,
    )
    live.begin_example(config)
    since = time.monotonic()
    live.create_batch(plans)
    try:
        live.check(since=since)
    except ConsistencyFailure as diff:
        scenario.record_failure(BATCH, diff)
    return scenario


def make_test(
    live: LiveCluster,
    run: DifferentialRun,
    cases: st.SearchStrategy[Case],
    fuzz_settings: settings,
    *,
    seed: int | None = None,
    on_example: Callable[[FuzzScenario], None] | None = None,
) -> Callable[[], None]:
    """The Hypothesis test: call it to fuzz; it raises the shrunk case's Difference when one is found."""

    @fuzz_settings
    @given(case=cases)
    def differential(case: Case) -> None:
        key = _key(case)
        if key not in run.cache:
            config, plans = case
            try:
                run.cache[key] = verdict(live, config, plans)
            except GatewayRefused:
                run.cache[key] = None
            run.examples += 1
        scenario = run.cache[key]
        if scenario is None:
            run.refused += 1
            reject()
        if on_example is not None:
            on_example(scenario)
        if scenario.failed_at is not None:
            run.found = scenario
            raise AssertionError(scenario.describe())

    differential.hypothesis.inner_test._hypothesis_internal_add_digest = (  # type: ignore[attr-defined]
        f"differential:{live.gateway_name}".encode()
    )
    if seed is not None:
        differential._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    return differential


def fuzz(
    live: LiveCluster,
    fuzz_settings: settings,
    *,
    cases: st.SearchStrategy[Case] | None = None,
    seed: int | None = None,
) -> DifferentialRun:
    """Run the differential fuzz; returns the run (with `found` set to the shrunk case, if any).

    The Hypothesis failure output (the falsifying example and the reproduce blob, with print_blob) is
    printed by Hypothesis; the caller writes `found` to a scenario file.
    """
    run = DifferentialRun(gateway=live.gateway_name)
    test = make_test(live, run, cases if cases is not None else live_cases(), fuzz_settings, seed=seed)
    try:
        test()
    except Exception as exc:  # AssertionError, or Hypothesis' Flaky group
        if run.found is None:
            raise
        run.error = exc
    return run
