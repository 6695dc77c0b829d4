"""Object writes: create, update, patch types, conflicts, label validation (docs/apiserver.md §7 M1-M5/M8, S3,
X1; §12 tests 2, 9, 10, 11).

Why: the conformance suite creates and relabels pods through the Python client and kubectl, and flips
readiness through `/status` the way a kubelet does; a server that merged a status patch wrongly, or
accepted a label the real API refuses, would make the suite test something no cluster can produce.
"""

from __future__ import annotations

import re

import pytest
from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

from tests.apiserver._support import Rest, assert_status, pod_body

RFC3339_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
CONFLICT_MSG = (
    'Operation cannot be fulfilled on pods "c1": the object has been modified; '
    "please apply your changes to the latest version and try again"
)


def test_create_sets_metadata_and_resets_status(bare_rest: Rest) -> None:
    """§12.2 / M1: 201; uid, RV, creationTimestamp (RFC 3339, seconds), namespace, generation 1 set;
    a `status.phase: Running` in the body is ignored (Pending)."""
    body = pod_body("c1") | {"status": {"phase": "Running", "podIP": "10.0.0.1"}}
    resp = bare_rest.call("POST", "/api/v1/namespaces/default/pods", json=body)
    assert resp.status_code == 201, resp.text
    pod = resp.json()
    meta = pod["metadata"]
    assert pod["kind"] == "Pod" and pod["apiVersion"] == "v1"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", meta["uid"])
    assert int(meta["resourceVersion"]) > 0
    assert RFC3339_SECONDS.match(meta["creationTimestamp"]), meta["creationTimestamp"]
    assert meta["namespace"] == "default" and meta["generation"] == 1
    assert pod["status"]["phase"] == "Pending"
    assert "podIP" not in pod["status"]
    again = bare_rest.get_pod("c1").json()
    assert again["metadata"]["uid"] == meta["uid"]
    assert again["metadata"]["resourceVersion"] == meta["resourceVersion"]


def test_create_twice_is_409_already_exists(bare_rest: Rest) -> None:
    """M1 / X1: a second create of the same name → 409 AlreadyExists `pods "c1" already exists`."""
    bare_rest.create_pod("c1")
    resp = bare_rest.call("POST", "/api/v1/namespaces/default/pods", json=pod_body("c1"))
    body = assert_status(resp, 409, "AlreadyExists")
    assert body["message"] == 'pods "c1" already exists'
    assert body["details"]["name"] == "c1" and body["details"]["kind"] == "pods"


def test_generate_name(bare_rest: Rest) -> None:
    """M1: `generateName` → prefix + 5 random lowercase alphanumerics."""
    body = pod_body("x")
    del body["metadata"]["name"]
    body["metadata"]["generateName"] = "worker-"
    resp = bare_rest.call("POST", "/api/v1/namespaces/default/pods", json=body)
    assert resp.status_code == 201, resp.text
    assert re.fullmatch(r"worker-[a-z0-9]{5}", resp.json()["metadata"]["name"])


@pytest.mark.parametrize("value", ["-bad", "a" * 64], ids=["leading-dash", "64-chars"])
def test_invalid_label_value_on_create_is_422(bare_rest: Rest, value: str) -> None:
    """§12.9 / S3, X1: 422 Invalid, `Pod "c1" is invalid: metadata.labels: Invalid value: …`, cause
    field `metadata.labels`, details.kind `Pod`, with the real validation message."""
    resp = bare_rest.call(
        "POST", "/api/v1/namespaces/default/pods", json=pod_body("c1", labels={"app": value})
    )
    body = assert_status(resp, 422, "Invalid")
    assert body["message"].startswith(f'Pod "c1" is invalid: metadata.labels: Invalid value: "{value}"')
    expected = "must be no more than 63 characters" if len(value) > 63 else LABEL_VALUE_MSG
    assert expected in body["message"]
    assert body["details"]["kind"] == "Pod" and body["details"]["name"] == "c1"
    causes = body["details"]["causes"]
    assert any(c["field"] == "metadata.labels" and c["reason"] == "FieldValueInvalid" for c in causes), causes
    assert bare_rest.get_pod("c1").status_code == 404  # nothing was stored


