"""The client matrix, Python side: the `kubernetes` client and lightkube drive the same everyday verbs.

Why (issue 15, "Proof"): besides kubectl (test_clients.py), users bring Python clients. Each verb
(create a namespace, create a pod, label it, delete, watch, wait for Ready, apply: strategic merge and
server-side) goes through the library's own API and is judged by what a real cluster answers: the
stored object, managedFields, dry runs that change nothing, and the real error texts and codes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from kubernetes import client as k8s
from kubernetes import watch as k8s_watch
from kubernetes.client.rest import ApiException
from lightkube import ApiError, Client, KubeConfig
from lightkube.models.core_v1 import Container, NamespaceSpec, PodSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace, Pod

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver._support import Rest, pod_body
from tests.polling import wait_until

APPLY = "application/apply-patch+yaml"


def managers(obj: dict) -> set[tuple[str, str]]:
    return {(m["manager"], m["operation"]) for m in obj["metadata"].get("managedFields", [])}


# -- the kubernetes client -------------------------------------------------------------------------------
def test_kubernetes_create_label_and_dry_run(core_v1: k8s.CoreV1Api, rest: Rest) -> None:
    """Namespace and pod creation (manager from the User-Agent, "OpenAPI-Generator"), a strategic-merge
    label patch, and dry runs of create/patch/delete that change nothing."""
    core_v1.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="py-ns")))
    assert managers(rest.get("/api/v1/namespaces/py-ns").json()) == {("OpenAPI-Generator", "Update")}
    core_v1.create_namespaced_pod("py-ns", pod_body("p1", labels={"app": "a"}))
    dry = core_v1.create_namespaced_pod("py-ns", pod_body("p2"), dry_run="All")
    assert dry.metadata.uid and dry.metadata.resource_version is None
    assert rest.get_pod("p2", "py-ns").status_code == 404
    rv = rest.list_rv("py-ns")
    core_v1.patch_namespaced_pod("p1", "py-ns", {"metadata": {"labels": {"x": "y"}}}, dry_run="All")
    core_v1.delete_namespaced_pod("p1", "py-ns", dry_run="All")
    assert rest.list_rv("py-ns") == rv
    patched = core_v1.patch_namespaced_pod(
        "p1", "py-ns", {"metadata": {"labels": {"x": "y"}}}, field_manager="py"
    )
    assert patched.metadata.labels == {"app": "a", "x": "y"}
    assert ("py", "Update") in managers(rest.get_pod("p1", "py-ns").json())


def test_kubernetes_server_side_apply_conflict_and_force(core_v1: k8s.CoreV1Api, rest: Rest) -> None:
    """`patch_namespaced_pod(..., _content_type=apply-patch+yaml)`: create, 409 with the real message
    against another manager's field, then force."""
    body = pod_body("s1", labels={"app": "a"})
    core_v1.patch_namespaced_pod("s1", "default", body, field_manager="mine", _content_type=APPLY)
    core_v1.patch_namespaced_pod(
        "s1", "default", {"metadata": {"labels": {"app": "theirs"}}}, field_manager="ed"
    )
    body["metadata"]["labels"]["app"] = "b"
    with pytest.raises(ApiException) as info:
        core_v1.patch_namespaced_pod("s1", "default", body, field_manager="mine", _content_type=APPLY)
    assert info.value.status == 409
    status = json.loads(info.value.body)
    assert (
        status["message"] == 'Apply failed with 1 conflict: conflict with "ed" using v1: .metadata.labels.app'
    )
    assert status["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "ed" using v1',
            "field": ".metadata.labels.app",
        }
    ]
    core_v1.patch_namespaced_pod("s1", "default", body, field_manager="mine", force=True, _content_type=APPLY)
    assert rest.get_pod("s1").json()["metadata"]["labels"] == {"app": "b"}


def test_kubernetes_option_and_selector_errors(core_v1: k8s.CoreV1Api) -> None:
    """The client validates bodies itself (unknown fields never leave it), so here: a bad
    `fieldValidation` and a bad `dryRun` are the real 422, a bad label selector the parser's 400."""
    with pytest.raises(ApiException) as info:
        core_v1.create_namespaced_pod("default", pod_body("v1"), field_validation="Bogus")
    assert info.value.status == 422
    assert json.loads(info.value.body)["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Bogus": '
        'supported values: "", "Ignore", "Strict", "Warn"'
    )
    with pytest.raises(ApiException) as dry:
        core_v1.create_namespaced_pod("default", pod_body("v1"), dry_run="Al")
    assert json.loads(dry.value.body)["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Al"]: supported values: "All"'
    )
    assert core_v1.create_namespaced_pod("default", pod_body("v1"), field_validation="Strict").metadata.uid
    with pytest.raises(ApiException) as bad:
        core_v1.list_namespaced_pod("default", label_selector="app in (a")
    assert bad.value.status == 400
    assert (
        json.loads(bad.value.body)["message"] == "unable to parse requirement: found '', expected: ',' or ')'"
    )


