"""Reference semantics of Kubernetes service discovery in SGLang's model gateway.

Why this exists: every expectation of the conformance suite comes from here. It restates, in plain
standard-library Python with no I/O, how the gateway decides which pods are workers after upstream PR
#25294, and (``Semantics.PRE_25294``) before it, as in sglang-router 0.3.2. Sources and the evidence
for each rule: ``../shared/design/gateway-facts.md`` section 3a and upstream
``sgl-model-gateway/src/service_discovery.rs``. The public API is the contract in
``docs/interfaces.md``:

- ``config``: ``ServiceDiscoveryConfig``;
- ``pods``: ``PodType``, ``PodInfo``, ``matches_selector``;
- ``selection``: ``should_include``, ``warn_if_misconfigured`` and the warning texts;
- ``desired``: ``expected_pools``;
- ``pools``: ``Pools``, ``Worker``, ``PoolsDiff``;
- ``cli``: ``parse_selector``, ``SelectorError``;
- ``labels``: ``label_value_problems`` (selector terms no label can match);
- ``semantics``: ``Semantics``.
"""

from reference.cli import SelectorError, parse_selector
from reference.config import ServiceDiscoveryConfig
from reference.desired import expected_pools
from reference.labels import label_value_problems
from reference.pods import PodInfo, PodType, matches_selector
from reference.pools import POOL_NAMES, Pools, PoolsDiff, Worker
from reference.selection import (
    PD_SELECTORS_EMPTY,
    REGULAR_SELECTOR_EMPTY,
    SELECTOR_IGNORED_WITHOUT_IGW,
    should_include,
    warn_if_misconfigured,
)
from reference.semantics import Semantics

__all__ = [
    "PD_SELECTORS_EMPTY",
    "POOL_NAMES",
    "REGULAR_SELECTOR_EMPTY",
    "SELECTOR_IGNORED_WITHOUT_IGW",
    "PodInfo",
    "PodType",
    "Pools",
    "PoolsDiff",
    "SelectorError",
    "Semantics",
    "ServiceDiscoveryConfig",
    "Worker",
    "expected_pools",
    "label_value_problems",
    "matches_selector",
    "parse_selector",
    "should_include",
    "warn_if_misconfigured",
]
