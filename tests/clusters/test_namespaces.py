"""Namespaces: unique per test, isolated from each other, deleted with their pods and workers."""

from __future__ import annotations

import socket

import requests
from kubernetes import client
from kubernetes.client.rest import ApiException

from fixtures.clusters import ClusterProvider, PodSpec
from fixtures.clusters.embedded import EmbeddedProvider
from fixtures.clusters.podview import pod_ip

PORT = 18000


def _refused(ip: str) -> bool:
    try:
        with socket.create_connection((ip, PORT), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def test_namespaces_are_unique_isolated_and_cleaned_up(
    cluster: ClusterProvider, http: requests.Session
) -> None:
    first, second = cluster.namespace(), cluster.namespace()
    try:
        assert first.name != second.name
        a = first.create_pod(PodSpec("same", labels={"ns": "first"}, port=PORT))
        b = second.create_pod(PodSpec("same", labels={"ns": "second"}, port=PORT))
        assert pod_ip(a) != pod_ip(b)
        assert [(p["metadata"]["namespace"], p["metadata"]["labels"]) for p in first.pods()] == [
            (first.name, {"ns": "first"})
        ]
        assert [(p["metadata"]["namespace"], p["metadata"]["labels"]) for p in second.pods()] == [
            (second.name, {"ns": "second"})
        ]
        first.close()
        assert not first.exists()
        core = client.CoreV1Api(cluster.api_client())
        names = [
            p.metadata.name
            for p in core.list_pod_for_all_namespaces().items
            if p.metadata.namespace == first.name
        ]
        assert names == []
        assert _refused(str(pod_ip(a)))
        assert http.get(f"http://{pod_ip(b)}:{PORT}/health", timeout=5).status_code == 200
        assert second.get("same") is not None
    finally:
        first.close()
        second.close()
    assert _refused(str(pod_ip(b)))


def test_namespace_close_is_idempotent(cluster: ClusterProvider) -> None:
    ns = cluster.namespace()
    ns.close()
    ns.close()
    try:
        client.CoreV1Api(cluster.api_client()).read_namespace(ns.name)
        raise AssertionError(f"namespace {ns.name} still exists")
    except ApiException as exc:
        assert exc.status == 404


def test_kubeconfig_points_at_the_cluster(cluster: ClusterProvider) -> None:
    text = cluster.kubeconfig.read_text()
    assert cluster.server_url() in text
    assert cluster.server_url().startswith("http://127.0.0.1:")


def test_keep_resources_leaves_the_namespace_and_pods_but_stops_workers() -> None:
    with EmbeddedProvider(keep_resources=True) as kept:
        ns = kept.namespace()
        pod = ns.create_pod(PodSpec("stay", port=PORT))
        ns.close()
        assert ns.exists()
        assert [p["metadata"]["name"] for p in ns.pods()] == ["stay"]
        assert _refused(str(pod_ip(pod)))
