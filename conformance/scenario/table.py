"""A scenario table: pods to create (fixtures.clusters.PodSpec) and how the test says each is discovered.

Why apart from the pod description: `expect=` is the suite's readability aid, never the source of a
verdict (docs/architecture.md#lines-that-must-hold). Every expectation comes from `reference/` over
the pods as the API server holds them; a table row's `expect=` is checked against that, and when the
two disagree the suite itself is wrong -- the test errors with SuiteTableError instead of judging the
gateway. A pod that a test mutates (relabel, unready, delete) is forgotten: its row no longer
describes it. A barrier pod proves absence only if the reference discovers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.differences import url_host
from fixtures.clusters.podspec import Phase, PodSpec
from reference import POOL_NAMES, Pools, Semantics, ServiceDiscoveryConfig, selects

ABSENT = "-"
# The semantics the tables' `expect=` columns and barriers are written for. Under another `--semantics`
# the reference alone decides; a barrier it does not discover makes the test skip (absence unprovable).
TABLE_SEMANTICS = Semantics.PR_25294


class SuiteTableError(Exception):
    """A table's `expect=` column disagrees with the reference: the suite is wrong, not the gateway."""


@dataclass(frozen=True)
class Row:
    """One row of a scenario table: a pod to create, and (optionally) how it must be discovered."""

    spec: PodSpec
    expect: str | None = None  # "regular" | "prefill" | "decode" | ABSENT | None (not stated)

    @property
    def name(self) -> str:
        return self.spec.name


def pod(
    name: str,
    labels: Mapping[str, str],
    *,
    expect: str | None = None,
    ready: bool = True,
    phase: Phase = "Running",
    has_ip: bool = True,
    bootstrap_port: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Row:
    """A table row. `bootstrap_port` sets the bootstrap-port annotation verbatim."""
    spec = PodSpec(
        name=name,
        labels=dict(labels),
        annotations=dict(annotations or {}),
        ready=ready,
        phase=phase,
        has_ip=has_ip,
        bootstrap_port=bootstrap_port,
    )
    return Row(spec, expect)


@dataclass
class Table:
    """The `expect=` column of the rows a test created, by (namespace, pod name)."""

    stated: dict[tuple[str, str], str | None] = field(default_factory=dict)

    def state(self, namespace: str, row: Row) -> None:
        self.stated[(namespace, row.name)] = row.expect

    def forget(self, namespace: str, name: str) -> None:
        """A mutated pod's `expect=` no longer describes it."""
        self.stated.pop((namespace, name), None)

    def check(self, pods: Sequence[Mapping[str, Any]], pools: Pools) -> None:
        """SuiteTableError when a stated row disagrees with what the reference discovers."""
        pool_by_host: dict[str, str] = {}
        for name in POOL_NAMES:
            for worker in pools.pool(name):
                pool_by_host[url_host(worker.url)] = name
        for item in pods:
            meta = item.get("metadata", {})
            stated = self.stated.get((meta.get("namespace"), meta.get("name")))
            if stated is None:
                continue
            ip = (item.get("status") or {}).get("podIP")
            actual = pool_by_host.get(ip, ABSENT) if ip else ABSENT
            if actual != stated:
                raise SuiteTableError(
                    f"scenario table says pod {meta.get('name')} is {stated!r}, the reference says {actual!r}"
                )


def check_barrier(barrier: Row, config: ServiceDiscoveryConfig, semantics: Semantics) -> None:
    """A barrier proves absence only if the reference discovers it: selected, Running, Ready, an IP."""
    spec = barrier.spec
    healthy = spec.ready and spec.phase == "Running" and spec.has_ip
    if healthy and selects(spec.labels, config, semantics=semantics):
        return
    if semantics is TABLE_SEMANTICS:
        raise SuiteTableError(f"barrier pod {barrier.name} is not discovered by the reference")
    pytest.skip(f"under semantics {semantics} the barrier is not discovered: absence is unprovable")