def test_invalid_label_key_is_422(bare_rest: Rest) -> None:
    """S3: a key whose prefix is not a DNS-1123 subdomain is refused (422, field metadata.labels)."""
    resp = bare_rest.call(
        "POST", "/api/v1/namespaces/default/pods", json=pod_body("c1", labels={"Bad_/x": "v"})
    )
    body = assert_status(resp, 422, "Invalid")
    assert any(c["field"] == "metadata.labels" for c in body["details"]["causes"])


def test_invalid_label_value_on_patch_is_422(bare_rest: Rest) -> None:
    """§12.9: the same validation applies to a merge patch; the stored pod is unchanged."""
    before = bare_rest.create_pod("c1", labels={"app": "ok"})
    resp = bare_rest.patch(bare_rest.pods_path(name="c1"), {"metadata": {"labels": {"app": "-bad"}}})
    body = assert_status(resp, 422, "Invalid")
    assert any(c["field"] == "metadata.labels" for c in body["details"]["causes"])
    after = bare_rest.get_pod("c1").json()
    assert after["metadata"]["labels"] == {"app": "ok"}
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_missing_containers_is_422(bare_rest: Rest) -> None:
    """M2: a pod without containers is invalid."""
    body = pod_body("c1")
    body["spec"] = {}
    assert_status(bare_rest.call("POST", "/api/v1/namespaces/default/pods", json=body), 422, "Invalid")


def test_put_with_stale_rv_is_409(bare_rest: Rest) -> None:
    """§12.10 / M4: PUT with a stale resourceVersion → 409 Conflict with Kubernetes' message; PUT with
    the current one succeeds and bumps the RV."""
    pod = bare_rest.create_pod("c1")
    stale = dict(pod)
    ok = bare_rest.patch(bare_rest.pods_path(name="c1"), {"metadata": {"labels": {"v": "2"}}})
    assert ok.status_code == 200, ok.text
    resp = bare_rest.call("PUT", bare_rest.pods_path(name="c1"), json=stale)
    body = assert_status(resp, 409, "Conflict")
    assert body["message"] == CONFLICT_MSG
    fresh = ok.json()
    fresh["metadata"]["labels"]["v"] = "3"
    resp = bare_rest.call("PUT", bare_rest.pods_path(name="c1"), json=fresh)
    assert resp.status_code == 200, resp.text
    assert int(resp.json()["metadata"]["resourceVersion"]) > int(fresh["metadata"]["resourceVersion"])


def test_patch_with_stale_rv_in_body_is_409(bare_rest: Rest) -> None:
    """§12.10 / M4: a merge patch carrying a stale `metadata.resourceVersion` → 409 Conflict."""
    pod = bare_rest.create_pod("c1")
    bare_rest.patch(bare_rest.pods_path(name="c1"), {"metadata": {"labels": {"v": "2"}}})
    stale_rv = pod["metadata"]["resourceVersion"]
    resp = bare_rest.patch(
        bare_rest.pods_path(name="c1"), {"metadata": {"resourceVersion": stale_rv, "labels": {"v": "3"}}}
    )
    assert_status(resp, 409, "Conflict")
    assert bare_rest.get_pod("c1").json()["metadata"]["labels"]["v"] == "2"


def test_put_to_missing_pod_is_404(bare_rest: Rest) -> None:
    """M4: pods do not allow create-on-update."""
    resp = bare_rest.call("PUT", bare_rest.pods_path(name="ghost"), json=pod_body("ghost"))
    body = assert_status(resp, 404, "NotFound")
    assert body["message"] == 'pods "ghost" not found'


def test_python_client_create_get_replace(bare_core_v1: k8s_client.CoreV1Api) -> None:
    """§12 Python client: create → V1Pod with uid/RV; replace with a stale RV raises 409 Conflict."""
    created = bare_core_v1.create_namespaced_pod("default", pod_body("c1", labels={"app": "a"}))
    assert created.metadata.uid and created.metadata.resource_version
    current = bare_core_v1.read_namespaced_pod("c1", "default")
    current.metadata.labels["app"] = "b"
    replaced = bare_core_v1.replace_namespaced_pod("c1", "default", current)
    assert replaced.metadata.labels == {"app": "b"}
    created.metadata.labels["app"] = "c"  # still carries the first RV
    with pytest.raises(ApiException) as info:
        bare_core_v1.replace_namespaced_pod("c1", "default", created)
    assert info.value.status == 409
    assert '"reason":"Conflict"' in info.value.body.replace(" ", "")


