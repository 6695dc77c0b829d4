"""Reference semantics of Kubernetes service discovery in SGLang's model gateway.

Why this exists: every expectation of the conformance suite comes from here. It restates, in plain
standard-library Python with no I/O, how the gateway decides which pods are workers after upstream PR
#25294, and (``Semantics.PRE_25294``) before it, as in sglang-router 0.3.2. Sources and the evidence
for each rule: docs/gateways.md "Discovery rules", docs/semantics.md, and upstream
``sgl-model-gateway/src/service_discovery.rs``. Decisions are values: the warnings the gateway would
log come back as data (``inclusion``, ``misconfiguration_warnings``, ``expectation``); the functions
named like upstream's also log them on the ``reference`` logger. The public API is the contract in
``docs/interfaces.md``:

- ``config``: ``ServiceDiscoveryConfig``;
- ``pods``: ``PodType``, ``PodInfo``, ``matches_selector``;
- ``selection``: ``should_include`` / ``inclusion`` / ``selects``, ``warn_if_misconfigured`` /
  ``misconfiguration_warnings``, and the warning texts;
- ``desired``: ``expected_pools`` / ``expectation``;
- ``pools``: ``Pools``, ``Worker``, ``PoolsDiff``;
- ``cli``: ``parse_selector``, ``SelectorError``;
- ``labels``: ``label_value_problems`` (selector terms no label can match);
- ``semantics``: ``Semantics``.
"""

from reference.cli import SelectorError, parse_selector
from reference.config import ServiceDiscoveryConfig
from reference.desired import Expectation, expectation, expected_pools
from reference.labels import label_value_problems
from reference.pods import PodInfo, PodType, matches_selector
from reference.pools import POOL_NAMES, Pools, PoolsDiff, Worker
from reference.selection import (
    PD_SELECTORS_EMPTY,
    REGULAR_SELECTOR_EMPTY,
    SELECTOR_IGNORED_WITHOUT_IGW,
    Inclusion,
    inclusion,
    inclusion_warning,
    log_warnings,
    misconfiguration_warnings,
    selects,
    should_include,
    warn_if_misconfigured,
)
from reference.semantics import Semantics

__all__ = [
    "PD_SELECTORS_EMPTY",
    "POOL_NAMES",
    "REGULAR_SELECTOR_EMPTY",
    "SELECTOR_IGNORED_WITHOUT_IGW",
    "Expectation",
    "Inclusion",
    "PodInfo",
    "PodType",
    "Pools",
    "PoolsDiff",
    "SelectorError",
    "Semantics",
    "ServiceDiscoveryConfig",
    "Worker",
    "expectation",
    "expected_pools",
    "inclusion",
    "inclusion_warning",
    "label_value_problems",
    "log_warnings",
    "matches_selector",
    "misconfiguration_warnings",
    "parse_selector",
    "selects",
    "should_include",
    "warn_if_misconfigured",
]
