"""Shared pieces of the gateway-driver tests: a cluster client, reachable pods, gateways that always stop.

Why: every driver test needs the same setup (embedded API server, a fake worker on the pod's
127.0.0.N address before the pod turns Ready, a gateway stopped on failure too) and the same
polling helpers; keeping them here keeps each test a short scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from fixtures.gateways import GatewayDriver, RunningGateway
from fixtures.gateways.process import free_port
from fixtures.workers import Fleet
from reference import Pools, ServiceDiscoveryConfig, Worker
from tests.polling import wait_until as wait_for

NAMESPACE = "default"


def pool_urls(pools: Pools) -> dict[str, set[str]]:
    return {
        "regular": {w.url for w in pools.regular},
        "prefill": {w.url for w in pools.prefill},
        "decode": {w.url for w in pools.decode},
    }


@dataclass
class Cluster:
    """Pods on the embedded API server, each with a fake worker up before it turns Ready."""

    api: client.CoreV1Api
    fleet: Fleet
    port: int
    ips: dict[str, str] = field(default_factory=dict)

    def pod(
        self,
        name: str,
        labels: dict[str, str],
        *,
        annotations: dict[str, str] | None = None,
        namespace: str = NAMESPACE,
    ) -> str:
        """Create a Ready pod with a running worker; returns its worker URL http://127.0.0.N:port."""
        body = {
            "metadata": {
                "name": name,
                "labels": labels,
                "annotations": {"kubelet.emulator/ready": "false", **(annotations or {})},
            },
            "spec": {"containers": [{"name": "worker", "image": "fake-sglang-worker"}]},
        }
        self.api.create_namespaced_pod(namespace, body)
        ip = wait_for(
            lambda: self.api.read_namespaced_pod(name, namespace).status.pod_ip, timeout=5, what="podIP"
        )
        self.ips[name] = ip
        self.fleet.start(ip, self.port)
        self.set_ready(name, True, namespace=namespace)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"http://{self.ips[name]}:{self.port}"

    def set_ready(self, name: str, ready: bool, *, namespace: str = NAMESPACE) -> None:
        status = "True" if ready else "False"
        self.api.patch_namespaced_pod_status(
            name, namespace, {"status": {"conditions": [{"type": "Ready", "status": status}]}}
        )

    def namespace(self, name: str) -> str:
        self.api.create_namespace({"metadata": {"name": name}})
        return name

    def relabel(self, name: str, labels: dict[str, str | None]) -> None:
        self.api.patch_namespaced_pod(name, NAMESPACE, {"metadata": {"labels": labels}})

    def delete(self, name: str) -> None:
        self.api.delete_namespaced_pod(name, NAMESPACE, grace_period_seconds=0)


@pytest.fixture
def cluster(apiserver: Any) -> Iterator[Cluster]:
    api_client = config.new_client_from_config(config_file=str(apiserver.kubeconfig))
    with Fleet() as fleet:
        try:
            yield Cluster(api=client.CoreV1Api(api_client), fleet=fleet, port=free_port())
        finally:
            api_client.close()


@pytest.fixture
def start_gateway(apiserver: Any, tmp_path: Path) -> Iterator[Callable[..., RunningGateway]]:
    """`start_gateway(driver, config)`: a started gateway, stopped at teardown (on failure too)."""
    started: list[RunningGateway] = []

    def start(driver: GatewayDriver, cfg: ServiceDiscoveryConfig, **kwargs: Any) -> RunningGateway:
        workdir = tmp_path / f"gw{len(started)}"
        gw = driver.start(cfg, kubeconfig=apiserver.kubeconfig, workdir=workdir, **kwargs)
        started.append(gw)
        return gw

    try:
        yield start
    finally:
        for gw in started:
            gw.stop()


def discovery(port: int, **fields: Any) -> ServiceDiscoveryConfig:
    """An enabled discovery config on `port` with the given fields."""
    return ServiceDiscoveryConfig(enabled=True, port=port, **fields)


def regular(*urls: str) -> Pools:
    return Pools(regular=frozenset(Worker(u, None) for u in urls), prefill=frozenset(), decode=frozenset())
