"""WATCH on the wire and through the Python client (docs/apiserver.md §1 T3, §5 W1-W11; §12 tests 3-7).

Why: kube-rs splits watch bodies on newlines and relists on a missing RV or an in-stream 410; Python
resumes from the last RV it saw; kubectl starts its watch from the list RV. These tests read the raw
stream (see `_support.WatchStream`) on a server without the built-in kubelet, so every event is one the
test caused and exact sequences can be asserted. A stream's close is the barrier that proves absence.
"""

from __future__ import annotations

from kubernetes import client as k8s_client
from kubernetes import watch as k8s_watch

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver._support import Event, Rest, assert_status, watch_path

INITIAL_END = "k8s.io/initial-events-end"


def typed(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(e.type, e.name) for e in events]


def test_watch_stream_framing_events_bookmark_and_timeout(bare_rest: Rest) -> None:
    """§12.3 / T3, W1, W2, W8, W9: chunked 200 with one JSON object per newline-terminated line;
    ADDED/MODIFIED/DELETED with full Pod objects and increasing RVs; a BOOKMARK (kind, apiVersion,
    metadata.resourceVersion) ~2 s before the deadline; the stream ends cleanly at ~timeoutSeconds."""
    rv = bare_rest.list_rv()
    ws = bare_rest.watch(watch_path(resourceVersion=rv, allowWatchBookmarks=True, timeoutSeconds=3))
    try:
        assert ws.status == 200
        assert ws.headers.get("content-type", "").startswith("application/json")
        assert ws.chunked, ws.headers
        bare_rest.create_pod("w1")
        bare_rest.patch(bare_rest.pods_path(name="w1"), {"metadata": {"labels": {"x": "1"}}})
        assert bare_rest.delete_pod("w1").status_code == 200
        events = ws.collect_until_end(timeout=6)
    finally:
        ws.close()
    assert ws.clean_end, "stream must end with the terminating chunk"
    assert ws.trailing == b"", f"partial line at the end: {ws.trailing!r}"
    assert ws.ended_at is not None and 2.5 <= ws.ended_at - ws.started_at <= 5.0
    changes = [e for e in events if e.type != "BOOKMARK"]
    assert typed(changes) == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]
    for e in changes:
        assert e.object["kind"] == "Pod" and e.object["apiVersion"] == "v1"
        assert e.object["metadata"]["uid"] and e.object["spec"]["containers"]
    rvs = [e.rv for e in changes]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3 and rvs[0] > rv
    assert changes[1].object["metadata"]["labels"] == {"x": "1"}
    bookmarks = [e for e in events if e.type == "BOOKMARK"]
    assert bookmarks, f"no BOOKMARK in {typed(events)}"
    mark = bookmarks[-1]
    assert mark.object["kind"] == "Pod" and mark.object["apiVersion"] == "v1"
    assert mark.rv >= rvs[-1]
    assert ws.ended_at - mark.at >= 1.5, "the bookmark should come ~2 s before the deadline"
    assert all(e.raw.startswith(b'{"') for e in events), "one compact JSON object per line"


def test_no_bookmarks_unless_asked(bare_rest: Rest) -> None:
    """W9: without `allowWatchBookmarks=true` no BOOKMARK lines are sent."""
    ws = bare_rest.watch(watch_path(resourceVersion=bare_rest.list_rv(), timeoutSeconds=3))
    try:
        events = ws.collect_until_end(timeout=6)
    finally:
        ws.close()
    assert events == []


def test_watch_start_semantics(bare_rest: Rest) -> None:
    """§12.4 / W3: RV unset and RV=0 → synthetic ADDED for existing pods first; RV=N → only the changes
    after N, no replay of older state."""
    a = bare_rest.create_pod("a")
    bare_rest.create_pod("b")
    for params in ({}, {"resourceVersion": 0}):
        ws = bare_rest.watch(watch_path(timeoutSeconds=1, **params))
        try:
            events = ws.collect_until_end(timeout=4)
        finally:
            ws.close()
        assert sorted(typed(events)) == [("ADDED", "a"), ("ADDED", "b")], params
        assert all(e.rv > 0 for e in events)
    ws = bare_rest.watch(watch_path(resourceVersion=a["metadata"]["resourceVersion"], timeoutSeconds=1))
    try:
        events = ws.collect_until_end(timeout=4)
    finally:
        ws.close()
    assert typed(events) == [("ADDED", "b")]


def test_compacted_rv_gets_in_stream_410(bare: EmbeddedAPIServer, bare_rest: Rest) -> None:
    """§12.5 / W4, W5: after compaction a watch from an old RV → HTTP 200, exactly one ERROR line with a
    Status (status, code 410, reason Expired, message `too old resource version: …`), then close; a
    watch from the current RV still works."""
    old = bare_rest.create_pod("a")["metadata"]["resourceVersion"]
    bare_rest.create_pod("b")
    bare_rest.create_pod("c")
    bare.faults.compact()
    ws = bare_rest.watch(watch_path(resourceVersion=old, timeoutSeconds=5))
    try:
        assert ws.status == 200
        events = ws.collect_until_end(timeout=4)
    finally:
        ws.close()
    assert typed(events) == [("ERROR", None)]
    status = events[0].object
    assert status["kind"] == "Status" and status["status"] == "Failure"
    assert status["code"] == 410 and status["reason"] == "Expired"
    assert status["message"].startswith(f"too old resource version: {old} (")
    ws = bare_rest.watch(watch_path(resourceVersion=bare_rest.list_rv(), timeoutSeconds=1))
    try:
        assert [e for e in ws.collect_until_end(timeout=4) if e.type == "ERROR"] == []
    finally:
        ws.close()


