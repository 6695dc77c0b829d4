"""The warnings the reference says a configuration produces, and how they are read from a gateway log.

The "warnings" profile (docs/architecture.md#profiles): `warn_if_misconfigured`'s message (PR #25294:
`--selector` in PD mode without IGW) and the per-pod "both PD selectors empty" warning that
`should_include` logs. The reference returns both as values (`misconfiguration_warnings`,
`expectation(...).warnings`) with upstream's exact text. Gateway logs carry ANSI colour codes even when
not on a terminal (docs/gateways.md#logs); the drivers strip them (fixtures.gateways.strip_ansi) before
a log is searched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reference import Semantics, ServiceDiscoveryConfig, expectation, misconfiguration_warnings


def expected_warnings(
    config: ServiceDiscoveryConfig,
    pods: Iterable[Mapping[str, Any]],
    *,
    semantics: Semantics = Semantics.PR_25294,
) -> list[str]:
    """The startup warnings, then each distinct `should_include` warning the gateway logs over `pods`."""
    startup = misconfiguration_warnings(config, semantics=semantics)
    per_pod = expectation(pods, config, semantics=semantics).warnings
    return [*startup, *(warning for warning in per_pod if warning not in startup)]
