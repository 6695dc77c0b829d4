"""Dry runs on every write verb: the answer a real server gives, and no change at all.

Why (issue 15): `kubectl ... --dry-run=server` and `dryRun=All` from any client must leave the cluster
exactly as it was: no resourceVersion moves and no watcher hears of it. Absence of a watch event is
proven with a barrier: a watch opened before the dry runs must see the barrier pod as its first event.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from tests.apiserver._support import Rest, assert_status, pod_body, watch_path

DRY = {"dryRun": "All"}


def no_trace(bare_rest: Rest, action: Callable[[], None]) -> None:
    """Run `action` (dry runs), then prove nothing changed: same list RV, first watch event = barrier."""
    rv = bare_rest.list_rv()
    ns_rv = int(bare_rest.get("/api/v1/namespaces").json()["metadata"]["resourceVersion"])
    stream = bare_rest.watch(watch_path(None, resourceVersion=rv))
    try:
        action()
        assert bare_rest.list_rv() == rv
        assert int(bare_rest.get("/api/v1/namespaces").json()["metadata"]["resourceVersion"]) == ns_rv
        bare_rest.create_pod("barrier")
        first = stream.next_event(5)
        assert first is not None and (first.type, first.name) == ("ADDED", "barrier"), stream.seen
    finally:
        stream.close()


def test_create(bare_rest: Rest) -> None:
    """201 with uid and creationTimestamp but no resourceVersion; generateName is filled in; an existing
    name is still 409 AlreadyExists."""
    bare_rest.create_pod("taken")
    answers: list[requests.Response] = []

    def act() -> None:
        answers.append(bare_rest.call("POST", bare_rest.pods_path(), params=DRY, json=pod_body("p1")))
        body = pod_body("")
        body["metadata"] = {"generateName": "gen-"}
        answers.append(bare_rest.call("POST", bare_rest.pods_path(), params=DRY, json=body))
        answers.append(bare_rest.call("POST", bare_rest.pods_path(), params=DRY, json=pod_body("taken")))

    no_trace(bare_rest, act)
    created, generated, taken = answers
    assert created.status_code == 201
    meta = created.json()["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and "resourceVersion" not in meta
    assert generated.status_code == 201 and generated.json()["metadata"]["name"].startswith("gen-")
    assert_status(taken, 409, "AlreadyExists")
    assert bare_rest.get_pod("p1").status_code == 404


def test_update_and_patches(bare_rest: Rest) -> None:
    """PUT, merge patch and server-side apply: 200 with the changed object at the unchanged RV."""
    pod = bare_rest.create_pod("p1", labels={"app": "a"})
    rv = pod["metadata"]["resourceVersion"]
    answers: list[requests.Response] = []

    def act() -> None:
        pod["metadata"]["labels"] = {"app": "put"}
        answers.append(bare_rest.call("PUT", bare_rest.pods_path(name="p1"), params=DRY, json=pod))
        answers.append(
            bare_rest.call(
                "PATCH",
                bare_rest.pods_path(name="p1") + "?dryRun=All",
                json={"metadata": {"labels": {"app": "merge"}}},
                headers={"Content-Type": "application/merge-patch+json"},
            )
        )
        applied = pod_body("p1", labels={"app": "ssa"})
        answers.append(
            bare_rest.call(
                "PATCH",
                bare_rest.pods_path(name="p1") + "?dryRun=All&fieldManager=me&force=true",
                json=applied,
                headers={"Content-Type": "application/apply-patch+yaml"},
            )
        )

    no_trace(bare_rest, act)
    for resp, app in zip(answers, ("put", "merge", "ssa"), strict=True):
        assert resp.status_code == 200, resp.text
        assert resp.json()["metadata"]["labels"] == {"app": app}
        assert resp.json()["metadata"]["resourceVersion"] == rv
    assert bare_rest.get_pod("p1").json()["metadata"]["labels"] == {"app": "a"}


def test_deletes(bare_rest: Rest) -> None:
    """DELETE (query and DeleteOptions.dryRun), graceful and immediate, deletecollection, and a
    namespace: each answers as the real delete would, and nothing is deleted."""
    bare_rest.create_pod("sched", node="node-1", grace=30)
    bare_rest.create_pod("unsched")
    bare_rest.call("POST", "/api/v1/namespaces", json={"metadata": {"name": "team"}})
    answers: dict[str, requests.Response] = {}

    def act() -> None:
        answers["graceful"] = bare_rest.call(
            "DELETE", bare_rest.pods_path(name="sched"), json={"dryRun": ["All"]}
        )
        answers["immediate"] = bare_rest.call("DELETE", bare_rest.pods_path(name="unsched"), params=DRY)
        answers["collection"] = bare_rest.call("DELETE", bare_rest.pods_path(), params=DRY)
        answers["namespace"] = bare_rest.call("DELETE", "/api/v1/namespaces/team", params=DRY)

    no_trace(bare_rest, act)
    graceful = answers["graceful"].json()["metadata"]
    assert graceful["deletionGracePeriodSeconds"] == 30 and graceful["deletionTimestamp"]
    assert "deletionTimestamp" not in answers["immediate"].json()["metadata"]
    names = sorted(i["metadata"]["name"] for i in answers["collection"].json()["items"])
    assert names == ["sched", "unsched"]
    assert answers["namespace"].json()["status"]["phase"] == "Terminating"
    assert bare_rest.get("/api/v1/namespaces/team").json()["status"]["phase"] == "Active"
    assert "deletionTimestamp" not in bare_rest.get_pod("sched").json()["metadata"]


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", "/api/v1/namespaces/default/pods", "CreateOptions"),
        ("DELETE", "/api/v1/namespaces/default/pods/p1", "DeleteOptions"),
    ],
)
def test_bad_dry_run_value_is_422(bare_rest: Rest, method: str, path: str, kind: str) -> None:
    bare_rest.create_pod("p1")
    resp = bare_rest.call(method, path, params={"dryRun": "Al"}, json=pod_body("p2"))
    body = assert_status(resp, 422, "Invalid")
    assert body["message"] == (
        f'{kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Al"]: supported values: "All"'
    )
    assert body["details"]["group"] == "meta.k8s.io" and body["details"]["kind"] == kind