def test_python_patch_is_strategic_merge(bare_core_v1: k8s_client.CoreV1Api) -> None:
    """§12.11 / M5: `patch_namespaced_pod(..., {"metadata":{"labels":...}})` (sent as
    strategic-merge-patch+json) adds a label and keeps the others."""
    bare_core_v1.create_namespaced_pod("default", pod_body("c1", labels={"app": "a"}))
    patched = bare_core_v1.patch_namespaced_pod("c1", "default", {"metadata": {"labels": {"k": "v"}}})
    assert patched.metadata.labels == {"app": "a", "k": "v"}
    removed = bare_core_v1.patch_namespaced_pod("c1", "default", {"metadata": {"labels": {"app": None}}})
    assert removed.metadata.labels == {"k": "v"}


def test_python_status_patch_merges_conditions_by_type(bare_core_v1: k8s_client.CoreV1Api) -> None:
    """§12.11 / M5, M8: a status patch with only a Ready condition replaces Ready and keeps
    PodScheduled (SMP merge key `type`); spec is untouched by a /status write."""
    bare_core_v1.create_namespaced_pod("default", pod_body("c1"))
    first = {
        "status": {
            "phase": "Running",
            "podIP": "127.0.0.9",
            "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
        }
    }
    bare_core_v1.patch_namespaced_pod_status("c1", "default", first)
    pod = bare_core_v1.patch_namespaced_pod_status(
        "c1", "default", {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    )
    conditions = {c.type: c.status for c in pod.status.conditions}
    assert conditions == {"PodScheduled": "True", "Ready": "True"}
    assert pod.status.phase == "Running" and pod.status.pod_ip == "127.0.0.9"
    assert pod.spec.containers[0].image == "example.invalid/worker:1"


def test_main_resource_write_keeps_status(bare_rest: Rest) -> None:
    """M3: a patch of the pod itself cannot change `status`; a /status patch cannot change `spec`."""
    bare_rest.create_pod("c1")
    bare_rest.patch(bare_rest.pods_path(name="c1", sub="status"), {"status": {"phase": "Running"}})
    resp = bare_rest.patch(bare_rest.pods_path(name="c1"), {"status": {"phase": "Failed"}})
    assert resp.status_code == 200, resp.text
    assert bare_rest.get_pod("c1").json()["status"]["phase"] == "Running"
    resp = bare_rest.patch(bare_rest.pods_path(name="c1", sub="status"), {"spec": {"nodeName": "sneaky"}})
    assert resp.status_code == 200, resp.text
    assert "nodeName" not in bare_rest.get_pod("c1").json()["spec"]


def test_json_patch(bare_rest: Rest) -> None:
    """M5: RFC 6902 JSON patch, including a failing `test` op (→ 4xx, nothing changed)."""
    bare_rest.create_pod("c1", labels={"app": "a"})
    ops = [{"op": "add", "path": "/metadata/labels/k", "value": "v"}]
    resp = bare_rest.patch(bare_rest.pods_path(name="c1"), ops, "application/json-patch+json")
    assert resp.status_code == 200, resp.text
    assert resp.json()["metadata"]["labels"] == {"app": "a", "k": "v"}
    ops = [
        {"op": "test", "path": "/metadata/labels/app", "value": "zzz"},
        {"op": "remove", "path": "/metadata/labels/k"},
    ]
    resp = bare_rest.patch(bare_rest.pods_path(name="c1"), ops, "application/json-patch+json")
    assert 400 <= resp.status_code < 500 and resp.json()["kind"] == "Status", resp.text
    assert bare_rest.get_pod("c1").json()["metadata"]["labels"] == {"app": "a", "k": "v"}


def test_smp_containers_merge_by_name(bare_rest: Rest) -> None:
    """M5: an SMP naming one container by `name` changes that container and keeps the list."""
    body = pod_body("c1")
    body["spec"]["containers"].append({"name": "side", "image": "example.invalid/side:1"})
    assert bare_rest.call("POST", "/api/v1/namespaces/default/pods", json=body).status_code == 201
    patch = {"spec": {"containers": [{"name": "side", "image": "example.invalid/side:2"}]}}
    resp = bare_rest.patch(bare_rest.pods_path(name="c1"), patch, "application/strategic-merge-patch+json")
    assert resp.status_code == 200, resp.text
    images = {c["name"]: c["image"] for c in resp.json()["spec"]["containers"]}
    assert images == {"main": "example.invalid/worker:1", "side": "example.invalid/side:2"}
