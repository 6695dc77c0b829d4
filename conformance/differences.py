"""How two pools differ, worker by worker, named by pod: the lines of every failure message.

Why: a failure must say which pods differ and how, in words a person acts on (docs/architecture.md,
"How a test runs", step 8). Pools compare as sets of (pool, url, bootstrap port) (step 5); a worker
the reference expects with one bootstrap port and the gateway shows with another is one difference,
"bootstrap port differs", naming both ports -- not a missing and an unexpected worker that look
alike. The suite prints `line()`s; the fuzz keys its findings by `signature()`, which names pods
instead of IPs (a replay gets other IPs). Worker urls map back to pods by their host, the pod IP.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reference import POOL_NAMES, Pools

Entry = tuple[str, str, int | None]
"""(pool, url, bootstrap port) of one worker: what pools are compared by."""


class Kind(enum.Enum):
    MISSING = "missing"
    UNEXPECTED = "unexpected"
    BOOTSTRAP_PORT = "bootstrap port differs"


def url_host(url: str) -> str:
    """The host of a worker url ("http://127.0.0.5:8000" -> "127.0.0.5"; bare "ip:port" too)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return parts.hostname or url


def pod_names_by_ip(pods: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """podIP -> "namespace/name" for every pod that has an IP."""
    names: dict[str, str] = {}
    for pod in pods:
        ip = (pod.get("status") or {}).get("podIP")
        meta = pod.get("metadata") or {}
        if ip:
            names[ip] = f"{meta.get('namespace', '?')}/{meta.get('name', '?')}"
    return names


def entries(pools: Pools) -> set[Entry]:
    """(pool, url, bootstrap_port) for every worker."""
    return {(name, w.url, w.bootstrap_port) for name in POOL_NAMES for w in pools.pool(name)}


def _port(port: int | None) -> str:
    return "none" if port is None else str(port)


@dataclass(frozen=True)
class WorkerDifference:
    """One worker that differs: missing, unexpected, or in the pool with another bootstrap port."""

    kind: Kind
    pool: str
    url: str
    pod: str
    expected_port: int | None = None
    observed_port: int | None = None

    def line(self) -> str:
        """ "  missing: prefill http://127.0.0.4:8000 bootstrap_port=8998  (pod ns/p)" and the like."""
        if self.kind is Kind.BOOTSTRAP_PORT:
            ports = f"expected {_port(self.expected_port)}, observed {_port(self.observed_port)}"
            return f"  {self.kind.value}: {self.pool} {self.url} {ports}  (pod {self.pod})"
        port = self.expected_port if self.kind is Kind.MISSING else self.observed_port
        extra = f" bootstrap_port={port}" if port is not None else ""
        return f"  {self.kind.value}: {self.pool} {self.url}{extra}  (pod {self.pod})"

    def signature(self) -> str:
        """The difference by pod name, stable across runs: "missing regular default/pod-0"."""
        if self.kind is Kind.BOOTSTRAP_PORT:
            ports = f"expected {_port(self.expected_port)}, observed {_port(self.observed_port)}"
            return f"bootstrap port {self.pool} {self.pod}: {ports}"
        return f"{self.kind.value} {self.pool} {self.pod}"


def differences(expected: Pools, observed: Pools, names: Mapping[str, str]) -> list[WorkerDifference]:
    """Every worker that differs, missing first, then unexpected, then bootstrap ports; by url within.

    `names` maps a pod IP to the pod's name; a worker on an IP no pod has is named by its IP.
    """
    want, got = entries(expected), entries(observed)
    missing, unexpected = want - got, got - want
    by_worker = {(pool, url): port for pool, url, port in unexpected}
    ported = {(pool, url) for pool, url, _ in missing} & set(by_worker)

    def pod(url: str) -> str:
        host = url_host(url)
        return names.get(host, f"no pod with IP {host}")

    out: list[WorkerDifference] = []
    for pool, url, port in missing:
        if (pool, url) in ported:
            out.append(
                WorkerDifference(Kind.BOOTSTRAP_PORT, pool, url, pod(url), port, by_worker[(pool, url)])
            )
        else:
            out.append(WorkerDifference(Kind.MISSING, pool, url, pod(url), expected_port=port))
    out.extend(
        WorkerDifference(Kind.UNEXPECTED, pool, url, pod(url), observed_port=port)
        for pool, url, port in unexpected
        if (pool, url) not in ported
    )
    order = list(Kind)
    return sorted(out, key=lambda d: (order.index(d.kind), d.url, d.pool))


def describe_difference(
    expected: Pools, observed: Pools, names: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """(one line per differing worker, the sorted names of the pods that differ)."""
    found = differences(expected, observed, names)
    return [d.line() for d in found], sorted({d.pod for d in found})
