"""The manifests are checked on every run (issue 5): valid against the Kubernetes schemas, RBAC no
wider than get/list/watch on pods, containers non-root without privilege escalation, and the same for
what the harness renders from them (worker pods from PodSpecs, the gateway Deployment from configs).

Schemas come from kubernetes-validate (shipped in the wheel, no network), strict mode: an unknown or
misspelt field is an error, as `kubectl apply --validate=strict` would make it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures.clusters.podspec import PodSpec
from fixtures.clusters.templates import NotExpressible, render_pod
from fixtures.workers import FAKE_WORKER_IMAGE, WorkerSpec
from reference import ServiceDiscoveryConfig

kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
#: The Kubernetes version of the kind node image the workflow uses (kind v0.26.0 -> 1.32).
K8S_VERSION = "1.32.0"
ALLOWED_VERBS = {"get", "list", "watch"}


def _load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


K8S_FILES = sorted(p for p in MANIFESTS.rglob("*.yaml") if p.parent.name != "kind")
K8S_DOCS = [(f"{p.relative_to(MANIFESTS)}#{i}", doc) for p in K8S_FILES for i, doc in enumerate(_load(p))]


def _validate(doc: dict[str, Any]) -> None:
    kv.validate(doc, K8S_VERSION, strict=True)


def test_the_manifests_are_there() -> None:
    names = {str(p.relative_to(MANIFESTS)) for p in K8S_FILES}
    assert {
        "gateway/deployment.yaml",
        "rbac/gateway-rbac.yaml",
        "rbac/gateway-rbac-namespaced.yaml",
        "workers/regular-pod.yaml",
        "workers/prefill-pod.yaml",
        "workers/decode-pod.yaml",
    } <= names


@pytest.mark.parametrize(("where", "doc"), K8S_DOCS, ids=[w for w, _ in K8S_DOCS])
def test_manifest_is_valid_against_the_schema(where: str, doc: dict[str, Any]) -> None:
    _validate(doc)


def test_the_schema_check_can_fail() -> None:
    (pod,) = _load(MANIFESTS / "workers" / "regular-pod.yaml")
    pod["spec"]["containers"][0]["readinesProbe"] = pod["spec"]["containers"][0]["readinessProbe"]  # typo
    with pytest.raises(kv.utils.ValidationError):
        _validate(pod)


def test_kind_cluster_config() -> None:
    (doc,) = _load(MANIFESTS / "kind" / "cluster.yaml")
    assert doc["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert doc["kind"] == "Cluster"
    assert doc["nodes"] and {n["role"] for n in doc["nodes"]} <= {"control-plane", "worker"}


# -- RBAC --------------------------------------------------------------------------------------------


RBAC_DOCS = [doc for p in sorted((MANIFESTS / "rbac").glob("*.yaml")) for doc in _load(p)]


def rbac_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Every grant wider than get/list/watch on core pods, and bindings to anything else."""
    problems = []
    roles = {d["metadata"]["name"] for d in docs if d["kind"] in ("Role", "ClusterRole")}
    for doc in docs:
        name = f"{doc['kind']} {doc['metadata']['name']}"
        if doc["kind"] in ("Role", "ClusterRole"):
            if doc.get("aggregationRule"):
                problems.append(f"{name}: aggregationRule")
            for rule in doc.get("rules") or []:
                if rule.get("apiGroups") != [""]:
                    problems.append(f"{name}: apiGroups {rule.get('apiGroups')}")
                if set(rule.get("resources") or []) != {"pods"}:
                    problems.append(f"{name}: resources {rule.get('resources')}")
                if not set(rule.get("verbs") or []) <= ALLOWED_VERBS:
                    problems.append(f"{name}: verbs {rule.get('verbs')}")
                if rule.get("nonResourceURLs") or rule.get("resourceNames"):
                    problems.append(f"{name}: nonResourceURLs/resourceNames")
        if doc["kind"].endswith("Binding") and doc["roleRef"]["name"] not in roles:
            problems.append(f"{name}: binds {doc['roleRef']['name']}, not a role defined here")
    return problems


def test_rbac_grants_only_get_list_watch_on_pods() -> None:
    assert {d["kind"] for d in RBAC_DOCS} >= {"ServiceAccount", "Role", "ClusterRole"}
    assert rbac_problems(RBAC_DOCS) == []


def test_rbac_check_catches_a_wider_grant() -> None:
    wider = [dict(d) for d in RBAC_DOCS]
    role = next(d for d in wider if d["kind"] == "ClusterRole")
    role["rules"] = [{"apiGroups": [""], "resources": ["pods", "secrets"], "verbs": ["get", "patch"]}]
    assert rbac_problems(wider) == [
        "ClusterRole sgl-gateway-discovery: resources ['pods', 'secrets']",
        "ClusterRole sgl-gateway-discovery: verbs ['get', 'patch']",
    ]


# -- container hardening ------------------------------------------------------------------------------


