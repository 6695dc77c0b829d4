"""ServiceAccounts, the RBAC kinds and Deployments, as the `kubernetes` client and kubectl use them.

Why (issue 12, "Prove it here"): the in-cluster gateway path creates a ServiceAccount, a
(Cluster)Role and its binding, and a Deployment, then waits for the Deployment's pod. Each of these
must behave as on a real cluster for what the harness uses: CRUD and watch through the generated
client, kubectl's discovery/apply/get/scale/rollout/wait, kube's validation texts, and the Deployment
controller keeping one pod per replica (named and labelled like a ReplicaSet's pods, replaced when
deleted, scaled up and down, removed with the Deployment). Expected values come from Kubernetes'
documented behaviour, never from the server under test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config, watch

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver._support import Kubectl, Rest, assert_status
from tests.polling import wait_until

REPO = Path(__file__).resolve().parents[2]
_SAFE = "[bcdfghjklmnpqrstvwxz2456789]"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
POD_NAME = re.compile(rf"^web-(?P<hash>{_SAFE}{{6,10}})-{_SAFE}{{5}}$")


@pytest.fixture
def api(apiserver: EmbeddedAPIServer) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(apiserver.kubeconfig))
    yield api_client
    api_client.close()


def deployment(name: str = "web", replicas: int = 3, **template_spec: Any) -> dict[str, Any]:
    spec = {"terminationGracePeriodSeconds": 0, "containers": [{"name": "c", "image": "nginx:1.27"}]}
    spec.update(template_spec)
    return {
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name, "tier": "t"}}, "spec": spec},
        },
    }


def status_message(err: pytest.ExceptionInfo[client.ApiException]) -> str:
    """The Status message of a failed call (what kubectl prints after `Error from server`)."""
    return str(json.loads(err.value.body)["message"])


def active_pods(core: client.CoreV1Api, selector: str = "app=web", namespace: str = "default") -> list[Any]:
    pods = core.list_namespaced_pod(namespace, label_selector=selector).items
    return [p for p in pods if p.metadata.deletion_timestamp is None]


def wait_pods(core: client.CoreV1Api, count: int, selector: str = "app=web") -> list[Any]:
    def ready() -> list[Any] | None:
        pods = active_pods(core, selector)
        return pods if len(pods) == count else None

    return wait_until(ready, timeout=10, what=f"{count} active pods for {selector}")


# -- discovery ---------------------------------------------------------------------------------------
def test_discovery_serves_the_named_groups(rest: Rest) -> None:
    groups = {g["name"]: g for g in rest.get("/apis").json()["groups"]}
    assert {"apps", "rbac.authorization.k8s.io", "authorization.k8s.io"} <= set(groups)
    assert groups["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    apps = {r["name"]: r for r in rest.get("/apis/apps/v1").json()["resources"]}
    assert apps["deployments"]["namespaced"] is True and apps["deployments"]["shortNames"] == ["deploy"]
    assert (apps["deployments/scale"]["group"], apps["deployments/scale"]["kind"]) == ("autoscaling", "Scale")
    core = {r["name"] for r in rest.get("/api/v1").json()["resources"]}
    assert {"serviceaccounts", "serviceaccounts/token", "pods/log", "pods/proxy"} <= core
    rbac = {
        r["name"]: r["namespaced"] for r in rest.get("/apis/rbac.authorization.k8s.io/v1").json()["resources"]
    }
    assert rbac == {"roles": True, "rolebindings": True, "clusterroles": False, "clusterrolebindings": False}


def test_kubectl_knows_the_short_names(kubectl: Kubectl) -> None:
    out = kubectl.run("api-resources", "--no-headers").stdout
    rows = {line.split()[0]: line.split() for line in out.splitlines()}
    assert rows["deployments"][1] == "deploy" and rows["serviceaccounts"][1] == "sa"
    assert "clusterrolebindings" in rows and "roles" in rows


# -- ServiceAccounts and RBAC objects ------------------------------------------------------------------
def test_service_account_crud_and_watch(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_service_account("default", {"metadata": {"name": "gw"}})
    assert created.metadata.uid and created.metadata.resource_version
    stream = watch.Watch().stream(
        core.list_namespaced_service_account,
        "default",
        resource_version=created.metadata.resource_version,
        timeout_seconds=5,
    )
    core.patch_namespaced_service_account("gw", "default", {"metadata": {"labels": {"a": "b"}}})
    core.delete_namespaced_service_account("gw", "default")
    events = []
    for event in stream:
        events.append((event["type"], event["object"].metadata.name, event["object"].metadata.labels))
        if event["type"] == "DELETED":
            break
    assert events == [("MODIFIED", "gw", {"a": "b"}), ("DELETED", "gw", {"a": "b"})]
    assert core.list_namespaced_service_account("default").items == []


def test_rbac_objects_round_trip(api: client.ApiClient) -> None:
    rbac = client.RbacAuthorizationV1Api(api)
    rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
    rbac.create_namespaced_role("default", {"metadata": {"name": "r"}, "rules": [rule]})
    rbac.create_cluster_role({"metadata": {"name": "cr"}, "rules": [rule]})
    ref = {"kind": "ClusterRole", "name": "cr"}  # apiGroup defaulted, as by kube
    subject = {"kind": "User", "name": "alice"}  # apiGroup defaulted too
    binding = rbac.create_cluster_role_binding(
        {"metadata": {"name": "b"}, "roleRef": ref, "subjects": [subject]}
    )
    assert binding.role_ref.api_group == "rbac.authorization.k8s.io"
    assert binding.subjects[0].api_group == "rbac.authorization.k8s.io"
    rbac.create_namespaced_role_binding(
        "default",
        {
            "metadata": {"name": "rb"},
            "roleRef": {"kind": "Role", "name": "r", "apiGroup": "rbac.authorization.k8s.io"},
            "subjects": [{"kind": "ServiceAccount", "name": "gw"}],
        },
    )
    assert [r.metadata.name for r in rbac.list_role_for_all_namespaces().items] == ["r"]
    assert rbac.read_cluster_role("cr").rules[0].verbs == ["get", "list", "watch"]
    with pytest.raises(client.ApiException) as err:
        rbac.patch_cluster_role_binding("b", {"roleRef": {"kind": "ClusterRole", "name": "other"}})
    assert err.value.status == 422
    assert "cannot change roleRef" in status_message(err)
    assert 'ClusterRoleBinding.rbac.authorization.k8s.io "b" is invalid' in status_message(err)


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        (
            {"metadata": {"name": "x"}, "rules": [{"apiGroups": [""], "resources": ["pods"]}]},
            ["rules[0].verbs: Required value: verbs must contain at least one value"],
        ),
        (
            {"metadata": {"name": "x"}, "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]},
            ["rules[0].nonResourceURLs: Invalid value", "namespaced rules cannot apply to non-resource URLs"],
        ),
        (
            {"metadata": {"name": "a/b"}, "rules": []},
            ["metadata.name: Invalid value: \"a/b\": may not contain '/'"],
        ),
    ],
)
def test_role_validation(rest: Rest, body: dict[str, Any], messages: list[str]) -> None:
    """Raw HTTP: the generated client refuses a rule without verbs before sending it."""
    path = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles"
    status = assert_status(rest.call("POST", path, json=body), 422, "Invalid")
    assert (status["details"]["kind"], status["details"]["group"]) == ("Role", "rbac.authorization.k8s.io")
    for text in messages:
        assert text in status["message"]


def test_binding_validation(api: client.ApiClient) -> None:
    body = {
        "metadata": {"name": "x"},
        "roleRef": {"kind": "Role", "name": "r", "apiGroup": "rbac.authorization.k8s.io"},
        "subjects": [{"kind": "ServiceAccount", "name": "gw"}, {"kind": "Robot", "name": "r2"}],
    }
    with pytest.raises(client.ApiException) as err:
        client.RbacAuthorizationV1Api(api).create_cluster_role_binding(body)
    assert err.value.status == 422
    text = status_message(err)
    assert 'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"' in text
    assert "subjects[0].namespace: Required value" in text
    assert "subjects[1].kind: Unsupported value" in text


def test_kubectl_applies_the_rbac_manifests(kubectl: Kubectl) -> None:
    for name in ("gateway-rbac.yaml", "gateway-rbac-namespaced.yaml"):
        out = kubectl.run("apply", "-f", str(REPO / "manifests/rbac" / name)).stdout
        assert "created" in out, out
    again = kubectl.run("apply", "-f", str(REPO / "manifests/rbac/gateway-rbac.yaml")).stdout
    assert "created" not in again and "unchanged" in again, again
    table = kubectl.run("get", "clusterrolebinding", "sgl-gateway-discovery").stdout
    assert table.split()[:3] == ["NAME", "ROLE", "AGE"]
    assert "ClusterRole/sgl-gateway-discovery" in table
    assert kubectl.run("get", "sa", "sgl-gateway", "--no-headers").stdout.split()[:2] == ["sgl-gateway", "0"]


# -- Deployments ---------------------------------------------------------------------------------------
def test_deployment_gets_one_pod_per_replica(api: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    created = apps.create_namespaced_deployment("default", deployment())
    assert created.metadata.generation == 1
    assert created.spec.strategy.type == "RollingUpdate" and created.spec.revision_history_limit == 10
    assert created.spec.template.spec.restart_policy == "Always"
    pods = wait_pods(core, 3)
    hashes = set()
    for pod in pods:
        match = POD_NAME.match(pod.metadata.name)
        assert match, pod.metadata.name
        hashes.add(match["hash"])
        assert pod.metadata.labels == {"app": "web", "tier": "t", "pod-template-hash": match["hash"]}
        (owner,) = pod.metadata.owner_references
        assert (owner.kind, owner.name, owner.uid, owner.controller) == (
            "Deployment",
            "web",
            created.metadata.uid,
            True,
        )
    assert len(hashes) == 1

    def available() -> Any:
        status = apps.read_namespaced_deployment("web", "default").status
        return status if status.available_replicas == 3 else None

    status = wait_until(available, timeout=10, what="3 available replicas")
    assert (status.replicas, status.ready_replicas, status.updated_replicas) == (3, 3, 3)
    assert status.observed_generation == 1
    conditions = {c.type: (c.status, c.reason) for c in status.conditions}
    assert conditions["Available"] == ("True", "MinimumReplicasAvailable")
    assert conditions["Progressing"] == ("True", "NewReplicaSetAvailable")


def test_deleted_pod_is_replaced_and_scaling_follows(api: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment(replicas=2))
    first = wait_pods(core, 2)
    core.delete_namespaced_pod(first[0].metadata.name, "default")
    replaced = wait_until(
        lambda: {p.metadata.name for p in active_pods(core)} - {p.metadata.name for p in first},
        timeout=10,
        what="a replacement pod",
    )
    assert len(replaced) == 1
    wait_pods(core, 2)
    scale = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 4}})
    assert (scale.kind, scale.spec.replicas, scale.status.selector) == ("Scale", 4, "app=web")
    wait_pods(core, 4)
    apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 1}})
    wait_pods(core, 1)
    assert apps.read_namespaced_deployment("web", "default").metadata.generation == 3


def test_deleting_the_deployment_deletes_its_pods(api: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment(replicas=2))
    wait_pods(core, 2)
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "bystander", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
        },
    )
    apps.delete_namespaced_deployment("web", "default")
    wait_until(
        lambda: [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["bystander"],
        timeout=10,
        what="only the bystander left",
    )


def test_template_change_replaces_the_pods(api: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment(replicas=2))
    old = {p.metadata.labels["pod-template-hash"] for p in wait_pods(core, 2)}
    patch = {"spec": {"template": {"metadata": {"labels": {"app": "web", "tier": "u"}}}}}
    apps.patch_namespaced_deployment("web", "default", patch)

    def rolled() -> Any:
        pods = active_pods(core)
        hashes = {p.metadata.labels["pod-template-hash"] for p in pods}
        return pods if len(pods) == 2 and not hashes & old else None

    pods = wait_until(rolled, timeout=10, what="pods of the new template")
    assert all(p.metadata.labels["tier"] == "u" for p in pods)
    annotations = wait_until(
        lambda: (
            (apps.read_namespaced_deployment("web", "default").metadata.annotations or {}).get(
                "deployment.kubernetes.io/revision"
            )
            == "2"
        ),
        timeout=10,
        what="revision 2",
    )
    assert annotations


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"selector": None}, "spec.selector: Required value"),
        (
            {"selector": {"matchLabels": {"app": "other"}}},
            'spec.template.metadata.labels: Invalid value: {"app":"web","tier":"t"}: '
            "`selector` does not match template `labels`",
        ),
        ({"replicas": -1}, "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
    ],
)
def test_deployment_validation(rest: Rest, change: dict[str, Any], text: str) -> None:
    body = deployment()
    body["spec"].update(change)
    body["spec"] = {k: v for k, v in body["spec"].items() if v is not None}
    status = assert_status(rest.call("POST", DEPLOYMENTS, json=body), 422, "Invalid")
    assert status["message"].startswith('Deployment.apps "web" is invalid: ')
    assert text in status["message"]


def test_selector_is_immutable_and_pods_must_restart_always(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    with pytest.raises(client.ApiException) as err:
        apps.create_namespaced_deployment("default", deployment(restartPolicy="Never"))
    assert (
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
        in status_message(err)
    )
    apps.create_namespaced_deployment("default", deployment())
    patch = {"spec": {"selector": {"matchLabels": {"app": "web", "tier": "t"}}}}
    with pytest.raises(client.ApiException) as err:
        apps.patch_namespaced_deployment("web", "default", patch)
    assert err.value.status == 422 and "field is immutable" in status_message(err)


def test_kubectl_rollout_scale_wait_and_get(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(
        yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment", **deployment(replicas=2)})
    )
    assert "deployment.apps/web created" in kubectl.run("apply", "-f", str(manifest)).stdout
    status = kubectl.run("rollout", "status", "deployment/web", "--timeout=20s").stdout
    assert 'deployment "web" successfully rolled out' in status
    kubectl.run("wait", "--for=condition=Available", "deployment/web", "--timeout=20s")
    assert "deployment.apps/web scaled" in kubectl.run("scale", "deployment/web", "--replicas=3").stdout
    kubectl.run("rollout", "status", "deployment/web", "--timeout=20s")
    table = kubectl.run("get", "deploy", "web").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["web", "3/3", "3", "3"]


def test_namespace_deletion_removes_its_workloads(api: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespace({"metadata": {"name": "scratch"}})
    core.create_namespaced_service_account("scratch", {"metadata": {"name": "gw"}})
    apps.create_namespaced_deployment("scratch", deployment(replicas=2))
    wait_until(lambda: len(active_pods(core, namespace="scratch")) == 2, timeout=10, what="pods in scratch")
    core.delete_namespace("scratch")

    def gone() -> bool:
        try:
            core.read_namespace("scratch")
        except client.ApiException as exc:
            return exc.status == 404
        return False

    wait_until(gone, timeout=10, what="namespace scratch gone")
    assert apps.list_deployment_for_all_namespaces().items == []
    assert [sa.metadata.namespace for sa in core.list_service_account_for_all_namespaces().items] == []


def test_kubectl_reapply_merges_the_pod_template(kubectl: Kubectl, tmp_path: Path) -> None:
    """Client-side apply sends a strategic merge patch of `spec.template.spec.containers` by name."""
    body = yaml.safe_load((REPO / "manifests/gateway/deployment.yaml").read_text())
    manifest = tmp_path / "gateway.yaml"
    manifest.write_text(yaml.safe_dump(body))
    kubectl.run("apply", "-f", str(manifest))
    body["spec"]["template"]["spec"]["containers"][0]["args"] = ["--changed"]
    manifest.write_text(yaml.safe_dump(body))
    assert "configured" in kubectl.run("apply", "-f", str(manifest)).stdout
    live = yaml.safe_load(kubectl.run("get", "deploy", "sgl-gateway", "-o", "yaml").stdout)
    (container,) = live["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["--changed"]
    assert container["image"] == body["spec"]["template"]["spec"]["containers"][0]["image"]
    assert live["metadata"]["generation"] == 2


def test_namespace_admission_covers_every_namespaced_kind(rest: Rest) -> None:
    missing = rest.call("POST", "/apis/apps/v1/namespaces/nowhere/deployments", json=deployment())
    assert assert_status(missing, 404, "NotFound")["message"] == 'namespaces "nowhere" not found'
    sa = rest.call("POST", "/api/v1/namespaces/nowhere/serviceaccounts", json={"metadata": {"name": "a"}})
    assert_status(sa, 404, "NotFound")


def test_kubectl_create_the_rbac_kinds(kubectl: Kubectl) -> None:
    """`kubectl create <kind>` posts protobuf bodies through client-go's typed clients."""
    kubectl.run("create", "serviceaccount", "bot")
    kubectl.run("create", "clusterrole", "reader", "--verb=get,list", "--resource=pods")
    kubectl.run(
        "create", "clusterrolebinding", "reader", "--clusterrole=reader", "--serviceaccount=default:bot"
    )
    kubectl.run("create", "role", "one", "--verb=get", "--resource=pods", "--resource-name=x")
    kubectl.run("create", "rolebinding", "one", "--role=one", "--user=alice", "--group=devs")
    binding = yaml.safe_load(kubectl.run("get", "clusterrolebinding", "reader", "-o", "yaml").stdout)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "reader",
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "bot", "namespace": "default"}]
    role = yaml.safe_load(kubectl.run("get", "role", "one", "-o", "yaml").stdout)
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["x"], "verbs": ["get"]}
    ]
    subjects = yaml.safe_load(kubectl.run("get", "rolebinding", "one", "-o", "yaml").stdout)["subjects"]
    assert {(s["kind"], s["name"], s["apiGroup"]) for s in subjects} == {
        ("User", "alice", "rbac.authorization.k8s.io"),
        ("Group", "devs", "rbac.authorization.k8s.io"),
    }
