"""Bad input gets Kubernetes' status code and a Status body — never a 500 or a hang (issue 3 "Proof:
bad input"; docs/apiserver.md §8 X1/X2, T4, S1/S2, M1, M5, E12).

Why: clients decode failures from the Status body (kube-rs needs `status` and `code`), and a harness
whose cluster answers 500 or hangs on a typo would report the gateway as broken. Every request here has
a timeout, so a hang fails the test instead of the run.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fixtures.apiserver import EmbeddedAPIServer
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


# -- wrong JSON types, null, nesting, size, numbers JSON has not (issue 9) ---------------------------
CANNOT = 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal '


def _with(path: tuple[str | int, ...], value: object, name: str = "t1") -> dict:
    body = pod_body(name, labels={"app": "x"}, annotations={"note": "n"})
    body["status"] = {"phase": "Pending", "conditions": []}
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ("metadata", "labels"),
            ["app", "x"],
            "array into Go struct field ObjectMeta.metadata.labels of type map[string]string",
        ),
        (
            ("metadata", "labels", "app"),
            5,
            "number into Go struct field ObjectMeta.metadata.labels of type string",
        ),
        (
            ("metadata", "annotations"),
            "a=b",
            "string into Go struct field ObjectMeta.metadata.annotations of type map",
        ),
        (("metadata", "name"), 7, "number into Go struct field ObjectMeta.metadata.name of type string"),
        (("metadata",), [], "array into Go struct field Pod.metadata of type v1.ObjectMeta"),
        (("spec",), "main", "string into Go struct field Pod.spec of type v1.PodSpec"),
        (
            ("spec", "containers"),
            {"name": "main"},
            "object into Go struct field PodSpec.spec.containers of type []v1.Container",
        ),
        (
            ("spec", "containers", 0),
            "main",
            "string into Go struct field PodSpec.spec.containers of type v1.Container",
        ),
        (
            ("spec", "terminationGracePeriodSeconds"),
            1.5,
            "number 1.5 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64",
        ),
        (
            ("spec", "terminationGracePeriodSeconds"),
            2**63,
            "into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64",
        ),
        (
            ("spec", "containers", 0, "ports"),
            [{"containerPort": "8000"}],
            "string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            ("spec", "nodeSelector"),
            ["ssd"],
            "array into Go struct field PodSpec.spec.nodeSelector of type map[string]string",
        ),
        (("status",), 3, "number into Go struct field Pod.status of type v1.PodStatus"),
        (
            ("status", "conditions"),
            {"type": "Ready"},
            "object into Go struct field PodStatus.status.conditions of type []v1.PodCondition",
        ),
        (
            ("status", "conditions"),
            [{"type": "Ready", "status": True}],
            "bool into Go struct field PodCondition.status.conditions.status of type string",
        ),
        (  # deep in fields the server never reads: the whole OpenAPI type is checked
            ("spec", "securityContext"),
            {"runAsUser": "root"},
            "string into Go struct field PodSecurityContext.spec.securityContext.runAsUser of type int64",
        ),
        (
            ("spec", "containers", 0, "env"),
            [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": 1}}}],
            "number into Go struct field ObjectFieldSelector.spec.containers.env.valueFrom.fieldRef.fieldPath"
            " of type string",
        ),
    ],
)
def test_wrong_type_is_400_naming_the_field(
    bare_rest: Rest, path: tuple, value: object, expected: str
) -> None:
    """Kube's typed decoder: a value of the wrong JSON type where the server reads a field is 400
    BadRequest naming the Go struct, the field's path and its type - on POST and on PUT alike."""
    body = assert_status(bare_rest.call("POST", PODS, json=_with(path, value)), 400, "BadRequest")
    assert body["message"].startswith(CANNOT) and expected in body["message"], body["message"]
    bare_rest.create_pod("t1")
    resp = bare_rest.call("PUT", PODS + "/t1", json=_with(path, value))
    assert expected in assert_status(resp, 400, "BadRequest")["message"]


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (
            "/apis/apps/v1/namespaces/default/deployments",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "d1"},
                "spec": {"replicas": "3", "selector": {"matchLabels": {"app": "d"}}},
            },
            'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into'
            " Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
            {"metadata": {"name": "r1"}, "rules": [{"verbs": "get", "resources": ["pods"]}]},
            'Role in version "v1" cannot be handled as a Role: json: cannot unmarshal string into'
            " Go struct field PolicyRule.rules.verbs of type []string",
        ),
        (
            "/api/v1/namespaces/default/serviceaccounts",
            {"metadata": {"name": "sa1"}, "automountServiceAccountToken": "yes"},
            'ServiceAccount in version "v1" cannot be handled as a ServiceAccount: json: cannot unmarshal'
            " string into Go struct field ServiceAccount.automountServiceAccountToken of type bool",
        ),
    ],
)
def test_wrong_type_in_other_kinds_is_400(bare_rest: Rest, path: str, body: dict, expected: str) -> None:
    """Every served kind is decoded against its type, not only Pods and Namespaces."""
    assert assert_status(bare_rest.call("POST", path, json=body), 400, "BadRequest")["message"] == expected
    assert bare_rest.get(path + "/" + body["metadata"]["name"]).status_code == 404