def test_history_window_is_bounded(make_server) -> None:
    """W4: with `history_limit=5`, a watch from an RV more than 5 events back gets the in-stream 410,
    while one from the newest RVs replays normally."""
    srv = make_server(kubelet=False, history_limit=5)
    rest = Rest(srv.url)
    rvs = [int(rest.create_pod(f"h{i}")["metadata"]["resourceVersion"]) for i in range(10)]
    ws = rest.watch(watch_path(resourceVersion=rvs[0], timeoutSeconds=1))
    try:
        events = ws.collect_until_end(timeout=4)
    finally:
        ws.close()
    assert [(e.type, e.object.get("code")) for e in events] == [("ERROR", 410)]
    ws = rest.watch(watch_path(resourceVersion=rvs[7], timeoutSeconds=1))
    try:
        events = ws.collect_until_end(timeout=4)
    finally:
        ws.close()
    assert typed(events) == [("ADDED", "h8"), ("ADDED", "h9")]
    rest.close()


def test_selector_transitions(bare_rest: Rest) -> None:
    """§12.6 / W6: a relabel moving a pod out of `labelSelector=app=x` is DELETED (old content, the
    change's RV); moving it back is ADDED; changes outside the selector are not sent."""
    bare_rest.create_pod("m", labels={"app": "x"})
    bare_rest.create_pod("other", labels={"app": "y"})
    ws = bare_rest.watch(
        watch_path(resourceVersion=bare_rest.list_rv(), labelSelector="app=x", timeoutSeconds=2)
    )
    try:
        out = bare_rest.patch(bare_rest.pods_path(name="m"), {"metadata": {"labels": {"app": "y"}}}).json()
        bare_rest.patch(bare_rest.pods_path(name="other"), {"metadata": {"labels": {"z": "1"}}})
        back = bare_rest.patch(bare_rest.pods_path(name="m"), {"metadata": {"labels": {"app": "x"}}}).json()
        events = ws.collect_until_end(timeout=5)
    finally:
        ws.close()
    assert typed(events) == [("DELETED", "m"), ("ADDED", "m")]
    assert events[0].rv == int(out["metadata"]["resourceVersion"])
    assert events[0].object["metadata"]["labels"]["app"] == "x"
    assert events[1].rv == int(back["metadata"]["resourceVersion"])


def test_namespace_scoping(bare_rest: Rest) -> None:
    """W7: a namespaced watch sees only its namespace; `/api/v1/pods?watch=true` sees all."""
    assert (
        bare_rest.call("POST", "/api/v1/namespaces", json={"metadata": {"name": "other"}}).status_code == 201
    )
    rv = bare_rest.list_rv()
    scoped = bare_rest.watch(watch_path(resourceVersion=rv, timeoutSeconds=2))
    everywhere = bare_rest.watch(watch_path(None, resourceVersion=rv, timeoutSeconds=2))
    try:
        bare_rest.create_pod("there", ns="other")
        bare_rest.create_pod("here")
        got_scoped = scoped.collect_until_end(timeout=5)
        got_all = everywhere.collect_until_end(timeout=5)
    finally:
        scoped.close()
        everywhere.close()
    assert typed(got_scoped) == [("ADDED", "here")]
    assert typed(got_all) == [("ADDED", "there"), ("ADDED", "here")]


def test_field_selector_watch_like_kubectl_get_pod_w(bare_rest: Rest) -> None:
    """§5.1 / W3, S2: `fieldSelector=metadata.name=X&resourceVersion=0` (kubectl `get pod X -w`) →
    ADDED for X only, then X's changes only."""
    bare_rest.create_pod("x")
    bare_rest.create_pod("y")
    ws = bare_rest.watch(watch_path(fieldSelector="metadata.name=x", resourceVersion=0, timeoutSeconds=2))
    try:
        ws.wait_for(lambda e: e.type == "ADDED", 2, "ADDED x")
        bare_rest.patch(bare_rest.pods_path(name="y"), {"metadata": {"labels": {"k": "v"}}})
        bare_rest.patch(bare_rest.pods_path(name="x"), {"metadata": {"labels": {"k": "v"}}})
        rest_events = ws.collect_until_end(timeout=5)
    finally:
        ws.close()
    assert typed(ws.seen) == [("ADDED", "x"), ("MODIFIED", "x")], typed(rest_events)