def pod_spec_of(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"] if doc["kind"] == "Deployment" else doc["spec"]


def hardening_problems(doc: dict[str, Any]) -> list[str]:
    """Containers must run as non-root, without privilege escalation, privileged mode or capabilities."""
    spec = pod_spec_of(doc)
    pod_ctx = spec.get("securityContext") or {}
    problems = []
    if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
        problems.append("host namespaces")
    for container in spec.get("containers") or []:
        ctx = container.get("securityContext") or {}
        name = container["name"]
        if not ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")):
            problems.append(f"{name}: runAsNonRoot not set")
        if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
            problems.append(f"{name}: runAsUser 0")
        if ctx.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation not false")
        if ctx.get("privileged"):
            problems.append(f"{name}: privileged")
        if "ALL" not in ((ctx.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{name}: capabilities not dropped")
        if (ctx.get("capabilities") or {}).get("add"):
            problems.append(f"{name}: capabilities added")
    return problems


WORKLOADS = [(w, d) for w, d in K8S_DOCS if d["kind"] in ("Pod", "Deployment")]


@pytest.mark.parametrize(("where", "doc"), WORKLOADS, ids=[w for w, _ in WORKLOADS])
def test_containers_are_non_root_without_privilege_escalation(where: str, doc: dict[str, Any]) -> None:
    assert hardening_problems(doc) == []


def test_hardening_check_catches_root() -> None:
    (pod,) = _load(MANIFESTS / "workers" / "regular-pod.yaml")
    pod["spec"]["securityContext"] = {"runAsUser": 0}
    pod["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    assert hardening_problems(pod) == [
        "worker: runAsNonRoot not set",
        "worker: runAsUser 0",
        "worker: allowPrivilegeEscalation not false",
    ]


# -- what the harness renders ------------------------------------------------------------------------

RENDERED = [
    PodSpec("reg", labels={"app": "sglang"}),
    PodSpec("pre", labels={"role": "p"}, bootstrap_port=9001, worker=WorkerSpec(role="prefill")),
    PodSpec("dec", worker=WorkerSpec(role="decode", failing=frozenset({"/health"}))),
    PodSpec("pending", phase="Pending"),
    PodSpec("failed", phase="Failed"),
    PodSpec("idle", reachable=False, ready=False, termination_grace_seconds=30),
    PodSpec("bad-port", bootstrap_port="abc", annotations={"note": "x"}),
]


@pytest.mark.parametrize("spec", RENDERED, ids=[s.name for s in RENDERED])
def test_rendered_worker_pods_are_valid_and_hardened(spec: PodSpec) -> None:
    pod = render_pod(spec, image="registry.example/fake-worker:0.1")
    pod["metadata"]["namespace"] = "conformance-x"
    _validate(pod)
    assert hardening_problems(pod) == []
    assert pod["metadata"]["name"] == spec.name
    assert pod["metadata"]["labels"] == dict(spec.labels)
    assert pod["spec"]["containers"][0]["image"] == "registry.example/fake-worker:0.1"


def test_rendered_pod_carries_what_discovery_reads() -> None:
    spec = PodSpec("pre", labels={"app": "sglang", "component": "prefill"}, bootstrap_port=9001)
    spec = PodSpec(**{**spec.__dict__, "worker": WorkerSpec(role="prefill")})
    pod = render_pod(spec)
    container = pod["spec"]["containers"][0]
    assert pod["metadata"]["annotations"] == {"sglang.ai/bootstrap-port": "9001"}
    assert container["image"] == FAKE_WORKER_IMAGE
    assert container["args"] == ["--port", "8000", "--model-id", "fake-model", "--role", "prefill",
                                 "--bootstrap-port", "9001"]  # fmt: skip
    assert pod["spec"]["readinessGates"] == [{"conditionType": "sgl-conformance.io/ready"}]


def test_running_without_ip_is_not_expressible_on_a_real_kubelet() -> None:
    with pytest.raises(NotExpressible, match="has_ip=False"):
        render_pod(PodSpec("no-ip", has_ip=False))


CONFIGS = [
    ServiceDiscoveryConfig(enabled=True, selector={"app": "sglang"}),
    ServiceDiscoveryConfig(
        enabled=True,
        pd_mode=True,
        igw_mode=True,
        selector={"app": "sglang"},
        prefill_selector={"component": "prefill"},
        decode_selector={"component": "decode"},
        namespace="conformance-a",
    ),
]


@pytest.mark.parametrize("config", CONFIGS, ids=["regular", "pd-igw-namespaced"])
def test_rendered_gateway_deployment_and_rbac_are_valid(config: ServiceDiscoveryConfig) -> None:
    from fixtures.gateways.flags import discovery_args
    from fixtures.gateways.incluster import render_deployment, render_rbac
    from fixtures.gateways.smg import SmgDriver

    deployment = render_deployment(
        SmgDriver().container(config), image="example/gateway:dev", namespace="conformance-gw"
    )
    _validate(deployment)
    assert hardening_problems(deployment) == []
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "example/gateway:dev"
    assert container["args"][-len(discovery_args(config)) :] == discovery_args(config)
    assert "--service-discovery" in container["args"]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "sgl-gateway"
    rbac = render_rbac(config, namespace="conformance-gw")
    for doc in rbac:
        _validate(doc)
    assert rbac_problems(rbac) == []
    kinds = {d["kind"] for d in rbac}
    assert kinds == ({"ServiceAccount", "Role", "RoleBinding"} if config.namespace else
                     {"ServiceAccount", "ClusterRole", "ClusterRoleBinding"})  # fmt: skip
