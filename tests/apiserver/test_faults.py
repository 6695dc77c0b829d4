"""Fault injection, from Python and over the control endpoint (docs/interfaces.md; issue 3 "fault
injection"; docs/apiserver.md W4 for the in-stream 410 that `compact` must cause).

Why: the later discovery scenarios (dropped watches, relists after 410, failing LISTs, a restarted API
server) rely on these hooks doing exactly what they say, observed by a client.
"""

from __future__ import annotations

import socket
import time

import pytest
import requests
from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver._support import Rest, assert_status, watch_path
from tests.polling import wait_until


def control(rest: Rest, action: str, body: dict | None = None) -> dict:
    resp = rest.call("POST", f"/_emulator/faults/{action}", json=body or {})
    assert resp.status_code == 200, f"{action}: {resp.status_code} {resp.text}"
    answer = resp.json()
    assert answer.get("ok") is True, answer
    return answer


def test_drop_watches_from_python(apiserver: EmbeddedAPIServer, rest: Rest) -> None:
    """`faults.drop_watches()` ends every open watch now and returns how many; new watches still work."""
    streams = [rest.watch(watch_path(resourceVersion=rest.list_rv())) for _ in range(2)]
    try:
        assert all(ws.status == 200 for ws in streams)
        assert apiserver.faults.drop_watches() >= 2
        for ws in streams:
            ws.collect_until_end(timeout=3)
            assert ws.ended
    finally:
        for ws in streams:
            ws.close()
    ws = rest.watch(watch_path(resourceVersion=rest.list_rv(), timeoutSeconds=3))
    try:
        rest.create_pod("after")
        ws.wait_for(lambda e: e.type == "ADDED" and e.name == "after", 3, "ADDED after a drop")
    finally:
        ws.close()


def test_drop_watches_over_http(rest: Rest) -> None:
    """`POST /_emulator/faults/drop-watches` ends an open watch."""
    ws = rest.watch(watch_path(resourceVersion=rest.list_rv()))
    try:
        control(rest, "drop-watches")
        ws.collect_until_end(timeout=3)
    finally:
        ws.close()
    assert ws.ended


def test_compact_over_http_gives_410(rest: Rest) -> None:
    """`POST /_emulator/faults/compact` → the next watch from an old RV gets the in-stream 410 (W4)."""
    old = rest.list_rv()
    rest.create_pod("c1")
    rest.create_pod("c2")
    control(rest, "compact")
    ws = rest.watch(watch_path(resourceVersion=old, timeoutSeconds=3))
    try:
        events = ws.collect_until_end(timeout=4)
    finally:
        ws.close()
    assert [(e.type, e.object.get("code"), e.object.get("reason")) for e in events] == [
        ("ERROR", 410, "Expired")
    ]


def test_fail_lists_from_python(
    apiserver: EmbeddedAPIServer, rest: Rest, core_v1: k8s_client.CoreV1Api
) -> None:
    """`faults.fail_lists(2, code=503)`: the next two LISTs answer 503 with a Status, the third works."""
    rest.create_pod("l1")
    apiserver.faults.fail_lists(2, code=503)
    assert_status(rest.get("/api/v1/namespaces/default/pods"), 503, "ServiceUnavailable")
    with pytest.raises(ApiException) as info:
        core_v1.list_pod_for_all_namespaces()
    assert info.value.status == 503
    names = [p.metadata.name for p in core_v1.list_namespaced_pod("default").items]
    assert names == ["l1"]


def test_fail_lists_spares_single_gets(apiserver: EmbeddedAPIServer, rest: Rest) -> None:
    """`fail_lists` counts LISTs only: a GET of one pod in between neither fails nor uses up a failure."""
    rest.create_pod("l1")
    apiserver.faults.fail_lists(1, code=500)
    assert rest.get_pod("l1").status_code == 200
    assert_status(rest.get("/api/v1/namespaces/default/pods"), 500, "InternalError")
    assert rest.get("/api/v1/namespaces/default/pods").status_code == 200


