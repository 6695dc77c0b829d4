"""Bad input gets Kubernetes' status code and a Status body — never a 500 or a hang (issue 3 "Proof:
bad input"; spec §8 X1/X2, T4, S1/S2, M1, M5, E12).

Why: clients decode failures from the Status body (kube-rs needs `status` and `code`), and a harness
whose cluster answers 500 or hangs on a typo would report the gateway as broken. Every request here has
a timeout, so a hang fails the test instead of the run.
"""

from __future__ import annotations

import pytest

from tests.apiserver._support import Rest, assert_status, pod_body

PODS = "/api/v1/namespaces/default/pods"


@pytest.mark.parametrize(
    ("method", "path", "ctype"),
    [
        ("POST", PODS, "application/json"),
        ("PUT", PODS + "/p1", "application/json"),
        ("PATCH", PODS + "/p1", "application/merge-patch+json"),
        ("PATCH", PODS + "/p1", "application/strategic-merge-patch+json"),
        ("PATCH", PODS + "/p1/status", "application/merge-patch+json"),
        ("PATCH", PODS + "/p1", "application/json-patch+json"),
    ],
)
def test_malformed_json_is_400(bare_rest: Rest, method: str, path: str, ctype: str) -> None:
    """X1 / M5: an unparseable body → 400 BadRequest Status; the stored pod is unchanged."""
    before = bare_rest.create_pod("p1")
    resp = bare_rest.call(method, path, data=b'{"metadata": {"name": "p1",', headers={"Content-Type": ctype})
    assert_status(resp, 400, "BadRequest")
    after = bare_rest.get_pod("p1").json()
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_body_that_is_not_an_object_is_400(bare_rest: Rest) -> None:
    """A JSON array as a Pod body is a bad request, not a crash."""
    resp = bare_rest.call("POST", PODS, json=[1, 2, 3])
    assert_status(resp, 400, "BadRequest")


@pytest.mark.parametrize(
    "selector",
    ["a in (x", "a b", "=x", "a in x", "-bad=x", "a=-bad", "a notin", "a,,b", "a!x"],
)
def test_bad_label_selector_is_400(bare_rest: Rest, selector: str) -> None:
    """S1: a label selector that does not parse or names an invalid key/value → 400 BadRequest."""
    resp = bare_rest.get(PODS, params={"labelSelector": selector})
    assert_status(resp, 400, "BadRequest")


def test_bad_label_selector_on_watch_is_400(bare_rest: Rest) -> None:
    """S1 / T4: the same on a watch request: a single-line Status, not a stream."""
    resp = bare_rest.get(PODS, params={"watch": "true", "labelSelector": "a in (x", "timeoutSeconds": "2"})
    assert_status(resp, 400, "BadRequest")
    assert resp.text.strip().count("\n") == 0


@pytest.mark.parametrize(
    ("selector", "fragment"),
    [
        ("foo=bar", "field label not supported: foo"),
        ("metadata.labels=x", "field label not supported: metadata.labels"),
        ("spec.nodeName", ""),
        ("spec.nodeName>x", ""),
    ],
)
def test_bad_field_selector_is_400(bare_rest: Rest, selector: str, fragment: str) -> None:
    """S2: unknown field labels and unsupported syntax → 400 BadRequest (with Kubernetes' message for
    unknown labels)."""
    body = assert_status(bare_rest.get(PODS, params={"fieldSelector": selector}), 400, "BadRequest")
    assert fragment in body["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/namespaces/default/widgets",
        "/api/v1/widgets",
        "/apis/apps/v1/namespaces/default/replicasets",
        "/api/v2/pods",
        "/nonsense",
        PODS + "/p1/exec",
    ],
)
def test_unknown_resource_is_404(bare_rest: Rest, path: str) -> None:
    """E12: anything not served → 404 NotFound Status."""
    assert_status(bare_rest.get(path), 404, "NotFound")


def test_missing_pod_and_namespace_are_404(bare_rest: Rest) -> None:
    """X1 / M1: `pods "x" not found` with details; creating in a missing namespace → 404
    `namespaces "nope" not found`."""
    body = assert_status(bare_rest.get_pod("x"), 404, "NotFound")
    assert body["message"] == 'pods "x" not found'
    assert body["details"] == {"name": "x", "kind": "pods"} or body["details"].items() >= {
        ("name", "x"),
        ("kind", "pods"),
    }
    body = assert_status(
        bare_rest.call("POST", "/api/v1/namespaces/nope/pods", json=pod_body("p")), 404, "NotFound"
    )
    assert body["message"] == 'namespaces "nope" not found'
    assert_status(bare_rest.delete_pod("x"), 404, "NotFound")


@pytest.mark.parametrize("ctype", ["text/plain", "application/json", "application/yaml"])
def test_wrong_patch_content_type_is_415(bare_rest: Rest, ctype: str) -> None:
    """M5: a PATCH whose Content-Type is not one of the four patch types → 415 UnsupportedMediaType."""
    bare_rest.create_pod("p1")
    resp = bare_rest.patch(PODS + "/p1", {"metadata": {"labels": {"a": "b"}}}, ctype)
    assert_status(resp, 415, "UnsupportedMediaType")
    assert bare_rest.get_pod("p1").json()["metadata"]["labels"] == {}


def test_namespace_mismatch_is_400(bare_rest: Rest) -> None:
    """M1: a body naming another namespace than the URL → 400 BadRequest."""
    body = pod_body("p1")
    body["metadata"]["namespace"] = "kube-system"
    assert_status(bare_rest.call("POST", PODS, json=body), 400, "BadRequest")


def test_name_mismatch_on_put_is_400(bare_rest: Rest) -> None:
    """M1: PUT whose body names another object than the URL → 400 BadRequest."""
    bare_rest.create_pod("p1")
    assert_status(bare_rest.call("PUT", PODS + "/p1", json=pod_body("p2")), 400, "BadRequest")


def test_wrong_kind_is_400(bare_rest: Rest) -> None:
    """A Namespace body posted to pods is a bad request."""
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
    assert_status(bare_rest.call("POST", PODS, json=body), 400, "BadRequest")


@pytest.mark.parametrize("query", ["limit=abc", "timeoutSeconds=abc&watch=true", "limit=-1&continue=%%%"])
def test_bad_query_values_are_4xx(bare_rest: Rest, query: str) -> None:
    """Garbage query values get a 4xx Status, never a 500 or a hang."""
    resp = bare_rest.get(f"{PODS}?{query}")
    assert 400 <= resp.status_code < 500, resp.text
    assert resp.json()["kind"] == "Status" and resp.json()["code"] == resp.status_code


def test_wrong_method_is_405(bare_rest: Rest) -> None:
    """X1: a verb the resource does not support (POST to a named pod) → 405 MethodNotAllowed Status."""
    bare_rest.create_pod("p1")
    assert_status(bare_rest.call("POST", PODS + "/p1", json=pod_body("p1")), 405, "MethodNotAllowed")
