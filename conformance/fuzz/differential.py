"""Differential fuzz: a generated config and a batch of pods, the live gateway versus the reference.

Why this exists: hand-written scenarios only cover the cases someone thought of. A case is a config
(conformance.strategies.discovery_configs: every shape the reference decides on) and a batch of pods
created at once (pods_for(live=True): labels derived from the config's selectors -- independent labels
almost never hit a selector -- with every parse corner of the bootstrap annotation, the Ready
conditions and phases a cluster can hold). The slot runs it (slot.py: batch, barrier, check) and the
engine (engine.py) draws, remembers, shrinks and reports; this module only says what a case is.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.fuzz.scenario import FuzzScenario
from conformance.strategies import discovery_configs, pods_for
from fixtures.clusters.podspec import PodSpec
from reference import Semantics, ServiceDiscoveryConfig

MODE = "differential"
DEFAULT_MAX_PODS = 12


def cases(
    gateway: str,
    *,
    configs: st.SearchStrategy[ServiceDiscoveryConfig] | None = None,
    pd_mode: bool | None = None,
    igw_mode: bool | None = None,
    max_pods: int = DEFAULT_MAX_PODS,
    semantics: Semantics = Semantics.PR_25294,
) -> st.SearchStrategy[FuzzScenario]:
    """Differential cases: a config (pinned modes or `configs`) and a batch of pods aimed at it.

    A composite, not `flatmap(...).map(...)`: Hypothesis prints a mapped value as the call that made it,
    and working that out for every drawn case costs more CPU than running it.
    """
    base = configs if configs is not None else discovery_configs(pd_mode=pd_mode, igw_mode=igw_mode)

    @st.composite
    def case(draw: st.DrawFn) -> FuzzScenario:
        config = draw(base)
        pods = draw(pods_for(config, max_size=max_pods, live=True))
        return FuzzScenario(
            gateway=gateway,
            mode=MODE,
            config=config,
            pods=[PodSpec.from_pod(pod) for pod in pods],
            semantics=semantics.value,
        )

    return case()
