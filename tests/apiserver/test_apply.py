"""Server-side apply and managedFields over HTTP, checked against what a real cluster records.

Why (issue 15): managedFields must name who set what after every write, and apply must merge,
conflict (409 with the real message), yield to `force`, share fields applied with equal values, and
remove what its manager stopped applying unless someone else owns it. The expected FieldsV1 below are
what kube-apiserver records for the same requests (defaults included for Update managers, only the
applied fields for appliers).
"""

from __future__ import annotations

from typing import Any

import requests

from tests.apiserver._support import Rest, assert_status, pod_body

APPLY = {"Content-Type": "application/apply-patch+yaml"}
MERGE = {"Content-Type": "application/merge-patch+json"}


def apply(
    rest: Rest, body: dict[str, Any], manager: str, *, force: bool = False, sub: str = ""
) -> requests.Response:
    path = rest.pods_path(name=body["metadata"]["name"], sub=sub or None)
    query = f"?fieldManager={manager}" + ("&force=true" if force else "")
    return rest.call("PATCH", path + query, json=body, headers=APPLY)


def entries(rest: Rest, name: str) -> dict[tuple[str, str], dict[str, Any]]:
    pod = rest.get_pod(name).json()
    return {(m["manager"], m["operation"]): m for m in pod["metadata"].get("managedFields", [])}


def test_create_records_everything_the_creator_set_defaults_included(bare_rest: Rest) -> None:
    resp = bare_rest.call(
        "POST", bare_rest.pods_path() + "?fieldManager=creator", json=pod_body("p1", {"app": "a"})
    )
    assert resp.status_code == 201
    (entry,) = resp.json()["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["apiVersion"]) == ("creator", "Update", "v1")
    assert entry["fieldsType"] == "FieldsV1" and entry["time"]
    assert entry["fieldsV1"] == {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:containers": {
                'k:{"name":"main"}': {
                    ".": {},
                    "f:image": {},
                    "f:imagePullPolicy": {},
                    "f:name": {},
                    "f:resources": {},
                    "f:terminationMessagePath": {},
                    "f:terminationMessagePolicy": {},
                }
            },
            "f:dnsPolicy": {},
            "f:enableServiceLinks": {},
            "f:restartPolicy": {},
            "f:schedulerName": {},
            "f:securityContext": {},
            "f:terminationGracePeriodSeconds": {},
        },
    }


def test_user_agent_names_the_manager_when_the_query_does_not(bare_rest: Rest) -> None:
    resp = bare_rest.call(
        "POST", bare_rest.pods_path(), json=pod_body("p1"), headers={"User-Agent": "my-tool/1.2 (linux)"}
    )
    assert [m["manager"] for m in resp.json()["metadata"]["managedFields"]] == ["my-tool"]


def test_apply_owns_only_what_it_applied(bare_rest: Rest) -> None:
    assert apply(bare_rest, pod_body("p1", {"app": "a"}), "ssa").status_code == 201
    entry = entries(bare_rest, "p1")[("ssa", "Apply")]
    assert entry["fieldsV1"] == {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {"f:containers": {'k:{"name":"main"}': {".": {}, "f:image": {}, "f:name": {}}}},
    }


def test_conflicts_name_every_field_and_manager(bare_rest: Rest) -> None:
    apply(bare_rest, pod_body("p1", {"x": "1", "y": "1"}), "ssa")
    for manager, key in (("alice", "x"), ("bob", "y")):
        path = bare_rest.pods_path(name="p1") + f"?fieldManager={manager}"
        bare_rest.call("PATCH", path, json={"metadata": {"labels": {key: "2"}}}, headers=MERGE)
    resp = apply(bare_rest, pod_body("p1", {"x": "3", "y": "3"}), "ssa")
    body = assert_status(resp, 409, "Conflict")
    assert body["message"] == (
        'Apply failed with 2 conflicts: conflicts with "alice" using v1:\n- .metadata.labels.x\n'
        'conflicts with "bob" using v1:\n- .metadata.labels.y'
    )
    assert sorted((c["field"], c["message"]) for c in body["details"]["causes"]) == [
        (".metadata.labels.x", 'conflict with "alice" using v1'),
        (".metadata.labels.y", 'conflict with "bob" using v1'),
    ]
    assert bare_rest.get_pod("p1").json()["metadata"]["labels"] == {"x": "2", "y": "2"}


def test_force_takes_ownership(bare_rest: Rest) -> None:
    apply(bare_rest, pod_body("p1", {"x": "1", "keep": "1"}), "ssa")
    bare_rest.call(
        "PATCH",
        bare_rest.pods_path(name="p1") + "?fieldManager=ed",
        json={"metadata": {"labels": {"x": "2"}}},
        headers=MERGE,
    )
    assert apply(bare_rest, pod_body("p1", {"x": "3", "keep": "1"}), "ssa", force=True).status_code == 200
    assert bare_rest.get_pod("p1").json()["metadata"]["labels"] == {"x": "3", "keep": "1"}
    assert set(entries(bare_rest, "p1")) == {("ssa", "Apply")}


def test_equal_values_are_shared_and_survive_one_owner_leaving(bare_rest: Rest) -> None:
    apply(bare_rest, pod_body("p1", {"shared": "v", "mine": "m"}), "a")
    assert (
        apply(bare_rest, pod_body("p1", {"shared": "v"}), "b").status_code == 200
    )  # same value: no conflict
    owned = entries(bare_rest, "p1")
    assert owned[("a", "Apply")]["fieldsV1"]["f:metadata"] == {"f:labels": {"f:mine": {}, "f:shared": {}}}
    assert owned[("b", "Apply")]["fieldsV1"]["f:metadata"] == {"f:labels": {"f:shared": {}}}
    apply(bare_rest, pod_body("p1", {}), "a")  # a stops applying both labels
    assert bare_rest.get_pod("p1").json()["metadata"]["labels"] == {"shared": "v"}  # b still owns it


def test_status_subresource_apply_is_its_own_manager(bare_rest: Rest) -> None:
    bare_rest.create_pod("p1")
    status = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1"}, "status": {"phase": "Running"}}
    resp = bare_rest.call(
        "PATCH",
        bare_rest.pods_path(name="p1", sub="status") + "?fieldManager=kubelet",
        json=status,
        headers=APPLY,
    )
    assert resp.status_code == 200 and resp.json()["status"]["phase"] == "Running"
    entry = entries(bare_rest, "p1")[("kubelet", "Apply")]
    assert entry["subresource"] == "status" and entry["fieldsV1"] == {"f:status": {"f:phase": {}}}


def test_apply_needs_a_field_manager_and_force_needs_apply(bare_rest: Rest) -> None:
    resp = bare_rest.call("PATCH", bare_rest.pods_path(name="p1"), json=pod_body("p1"), headers=APPLY)
    assert assert_status(resp, 422, "Invalid")["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    )
    bare_rest.create_pod("p2")
    resp = bare_rest.call("PATCH", bare_rest.pods_path(name="p2") + "?force=true", json={}, headers=MERGE)
    assert assert_status(resp, 422, "Invalid")["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'
    )
