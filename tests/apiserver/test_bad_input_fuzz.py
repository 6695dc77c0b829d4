"""Arbitrary JSON in every field position of a pod never gets a 5xx, and never breaks the server.

Why (issue 9): a harness whose cluster answers 500 to a typo, or stores something no client can read
back, reports the gateway as broken. Hypothesis puts any JSON value (nulls, bools, huge and negative
numbers, strings with lone surrogates, nested lists and objects) at any path of a full pod - every
field the server reads and beside them - and sends it every way a client can: POST, PUT, merge patch,
strategic merge patch, JSON patch, and the same on /status. The property: the answer is a 2xx or a 4xx
Status; the kubelet (which reads annotations, spec and status of whatever was stored) logs no error;
and afterwards the pod list is strict JSON (no NaN, no lone surrogate, nothing serde_json refuses).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver._support import Rest

JSON = dict[str, Any]
PODS = "/api/v1/namespaces/default/pods"

TEMPLATE: JSON = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "NAME",
        "labels": {"app": "worker", "role": "regular"},
        "annotations": {"kubelet.emulator/ready": "true", "note": "x"},
        "finalizers": ["example.com/f"],
        "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u"}],
    },
    "spec": {
        "nodeName": "",
        "nodeSelector": {"disk": "ssd"},
        "terminationGracePeriodSeconds": 30,
        "readinessGates": [{"conditionType": "example.com/ready"}],
        "tolerations": [{"key": "k", "operator": "Exists", "tolerationSeconds": 5}],
        "containers": [
            {
                "name": "main",
                "image": "example.invalid/worker:1",
                "args": ["--port", "8000"],
                "ports": [{"containerPort": 8000, "protocol": "TCP"}],
                "env": [{"name": "A", "value": "b"}],
                "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": 1, "memory": "1Gi"}},
                "readinessProbe": {"httpGet": {"path": "/health", "port": 8000}, "periodSeconds": 1},
            }
        ],
    },
    "status": {
        "phase": "Running",
        "podIP": "127.0.0.9",
        "podIPs": [{"ip": "127.0.0.9"}],
        "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None}],
        "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0, "state": {"running": {}}}],
    },
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path in the template, each container position and one new key in every object."""
    yield prefix
    if isinstance(value, dict):
        yield (*prefix, "extraField")
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


PATHS = sorted(set(p for p in _paths(TEMPLATE) if p and p != ("metadata", "name")), key=repr)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30, 0, -1])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["\ud800", "-bad", "a" * 70, "2020-01-01T00:00:00Z", "1Gi", "Running", ""])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
METHODS = [
    "POST",
    "POST+DELETE",
    "DELETE-options",
    "PUT",
    "merge",
    "strategic",
    "json-patch",
    "status-merge",
    "status-put",
    "status-json",
]
DELETE_OPTIONS = ["gracePeriodSeconds", "preconditions", "propagationPolicy", "dryRun", "orphanDependents"]


def _set(doc: JSON, path: tuple[Any, ...], value: Any) -> JSON:
    out = copy.deepcopy(doc)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _pointer(path: tuple[Any, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


class Target:
    """One server with the kubelet on, its client, and a log handler that records asyncio errors."""

    def __init__(self) -> None:
        self.server = EmbeddedAPIServer().start()
        self.rest = Rest(self.server.url)
        self.count = 0
        self.errors: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: self.errors.append(  # type: ignore[method-assign]
            record.getMessage() + (f": {record.exc_info[1]!r}" if record.exc_info else "")
        )
        handler.setLevel(logging.ERROR)
        self.handler = handler
        logging.getLogger("asyncio").addHandler(handler)

    def send(self, method: str, name: str, doc: JSON, path: tuple[Any, ...], value: Any) -> requests.Response:
        body = json.dumps(doc, allow_nan=False).encode()
        merge = {"Content-Type": "application/merge-patch+json"}
        item = f"{PODS}/{name}"
        if method == "POST":
            return self.rest.call("POST", PODS, data=body)
        if method == "POST+DELETE":  # the server reads grace periods and finalizers of what it stored
            created = self.rest.call("POST", PODS, data=body)
            return self.rest.call("DELETE", item, json={}) if created.status_code == 201 else created
        if method == "DELETE-options":
            key = DELETE_OPTIONS[len(path) % len(DELETE_OPTIONS)]
            return self.rest.call("DELETE", item, data=json.dumps({key: value}).encode())
        if method in ("PUT", "status-put"):
            if isinstance(doc.get("metadata"), dict):  # a PUT carries the RV it read, as kubectl's does
                old = self.rest.get(item).json()
                doc = _set(doc, ("metadata", "resourceVersion"), old["metadata"]["resourceVersion"])
            target = item + ("/status" if method == "status-put" else "")
            return self.rest.call("PUT", target, data=json.dumps(doc, allow_nan=False).encode())
        if method in ("merge", "status-merge"):
            patch: Any = {}
            node = patch
            for key in path[:-1]:
                node = node.setdefault(key if isinstance(key, str) else "x", {})
            node[path[-1] if isinstance(path[-1], str) else "x"] = value
            target = item + ("/status" if method == "status-merge" else "")
            return self.rest.call("PATCH", target, data=json.dumps(patch).encode(), headers=merge)
        if method == "strategic":
            smp = {"Content-Type": "application/strategic-merge-patch+json"}
            return self.rest.call(
                "PATCH", item, data=json.dumps(_set({}, path[:1], value)).encode(), headers=smp
            )
        ops = [{"op": "add", "path": _pointer(path), "value": value}]
        jp = {"Content-Type": "application/json-patch+json"}
        target = item + ("/status" if method == "status-json" else "")
        return self.rest.call("PATCH", target, data=json.dumps(ops).encode(), headers=jp)

    def close(self) -> None:
        logging.getLogger("asyncio").removeHandler(self.handler)
        self.rest.close()
        self.server.stop()


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    t = Target()
    yield t
    t.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=json_values, method=st.sampled_from(METHODS))
def test_any_value_anywhere_is_never_a_5xx(
    target: Target, path: tuple[Any, ...], value: Any, method: str
) -> None:
    target.count += 1
    target.errors.clear()  # each example answers for its own errors
    name = f"fz-{target.count}"
    good = _set(TEMPLATE, ("metadata", "name"), name)
    if not method.startswith("POST"):
        created = target.rest.call("POST", PODS, data=json.dumps(good).encode())
        assert created.status_code == 201, created.text
    doc = _set(good, path, value)
    resp = target.send(method, name, doc, path, value)
    assert resp.status_code < 500, f"{method} {path} = {value!r}: {resp.status_code} {resp.text[:300]}"
    if resp.status_code >= 400:
        status = resp.json()
        assert status["kind"] == "Status" and status["code"] == resp.status_code, status
        assert "\n" not in status["message"], status["message"]
    listed = target.rest.get(PODS)
    assert listed.status_code == 200
    json.loads(listed.content, parse_constant=_no_constants)  # strict JSON
    assert target.errors == [], target.errors


def _no_constants(token: str) -> None:
    raise AssertionError(f"the server wrote {token}, which no strict JSON parser reads")
