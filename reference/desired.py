"""The pools a conformant gateway converges to, for a given set of pods.

Why this exists: conformance tests compare a gateway's ``/workers`` with this desired state once the
gateway has settled (docs/interfaces.md, reference section; gateway-facts.md sections 3a and 3b). It is
the steady state of upstream's watch plus periodic full-LIST reconcile after PR #25294: a pod is a
worker iff it is included, readable, healthy, not terminating and in the watched namespace.

It is a desired state, not a lifecycle model: sglang-router 0.3.2 never removes a worker when a pod
turns unready or is relabelled (gateway-facts.md section 3b), so against that gateway the "removal"
half of a comparison is a known divergence, whatever ``semantics=`` says. ``semantics`` only selects
the inclusion rule (see ``reference.semantics``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reference.config import ServiceDiscoveryConfig
from reference.pods import Pod, PodInfo, PodType
from reference.pools import Pools, Worker
from reference.selection import should_include
from reference.semantics import Semantics

__all__ = ["DEFAULT_NAMESPACE", "expected_pools", "is_terminating", "pod_namespace"]

DEFAULT_NAMESPACE = "default"


def is_terminating(pod: Pod) -> bool:
    """Whether ``metadata.deletionTimestamp`` is set (graceful deletion has begun)."""
    metadata = pod.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get("deletionTimestamp") is not None


def pod_namespace(pod: Pod) -> str:
    """``metadata.namespace``; a pod without one is in ``"default"``, where the API server creates it."""
    metadata = pod.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, Mapping) else None
    return namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE


def expected_pools(
    pods: Iterable[Mapping[str, Any]],
    config: ServiceDiscoveryConfig,
    *,
    semantics: Semantics = Semantics.PR_25294,
) -> Pools:
    """The workers a conformant gateway shows once it has caught up with ``pods``.

    A pod becomes a worker iff ``should_include`` (under ``semantics``) is true, ``PodInfo.from_pod``
    is not ``None``, the pod is healthy (Running and Ready), ``deletionTimestamp`` is unset and, when
    ``config.namespace`` is set, it lives in that namespace. Its worker is
    ``Worker(http://{podIP}:{config.port}, bootstrap_port)`` in the pool named by its type: in PD mode
    prefill (with the annotation's bootstrap port), decode or regular; outside PD mode regular with no
    bootstrap port. Pods sharing an IP and role collapse into one worker, like URLs in the gateway.
    """
    pools: dict[PodType, set[Worker]] = {pod_type: set() for pod_type in PodType}
    for pod in pods:
        if config.namespace is not None and pod_namespace(pod) != config.namespace:
            continue
        if is_terminating(pod) or not should_include(pod, config, semantics=semantics):
            continue
        info = PodInfo.from_pod(pod, config)
        if info is None or not info.is_healthy():
            continue
        pod_type = info.pod_type or PodType.REGULAR
        bootstrap_port = info.bootstrap_port if pod_type is PodType.PREFILL else None
        pools[pod_type].add(Worker(info.worker_url(config.port), bootstrap_port))
    return Pools(
        regular=frozenset(pools[PodType.REGULAR]),
        prefill=frozenset(pools[PodType.PREFILL]),
        decode=frozenset(pools[PodType.DECODE]),
    )
