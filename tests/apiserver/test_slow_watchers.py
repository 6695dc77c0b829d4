"""Watchers that stop reading cost bounded memory; they are closed, and real clients recover (issue 9).

Why: a gateway that hangs, or a test client that stops iterating, must not make the embedded API
server grow until the machine swaps (it used to: +30-70 MB per 1,000 create/delete cycles with 20
idle watchers, never released). kube-apiserver's answer, copied here (outlets.py): each watcher has a
bounded buffer; one that falls behind is closed, its stream ends cleanly, and the client re-watches
from the last resourceVersion it read - replayed from history, or 410 Expired and a re-list when that
is gone. Memory is measured on a server in its own process (RSS from /proc), with a bound generous
for the server's own needs that an unbounded queue exceeds several times over, never a timing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pytest
from kubernetes import client as k8s_client
from kubernetes import watch as k8s_watch
from kubernetes.client.exceptions import ApiException

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver._support import Rest, WatchStream, pod_body, watch_path
from tests.bench.apiserver import ServerProcess

PODS = "/api/v1/namespaces/default/pods"
ServerFactory = Callable[..., EmbeddedAPIServer]
BIG = "x" * 64 * 1024  # a 64 KiB annotation: each event line carries it
IDLE_WATCHERS = 20
CYCLES = 600  # unbounded: 600 cycles x 2 events x 64 KiB ~ 80 MiB held; bounded: ~20 x 1 MiB
RSS_BOUND_MIB = 40


class FallenBehind(NamedTuple):
    rest: Rest
    api: k8s_client.CoreV1Api
    watch: k8s_watch.Watch
    events: Iterator[dict[str, Any]]
    names: list[str]


def big_pod(name: str) -> dict[str, object]:
    return pod_body(name, labels={"app": "churn"}, annotations={"example.com/blob": BIG})


@pytest.fixture
def server_process() -> Iterator[ServerProcess]:
    # The closed idle streams are read only after the churn, which takes longer than the server's usual
    # 10 s grace on a busy machine: a grace longer than any churn keeps "ends cleanly" about the server.
    proc = ServerProcess(kubelet=False, history_limit=100, eof_grace=600.0)
    yield proc
    proc.close()


def churn(server: ServerProcess, prefix: str, cycles: int) -> None:
    for i in range(cycles):
        name = f"{prefix}-{i}"
        resp = server.session.post(f"{server.url}{PODS}", json=big_pod(name), timeout=10)
        assert resp.status_code == 201, resp.text[:300]
        resp = server.session.delete(f"{server.url}{PODS}/{name}", json={"gracePeriodSeconds": 0}, timeout=10)
        assert resp.status_code == 200, resp.text[:300]


def test_idle_watchers_keep_server_memory_bounded(server_process: ServerProcess) -> None:
    """20 watchers that never read, 600 create/delete cycles of pods with a 64 KiB annotation: the
    server's RSS grows by less than 40 MiB (an unbounded queue holds ~80 MiB), and an idle stream, read
    at last, holds the events sent before it fell behind and then ends cleanly (it was closed)."""
    path = watch_path(resourceVersion=server_process.list_rv())
    # opened (response head read), then not read again until the end
    streams = [WatchStream(server_process.url, path).open() for _ in range(IDLE_WATCHERS)]
    try:
        churn(server_process, "warm", 100)  # history (100 events) full, allocator warm
        before = server_process.rss_bytes()
        churn(server_process, "c", CYCLES)
        grown = (server_process.rss_bytes() - before) / 2**20
        assert grown < RSS_BOUND_MIB, f"server RSS grew {grown:.1f} MiB with {IDLE_WATCHERS} idle watchers"
        stream = streams[0]
        events = stream.collect_until_end(timeout=20)
    finally:
        for s in streams:
            s.close()
    assert stream.clean_end, "a watch that fell behind ends with the terminating chunk"
    assert events and events[0].type == "ADDED" and events[0].name == "warm-0"
    assert len(events) < 2 * (100 + CYCLES), "the idle watch was never closed"


@contextlib.contextmanager
def fallen_behind(srv: EmbeddedAPIServer) -> Iterator[FallenBehind]:
    """The official client watches from before pod `first` and reads that event, then stops reading
    while big pods are created until the server closes its watch, and 30 small ones after that."""
    rest = Rest(srv.url)
    api = k8s_client.CoreV1Api(_client(srv))
    try:
        rest.create_pod("first")
        watch = k8s_watch.Watch()
        events = watch.stream(api.list_namespaced_pod, "default", resource_version=str(rest.list_rv() - 1))
        assert next(events)["object"].metadata.name == "first"
        names = _create_until_closed(srv, rest, limit=300)
        names += [rest.create_pod(f"after-{i}")["metadata"]["name"] for i in range(30)]
        yield FallenBehind(rest, api, watch, events, names)
    finally:
        api.api_client.close()
        rest.close()


def test_slow_python_client_resumes_without_losing_events(make_server: ServerFactory) -> None:
    """When the client reads again it gets every ADDED, in order, once: its stream ended cleanly, it
    re-watched from its last resourceVersion and the history replayed the rest."""
    with fallen_behind(make_server(kubelet=False)) as client:
        seen = []
        for event in client.events:
            if event["type"] == "ADDED":
                seen.append(event["object"].metadata.name)
            if seen and seen[-1] == client.names[-1]:
                client.watch.stop()
        assert seen == client.names


def test_slow_python_client_gets_410_and_relists(make_server: ServerFactory) -> None:
    """With a history too short to replay what the closed watch missed, the client's resume gets 410
    Expired (the official client raises ApiException 410 after its one retry), and a re-list plus a
    watch from the list's resourceVersion sees the state and the changes after it."""
    with fallen_behind(make_server(kubelet=False, history_limit=20)) as client:
        with pytest.raises(ApiException) as info:
            for _ in client.events:
                pass
        assert info.value.status == 410
        listed = client.api.list_namespaced_pod("default")
        assert {p.metadata.name for p in listed.items} == {"first", *client.names}
        client.rest.create_pod("barrier")
        again = k8s_watch.Watch()
        for event in again.stream(
            client.api.list_namespaced_pod,
            "default",
            resource_version=listed.metadata.resource_version,
            timeout_seconds=10,
        ):
            assert event["object"].metadata.name == "barrier", "replayed something the list already had"
            again.stop()


def _client(srv: EmbeddedAPIServer) -> k8s_client.ApiClient:
    config = k8s_client.Configuration()
    config.host = srv.url
    return k8s_client.ApiClient(config)


def _create_until_closed(srv: EmbeddedAPIServer, rest: Rest, limit: int) -> list[str]:
    """Create big pods until the server has closed a watch for falling behind; their names."""
    names: list[str] = []
    while srv.watches.overflowed == 0:
        assert len(names) < limit, f"no watch was closed after {limit} big pods"
        name = f"big-{len(names)}"
        resp = rest.call("POST", PODS, json=big_pod(name))
        assert resp.status_code == 201, resp.text[:300]
        names.append(name)
    return names