def test_streaming_list(bare_rest: Rest) -> None:
    """§12.7 / W10: `sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`
    → ADDED per pod, then exactly one BOOKMARK annotated `k8s.io/initial-events-end: "true"` (no other
    bookmark before it), then live changes."""
    bare_rest.create_pod("a")
    bare_rest.create_pod("b")
    path = watch_path(
        sendInitialEvents=True,
        resourceVersionMatch="NotOlderThan",
        allowWatchBookmarks=True,
        timeoutSeconds=10,
    )
    ws = bare_rest.watch(path)
    try:
        assert ws.status == 200
        mark = ws.wait_for(lambda e: e.type == "BOOKMARK", 3, "initial-events-end bookmark")
        assert mark.object["kind"] == "Pod" and mark.object["apiVersion"] == "v1"
        assert mark.object["metadata"]["annotations"][INITIAL_END] == "true"
        before = ws.seen[:-1]
        assert sorted(typed(before)) == [("ADDED", "a"), ("ADDED", "b")]
        assert mark.rv >= max(e.rv for e in before)
        bare_rest.create_pod("c")
        live = ws.wait_for(lambda e: e.type != "BOOKMARK", 3, "ADDED c")
        assert (live.type, live.name) == ("ADDED", "c") and live.rv > mark.rv
    finally:
        ws.close()


def test_streaming_list_of_nothing_still_ends_with_bookmark(bare_rest: Rest) -> None:
    """W10: for an empty set the annotated bookmark is the first and only initial line."""
    path = watch_path(
        "kube-public",
        sendInitialEvents=True,
        resourceVersionMatch="NotOlderThan",
        resourceVersion="",
        allowWatchBookmarks=True,
        timeoutSeconds=10,
    )
    ws = bare_rest.watch(path)
    try:
        first = ws.next_event(timeout=3)
    finally:
        ws.close()
    assert first is not None and first.type == "BOOKMARK", ws.seen
    assert first.object["metadata"]["annotations"][INITIAL_END] == "true"


def test_streaming_list_validation_is_422(bare_rest: Rest) -> None:
    """§12.7 / W11: `sendInitialEvents` without `resourceVersionMatch=NotOlderThan` → 422 Invalid;
    `resourceVersionMatch` on a watch without `sendInitialEvents` → 422."""
    for params in (
        {"sendInitialEvents": True},
        {"resourceVersionMatch": "NotOlderThan", "resourceVersion": 1},
    ):
        resp = bare_rest.get(watch_path(**params, timeoutSeconds=2))
        body = assert_status(resp, 422, "Invalid")
        assert "resourceVersionMatch" in body["message"], body
    resp = bare_rest.get(watch_path(sendInitialEvents=True, timeoutSeconds=2))
    assert "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" in resp.json()["message"]


def test_watch_one_means_true(bare_rest: Rest) -> None:
    """T7: `watch=1` is a watch (DOC-AC examples use it)."""
    bare_rest.create_pod("a")
    resp = bare_rest.watch("/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1")
    try:
        events = resp.collect_until_end(timeout=4)
    finally:
        resp.close()
    assert typed(events) == [("ADDED", "a")]


def test_python_watch_resumes_without_replay(bare_core_v1: k8s_client.CoreV1Api) -> None:
    """§12 Python client / W3, W8: `Watch.stream` from a list RV sees the new pod; resuming from the
    Watch's last resourceVersion yields only later changes (no duplicate ADDED)."""
    bare_core_v1.create_namespaced_pod("default", {"metadata": {"name": "old"}, "spec": _spec()})
    rv = bare_core_v1.list_namespaced_pod("default").metadata.resource_version
    bare_core_v1.create_namespaced_pod("default", {"metadata": {"name": "p1"}, "spec": _spec()})
    w = k8s_watch.Watch()
    first = [
        (e["type"], e["object"].metadata.name)
        for e in w.stream(bare_core_v1.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=1)
    ]
    assert first == [("ADDED", "p1")]
    resume_rv = w.resource_version
    bare_core_v1.patch_namespaced_pod("p1", "default", {"metadata": {"labels": {"k": "v"}}})
    bare_core_v1.create_namespaced_pod("default", {"metadata": {"name": "p2"}, "spec": _spec()})
    w2 = k8s_watch.Watch()
    second = [
        (e["type"], e["object"].metadata.name)
        for e in w2.stream(
            bare_core_v1.list_namespaced_pod, "default", resource_version=resume_rv, timeout_seconds=1
        )
    ]
    assert second == [("MODIFIED", "p1"), ("ADDED", "p2")]


def test_python_watch_without_rv_gets_current_state(core_v1: k8s_client.CoreV1Api) -> None:
    """W3 / §10: Python's default (no RV) stream starts with synthetic ADDEDs for existing pods."""
    core_v1.create_namespaced_pod("default", {"metadata": {"name": "s1"}, "spec": _spec()})
    w = k8s_watch.Watch()
    got = {
        e["object"].metadata.name for e in w.stream(core_v1.list_namespaced_pod, "default", timeout_seconds=1)
    }
    assert got == {"s1"}


def _spec() -> dict:
    return {"containers": [{"name": "main", "image": "example.invalid/worker:1"}]}
