"""Smaller real-server behaviours clients meet: legacy watch paths, bookmark timing, inconsistent
continue, annotation size, content negotiation (406/415, protobuf Namespace bodies).

Why (issue 15): each of these is something a client or a person does against a real cluster and gets a
specific answer; the expected texts and shapes are kube-apiserver's.
"""

from __future__ import annotations

import pytest

from fixtures.apiserver import EmbeddedAPIServer, watching
from tests.apiserver._support import Rest, assert_status, pod_body


# -- legacy watch paths ----------------------------------------------------------------------------------
def test_legacy_watch_paths(bare_rest: Rest) -> None:
    """`/api/v1/watch/...` is a watch whatever `watch` says; a name in the path narrows it."""
    bare_rest.create_pod("p1")
    bare_rest.create_pod("p2")
    every = bare_rest.watch("/api/v1/watch/namespaces/default/pods")
    one = bare_rest.watch("/api/v1/watch/namespaces/default/pods/p2?watch=false")
    all_ns = bare_rest.watch("/api/v1/watch/pods")
    namespaces = bare_rest.watch("/api/v1/watch/namespaces/kube-system")
    try:
        assert [every.next_event(5).name for _ in range(2)] == ["p1", "p2"]  # type: ignore[union-attr]
        first = one.next_event(5)
        assert first is not None and (first.type, first.name) == ("ADDED", "p2")
        bare_rest.patch(bare_rest.pods_path(name="p1"), {"metadata": {"labels": {"x": "1"}}})
        bare_rest.patch(bare_rest.pods_path(name="p2"), {"metadata": {"labels": {"x": "1"}}})
        nxt = one.next_event(5)
        assert nxt is not None and (nxt.type, nxt.name) == ("MODIFIED", "p2")
        assert {all_ns.next_event(5).name for _ in range(2)} == {"p1", "p2"}  # type: ignore[union-attr]
        ns_event = namespaces.next_event(5)
        assert ns_event is not None and ns_event.name == "kube-system" and namespaces.next_event(0.3) is None
    finally:
        for stream in (every, one, all_ns, namespaces):
            stream.close()
    assert_status(
        bare_rest.call("POST", "/api/v1/watch/namespaces/default/pods", json={}), 405, "MethodNotAllowed"
    )


