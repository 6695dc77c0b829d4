"""Namespace deletion as a cluster does it: Terminating, pods deleted gracefully, then gone.

Why (issue 15): `kubectl delete -f` of a namespace with its pods, or a test's cleanup, must see what a
real cluster shows: the namespace turns Terminating (its `kubernetes` finalizer still in spec), its pods
get a deletionTimestamp with their own grace period and stay readable until the kubelet has stopped
them, new pods are refused with the real 403, a second DELETE is the real 409, and the namespace goes
only when its last pod has.
"""

from __future__ import annotations

from tests.apiserver._support import Rest, assert_status, pod_body
from tests.polling import wait_until

NS = "/api/v1/namespaces/team"


def test_namespace_terminates_after_its_pods(rest: Rest) -> None:
    assert rest.call("POST", "/api/v1/namespaces", json={"metadata": {"name": "team"}}).status_code == 201
    rest.create_pod("p1", ns="team", grace=2)
    wait_until(lambda: rest.get_pod("p1", "team").json()["spec"].get("nodeName"), 5, "p1 scheduled")
    watch = rest.watch("/api/v1/namespaces?watch=true&fieldSelector=metadata.name%3Dteam")
    try:
        deleted = rest.call("DELETE", NS)
        assert deleted.status_code == 200
        ns = deleted.json()
        assert ns["status"]["phase"] == "Terminating" and ns["metadata"]["deletionTimestamp"]
        assert "deletionGracePeriodSeconds" not in ns["metadata"]
        assert ns["spec"]["finalizers"] == ["kubernetes"]
        pod = wait_until(
            lambda: (p := rest.get_pod("p1", "team").json())["metadata"].get("deletionTimestamp") and p,
            5,
            "p1 terminating",
        )
        assert pod["metadata"]["deletionGracePeriodSeconds"] == 2
        conditions = wait_until(lambda: rest.get(NS).json()["status"].get("conditions"), 5, "conditions")
        remaining = next(c for c in conditions if c["type"] == "NamespaceContentRemaining")
        assert (remaining["status"], remaining["reason"], remaining["message"]) == (
            "True",
            "SomeResourcesRemain",
            "Some resources are remaining: pods. has 1 resource instances",
        )
        refused = rest.call("POST", rest.pods_path("team"), json=pod_body("late"))
        body = assert_status(refused, 403, "Forbidden")
        assert body["message"] == (
            'pods "late" is forbidden: unable to create new content in namespace team '
            "because it is being terminated"
        )
        assert body["details"]["causes"] == [
            {
                "reason": "NamespaceTerminating",
                "message": "namespace team is being terminated",
                "field": "metadata.namespace",
            }
        ]
        again = assert_status(rest.call("DELETE", NS), 409, "Conflict")
        assert again["message"] == (
            'Operation cannot be fulfilled on namespaces "team": The system is ensuring all content is '
            "removed from this namespace.  Upon completion, this namespace will automatically be purged by "
            "the system."
        )
        wait_until(lambda: rest.get(NS).status_code == 404, 10, "namespace gone")
        assert rest.get_pod("p1", "team").status_code == 404
        watch.wait_for(lambda e: e.type == "DELETED", 5, "the namespace's DELETED event")
        types = [e.type for e in watch.seen]
    finally:
        watch.close()
    assert types[0] == "ADDED" and types[-1] == "DELETED" and set(types[1:-1]) == {"MODIFIED"}
