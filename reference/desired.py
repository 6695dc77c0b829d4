"""The pools a conformant gateway converges to, for a given set of pods, and what it logs on the way.

Why this exists: conformance tests compare a gateway's ``/workers`` with this desired state once the
gateway has settled (docs/interfaces.md, reference section; docs/gateways.md "Discovery rules" and
"Lifecycle"). It is the steady state of upstream's watch plus periodic full-LIST reconcile after PR
#25294: a pod is a worker iff it is included, readable, healthy, not terminating and in the watched
namespace.

It is a desired state, not a lifecycle model: sglang-router 0.3.2 never removes a worker when a pod
turns unready or is relabelled (docs/gateways.md "Lifecycle"), so against that gateway the "removal"
half of a comparison is a known divergence, whatever ``semantics=`` says. ``semantics`` only selects
the inclusion rule (see ``reference.semantics``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from reference.config import ServiceDiscoveryConfig
from reference.pods import Pod, PodInfo, PodType, metadata_labels, pod_metadata
from reference.pools import Pools, Worker
from reference.selection import discovery_selectors, inclusion_warning, matches_any
from reference.semantics import Semantics

__all__ = [
    "DEFAULT_NAMESPACE",
    "Expectation",
    "expectation",
    "expected_pools",
    "is_terminating",
    "pod_namespace",
]

DEFAULT_NAMESPACE = "default"


def is_terminating(pod: Pod) -> bool:
    """Whether ``metadata.deletionTimestamp`` is set (graceful deletion has begun)."""
    return _terminating(pod_metadata(pod))


def pod_namespace(pod: Pod) -> str:
    """``metadata.namespace``; a pod without one is in ``"default"``, where the API server creates it."""
    return _namespace(pod_metadata(pod))


def _terminating(metadata: Mapping[str, Any]) -> bool:
    return metadata.get("deletionTimestamp") is not None


def _namespace(metadata: Mapping[str, Any]) -> str:
    namespace = metadata.get("namespace")
    return namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE


class Expectation(NamedTuple):
    """The pools a conformant gateway shows for some pods, and the warnings it logs while judging them.

    ``warnings`` holds each distinct ``should_include`` warning once (the gateway repeats it per pod
    event); the startup warnings are ``misconfiguration_warnings``'s, not repeated here.
    """

    pools: Pools
    warnings: tuple[str, ...] = ()


def expectation(
    pods: Iterable[Mapping[str, Any]],
    config: ServiceDiscoveryConfig,
    *,
    semantics: Semantics = Semantics.PR_25294,
) -> Expectation:
    """The workers a conformant gateway shows once it has caught up with ``pods``, and its warnings.

    The gateway hears of every pod in the watched namespace (all namespaces when ``config.namespace``
    is ``None``). A pod becomes a worker iff ``should_include`` (under ``semantics``) is true, it is not
    terminating (``deletionTimestamp`` unset), ``PodInfo.from_pod`` is not ``None`` and the pod is
    healthy (Running and Ready). Its worker is ``Worker(http://{podIP}:{config.port}, bootstrap_port)``
    in the pool named by its type: in PD mode prefill (with the annotation's bootstrap port), decode or
    regular; outside PD mode regular with no bootstrap port. Pods sharing an IP and role collapse into
    one worker, like URLs in the gateway. ``should_include``'s warning is a property of the
    configuration; it is expected as soon as the gateway hears of one pod.
    """
    selectors = discovery_selectors(config, semantics=semantics)
    regular: set[Worker] = set()
    prefill: set[Worker] = set()
    decode: set[Worker] = set()
    heard_of_a_pod = False
    for pod in pods:
        metadata = pod_metadata(pod)
        if config.namespace is not None and _namespace(metadata) != config.namespace:
            continue
        heard_of_a_pod = True
        if _terminating(metadata) or not matches_any(metadata_labels(metadata), selectors):
            continue
        info = PodInfo.from_pod(pod, config)
        if info is None or not info.is_healthy():
            continue
        url = info.worker_url(config.port)
        if info.pod_type is PodType.PREFILL:
            prefill.add(Worker(url, info.bootstrap_port))
        elif info.pod_type is PodType.DECODE:
            decode.add(Worker(url))
        else:
            regular.add(Worker(url))
    warning = inclusion_warning(config, semantics=semantics) if heard_of_a_pod and not selectors else None
    return Expectation(
        pools=Pools(frozenset(regular), frozenset(prefill), frozenset(decode)),
        warnings=() if warning is None else (warning,),
    )


def expected_pools(
    pods: Iterable[Mapping[str, Any]],
    config: ServiceDiscoveryConfig,
    *,
    semantics: Semantics = Semantics.PR_25294,
) -> Pools:
    """``expectation(pods, config, semantics=semantics).pools``; logs nothing."""
    return expectation(pods, config, semantics=semantics).pools
