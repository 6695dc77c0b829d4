"""Field sets (FieldsV1) and the walks over objects, without HTTP.

Why: managedFields, conflicts and pruning are set algebra; these cases pin the FieldsV1 encoding (`.`
for a node that is both owned and has owned children), the path texts conflict messages print, and the
rules for what an applied configuration owns versus what an update changed.
"""

from __future__ import annotations

from fixtures.apiserver import schema
from fixtures.apiserver.fieldsets import FieldSet, compare, of_value, path_text, remove

POD = schema.root("Pod")


def test_fields_v1_round_trip_keeps_dot_members() -> None:
    data = {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {"f:containers": {'k:{"name":"main"}': {".": {}, "f:image": {}}}},
    }
    fs = FieldSet.from_v1(data)
    assert fs.has(("f:metadata", "f:labels")) and fs.has(("f:metadata", "f:labels", "f:app"))
    assert not fs.has(("f:metadata",))
    assert fs.to_v1() == data


def test_algebra() -> None:
    a = FieldSet.from_v1({"f:metadata": {"f:labels": {"f:x": {}, "f:y": {}}}})
    b = FieldSet.from_v1({"f:metadata": {"f:labels": {"f:y": {}, "f:z": {}}}})
    assert a.intersection(b).to_v1() == {"f:metadata": {"f:labels": {"f:y": {}}}}
    assert a.difference(b).to_v1() == {"f:metadata": {"f:labels": {"f:x": {}}}}
    assert a.union(b).to_v1() == {"f:metadata": {"f:labels": {"f:x": {}, "f:y": {}, "f:z": {}}}}
    status = FieldSet({"f:status"})
    assert FieldSet.from_v1({"f:status": {"f:phase": {}}, "f:spec": {}}).without_prefixes(status).to_v1() == {
        "f:spec": {}
    }


def test_path_texts() -> None:
    assert path_text(("f:metadata", "f:labels", "f:app")) == ".metadata.labels.app"
    assert path_text(("f:spec", "f:containers", 'k:{"name":"main"}', "f:image")) == (
        '.spec.containers[name="main"].image'
    )
    assert path_text(
        ("f:spec", "f:containers", 'k:{"name":"m"}', "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')
    ) == ('.spec.containers[name="m"].ports[containerPort=80,protocol="TCP"]')
    assert path_text(("f:metadata", "f:finalizers", 'v:"a/b"')) == '.metadata.finalizers[="a/b"]'


def test_an_applied_configuration_owns_leaves_map_keys_and_list_items() -> None:
    config = {
        "metadata": {"labels": {"app": "a"}, "finalizers": ["x"]},
        "spec": {
            "containers": [{"name": "main", "ports": [{"containerPort": 80}]}],
            "tolerations": [{"key": "k"}],
        },
    }
    assert of_value(config, POD).to_v1() == {
        "f:metadata": {"f:finalizers": {'v:"x"': {}}, "f:labels": {"f:app": {}}},
        "f:spec": {
            "f:containers": {
                'k:{"name":"main"}': {
                    ".": {},
                    "f:name": {},
                    "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                }
            },
            "f:tolerations": {},  # an atomic list is owned whole
        },
    }


def test_compare_marks_added_parents() -> None:
    diff = compare({"metadata": {}}, {"metadata": {"labels": {"a": "1"}}}, POD)
    assert diff.added.to_v1() == {"f:metadata": {"f:labels": {".": {}, "f:a": {}}}}
    diff = compare({"metadata": {"labels": {"a": "1", "b": "1"}}}, {"metadata": {"labels": {"a": "2"}}}, POD)
    assert diff.modified.to_v1() == {"f:metadata": {"f:labels": {"f:a": {}}}}
    assert diff.removed.to_v1() == {"f:metadata": {"f:labels": {"f:b": {}}}}


def test_remove_drops_members_and_their_subtrees() -> None:
    obj = {
        "metadata": {"labels": {"a": "1", "b": "2"}},
        "spec": {"containers": [{"name": "x"}, {"name": "y"}]},
    }
    drop = FieldSet.from_v1(
        {"f:metadata": {"f:labels": {"f:a": {}}}, "f:spec": {"f:containers": {'k:{"name":"y"}': {}}}}
    )
    assert remove(obj, drop, POD) == {
        "metadata": {"labels": {"b": "2"}},
        "spec": {"containers": [{"name": "x"}]},
    }
