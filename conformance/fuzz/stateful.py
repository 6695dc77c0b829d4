"""Stateful fuzz: a RuleBasedStateMachine that changes pods under a live gateway, step by step.

Why this exists: issue 6, "Stateful fuzz"; anchors.md section 4, "Stateful testing against a live
system". The lifecycle is where the gateways differ most (gateway-facts.md 3b: sglang-router 0.3.2
never removes a worker whose pod turned unready or stopped matching; smg 1.13.0 removes in ~6 s but
re-adds a flapped pod only at its 60 s pass). Rules: create, relabel, flip readiness, change phase,
delete (graceful or at once), recreate with a new IP. After every step the gateway's pools must
converge to the reference's for the current cluster state within the bound (the settle check lives in
each rule, not in an @invariant, so a passing step costs one convergence wait and no more).

Rule arguments are config-independent (`conformance.strategies.LabelRecipe` instead of labels), so
Hypothesis prints the shrunk run as runnable `state.create(recipe=LabelRecipe(...), ...)` lines; the
steps as executed (concrete labels, plans.Step) are printed as a list and written to the scenario
file that `replay` runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from hypothesis import reject, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    rule,
    run_state_machine_as_test,
)

from conformance.convergence import ConsistencyFailure
from conformance.fuzz.live import GatewayRefused, LiveCluster
from conformance.fuzz.plans import HOME, Step
from conformance.fuzz.scenario import FuzzScenario
from conformance.strategies import (
    BOOTSTRAP_ANNOTATION_INVALID,
    OTHER_NAMESPACE,
    LabelRecipe,
    discovery_configs,
    label_recipes,
    selector_sources,
)
from fixtures.clusters.podspec import Phase, PodSpec
from reference import ServiceDiscoveryConfig

CREATE_PHASES: tuple[Phase, ...] = ("Running", "Running", "Running", "Pending", "Failed")
GRACEFUL_SECONDS = 30  # a graceful delete keeps the pod terminating for longer than any check


@dataclass
class StatefulRun:
    """The outcome of a stateful fuzz run: machines run, configs refused, the shrunk failure."""

    gateway: str
    runs: int = 0
    refused: int = 0
    found: FuzzScenario | None = None
    error: BaseException | None = None
    verdicts: dict[str, FuzzScenario] = field(default_factory=dict)
    refused_configs: set[str] = field(default_factory=set)


def execute(
    live: LiveCluster, run: StatefulRun, config: ServiceDiscoveryConfig, steps: list[Step]
) -> FuzzScenario:
    """The verdict of running `steps` from an empty cluster under a gateway started with `config`.

    Verdicts are remembered: a sequence whose prefix is known to fail fails the same way without
    touching the cluster, and a known sequence is never rerun. This is what makes shrinking a live
    state machine affordable, and it keeps a wavering gateway from making Hypothesis call a failure
    flaky. A config the gateway refuses is remembered too and rejected from then on.
    """
    key = repr(config)
    if key in run.refused_configs:
        run.refused += 1
        reject()
    for end in range(1, len(steps) + 1):
        known = run.verdicts.get(key + repr(steps[:end]))
        if known is not None and (known.failed_at is not None or end == len(steps)):
            return known
    scenario = FuzzScenario(
        gateway=live.gateway_name, mode="stateful", config=config, steps=[], semantics=live.semantics.value
    )
    try:
        live.begin_example(config)
    except GatewayRefused:
        run.refused += 1
        run.refused_configs.add(key)
        reject()
    run.runs += 1
    if live.verbose:
        print(f"run {run.runs}: {config}", flush=True)
    for index, step in enumerate(steps):
        if live.verbose:
            print(f"  step {index}: {step}", flush=True)
        scenario.steps.append(step)
        since = time.monotonic()
        live.apply(step)
        try:
            live.check(since=since)
        except ConsistencyFailure as diff:
            scenario.record_failure(index, diff)
            break
    run.verdicts[key + repr(scenario.steps)] = scenario
    return scenario


def bootstraps() -> st.SearchStrategy[str | None]:
    """The bootstrap annotation: absent (most often), a valid port, an invalid value."""
    return st.one_of(
        st.none(),
        st.integers(min_value=1, max_value=65535).map(str),
        st.sampled_from(BOOTSTRAP_ANNOTATION_INVALID),
    )


def make_machine(
    live: LiveCluster,
    run: StatefulRun,
    configs: st.SearchStrategy[ServiceDiscoveryConfig],
) -> type[RuleBasedStateMachine]:
    """A state machine class bound to `live`; every failure it raises is recorded in `run.found`."""

    class GatewayLifecycle(RuleBasedStateMachine):
        pods = Bundle("pods")

        def __init__(self) -> None:
            super().__init__()
            self.config: ServiceDiscoveryConfig | None = None
            self.steps: list[Step] = []
            self.counter = 0

        @initialize(config=configs)
        def start(self, config: ServiceDiscoveryConfig) -> None:
            self.config = config

        def _labels(self, recipe: LabelRecipe) -> dict[str, str]:
            assert self.config is not None
            return recipe.apply(selector_sources(self.config))

        def _do(self, step: Step) -> None:
            self.steps.append(step)

        def teardown(self) -> None:
            """Run the recorded steps live (or recall their verdict) and fail on the first difference."""
            if self.config is None or not self.steps:
                return
            scenario = execute(live, run, self.config, self.steps)
            if scenario.failed_at is not None:
                run.found = scenario
                raise AssertionError(scenario.describe())

        @rule(
            target=pods,
            recipe=label_recipes(),
            ready=st.sampled_from((True, True, True, False)),
            phase=st.sampled_from(CREATE_PHASES),
            has_ip=st.sampled_from((True, True, True, False)),
            bootstrap=bootstraps(),
            other_namespace=st.sampled_from((False, False, False, True)),
        )
        def create(
            self,
            recipe: LabelRecipe,
            ready: bool,
            phase: Phase,
            has_ip: bool,
            bootstrap: str | None,
            other_namespace: bool,
        ) -> str:
            name = f"pod-{self.counter}"
            self.counter += 1
            plan = PodSpec(
                name=name,
                labels=self._labels(recipe),
                namespace=OTHER_NAMESPACE if other_namespace else HOME,
                ready=ready,
                phase=phase,
                has_ip=has_ip,
                bootstrap_port=bootstrap,
            )
            self._do(Step("create", pod=plan))
            return name

        @rule(name=pods, recipe=label_recipes())
        def relabel(self, name: str, recipe: LabelRecipe) -> None:
            self._do(Step("relabel", name=name, labels=self._labels(recipe)))

        @rule(name=pods, ready=st.booleans())
        def set_ready(self, name: str, ready: bool) -> None:
            self._do(Step("set_ready", name=name, ready=ready))

        @rule(name=pods, phase=st.sampled_from(("Failed", "Succeeded", "Pending", "Running")))
        def set_phase(self, name: str, phase: str) -> None:
            self._do(Step("set_phase", name=name, phase=phase))

        @rule(name=consumes(pods), graceful=st.booleans())
        def delete(self, name: str, graceful: bool) -> None:
            self._do(Step("delete", name=name, grace=GRACEFUL_SECONDS if graceful else 0))

        @rule(name=pods)
        def recreate(self, name: str) -> None:
            self._do(Step("recreate", name=name))

    return GatewayLifecycle


def fuzz(
    live: LiveCluster,
    fuzz_settings: settings,
    *,
    configs: st.SearchStrategy[ServiceDiscoveryConfig] | None = None,
    seed: int | None = None,
) -> StatefulRun:
    """Run the stateful fuzz; returns the run with `found` = the shrunk failure, if any."""
    run = StatefulRun(gateway=live.gateway_name)
    machine = make_machine(live, run, configs if configs is not None else discovery_configs())

    def factory() -> Any:
        return machine()

    factory_any: Any = factory
    if seed is not None:
        factory_any._hypothesis_internal_use_seed = seed
    try:
        run_state_machine_as_test(factory_any, settings=fuzz_settings)
    except Exception as exc:  # AssertionError, or Hypothesis' Flaky group when the gateway wavered
        if run.found is None:
            raise
        run.error = exc
    return run
