"""Deletion: graceful, immediate, finalizers (docs/apiserver.md §7 M6; §12 test 12).

Why: SGLang's gateway consumes `applied_objects()`, which hides DELETED events; it only deregisters a
worker when it sees a MODIFIED pod with `deletionTimestamp`. A server that deleted scheduled pods at once
would make every deletion scenario pass or fail for the wrong reason.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

from tests.apiserver._support import Rest, pod_body, watch_path
from tests.polling import wait_until


def parse_ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def test_graceful_delete_of_scheduled_pod(rest: Rest) -> None:
    """§12.12 / M6: a scheduled pod gets MODIFIED with `deletionTimestamp` (~now + grace) and
    `deletionGracePeriodSeconds`; the kubelet finishes it (DELETED) after the grace period, not before."""
    rest.create_pod("g1", grace=1)
    wait_until(lambda: rest.get_pod("g1").json()["spec"].get("nodeName"), 5, "g1 scheduled")
    ws = rest.watch(
        watch_path(resourceVersion=rest.list_rv(), fieldSelector="metadata.name=g1", timeoutSeconds=8)
    )
    try:
        t0 = time.monotonic()
        resp = rest.delete_pod("g1")  # no gracePeriodSeconds: spec.terminationGracePeriodSeconds applies
        assert resp.status_code == 200, resp.text
        assert resp.json()["metadata"]["deletionGracePeriodSeconds"] == 1
        marked = ws.wait_for(lambda e: e.type == "MODIFIED", 3, "MODIFIED with deletionTimestamp")
        meta = marked.object["metadata"]
        assert meta["deletionGracePeriodSeconds"] == 1
        lag = (parse_ts(meta["deletionTimestamp"]) - datetime.now(UTC)).total_seconds()
        assert -1.5 <= lag <= 2.5, f"deletionTimestamp should be about now+1s, is {lag:+.1f}s away"
        gone = ws.wait_for(lambda e: e.type in ("DELETED", "ADDED"), 6, "DELETED")
        assert gone.type == "DELETED" and gone.rv > marked.rv
        assert gone.object["metadata"]["deletionTimestamp"] == meta["deletionTimestamp"]
        assert time.monotonic() - t0 >= 0.8, "DELETED came before the grace period ended"
    finally:
        ws.close()
    assert rest.get_pod("g1").status_code == 404


def test_explicit_grace_period_overrides_spec(rest: Rest) -> None:
    """M6: `DeleteOptions.gracePeriodSeconds` wins over `spec.terminationGracePeriodSeconds`."""
    rest.create_pod("g2", grace=30)
    wait_until(lambda: rest.get_pod("g2").json()["spec"].get("nodeName"), 5, "g2 scheduled")
    resp = rest.delete_pod("g2", grace=1)
    assert resp.json()["metadata"]["deletionGracePeriodSeconds"] == 1
    wait_until(lambda: rest.get_pod("g2").status_code == 404, 5, "g2 removed after 1 s grace")


def test_unscheduled_pod_goes_at_once(bare_rest: Rest) -> None:
    """§12.12 / M6: a pod without `spec.nodeName` is removed immediately (grace forced to 0): one
    DELETED, no MODIFIED; the reply is the deleted Pod."""
    bare_rest.create_pod("u1", grace=30)
    ws = bare_rest.watch(watch_path(resourceVersion=bare_rest.list_rv(), timeoutSeconds=1))
    try:
        resp = bare_rest.delete_pod("u1")
        events = ws.collect_until_end(timeout=4)
    finally:
        ws.close()
    assert resp.status_code == 200 and resp.json()["kind"] == "Pod", resp.text
    assert [(e.type, e.name) for e in events] == [("DELETED", "u1")]
    assert bare_rest.get_pod("u1").status_code == 404


def test_grace_zero_removes_a_terminating_pod(bare_rest: Rest) -> None:
    """M6: without a kubelet a scheduled pod stays terminating; a later DELETE with
    gracePeriodSeconds=0 removes it (DELETED)."""
    bare_rest.create_pod("t1", node="n1", grace=30)
    ws = bare_rest.watch(watch_path(resourceVersion=bare_rest.list_rv(), timeoutSeconds=2))
    try:
        first = bare_rest.delete_pod("t1")
        assert first.status_code == 200 and first.json()["metadata"].get("deletionTimestamp"), first.text
        assert bare_rest.get_pod("t1").status_code == 200
        assert bare_rest.delete_pod("t1", grace=0).status_code == 200
        events = ws.collect_until_end(timeout=5)
    finally:
        ws.close()
    assert [(e.type, e.name) for e in events] == [("MODIFIED", "t1"), ("DELETED", "t1")]
    assert events[0].object["metadata"]["deletionGracePeriodSeconds"] == 30
    assert bare_rest.get_pod("t1").status_code == 404


def test_finalizers_hold_the_pod(bare_rest: Rest) -> None:
    """M6: with finalizers the pod stays (deletionTimestamp set) until a write empties the list."""
    bare_rest.create_pod("f1", finalizers=["example.com/hold"])
    resp = bare_rest.delete_pod("f1", grace=0)
    assert resp.status_code == 200, resp.text
    held = bare_rest.get_pod("f1")
    assert held.status_code == 200 and held.json()["metadata"].get("deletionTimestamp")
    resp = bare_rest.patch(bare_rest.pods_path(name="f1"), {"metadata": {"finalizers": None}})
    assert resp.status_code == 200, resp.text
    wait_until(lambda: bare_rest.get_pod("f1").status_code == 404, 3, "f1 removed once finalizers are gone")


def test_python_client_delete(core_v1: k8s_client.CoreV1Api) -> None:
    """§12 Python client: `delete_namespaced_pod` graceful (pod still readable, terminating, then gone)
    and with `grace_period_seconds=0` (gone at once)."""
    for name in ("d1", "d2"):
        core_v1.create_namespaced_pod("default", pod_body(name, grace=1))
    wait_until(lambda: core_v1.read_namespaced_pod("d1", "default").spec.node_name, 5, "d1 scheduled")
    wait_until(lambda: core_v1.read_namespaced_pod("d2", "default").spec.node_name, 5, "d2 scheduled")
    core_v1.delete_namespaced_pod("d1", "default")
    assert core_v1.read_namespaced_pod("d1", "default").metadata.deletion_timestamp is not None
    core_v1.delete_namespaced_pod("d2", "default", grace_period_seconds=0)
    with pytest.raises(ApiException) as info:
        core_v1.read_namespaced_pod("d2", "default")
    assert info.value.status == 404

    def d1_gone() -> bool:
        try:
            core_v1.read_namespaced_pod("d1", "default")
        except ApiException as exc:
            return exc.status == 404
        return False

    wait_until(d1_gone, 5, "d1 removed after its 1 s grace period")
