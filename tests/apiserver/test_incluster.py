"""End to end on the embedded API server: a gateway as an in-cluster Deployment, read through the API.

Why (issue 12, "Prove it here"): on kind or someone else's cluster the gateway runs in a pod, with the
ServiceAccount and least-privilege RBAC of manifests/rbac/, and the harness reads its `/workers` through
`pods/proxy` and its log through `pods/log`. Here the same manifests go to the emulator with RBAC on;
the gateway image is mapped to a local command (the reference gateway, and smg 1.13.0 from PyPI), gets
its args and `$(POD_IP)` from the pod spec and its ServiceAccount token in its kubeconfig; the workers
are manifests/workers/ pods run by the fake-worker runtime. What is proven: the gateway discovers
exactly the labelled worker pods (expected = their pod IPs, read from the API) and follows a deletion,
every request it made was a get/list/watch of pods as its ServiceAccount (the audit log), and without
the binding it is refused (403) and discovers nothing.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config, utils

from fixtures.apiserver import EmbeddedAPIServer, random_pod_ip_start
from fixtures.gateways import strip_ansi
from fixtures.gateways.install import SMG, ensure_installed, venv_python
from fixtures.gateways.workers_json import SMG_SHAPE
from fixtures.workers.runtime import FakeWorkerRuntime
from tests.apiserver._support import Rest
from tests.apiserver.conftest import ServerFactory
from tests.polling import wait_until

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "manifests"
REFERENCE_IMAGE = "sgl-conformance/reference-gateway:test"
SMG_IMAGE = "smg:1.13.0"
SA_USER = "system:serviceaccount:default:sgl-gateway"
PORT = 30000
POD_IP_ENV = {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}


@dataclass
class Cluster:
    srv: EmbeddedAPIServer
    api: client.ApiClient

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    def apply(self, path: Path, namespace: str = "default") -> None:
        utils.create_from_yaml(self.api, str(path), namespace=namespace)

    def worker(self, name: str, *, namespace: str = "default", app: str = "sglang") -> None:
        body = yaml.safe_load((MANIFESTS / "workers/regular-pod.yaml").read_text())
        body["metadata"].update(name=name, namespace=namespace)
        body["metadata"]["labels"]["app"] = app
        self.core.create_namespaced_pod(namespace, body)

    def gateway(self, image: str, args: list[str]) -> str:
        """Create the gateway Deployment of manifests/gateway/; returns its Ready pod's name."""
        body = yaml.safe_load((MANIFESTS / "gateway/deployment.yaml").read_text())
        container = body["spec"]["template"]["spec"]["containers"][0]
        container.update(image=image, args=args, env=[POD_IP_ENV])
        container.pop("command")  # the image's entrypoint
        client.AppsV1Api(self.api).create_namespaced_deployment("default", body)

        def ready_pod() -> str | None:
            for pod in self.core.list_namespaced_pod(
                "default", label_selector="app.kubernetes.io/name=sgl-gateway"
            ).items:
                if any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or []):
                    return str(pod.metadata.name)
            return None

        return wait_until(ready_pod, timeout=60, what="the gateway pod Ready")

    def worker_urls(self, namespace: str = "default", app: str = "sglang") -> set[str]:
        pods = self.core.list_namespaced_pod(namespace, label_selector=f"app={app}").items
        return {
            f"http://{p.status.pod_ip}:8000"
            for p in pods
            if p.status.pod_ip and not p.metadata.deletion_timestamp
        }

    def discovered(self, pod: str) -> set[str]:
        resp = Rest(self.srv.url).get(f"/api/v1/namespaces/default/pods/{pod}:{PORT}/proxy/workers")
        assert resp.status_code == 200, resp.text
        return set(SMG_SHAPE.parse(resp.json()).all_urls())

    def log(self, pod: str) -> str:
        return strip_ansi(self.core.read_namespaced_pod_log(pod, "default", container="gateway"))


@pytest.fixture
def cluster(make_server: ServerFactory) -> Iterator[Cluster]:
    runtime = FakeWorkerRuntime()
    try:
        srv = make_server(
            container_runtime=runtime,
            images={REFERENCE_IMAGE: [sys.executable, "-m", "fixtures.gateways.reference_gateway"]},
            authorization="rbac",
            pod_ip_start=random_pod_ip_start(),
        )
        api = config.new_client_from_config(config_file=str(srv.kubeconfig))
        try:
            yield Cluster(srv, api)
        finally:
            api.close()
            srv.stop()
    finally:
        runtime.close()


def reference_args(**config_: Any) -> list[str]:
    cfg = {"enabled": True, "selector": {"app": "sglang"}, **config_}
    return ["--config", json.dumps(cfg), "--host", "$(POD_IP)", "--port", str(PORT)]