def test_metadata_null_is_an_absent_metadata(bare_rest: Rest) -> None:
    """`metadata: null` is Go's zero value: the pod has no name, so 422 Invalid with the cause on
    metadata.name (before, a 500)."""
    body = pod_body("x")
    body["metadata"] = None
    status = assert_status(bare_rest.call("POST", PODS, json=body), 422, "Invalid")
    assert [c["field"] for c in status["details"]["causes"]] == ["metadata.name"]


def test_null_fields_are_dropped(bare_rest: Rest) -> None:
    """Nulls in known fields are not stored (kube omits zero values): labels, annotations, nodeSelector."""
    body = pod_body("n1")
    body["metadata"].update(labels=None, annotations=None)
    body["spec"]["nodeSelector"] = None
    stored = bare_rest.call("POST", PODS, json=body)
    assert stored.status_code == 201, stored.text
    pod = bare_rest.get_pod("n1").json()
    assert "labels" not in pod["metadata"] and "annotations" not in pod["metadata"]
    assert "nodeSelector" not in pod["spec"]


@pytest.mark.parametrize(
    ("ctype", "patch"),
    [
        ("application/merge-patch+json", {"metadata": {"labels": ["a"]}}),
        ("application/strategic-merge-patch+json", {"spec": {"nodeSelector": "ssd"}}),
        ("application/json-patch+json", [{"op": "replace", "path": "/spec/containers", "value": "x"}]),
    ],
)
def test_patch_whose_result_does_not_decode_is_422_on_patch(
    bare_rest: Rest, ctype: str, patch: object
) -> None:
    """Kube's patch handler: 422 Invalid, cause on the field `patch`; the pod is unchanged."""
    before = bare_rest.create_pod("p1")
    status = assert_status(bare_rest.patch(PODS + "/p1", patch, ctype), 422, "Invalid")
    assert [c["field"] for c in status["details"]["causes"]] == ["patch"]
    assert "json: cannot unmarshal" in status["message"] and "\n" not in status["message"]
    after = bare_rest.get_pod("p1").json()
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("method", "path", "ctype"),
    [
        ("POST", PODS, "application/json"),
        ("PATCH", PODS + "/p1", "application/merge-patch+json"),
        ("PATCH", PODS + "/p1", "application/apply-patch+yaml"),
        ("DELETE", PODS + "/p1", "application/json"),
    ],
)
def test_nesting_deeper_than_the_limit_is_400(bare_rest: Rest, method: str, path: str, ctype: str) -> None:
    """Bodies nested deeper than 100 levels are refused before anything recurses (was a 500);
    100 levels are fine."""
    bare_rest.create_pod("p1")
    for depth, ok in ((99, True), (101, False), (50_000, False)):
        body = pod_body("p1" if method != "POST" else f"d{depth}")
        if depth < 1000:
            body["extra"] = _nested(depth - 1)  # the body object itself is the first level
            raw = json.dumps(body)
        else:
            raw = '{"extra": ' + "[" * depth + "]" * depth + "}"
        resp = bare_rest.call(method, path, data=raw.encode(), headers={"Content-Type": ctype})
        if ok:
            assert resp.status_code < 400 or "max depth" not in resp.text, resp.text[:300]
        else:
            assert "max depth" in assert_status(resp, 400, "BadRequest")["message"]


def test_body_over_3_mib_is_413(bare_rest: Rest) -> None:
    """kube-apiserver's limit: a body of 3 MiB is read, one byte more is 413 RequestEntityTooLarge."""
    body = pod_body("big")
    body["metadata"]["annotations"] = {"blob": ""}
    base = len(json.dumps(body).encode())
    body["metadata"]["annotations"]["blob"] = "x" * (3 * 1024 * 1024 - base + 1)
    raw = json.dumps(body).encode()
    status = assert_status(bare_rest.call("POST", PODS, data=raw), 413, "RequestEntityTooLarge")
    assert status["message"] == "Request entity too large: limit is 3145728"
    resp = bare_rest.call("POST", PODS, data=raw.replace(b"x", b"", 1))
    assert resp.status_code != 413, "a body of exactly 3 MiB is within the limit"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_numbers_json_has_not_are_400(bare_rest: Rest, literal: str) -> None:
    """Python's decoder takes NaN/Infinity and turns 1e400 into inf; Go's refuses them, and no strict
    client could read them back: 400 BadRequest."""
    raw = json.dumps(pod_body("n")).replace('"spec"', f'"extra": {literal}, "spec"').encode()
    assert_status(bare_rest.call("POST", PODS, data=raw), 400, "BadRequest")
    assert bare_rest.get_pod("n").status_code == 404