def test_fail_lists_over_http(rest: Rest) -> None:
    """`POST /_emulator/faults/fail-lists {"count": 2, "code": 500}` then `clear`."""
    control(rest, "fail-lists", {"count": 3, "code": 500})
    assert_status(rest.get("/api/v1/namespaces/default/pods?limit=500"), 500, "InternalError")
    control(rest, "clear")
    assert rest.get("/api/v1/namespaces/default/pods?limit=500").status_code == 200


def timed_get(rest: Rest) -> float:
    t0 = time.monotonic()
    assert rest.get("/api/v1/namespaces/default/pods").status_code == 200
    return time.monotonic() - t0


def test_delay_from_python_and_clear(apiserver: EmbeddedAPIServer, rest: Rest) -> None:
    """`faults.delay(0.6)` delays responses by at least that; `faults.clear()` removes it."""
    apiserver.faults.delay(0.6)
    assert timed_get(rest) >= 0.6
    apiserver.faults.clear()
    assert timed_get(rest) < 0.5


def test_delay_over_http(rest: Rest) -> None:
    """`POST /_emulator/faults/delay {"seconds": S}` delays API responses; `clear` undoes it."""
    control(rest, "delay", {"seconds": 0.6})
    assert timed_get(rest) >= 0.6
    control(rest, "clear")
    assert timed_get(rest) < 0.5


def test_stop_start_keeps_state_and_port(bare: EmbeddedAPIServer, bare_rest: Rest) -> None:
    """`stop()` closes the port (open watches end, connections refused); `start()` serves again on the
    same port with the same objects, uids and resourceVersions, and new writes get higher RVs."""
    apiserver, rest = bare, bare_rest
    before = {n: rest.create_pod(n)["metadata"] for n in ("s1", "s2")}
    port, url = apiserver.port, apiserver.url
    snapshot = rest.get("/api/v1/namespaces/default/pods").json()
    ws = rest.watch(watch_path(resourceVersion=snapshot["metadata"]["resourceVersion"]))
    try:
        apiserver.stop()
        ws.collect_until_end(timeout=5)
    finally:
        ws.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/version", timeout=2)
    apiserver.start()
    assert (apiserver.port, apiserver.url) == (port, url)
    after = rest.get("/api/v1/namespaces/default/pods").json()
    assert after["items"] == snapshot["items"]
    assert int(after["metadata"]["resourceVersion"]) >= int(snapshot["metadata"]["resourceVersion"])
    assert {i["metadata"]["name"]: i["metadata"]["uid"] for i in after["items"]} == {
        n: m["uid"] for n, m in before.items()
    }
    new = rest.create_pod("s3")["metadata"]["resourceVersion"]
    assert int(new) > int(snapshot["metadata"]["resourceVersion"])


def test_stopped_port_refuses(apiserver: EmbeddedAPIServer) -> None:
    """While stopped nothing listens on the port (a client sees connection refused, not a hang)."""
    apiserver.stop()
    try:
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection(("127.0.0.1", apiserver.port), 2),
        ):
            pass
    finally:
        apiserver.start()


def test_kubelet_and_ips_survive_restart(apiserver: EmbeddedAPIServer, rest: Rest) -> None:
    """After stop/start the kubelet still starts new pods, and IPs handed out before are not reused."""
    rest.create_pod("r1")
    ip1 = wait_until(lambda: rest.get_pod("r1").json()["status"].get("podIP"), 5, "r1 IP")
    apiserver.stop()
    apiserver.start()
    assert rest.get_pod("r1").json()["status"]["podIP"] == ip1
    rest.create_pod("r2")
    ip2 = wait_until(lambda: rest.get_pod("r2").json()["status"].get("podIP"), 5, "r2 IP after restart")
    assert ip2 != ip1