# -- bookmarks -------------------------------------------------------------------------------------------
def test_bookmarks_come_periodically_and_once_just_before_the_deadline(
    bare_rest: Rest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like the watch cache: a bookmark every period, and the last one 2 s before the deadline even when
    the period would put it later (period 2 s here instead of 60, watch of 5 s: bookmarks at 2 and 3)."""
    monkeypatch.setattr(watching, "BOOKMARK_EVERY", 2.0)
    rv = bare_rest.list_rv()
    stream = bare_rest.watch(
        f"/api/v1/namespaces/default/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=5&resourceVersion={rv}"
    )
    try:
        events = stream.collect_until_end(15)
    finally:
        stream.close()
    marks = [e.at - stream.started_at for e in events if e.type == "BOOKMARK"]
    assert len(marks) == 2, marks
    assert stream.ended_at is not None and stream.clean_end
    assert marks[1] - marks[0] < 1.9  # the second came early: pinned to the deadline, not to the period
    assert (stream.ended_at - stream.started_at) - marks[1] >= 1.0
    assert all(e.object["metadata"]["resourceVersion"] == str(rv) for e in events)


# -- inconsistent continue -------------------------------------------------------------------------------
def test_expired_continue_token_carries_a_fresh_one(bare: EmbeddedAPIServer, bare_rest: Rest) -> None:
    for name in ("a", "b", "c"):
        bare_rest.create_pod(name)
    first = bare_rest.get(bare_rest.pods_path(), params={"limit": 1}).json()
    assert [i["metadata"]["name"] for i in first["items"]] == ["a"]
    bare.faults.compact()
    bare_rest.create_pod("d")
    resp = bare_rest.get(
        bare_rest.pods_path(), params={"limit": 1, "continue": first["metadata"]["continue"]}
    )
    body = assert_status(resp, 410, "Expired")
    assert body["message"].startswith(
        "The provided continue parameter is too old to display a consistent list"
    )
    fresh = body["metadata"]["continue"]
    rest_of = bare_rest.get(bare_rest.pods_path(), params={"continue": fresh}).json()
    assert [i["metadata"]["name"] for i in rest_of["items"]] == ["b", "c", "d"]  # inconsistent: d is new


# -- annotation size -------------------------------------------------------------------------------------
def test_annotations_may_total_256_kib(bare_rest: Rest) -> None:
    limit = 256 * 1024
    fits = bare_rest.call(
        "POST", bare_rest.pods_path(), json=pod_body("fits", annotations={"k": "v" * (limit - 1)})
    )
    assert fits.status_code == 201
    big = bare_rest.call("POST", bare_rest.pods_path(), json=pod_body("big", annotations={"k": "v" * limit}))
    body = assert_status(big, 422, "Invalid")
    assert (
        body["message"]
        == 'Pod "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes'
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueTooLong",
            "message": "Too long: may not be more than 262144 bytes",
            "field": "metadata.annotations",
        }
    ]


# -- content negotiation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.kubernetes.protobuf, application/json",
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
        "*/*",
        "application/json, */*",
    ],
)
def test_accept_lists_naming_json_get_json(bare_rest: Rest, accept: str) -> None:
    resp = bare_rest.get(bare_rest.pods_path(), headers={"Accept": accept})
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "accept", ["application/vnd.kubernetes.protobuf", "application/yaml", "application/cbor"]
)
def test_accept_without_json_is_406(bare_rest: Rest, accept: str) -> None:
    resp = bare_rest.get(bare_rest.pods_path(), headers={"Accept": accept})
    body = assert_status(resp, 406, "NotAcceptable")
    assert body["message"] == "only the following media types are accepted: application/json"


def test_unknown_body_type_is_the_real_415(bare_rest: Rest) -> None:
    resp = bare_rest.call("POST", bare_rest.pods_path(), data="x", headers={"Content-Type": "text/plain"})
    assert assert_status(resp, 415, "UnsupportedMediaType")["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf"
    )
    resp = bare_rest.call(
        "PATCH", bare_rest.pods_path(name="p"), data="{}", headers={"Content-Type": "text/plain"}
    )
    assert assert_status(resp, 415, "UnsupportedMediaType")["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, "
        "application/apply-patch+yaml"
    )


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (lengths < 128 here)."""
    return bytes([number << 3 | 2, len(payload)]) + payload


def _envelope(kind: bytes, raw: bytes) -> bytes:
    return b"k8s\x00" + _field(1, _field(1, b"v1") + _field(2, kind)) + _field(2, raw)


def test_protobuf_namespace_body_is_decoded(bare_rest: Rest) -> None:
    """What `kubectl create namespace` sends: a protobuf Namespace (hand-encoded here from the
    generated.proto field numbers: ObjectMeta name=1, labels=11 as map entries key=1 value=2)."""
    meta = _field(1, b"proto-ns") + _field(11, _field(1, b"team") + _field(2, b"a"))
    body = _envelope(b"Namespace", _field(1, meta) + _field(2, b"") + _field(3, b""))
    resp = bare_rest.call(
        "POST",
        "/api/v1/namespaces",
        data=body,
        headers={
            "Content-Type": "application/vnd.kubernetes.protobuf",
            "Accept": "application/vnd.kubernetes.protobuf,application/json",
        },
    )
    assert resp.status_code == 201, resp.text
    ns = resp.json()
    assert ns["metadata"]["name"] == "proto-ns"
    assert ns["metadata"]["labels"] == {"team": "a", "kubernetes.io/metadata.name": "proto-ns"}
    pod = _envelope(b"Pod", _field(1, _field(1, b"p")))
    resp = bare_rest.call(
        "POST",
        bare_rest.pods_path(),
        data=pod,
        headers={"Content-Type": "application/vnd.kubernetes.protobuf"},
    )
    assert assert_status(resp, 415, "UnsupportedMediaType")["message"].startswith(
        "the embedded API server decodes protobuf bodies only for v1 Namespace"
    )


def test_bookmark_default_period_is_a_minute() -> None:
    """The period itself is the watch cache's (one minute), and the pre-deadline margin 2 s."""
    assert (watching.BOOKMARK_EVERY, watching.BOOKMARK_BEFORE_DEADLINE) == (60.0, 2.0)
