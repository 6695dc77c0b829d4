"""Which pods the gateway considers at all (``should_include``) and the configuration warning.

Why this exists: this is the heart of upstream PR #25294 (docs/semantics.md; docs/gateways.md
"Discovery rules"). Before the PR, PD mode looked only at the prefill and decode selectors; after it,
IGW mode also discovers pods matching ``selector`` as regular workers, and a new warning tells users
that ``--selector`` in PD mode needs ``--enable-igw``. The choice between the two is the ``semantics=``
keyword (see ``reference.semantics``).

Decisions are data: ``inclusion`` answers with the warning the gateway would log beside the verdict,
``misconfiguration_warnings`` lists the startup warnings, both with upstream's exact texts and
without side effects. ``should_include`` and ``warn_if_misconfigured`` keep upstream's names and
shape (a verdict plus a ``warn!``) as a thin layer that also logs those texts on the ``logging``
logger ``reference``. Like upstream, ``should_include`` warns on every call (the gateway logs once per
pod event), not once per configuration.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from reference.config import ServiceDiscoveryConfig
from reference.pods import Pod, pod_labels
from reference.semantics import Semantics

__all__ = [
    "LOGGER",
    "PD_SELECTORS_EMPTY",
    "REGULAR_SELECTOR_EMPTY",
    "SELECTOR_IGNORED_WITHOUT_IGW",
    "Inclusion",
    "discovery_selectors",
    "inclusion",
    "inclusion_warning",
    "log_warnings",
    "matches_any",
    "misconfiguration_warnings",
    "selects",
    "should_include",
    "warn_if_misconfigured",
]

LOGGER = logging.getLogger("reference")
LOGGER.addHandler(logging.NullHandler())  # a library: callers decide where warnings go (caplog, root, ...)

PD_SELECTORS_EMPTY = "PD mode enabled but both prefill_selector and decode_selector are empty"
REGULAR_SELECTOR_EMPTY = "Regular mode enabled but selector is empty"
SELECTOR_IGNORED_WITHOUT_IGW = (
    "--selector is set in PD mode without IGW mode enabled; "
    "regular worker discovery alongside PD workers requires IGW mode, "
    "selector will be ignored"
)


@dataclasses.dataclass(frozen=True)
class Inclusion:
    """``should_include``'s answer as data: whether the gateway looks at the pod, and what it logs."""

    included: bool
    warning: str | None = None
    """The warning the gateway logs while deciding (then ``included`` is false), else ``None``."""


def _regular_in_pd(config: ServiceDiscoveryConfig, semantics: Semantics) -> bool:
    """Whether PD mode also discovers ``selector`` pods: only after the PR, only with IGW on."""
    return semantics is Semantics.PR_25294 and config.igw_mode and bool(config.selector)


def discovery_selectors(
    config: ServiceDiscoveryConfig, *, semantics: Semantics = Semantics.PR_25294
) -> tuple[Mapping[str, str], ...]:
    """The selectors whose match makes the gateway look at a pod; empty ones are left out.

    Regular mode (``pd_mode`` off): ``selector``; ``igw_mode`` and the PD selectors play no part.
    PD mode: ``prefill_selector`` and ``decode_selector``, and ``selector`` too under
    ``Semantics.PR_25294`` with ``igw_mode`` on. Under ``Semantics.PRE_25294`` ``igw_mode`` and
    ``selector`` play no part in PD mode. An empty selector matches nothing, so it is dropped here;
    a configuration left with none includes no pod and warns (``inclusion_warning``).
    """
    if not config.pd_mode:
        candidates: tuple[Mapping[str, str], ...] = (config.selector,)
    elif _regular_in_pd(config, semantics):
        candidates = (config.prefill_selector, config.decode_selector, config.selector)
    else:
        candidates = (config.prefill_selector, config.decode_selector)
    return tuple(selector for selector in candidates if selector)


def matches_any(labels: Mapping[str, Any], selectors: Iterable[Mapping[str, str]]) -> bool:
    """Whether ``labels`` match one of ``selectors`` (``labels_match``: every pair equal, empty never)."""
    # a plain loop with labels_match inlined: any() over a generator costs twice as much on this hot path
    for selector in selectors:  # noqa: SIM110
        if selector and selector.items() <= labels.items():
            return True
    return False


def selects(
    labels: Mapping[str, Any], config: ServiceDiscoveryConfig, *, semantics: Semantics = Semantics.PR_25294
) -> bool:
    """Whether ``config`` discovers a pod carrying ``labels``: ``should_include``'s verdict alone."""
    return matches_any(labels, discovery_selectors(config, semantics=semantics))


def inclusion_warning(
    config: ServiceDiscoveryConfig, *, semantics: Semantics = Semantics.PR_25294
) -> str | None:
    """The warning ``should_include`` gives for every pod under ``config``, or ``None``.

    It depends on the configuration only: a configuration without discovery selectors warns, with
    ``REGULAR_SELECTOR_EMPTY`` in regular mode (empty ``selector``) and ``PD_SELECTORS_EMPTY`` in PD
    mode (both PD selectors empty, and -- ``Semantics.PR_25294`` only -- not IGW with a ``selector``,
    which still finds regular pods without a word).
    """
    if discovery_selectors(config, semantics=semantics):
        return None
    return PD_SELECTORS_EMPTY if config.pd_mode else REGULAR_SELECTOR_EMPTY


def inclusion(
    pod: Pod, config: ServiceDiscoveryConfig, *, semantics: Semantics = Semantics.PR_25294
) -> Inclusion:
    """``should_include`` as data: ``selects`` on the pod's labels, with ``inclusion_warning``."""
    return Inclusion(
        included=selects(pod_labels(pod), config, semantics=semantics),
        warning=inclusion_warning(config, semantics=semantics),
    )


def misconfiguration_warnings(
    config: ServiceDiscoveryConfig, *, semantics: Semantics = Semantics.PR_25294
) -> list[str]:
    """The configuration warnings the gateway logs at startup (``warn_if_misconfigured``), as data.

    ``Semantics.PR_25294``: ``[SELECTOR_IGNORED_WITHOUT_IGW]`` exactly when PD mode is on, IGW mode
    is off and ``selector`` is non-empty; otherwise ``[]``. It does not repeat the per-pod warnings
    of ``should_include`` (upstream keeps those separate). ``Semantics.PRE_25294``: always ``[]``;
    the check did not exist before the PR.
    """
    if semantics is Semantics.PR_25294 and config.pd_mode and not config.igw_mode and config.selector:
        return [SELECTOR_IGNORED_WITHOUT_IGW]
    return []


def log_warnings(warnings: Iterable[str]) -> None:
    """Log each text on the ``reference`` logger, as the gateway's ``warn!`` would."""
    for message in warnings:
        LOGGER.warning(message)


def should_include(
    pod: Pod, config: ServiceDiscoveryConfig, *, semantics: Semantics = Semantics.PR_25294
) -> bool:
    """Whether the gateway looks at ``pod`` at all (health and role are decided later).

    Upstream's function: ``inclusion``'s verdict, its warning (if any) logged on ``reference``.
    """
    decision = inclusion(pod, config, semantics=semantics)
    if decision.warning is not None:
        log_warnings([decision.warning])
    return decision.included


def warn_if_misconfigured(
    config: ServiceDiscoveryConfig, *, semantics: Semantics = Semantics.PR_25294
) -> list[str]:
    """Upstream's startup check: ``misconfiguration_warnings``, each also logged on ``reference``."""
    warnings = misconfiguration_warnings(config, semantics=semantics)
    log_warnings(warnings)
    return warnings
