"""The in-cluster placement of a gateway driver, against the embedded API server (RBAC enforced).

Why (docs/clusters.md#gateway-placement): on kind and existing clusters every gateway runs as a
Deployment and is read through the API (`pods/proxy`, `pods/log`); these tests hold the driver's
contract where it differs from a local process: what it creates and removes, where its pools come
from, and how an image that cannot run ends (a one-line setup error, at once, not a timeout).
The suite-level proof is the parity test of tests/conformance/test_proof.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from fixtures.apiserver import EmbeddedAPIServer, random_pod_ip_start
from fixtures.gateways.errors import GatewaySetupError
from fixtures.gateways.incluster import InClusterDriver
from fixtures.gateways.reference import ReferenceDriver
from reference import ServiceDiscoveryConfig
from tests.polling import FakeTime

REPO = Path(__file__).resolve().parents[2]
CONFIG = ServiceDiscoveryConfig(enabled=True, selector={"app": "sglang"})


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedAPIServer]:
    image = ReferenceDriver().container(CONFIG).image
    assert image is not None
    srv = EmbeddedAPIServer(
        images={image: [sys.executable, "-m", "fixtures.gateways.reference_gateway"]},
        authorization="rbac",
        pod_ip_start=random_pod_ip_start(),
    ).start()
    try:
        srv.write_kubeconfig(tmp_path / "kubeconfig.yaml")
        yield srv
    finally:
        srv.stop()


def _names(srv: EmbeddedAPIServer, tmp_path: Path) -> dict[str, set[str]]:
    api = config.new_client_from_config(config_file=str(tmp_path / "kubeconfig.yaml"))
    try:
        core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
        namespaces = [n.metadata.name for n in core.list_namespace().items]
        pods = core.list_pod_for_all_namespaces().items
        roles = [r.metadata.name for r in rbac.list_cluster_role().items]
        bindings = [b.metadata.name for b in rbac.list_cluster_role_binding().items]
        return {
            "namespaces": {n for n in namespaces if n.startswith("sgl-gw-")},
            "pods": {f"{p.metadata.namespace}/{p.metadata.name}" for p in pods},
            "clusterroles": {r for r in roles if r.startswith("sgl-")},
            "bindings": {b for b in bindings if b.startswith("sgl-")},
        }
    finally:
        api.close()


def test_reference_gateway_in_cluster_is_read_through_the_api_and_leaves_nothing(
    server: EmbeddedAPIServer, tmp_path: Path
) -> None:
    driver = InClusterDriver(ReferenceDriver())
    gateway = driver.start(CONFIG, kubeconfig=tmp_path / "kubeconfig.yaml", workdir=tmp_path)
    try:
        during = _names(server, tmp_path)
        (namespace,) = during["namespaces"]
        assert during["clusterroles"] == during["bindings"] == {f"sgl-gateway-discovery-{namespace}"}
        assert gateway.pools_url.startswith(f"{server.url}/api/v1/namespaces/{namespace}/pods/")
        assert gateway.pools_url.endswith(":30000/proxy/workers")
        assert gateway.pools().all_urls() == set()  # no worker pods: an empty answer, through the proxy
        assert "Starting K8s service discovery" in gateway.log()  # pods/log
        assert gateway.pid == 0  # nothing of it runs on this machine
    finally:
        gateway.stop()
    after = _names(server, tmp_path)
    assert after["clusterroles"] == after["bindings"] == set()
    assert not any(p.startswith(f"{namespace}/") for p in after["pods"])
    assert "Starting K8s service discovery" in gateway.log()  # kept after stop


class _StuckProcess:
    """A gateway pod as the API returns it while its image cannot be pulled (the client's dict form)."""

    namespace, pod_name = "sgl-gw-x", None
    waiting = {"reason": "ErrImagePull", "message": 'pull access denied for "example.invalid/gw"'}

    def pod(self) -> dict[str, Any]:
        status = {"container_statuses": [{"name": "gateway", "state": {"waiting": self.waiting}}]}
        return {"metadata": {"name": "sgl-gateway-1"}, "status": status}

    def log(self) -> str:
        return ""


def test_an_image_the_cluster_cannot_pull_is_a_setup_error_at_once() -> None:
    driver = InClusterDriver(ReferenceDriver(), image="example.invalid/gw:1")
    with pytest.raises(
        GatewaySetupError, match=r"image example.invalid/gw:1 cannot start: ErrImagePull pull access"
    ):
        driver._wait_ready(_StuckProcess(), timeout=600, clock=FakeTime().clock())  # type: ignore[arg-type]


def test_a_gateway_without_an_image_of_its_own_needs_one() -> None:
    from fixtures.gateways.sglang_router import SglangRouterDriver

    with pytest.raises(
        GatewaySetupError, match="sglang-router has no container image of its own: pass --gateway-image"
    ):
        InClusterDriver(SglangRouterDriver())
    assert InClusterDriver(SglangRouterDriver(), image="me/router:1").version() == "me/router:1"


class _KubeConfig:
    """`kubernetes.config` as the reference gateway sees it in a pod: no kubeconfig file."""

    ConfigException = type("ConfigException", (Exception,), {})

    def __init__(self, *, in_cluster: bool) -> None:
        self.in_cluster, self.loaded = in_cluster, ""

    def load_kube_config(self) -> None:
        raise self.ConfigException("Invalid kube-config file. No configuration found.")

    def load_incluster_config(self) -> None:
        if not self.in_cluster:
            raise self.ConfigException("Service host/port is not set.")
        self.loaded = "in-cluster"


def test_the_reference_gateway_falls_back_to_the_in_cluster_config() -> None:
    """In a kind pod there is no kubeconfig: like kube-rs `Config::infer` (smg, sglang-router), the
    reference gateway then uses the pod's ServiceAccount view; without either it says why, both ways."""
    from fixtures.gateways.reference_gateway.__main__ import _load_config

    in_pod = _KubeConfig(in_cluster=True)
    _load_config(in_pod)
    assert in_pod.loaded == "in-cluster"
    nowhere = _KubeConfig(in_cluster=False)
    with pytest.raises(
        nowhere.ConfigException, match=r"in-cluster: \(Service host/port is not set.\), kubeconfig"
    ):
        _load_config(nowhere)
