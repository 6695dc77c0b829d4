"""Which pods the gateway considers at all (``should_include``) and the configuration warning.

Why this exists: this is the heart of upstream PR #25294 (gateway-facts.md section 3a, the seed PR
summary). Before the PR, PD mode looked only at the prefill and decode selectors; after it, IGW mode
also discovers pods matching ``selector`` as regular workers, and a new warning tells users that
``--selector`` in PD mode needs ``--enable-igw``. The choice between the two is the ``semantics=``
keyword (see ``reference.semantics``).

Every warning goes through the ``logging`` logger named ``reference`` with upstream's exact text, so a
test can capture it the way it would grep the gateway's log. Like upstream, ``should_include`` warns on
every call (the gateway logs once per pod event), not once per configuration.
"""

from __future__ import annotations

import logging

from reference.config import ServiceDiscoveryConfig
from reference.pods import Pod, matches_selector
from reference.semantics import Semantics

__all__ = [
    "LOGGER",
    "PD_SELECTORS_EMPTY",
    "REGULAR_SELECTOR_EMPTY",
    "SELECTOR_IGNORED_WITHOUT_IGW",
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


def _regular_in_pd(config: ServiceDiscoveryConfig, semantics: Semantics) -> bool:
    """Whether PD mode also discovers ``selector`` pods: only after the PR, only with IGW on."""
    return semantics is Semantics.PR_25294 and config.igw_mode and bool(config.selector)


def should_include(
    pod: Pod, config: ServiceDiscoveryConfig, *, semantics: Semantics = Semantics.PR_25294
) -> bool:
    """Whether the gateway looks at ``pod`` at all (health and role are decided later).

    Regular mode (``pd_mode`` off): the pod matches ``selector``; an empty ``selector`` warns
    ``REGULAR_SELECTOR_EMPTY`` and includes nothing. ``igw_mode`` and the PD selectors play no part.

    PD mode, ``Semantics.PR_25294``: the pod matches ``prefill_selector`` or ``decode_selector``, or
    (``igw_mode`` on and ``selector`` non-empty) matches ``selector``. If both PD selectors are empty
    and IGW-with-a-selector does not apply, it warns ``PD_SELECTORS_EMPTY`` and includes nothing; with
    IGW on and a non-empty ``selector`` there is no warning and regular pods are still found.

    PD mode, ``Semantics.PRE_25294``: the pod matches ``prefill_selector`` or ``decode_selector``;
    both empty warns ``PD_SELECTORS_EMPTY`` and includes nothing, whatever ``igw_mode``/``selector`` say.
    """
    if not config.pd_mode:
        if not config.selector:
            LOGGER.warning(REGULAR_SELECTOR_EMPTY)
            return False
        return matches_selector(pod, config.selector)
    regular_in_pd = _regular_in_pd(config, semantics)
    if not config.prefill_selector and not config.decode_selector and not regular_in_pd:
        LOGGER.warning(PD_SELECTORS_EMPTY)
        return False
    matches_pd = matches_selector(pod, config.prefill_selector) or matches_selector(
        pod, config.decode_selector
    )
    return matches_pd or (regular_in_pd and matches_selector(pod, config.selector))


def warn_if_misconfigured(
    config: ServiceDiscoveryConfig, *, semantics: Semantics = Semantics.PR_25294
) -> list[str]:
    """The configuration warnings the gateway logs at startup, each also logged on ``reference``.

    ``Semantics.PR_25294``: ``[SELECTOR_IGNORED_WITHOUT_IGW]`` exactly when PD mode is on, IGW mode
    is off and ``selector`` is non-empty; otherwise ``[]``. It does not repeat the per-pod warnings
    of ``should_include`` (upstream keeps those separate). ``Semantics.PRE_25294``: always ``[]``;
    the check did not exist before the PR.
    """
    warnings: list[str] = []
    if semantics is Semantics.PR_25294 and config.pd_mode and not config.igw_mode and config.selector:
        warnings.append(SELECTOR_IGNORED_WITHOUT_IGW)
    for message in warnings:
        LOGGER.warning(message)
    return warnings