def test_lone_surrogate_is_stored_as_the_replacement_character(bare_rest: Rest) -> None:
    """A JSON escape of a lone surrogate becomes U+FFFD, as Go's decoder makes it; what the server
    writes stays valid UTF-8 JSON (serde_json, inside the gateways, refuses lone surrogates)."""
    raw = json.dumps(pod_body("s", annotations={"note": "\ud800x"})).encode()
    assert bare_rest.call("POST", PODS, data=raw).status_code == 201
    got = bare_rest.get_pod("s").content
    assert json.loads(got.decode("utf-8"))["metadata"]["annotations"]["note"] == "\ufffdx"


@pytest.mark.parametrize(
    ("yaml_text", "fragment"),
    [
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            ),
            "excessive aliasing",
        ),
        ("metadata: &m {name: x, labels: *m}\n", "contains itself"),
    ],
)
def test_yaml_alias_bombs_are_400(bare_rest: Rest, yaml_text: str, fragment: str) -> None:
    """YAML aliases may not expand a body past 100,000 nodes, nor refer to themselves."""
    resp = bare_rest.call("POST", PODS, data=yaml_text.encode(), headers={"Content-Type": "application/yaml"})
    assert fragment in assert_status(resp, 400, "BadRequest")["message"]


# -- fault injection values ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "raw", "fragment"),
    [
        ("delay", '{"seconds": Infinity}', "invalid character"),
        ("delay", '{"seconds": NaN}', "invalid character"),
        ("delay", '{"seconds": "inf"}', "seconds must be a number"),
        ("delay", '{"seconds": -1}', "seconds must be finite, from 0 to 3600"),
        ("delay", '{"seconds": 1e300}', "seconds must be finite, from 0 to 3600"),
        ("delay", '{"seconds": true}', "seconds must be a number"),
        ("delay", '{"secs": 1}', "unknown secs (takes: seconds)"),
        ("fail-lists", '{"count": -1}', "count must be an integer from 0"),
        ("fail-lists", '{"count": 1.5}', "count must be an integer"),
        ("fail-lists", '{"count": true}', "count must be an integer"),
        ("fail-lists", '{"count": 1, "code": 200}', "code must be an integer from 400 to 599"),
        ("fail-lists", '{"count": 1, "code": 600}', "code must be an integer from 400 to 599"),
        ("fail-lists", '{"count": 1, "code": "503"}', "code must be an integer"),
        ("drop-watches", '{"abrupt": "yes"}', "abrupt must be true or false"),
        ("compact", "[1]", "the body must be a JSON object"),
        ("clear", "{", "the body must be JSON"),
    ],
)
def test_bad_fault_values_are_400_and_change_nothing(
    bare_rest: Rest, action: str, raw: str, fragment: str
) -> None:
    """The control endpoint answers a one-line 400 Status naming the bad value; no fault is set."""
    resp = bare_rest.call("POST", f"/_emulator/faults/{action}", data=raw.encode())
    message = assert_status(resp, 400, "BadRequest")["message"]
    assert fragment in message and "\n" not in message, message
    assert bare_rest.get(PODS).status_code == 200  # no failing list, no delay


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda f: f.delay(float("inf")), "seconds must be finite"),
        (lambda f: f.delay(float("nan")), "seconds must be finite"),
        (lambda f: f.delay(-0.5), "seconds must be finite"),
        (lambda f: f.fail_lists(-1), "count must be an integer"),
        (lambda f: f.fail_lists(True), "count must be an integer"),
        (lambda f: f.fail_lists(1, code=200), "code must be an integer from 400 to 599"),
    ],
)
def test_bad_fault_values_from_python_raise_value_error(
    bare: EmbeddedAPIServer, call: Any, fragment: str
) -> None:
    """The Python API refuses the same values with a one-line ValueError and leaves the state alone."""
    with pytest.raises(ValueError, match=fragment):
        call(bare.faults)
    assert bare.faults.delay_seconds == 0 and bare.faults.failing_lists == 0
