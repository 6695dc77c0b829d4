"""What the suite uses of a cluster and of a gateway, as typed Protocols: the two interfaces, in one place.

Why: conformance/ reaches clusters and gateways only through the provider and driver interfaces
(docs/architecture.md#lines-that-must-hold), so that one test runs unchanged on every cluster and
against every gateway. These Protocols say exactly which part of fixtures/clusters and fixtures/gateways
the core relies on; the real classes match them structurally (mypy checks it where they are passed in),
and a test of the core can hand in anything else that does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from fixtures.clusters.podspec import PodSpec
from fixtures.gateways.base import GatewayTiming
from reference import Pools, ServiceDiscoveryConfig

Pod = dict[str, Any]
"""A pod as the API server holds it: camelCase JSON."""
PoolSource = Callable[[], Pools]
"""Reads a gateway's pools now (raises when the gateway is gone)."""
PodSource = Callable[[], Sequence[Mapping[str, Any]]]
"""Reads the pods of a test now, to name them in failure messages."""


class PodNamespace(Protocol):
    """One namespace of a cluster and the pods in it (fixtures.clusters.Namespace)."""

    @property
    def name(self) -> str: ...

    def create_pods(self, specs: Iterable[PodSpec]) -> list[Pod]: ...

    def pods(self) -> list[Pod]: ...

    def get(self, name: str) -> Pod | None: ...

    def relabel(self, name: str, labels: Mapping[str, str]) -> Pod: ...

    def set_ready(self, name: str, ready: bool) -> Pod: ...

    def set_phase(self, name: str, phase: str) -> Pod: ...

    def set_ready_conditions(self, name: str, statuses: Sequence[str]) -> Pod: ...

    def delete(
        self, name: str, grace_seconds: int | None = None, *, wait: bool | None = None
    ) -> Pod | None: ...

    def recreate(self, name: str, spec: PodSpec | None = None) -> Pod: ...

    def wait_gone(self, name: str, *, timeout: float | None = None) -> None: ...

    def release_workers(self) -> None: ...

    def close(self) -> None: ...


class Faults(Protocol):
    """Fault injection into the cluster's API server (the embedded provider's `faults()`)."""

    def drop_watches(self, *, abrupt: bool = False) -> int: ...

    def compact(self) -> int: ...

    def fail_lists(self, n: int, code: int = 500) -> None: ...

    def pending_list_failures(self) -> int: ...

    def delay(self, seconds: float) -> None: ...

    def clear(self) -> None: ...

    def restart(self) -> None: ...


class ClusterProvider(Protocol):
    """A started cluster (fixtures.clusters.ClusterProvider): its kubeconfig and fresh namespaces."""

    @property
    def kubeconfig(self) -> Path: ...

    def namespace(self, prefix: str = ...) -> PodNamespace: ...


class RunningGateway(Protocol):
    """A started gateway (fixtures.gateways.RunningGateway)."""

    @property
    def requested_config(self) -> ServiceDiscoveryConfig: ...

    @property
    def effective_config(self) -> ServiceDiscoveryConfig: ...

    def pools(self) -> Pools: ...

    def log(self) -> str: ...

    def alive(self) -> bool: ...

    def stop(self) -> None: ...


class GatewayDriver(Protocol):
    """How to run one kind of gateway (fixtures.gateways.GatewayDriver)."""

    @property
    def name(self) -> str: ...

    @property
    def timing(self) -> GatewayTiming: ...

    def version(self) -> str: ...

    def start(
        self, config: ServiceDiscoveryConfig, *, kubeconfig: Path, workdir: Path, timeout: float = ...
    ) -> RunningGateway: ...
