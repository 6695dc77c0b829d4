"""Merge, strategic merge, JSON patch and apply bookkeeping (docs/apiserver.md M5, M8), on plain dicts."""

from __future__ import annotations

import pytest

from fixtures.apiserver import patching
from fixtures.apiserver.errors import ApiError

POD = {
    "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}, "finalizers": ["x"]},
    "spec": {
        "containers": [
            {"name": "c1", "image": "i1", "env": [{"name": "E", "value": "1"}]},
            {"name": "c2", "image": "i2"},
        ]
    },
    "status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
    },
}


def test_merge_patch_sets_and_deletes_keys() -> None:
    out = patching.merge_patch(POD, {"metadata": {"labels": {"a": None, "c": "3"}}})
    assert out["metadata"]["labels"] == {"b": "2", "c": "3"}
    assert POD["metadata"]["labels"] == {"a": "1", "b": "2"}  # original untouched


def test_merge_patch_replaces_lists() -> None:
    out = patching.merge_patch(POD, {"status": {"conditions": [{"type": "Ready", "status": "False"}]}})
    assert out["status"]["conditions"] == [{"type": "Ready", "status": "False"}]


def test_strategic_merge_conditions_by_type() -> None:
    out = patching.strategic_merge(POD, {"status": {"conditions": [{"type": "Ready", "status": "False"}]}})
    assert out["status"]["conditions"] == [
        {"type": "Ready", "status": "False"},
        {"type": "PodScheduled", "status": "True"},
    ]


def test_strategic_merge_containers_and_env_by_name() -> None:
    patch = {"spec": {"containers": [{"name": "c1", "image": "new", "env": [{"name": "F", "value": "2"}]}]}}
    out = patching.strategic_merge(POD, patch)
    c1, c2 = out["spec"]["containers"]
    assert c1["image"] == "new" and c2 == {"name": "c2", "image": "i2"}
    assert c1["env"] == [{"name": "E", "value": "1"}, {"name": "F", "value": "2"}]


def test_strategic_merge_directives() -> None:
    delete = {"spec": {"containers": [{"name": "c2", "$patch": "delete"}]}}
    assert [c["name"] for c in patching.strategic_merge(POD, delete)["spec"]["containers"]] == ["c1"]
    replace = {"status": {"conditions": [{"$patch": "replace"}, {"type": "X", "status": "True"}]}}
    assert patching.strategic_merge(POD, replace)["status"]["conditions"] == [{"type": "X", "status": "True"}]
    ignored = {"$setElementOrder/conditions": [{"type": "Ready"}], "metadata": {"labels": {"z": "9"}}}
    out = patching.strategic_merge(POD, ignored)
    assert "$setElementOrder/conditions" not in out and out["metadata"]["labels"]["z"] == "9"
    retain = {"metadata": {"$retainKeys": ["name"], "name": "p"}}
    assert patching.strategic_merge(POD, retain)["metadata"] == {"name": "p"}


def test_strategic_merge_finalizers_as_set() -> None:
    out = patching.strategic_merge(POD, {"metadata": {"finalizers": ["x", "y"]}})
    assert out["metadata"]["finalizers"] == ["x", "y"]
    out = patching.strategic_merge(POD, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}})
    assert out["metadata"]["finalizers"] == []


def test_json_patch_ops() -> None:
    ops = [
        {"op": "test", "path": "/status/phase", "value": "Running"},
        {"op": "add", "path": "/metadata/labels/k~1x", "value": "v"},
        {"op": "remove", "path": "/metadata/labels/a"},
        {"op": "replace", "path": "/status/conditions/0/status", "value": "False"},
        {"op": "copy", "from": "/metadata/name", "path": "/metadata/labels/n"},
        {"op": "move", "from": "/metadata/labels/b", "path": "/metadata/labels/bb"},
        {"op": "add", "path": "/metadata/finalizers/-", "value": "z"},
    ]
    out = patching.json_patch(POD, ops)
    assert out["metadata"]["labels"] == {"k/x": "v", "n": "p", "bb": "2"}
    assert out["status"]["conditions"][0]["status"] == "False"
    assert out["metadata"]["finalizers"] == ["x", "z"]


def test_json_patch_failures() -> None:
    with pytest.raises(ApiError) as info:
        patching.json_patch(POD, [{"op": "test", "path": "/status/phase", "value": "Pending"}])
    assert info.value.code == 422
    with pytest.raises(ApiError) as info:
        patching.json_patch(POD, [{"op": "remove", "path": "/nope/deeper"}])
    assert info.value.code == 422
    with pytest.raises(ApiError) as info:
        patching.json_patch(POD, [{"path": "/x"}])
    assert info.value.code == 400


def test_parse_patch_content_types() -> None:
    with pytest.raises(ApiError) as info:
        patching.parse_patch("text/plain", b"{}")
    assert info.value.code == 415
    with pytest.raises(ApiError) as info:
        patching.parse_patch(patching.MERGE, b"{not json")
    assert info.value.code == 400
    with pytest.raises(ApiError) as info:
        patching.parse_patch(patching.JSON_PATCH, b"{}")
    assert info.value.code == 400
    assert patching.parse_patch(patching.APPLY, b"apiVersion: v1\nkind: Pod\n") == {
        "apiVersion": "v1",
        "kind": "Pod",
    }


def test_record_apply_keeps_one_entry_per_manager() -> None:
    obj: dict[str, object] = {"metadata": {}}
    config = {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"a": "1"}}}
    patching.record_apply(obj, manager="kubectl", config=config, time="2026-01-01T00:00:00Z")
    patching.record_apply(obj, manager="kubectl", config=config, time="2026-01-01T00:00:01Z")
    entries = obj["metadata"]["managedFields"]
    assert len(entries) == 1
    assert entries[0]["manager"] == "kubectl" and entries[0]["operation"] == "Apply"
    assert entries[0]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:a": {}}}}
