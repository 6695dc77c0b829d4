"""Store revisions, history, conflicts and pagination snapshots (docs/apiserver.md L1-L4, M3, M4, W2-W4)."""

from __future__ import annotations

import json

import pytest

from fixtures.apiserver import objects
from fixtures.apiserver.errors import ApiError
from fixtures.apiserver.kubelet import loopback_ip
from fixtures.apiserver.listing import Pager, list_body
from fixtures.apiserver.resources import PODS
from fixtures.apiserver.selectors import parse_field_selector, parse_label_selector
from fixtures.apiserver.store import INITIAL_RV, Event, Store


def new_pod(name: str, **labels: str) -> dict[str, object]:
    body = {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
    }
    return objects.prepare_create(PODS, body, "default")


def test_create_sets_server_fields_and_pending_status() -> None:
    store = Store()
    body = {
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "img"}]},
        "status": {"phase": "Running"},
    }
    stored = store.create(PODS.plural, objects.prepare_create(PODS, body, "ns1"))
    meta = stored.meta
    assert meta["resourceVersion"] == str(INITIAL_RV + 1)
    assert meta["namespace"] == "ns1" and meta["generation"] == 1
    assert len(meta["uid"]) == 36 and meta["creationTimestamp"].endswith("Z")
    assert stored.obj["status"]["phase"] == "Pending"
    assert stored.obj["spec"]["restartPolicy"] == "Always"
    assert stored.obj["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_revisions_increase_and_events_are_emitted_in_order() -> None:
    store = Store()
    seen: list[Event] = []
    store.subscribe(seen.append)
    a = store.create(PODS.plural, new_pod("a"))
    changed = a.copy()
    changed["metadata"]["labels"] = {"x": "1"}
    b = store.replace(PODS.plural, a, changed)
    gone = store.remove(PODS.plural, b)
    assert [(e.type, e.rv) for e in seen] == [
        ("ADDED", INITIAL_RV + 1),
        ("MODIFIED", INITIAL_RV + 2),
        ("DELETED", INITIAL_RV + 3),
    ]
    assert gone.meta["resourceVersion"] == str(INITIAL_RV + 3)
    assert a.meta["resourceVersion"] == str(INITIAL_RV + 1)  # stored objects are immutable


def test_noop_replace_does_not_bump() -> None:
    store = Store()
    a = store.create(PODS.plural, new_pod("a"))
    assert store.replace(PODS.plural, a, a.copy()) is a
    assert store.rv == INITIAL_RV + 1


def test_duplicate_name_is_409_already_exists() -> None:
    store = Store()
    store.create(PODS.plural, new_pod("a"))
    with pytest.raises(ApiError) as info:
        store.create(PODS.plural, new_pod("a"))
    assert (info.value.code, info.value.reason, info.value.message) == (
        409,
        "AlreadyExists",
        'pods "a" already exists',
    )


def test_stale_rv_update_is_409_conflict() -> None:
    store = Store()
    a = store.create(PODS.plural, new_pod("a"))
    body = a.copy()
    body["metadata"]["resourceVersion"] = "1"
    with pytest.raises(ApiError) as info:
        objects.prepare_update(PODS, a, body)
    assert info.value.code == 409 and info.value.reason == "Conflict"
    assert info.value.message.startswith(
        'Operation cannot be fulfilled on pods "a": the object has been modified'
    )


def test_update_keeps_status_and_status_update_keeps_spec() -> None:
    store = Store()
    a = store.create(PODS.plural, new_pod("a"))
    body = a.copy()
    body["status"] = {"phase": "Running"}
    assert objects.prepare_update(PODS, a, body)["status"]["phase"] == "Pending"
    body = a.copy()
    body["spec"]["containers"][0]["image"] = "other"
    body["status"] = {"phase": "Running"}
    out = objects.prepare_status_update(PODS, a, body)
    assert out["status"] == {"phase": "Running"} and out["spec"]["containers"][0]["image"] == "i"


def test_history_and_compaction() -> None:
    store = Store(history_limit=3)
    for name in "abcde":
        store.create(PODS.plural, new_pod(name))
    assert store.compacted_rv == INITIAL_RV + 2
    assert [e.rv for e in store.history_since(INITIAL_RV + 3)] == [INITIAL_RV + 4, INITIAL_RV + 5]
    store.compact()
    assert store.compacted_rv == store.rv and list(store.history_since(store.rv - 1)) == []


def test_pagination_is_a_consistent_snapshot() -> None:
    store = Store()
    for name in ("c", "a", "b"):
        store.create(PODS.plural, new_pod(name))
    pager = Pager(store)
    everything = parse_label_selector(""), parse_field_selector("", PODS)
    first = pager.page(PODS, "default", labels=everything[0], fields=everything[1], limit=1, token=None)
    assert [s.name for s in first.items] == ["a"] and first.remaining == 2 and first.continue_token
    store.create(PODS.plural, new_pod("aa"))  # written after the first page: not in this list
    second = pager.page(
        PODS, "default", labels=everything[0], fields=everything[1], limit=1, token=first.continue_token
    )
    third = pager.page(
        PODS, "default", labels=everything[0], fields=everything[1], limit=1, token=second.continue_token
    )
    assert [s.name for s in second.items + third.items] == ["b", "c"]
    assert first.rv == second.rv == third.rv
    assert third.continue_token is None
    body = json.loads(list_body(PODS, first))
    assert body["kind"] == "PodList" and body["metadata"]["resourceVersion"] == str(first.rv)


def test_unknown_continue_token_is_410_and_garbage_is_400() -> None:
    store = Store()
    for name in ("a", "b"):
        store.create(PODS.plural, new_pod(name))
    pager = Pager(store)
    lab, fld = parse_label_selector(""), parse_field_selector("", PODS)
    first = pager.page(PODS, "default", labels=lab, fields=fld, limit=1, token=None)
    pager.clear()
    with pytest.raises(ApiError) as info:
        pager.page(PODS, "default", labels=lab, fields=fld, limit=1, token=first.continue_token)
    assert (info.value.code, info.value.reason) == (410, "Expired")
    with pytest.raises(ApiError) as info:
        pager.page(PODS, "default", labels=lab, fields=fld, limit=1, token="%%%")
    assert info.value.code == 400


def test_selector_pages_have_no_remaining_count() -> None:
    store = Store()
    for name, app in (("a", "x"), ("b", "y"), ("c", "x"), ("d", "y")):
        store.create(PODS.plural, new_pod(name, app=app))
    pager = Pager(store)
    lab, fld = parse_label_selector("app=x"), parse_field_selector("", PODS)
    first = pager.page(PODS, None, labels=lab, fields=fld, limit=1, token=None)
    assert [s.name for s in first.items] == ["a"] and first.remaining is None and first.continue_token
    second = pager.page(PODS, None, labels=lab, fields=fld, limit=1, token=first.continue_token)
    assert [s.name for s in second.items] == ["c"] and second.continue_token is None


def test_loopback_ips_skip_dot_one_and_wrap() -> None:
    assert loopback_ip(0) == "127.0.0.2"
    assert loopback_ip(252) == "127.0.0.254"
    assert loopback_ip(253) == "127.0.1.1"
    ips = [loopback_ip(i) for i in range(2000)]
    assert len(set(ips)) == 2000 and "127.0.0.1" not in ips
    assert not any(ip.endswith((".0", ".255")) for ip in ips)
