"""Features and profiles: what a conformance test exercises, and how tests group into verdicts.

Modelled on the Gateway API suite (docs/conventions.md#features-and-profiles): every test declares the
features it needs; a profile is a named set of features and gets its own verdict in the report (success /
partial / failure). Here the profiles are disjoint groups, one per area of docs/architecture.md#profiles; a
test may need features of several profiles and then counts in each. `resilience` needs fault injection,
which only the embedded cluster offers (elsewhere its tests are Skipped with the reason:
conformance/cluster_options.py). `overlap` changes the cluster faster than a gateway settles
(docs/overlap.md). A profile that is not `default` (`scale`: 500 pods, about two minutes a gateway) runs
only when named.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Feature(enum.StrEnum):
    """One discovery behaviour a gateway may or may not implement (CamelCase, as in Gateway API)."""

    # core
    REGULAR_DISCOVERY = "RegularSelectorDiscovery"
    MULTI_LABEL_SELECTOR = "MultiLabelSelector"
    READINESS_GATING = "ReadinessGating"
    NAMESPACE_SCOPING = "NamespaceScoping"
    # pd
    PD_CLASSIFICATION = "PrefillDecodeClassification"
    BOOTSTRAP_PORT = "BootstrapPortAnnotation"
    # igw-mixed (upstream PR #25294)
    IGW_MIXED_DISCOVERY = "IGWMixedDiscovery"
    # warnings
    MISCONFIG_WARNINGS = "MisconfigurationWarnings"
    # lifecycle
    READINESS_LOSS = "ReadinessLoss"
    RELABEL = "Relabel"
    DELETION = "Deletion"
    RECREATION = "Recreation"
    # resilience (fault injection: embedded cluster only)
    WATCH_RECOVERY = "WatchRecovery"
    WATCH_EXPIRY_RELIST = "WatchExpiryRelist"
    LIST_FAILURE_TOLERANCE = "ListFailureTolerance"
    APISERVER_RESTART = "APIServerRestart"
    SLOW_APISERVER = "SlowAPIServer"
    # overlap: changes that do not wait for the gateway (inside its batching / drain windows)
    READINESS_FLAP = "ReadinessFlap"
    RELABEL_FLAP = "RelabelFlap"
    RECREATE_AT_ONCE = "RecreateAtOnce"
    CHANGE_BURST = "ChangeBurst"
    # scale (not run by default)
    SCALE = "Scale500"


@dataclass(frozen=True)
class Profile:
    """A named group of features with its own verdict in the report."""

    name: str
    description: str
    features: frozenset[Feature]
    default: bool = True
    """Selected when no --profile is given (a slow profile runs only when named)."""


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "core",
            "regular selector discovery, multi-label AND, no match, readiness gating, namespace scoping",
            frozenset(
                {
                    Feature.REGULAR_DISCOVERY,
                    Feature.MULTI_LABEL_SELECTOR,
                    Feature.READINESS_GATING,
                    Feature.NAMESPACE_SCOPING,
                }
            ),
        ),
        Profile(
            "pd",
            "prefill/decode classification, prefill wins, bootstrap-port annotation",
            frozenset({Feature.PD_CLASSIFICATION, Feature.BOOTSTRAP_PORT}),
        ),
        Profile(
            "igw-mixed",
            "regular workers beside PD workers in IGW mode (upstream PR #25294)",
            frozenset({Feature.IGW_MIXED_DISCOVERY}),
        ),
        Profile(
            "warnings",
            "misconfiguration warnings in the gateway log (warn_if_misconfigured, empty PD selectors)",
            frozenset({Feature.MISCONFIG_WARNINGS}),
        ),
        Profile(
            "lifecycle",
            "unready, relabel out/in, graceful delete, delete without graceful step, recreate",
            frozenset({Feature.READINESS_LOSS, Feature.RELABEL, Feature.DELETION, Feature.RECREATION}),
        ),
        Profile(
            "resilience",
            "watch dropped, 410 Expired, failing LISTs keep workers, API server restart, slow API server "
            "(embedded only)",
            frozenset(
                {
                    Feature.WATCH_RECOVERY,
                    Feature.WATCH_EXPIRY_RELIST,
                    Feature.LIST_FAILURE_TOLERANCE,
                    Feature.APISERVER_RESTART,
                    Feature.SLOW_APISERVER,
                }
            ),
        ),
        Profile(
            "overlap",
            "changes faster than the gateway: readiness and label flaps, recreate at once, bursts "
            "across roles",
            frozenset(
                {Feature.READINESS_FLAP, Feature.RELABEL_FLAP, Feature.RECREATE_AT_ONCE, Feature.CHANGE_BURST}
            ),
        ),
        Profile(
            "scale",
            "500 pods over 5 namespaces, churn at 20 changes/s for 30 s (not run by default)",
            frozenset({Feature.SCALE}),
            default=False,
        ),
    )
}


class UnknownProfile(ValueError):
    """A profile name that is not in PROFILES (the message lists the known ones)."""


def resolve_profiles(names: Iterable[str] | None) -> list[Profile]:
    """The profiles named (the `default` ones when `names` is empty or None), in PROFILES order.

    Accepts comma-separated items too (`--profile core,pd`). Raises UnknownProfile naming the bad one.
    """
    wanted: list[str] = []
    for item in names or ():
        wanted.extend(part.strip() for part in item.split(",") if part.strip())
    if not wanted:
        return [p for p in PROFILES.values() if p.default]
    unknown = [n for n in wanted if n not in PROFILES]
    if unknown:
        raise UnknownProfile(f"unknown profile {unknown[0]!r} (known: {', '.join(PROFILES)})")
    return [p for name, p in PROFILES.items() if name in wanted]


def profiles_of(features: Iterable[Feature]) -> list[str]:
    """Names of the profiles that own at least one of `features` (a test counts in each of them)."""
    feats = set(features)
    return [p.name for p in PROFILES.values() if p.features & feats]


def selected_by(features: Iterable[Feature], profiles: Iterable[Profile]) -> bool:
    """True when every feature is covered by the union of `profiles` (the Gateway API rule)."""
    covered: set[Feature] = set()
    for p in profiles:
        covered |= p.features
    return set(features) <= covered
