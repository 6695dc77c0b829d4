"""Graceful-deletion rules (docs/apiserver.md M6, K-STRAT CheckGracefulDelete) and delete options parsing."""

from __future__ import annotations

import pytest

from fixtures.apiserver import deleting, objects
from fixtures.apiserver.errors import ApiError
from fixtures.apiserver.resources import PODS
from fixtures.apiserver.store import Store


@pytest.mark.parametrize(
    ("node", "phase", "spec_grace", "requested", "expected"),
    [
        ("n", "Running", 30, None, 30),
        ("n", "Running", 30, 5, 5),
        ("", "Running", 30, None, 0),
        ("n", "Succeeded", 30, None, 0),
        ("n", "Running", 30, -3, 1),
        ("n", "Running", None, None, 0),
    ],
)
def test_grace_period(
    node: str, phase: str, spec_grace: int | None, requested: int | None, expected: int
) -> None:
    pod = {
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": spec_grace},
        "status": {"phase": phase},
    }
    assert deleting.grace_period(pod, requested) == expected


def scheduled(store: Store, **meta: object) -> object:
    body = {
        "metadata": {"name": "p", **meta},
        "spec": {"containers": [{"name": "c", "image": "i"}], "nodeName": "n"},
    }
    return store.create(PODS.plural, objects.prepare_create(PODS, body, "default"))


def test_graceful_delete_marks_then_finishes() -> None:
    store = Store()
    pod = scheduled(store)
    marked = deleting.delete_object(store, PODS, pod, deleting.DeleteOptions(grace_period=10))
    assert marked.meta["deletionGracePeriodSeconds"] == 10 and marked.meta["deletionTimestamp"]
    assert store.get(PODS.plural, "default", "p") is marked
    assert deleting.finish_graceful(store, marked) is not None
    assert store.get(PODS.plural, "default", "p") is None


def test_finalizers_hold_the_object() -> None:
    store = Store()
    pod = scheduled(store, finalizers=["x/y"])
    held = deleting.delete_object(store, PODS, pod, deleting.DeleteOptions(grace_period=0))
    assert store.get(PODS.plural, "default", "p") is held and held.meta["deletionTimestamp"]
    body = held.copy()
    body["metadata"]["finalizers"] = []
    cleared = store.replace(PODS.plural, held, objects.prepare_update(PODS, held, body))
    deleting.finish_if_due(store, PODS, cleared)
    assert store.get(PODS.plural, "default", "p") is None


def test_uid_precondition_conflict() -> None:
    store = Store()
    pod = scheduled(store)
    with pytest.raises(ApiError) as info:
        deleting.delete_object(store, PODS, pod, deleting.DeleteOptions(uid="other"))
    assert info.value.code == 409


def test_delete_options_parsing() -> None:
    assert deleting.parse_delete_options(b'{"gracePeriodSeconds": 3}', {}).grace_period == 3
    assert deleting.parse_delete_options(b"", {"gracePeriodSeconds": "0"}).grace_period == 0
    with pytest.raises(ApiError) as info:
        deleting.parse_delete_options(b"{oops", {})
    assert info.value.code == 400