def test_kubernetes_watch_and_wait_for_ready(core_v1: k8s.CoreV1Api) -> None:
    """`watch.Watch().stream` sees the pod added, Ready (the wait), and deleted."""
    w = k8s_watch.Watch()
    events: list[tuple[str, bool]] = []
    rv = core_v1.list_namespaced_pod("default").metadata.resource_version
    core_v1.create_namespaced_pod("default", pod_body("w1", grace=1))
    for event in w.stream(core_v1.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=20):
        pod = event["object"]
        ready = any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))
        events.append((event["type"], ready))
        if ready and len([e for e in events if e[1]]) == 1:
            core_v1.delete_namespaced_pod("w1", "default")
        if event["type"] == "DELETED":
            w.stop()
    assert events[0] == ("ADDED", False)
    assert ("MODIFIED", True) in events and events[-1][0] == "DELETED"


# -- lightkube -------------------------------------------------------------------------------------------
@pytest.fixture
def lk(apiserver: EmbeddedAPIServer) -> Iterator[Client]:
    assert apiserver.kubeconfig is not None
    c = Client(
        config=KubeConfig.from_file(str(apiserver.kubeconfig)), field_manager="lightkube", trust_env=False
    )
    yield c
    c.close()


def lk_pod(name: str, labels: dict[str, str], image: str = "example.invalid/w:1") -> Pod:
    return Pod(
        metadata=ObjectMeta(name=name, labels=labels),
        spec=PodSpec(containers=[Container(name="main", image=image)], terminationGracePeriodSeconds=1),
    )


def test_lightkube_verbs(lk: Client, rest: Rest) -> None:
    """lightkube: namespace, pod, label patch, wait Ready, dry-run delete, delete; managers recorded."""
    lk.create(Namespace(metadata=ObjectMeta(name="lk-ns"), spec=NamespaceSpec()))
    assert rest.get("/api/v1/namespaces/lk-ns").json()["status"]["phase"] == "Active"
    lk.create(lk_pod("p1", {"app": "a"}), namespace="lk-ns")
    lk.patch(Pod, "p1", {"metadata": {"labels": {"x": "y"}}}, namespace="lk-ns")
    pod = rest.get_pod("p1", "lk-ns").json()
    assert pod["metadata"]["labels"] == {"app": "a", "x": "y"}
    assert managers(pod) == {("lightkube", "Update")}
    ready = lk.wait(Pod, "p1", for_conditions=["Ready"], namespace="lk-ns")
    assert ready.status.phase == "Running"
    lk.delete(Pod, "p1", namespace="lk-ns", dry_run=True)
    assert "deletionTimestamp" not in rest.get_pod("p1", "lk-ns").json()["metadata"]
    lk.delete(Pod, "p1", namespace="lk-ns")
    wait_until(lambda: rest.get_pod("p1", "lk-ns").status_code == 404, 10, "p1 gone")


def test_lightkube_apply_and_watch(lk: Client, rest: Rest) -> None:
    """lightkube's server-side apply (conflict 409, force) while its watch reports every change."""
    seen: list[tuple[str, str]] = []

    def watch() -> None:
        for op, obj in lk.watch(Pod, namespace="default", fields={"metadata.name": "a1"}):
            seen.append((op, (obj.metadata.labels or {}).get("app", "")))
            if op == "DELETED":
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    lk.apply(lk_pod("a1", {"app": "one"}), namespace="default")
    lk.patch(Pod, "a1", {"metadata": {"labels": {"app": "two"}}}, namespace="default", field_manager="other")
    with pytest.raises(ApiError) as info:
        lk.apply(lk_pod("a1", {"app": "three"}), namespace="default")
    assert info.value.status.code == 409
    assert info.value.status.message == (
        'Apply failed with 1 conflict: conflict with "other" using v1: .metadata.labels.app'
    )
    lk.apply(lk_pod("a1", {"app": "three"}), namespace="default", force=True)
    rest.delete_pod("a1", grace=0)
    watcher.join(timeout=10)
    assert not watcher.is_alive()
    apps = [app for op, app in seen if op != "DELETED"]
    assert apps[0] == "one" and apps[-1] == "three" and "two" in apps
    assert seen[-1][0] == "DELETED"
