"""The reference gateway's list+watch loop against the embedded API server's fault injection.

Why: "never drains the pools on a failing LIST" and "full relist on 410 Expired" are promises the
resilience profile relies on; here they are checked on the watcher itself, deterministically.
"""

from __future__ import annotations

import threading

import pytest
from kubernetes import client, config

from fixtures.clusters.coreapi import CoreApi
from fixtures.gateways.reference_gateway.watcher import Expired, PodWatcher


@pytest.fixture
def watcher(apiserver):
    api_client = config.new_client_from_config(config_file=str(apiserver.kubeconfig))
    changes: list[list[dict]] = []
    w = PodWatcher(CoreApi(api_client), namespace="default", on_change=changes.append, stop=threading.Event())
    try:
        yield w, client.CoreV1Api(api_client), changes
    finally:
        api_client.close()


def _pod(api: client.CoreV1Api, name: str) -> None:
    body = {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    api.create_namespaced_pod("default", body)


def test_failing_list_keeps_the_cache(apiserver, watcher):
    w, api, changes = watcher
    _pod(api, "a")
    w.relist()
    assert set(w.cache) == {("default", "a")}
    apiserver.faults.fail_lists(1, code=500)
    with pytest.raises(Exception, match=r"500|Internal"):
        w.relist()
    assert set(w.cache) == {("default", "a")}
    assert len(changes) == 1  # nothing published for the failed LIST


def test_watch_from_a_compacted_version_raises_expired(apiserver, watcher):
    w, api, _changes = watcher
    old_rv = w.relist()
    _pod(api, "a")
    _pod(api, "b")
    apiserver.faults.compact()
    with pytest.raises(Expired):
        w.watch(old_rv)
    w.relist()
    assert set(w.cache) == {("default", "a"), ("default", "b")}