def smg_args(*extra: str) -> list[str]:
    return [
        "--host",
        "$(POD_IP)",
        "--port",
        str(PORT),
        "--prometheus-host",
        "$(POD_IP)",
        "--prometheus-port",
        "29000",
        "--service-discovery",
        "--selector",
        "app=sglang",
        "--service-discovery-port",
        "8000",
        *extra,
    ]


def assert_read_pods_only(srv: EmbeddedAPIServer) -> None:
    """Everything the gateway asked for was allowed and was a read of pods (least privilege, used)."""
    assert srv.audit is not None
    seen = {
        (e.verb, e.resource, e.subresource, e.allowed) for e in srv.audit.events(user=SA_USER) if not e.path
    }
    assert {("list", "pods", "", True), ("watch", "pods", "", True)} <= seen, seen
    assert {verb for verb, _, _, _ in seen} <= {"get", "list", "watch"}, seen
    assert {(resource, sub, allowed) for _, resource, sub, allowed in seen} == {("pods", "", True)}, seen


def workers_and_a_bystander(cluster: Cluster) -> None:
    """Two worker pods the selector app=sglang matches, one it does not."""
    for i in range(2):
        cluster.worker(f"worker-{i}")
    cluster.worker("bystander", app="other")


def discovers_and_follows(cluster: Cluster, gateway_pod: str) -> None:
    expected = cluster.worker_urls()
    assert len(expected) == 2
    wait_until(lambda: cluster.discovered(gateway_pod) == expected, timeout=30, what=f"discovered {expected}")
    cluster.core.delete_namespaced_pod("worker-0", "default", grace_period_seconds=0)
    remaining = cluster.worker_urls()
    wait_until(
        lambda: cluster.discovered(gateway_pod) == remaining, timeout=30, what=f"discovered {remaining}"
    )


def test_reference_gateway_in_cluster_with_cluster_wide_rbac(cluster: Cluster) -> None:
    cluster.apply(MANIFESTS / "rbac/gateway-rbac.yaml")
    workers_and_a_bystander(cluster)
    pod = cluster.gateway(REFERENCE_IMAGE, reference_args())
    discovers_and_follows(cluster, pod)
    log = cluster.log(pod)
    assert "Starting K8s service discovery | all namespaces" in log
    assert "Adding worker" in log
    assert_read_pods_only(cluster.srv)


def test_reference_gateway_in_cluster_with_namespaced_rbac(cluster: Cluster) -> None:
    cluster.apply(MANIFESTS / "rbac/gateway-rbac-namespaced.yaml")
    cluster.core.create_namespace({"metadata": {"name": "elsewhere"}})
    cluster.worker("far", namespace="elsewhere")
    for i in range(2):
        cluster.worker(f"worker-{i}")
    pod = cluster.gateway(REFERENCE_IMAGE, reference_args(namespace="default"))
    discovers_and_follows(cluster, pod)
    assert "Starting K8s service discovery | namespace default" in cluster.log(pod)
    assert_read_pods_only(cluster.srv)


def test_gateway_without_the_binding_is_refused(cluster: Cluster) -> None:
    docs = [
        d
        for d in yaml.safe_load_all((MANIFESTS / "rbac/gateway-rbac.yaml").read_text())
        if d["kind"] == "ServiceAccount"
    ]
    client.CoreV1Api(cluster.api).create_namespaced_service_account("default", copy.deepcopy(docs[0]))
    cluster.worker("worker-0")
    pod = cluster.gateway(REFERENCE_IMAGE, reference_args())
    audit = cluster.srv.audit
    assert audit is not None
    wait_until(
        lambda: any(e.verb == "list" and not e.allowed for e in audit.events(user=SA_USER)),
        timeout=30,
        what="a refused list of pods",
    )
    wait_until(
        lambda: "403" in cluster.log(pod) or "Forbidden" in cluster.log(pod),
        timeout=15,
        what="the 403 in the log",
    )
    assert cluster.discovered(pod) == set()


def test_smg_in_cluster_with_cluster_wide_rbac(cluster: Cluster) -> None:
    venv = ensure_installed(SMG)
    cluster.srv.map_image(SMG_IMAGE, [str(venv_python(venv)), "-m", "smg.launch_router"])
    cluster.apply(MANIFESTS / "rbac/gateway-rbac.yaml")
    workers_and_a_bystander(cluster)
    pod = cluster.gateway(SMG_IMAGE, smg_args())
    discovers_and_follows(cluster, pod)
    assert_read_pods_only(cluster.srv)
