"""The kubelet with a container runtime (docs/interfaces.md "Built-in kubelet", runtime mode; issue 5
"Parity here"), and the pod IP block option.

Why: with `EmbeddedAPIServer(container_runtime=...)` the kubelet must act like a real one so the
existing-cluster provider works unchanged against it: containers start on the pod IP, ContainersReady
follows the readiness probe, Ready also waits for readiness gates, a nodeSelector no node matches keeps
the pod Pending, and deletion stops the containers. The runtime here is a stub written for these tests
(a plain `http.server` per pod whose `/health` answer the test controls), so only the kubelet is under
test. Absence (no start for an unschedulable pod) is proven with a barrier: the kubelet starts pods in
creation order, so once a later pod has started, the earlier one has been handled.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from fixtures.apiserver import NODE_LABELS, EmbeddedAPIServer, random_pod_ip_start
from fixtures.apiserver.kubelet import loopback_ip, parse_pod_ip_start
from tests.apiserver._support import JSON, Rest
from tests.apiserver.test_cli import LISTENING, Cli
from tests.polling import wait_until

PORT = 18123
GATE = "example.com/gate"


class StubRuntime:
    """Serves `/health` on podIP:PORT for every pod whose image is `stub/worker:1`."""

    IMAGE = "stub/worker:1"

    def __init__(self) -> None:
        self.health = 200
        self.probes = 0  # /health requests answered
        self.calls: list[tuple[str, str, float]] = []  # (start|stop, pod name, monotonic time)
        self.fail_with: Exception | None = None
        self.exit_code: int | None = None
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._lock = threading.Lock()

    def handles(self, pod: Mapping[str, Any]) -> bool:
        return any(c.get("image") == self.IMAGE for c in pod["spec"]["containers"])

    def start(self, pod: Mapping[str, Any]) -> int | None:
        self.calls.append(("start", pod["metadata"]["name"], time.monotonic()))
        if self.fail_with is not None:
            raise self.fail_with
        if self.exit_code is not None:
            return self.exit_code
        runtime = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(runtime.health if self.path == "/health" else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if self.path == "/health":
                    runtime.probes += 1

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer((pod["status"]["podIP"], PORT), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with self._lock:
            self._servers[pod["metadata"]["uid"]] = server
        return None

    def stop(self, pod: Mapping[str, Any]) -> None:
        with self._lock:
            server = self._servers.pop(pod["metadata"]["uid"], None)
        if server is not None:
            server.shutdown()
            server.server_close()
        self.calls.append(("stop", pod["metadata"]["name"], time.monotonic()))  # once stopped

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.shutdown()
            server.server_close()

    def names(self, kind: str) -> list[str]:
        return [name for k, name, _ in self.calls if k == kind]


@pytest.fixture
def runtime() -> Iterator[StubRuntime]:
    stub = StubRuntime()
    yield stub
    stub.close()


@pytest.fixture
def server(runtime: StubRuntime) -> Iterator[EmbeddedAPIServer]:
    srv = EmbeddedAPIServer(container_runtime=runtime, pod_ip_start=random_pod_ip_start()).start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server: EmbeddedAPIServer) -> Iterator[Rest]:
    rest = Rest(server.url)
    yield rest
    rest.close()


def manifest(
    name: str,
    *,
    image: str = StubRuntime.IMAGE,
    probe: JSON | None = None,
    gates: bool = False,
    node_selector: Mapping[str, str] | None = None,
    restart_policy: str | None = None,
    grace: int | None = None,
) -> JSON:
    container: JSON = {"name": "w", "image": image, "ports": [{"name": "http", "containerPort": PORT}]}
    if probe is not None:
        container["readinessProbe"] = probe
    spec: JSON = {"containers": [container]}
    if gates:
        spec["readinessGates"] = [{"conditionType": GATE}]
    if node_selector is not None:
        spec["nodeSelector"] = dict(node_selector)
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


HTTP_PROBE: JSON = {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 1, "failureThreshold": 1}


def create(api: Rest, body: JSON) -> JSON:
    resp = api.call("POST", api.pods_path(), json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def pod(api: Rest, name: str) -> JSON:
    resp = api.get_pod(name)
    assert resp.status_code == 200, resp.text
    return resp.json()


def cond(p: JSON, kind: str) -> str | None:
    return next((c["status"] for c in p["status"].get("conditions", []) if c["type"] == kind), None)


def wait_pod(api: Rest, name: str, pred: Any, what: str, timeout: float = 5) -> JSON:
    return wait_until(lambda: (lambda p: p if pred(p) else None)(pod(api, name)), timeout, f"{name} {what}")


def test_container_ready_follows_the_readiness_probe(api: Rest, runtime: StubRuntime) -> None:
    runtime.health = 503
    create(api, manifest("probed", probe=HTTP_PROBE))
    p = wait_pod(api, "probed", lambda p: p["status"].get("podIP"), "to get an IP")
    assert p["status"]["phase"] == "Running" and p["spec"]["nodeName"] == "emulated-node"
    assert runtime.names("start") == ["probed"]
    # Barrier: a second probe is only sent after the first one's result was applied.
    wait_until(lambda: runtime.probes >= 2, 5, "two failed probes")
    p = pod(api, "probed")
    assert (cond(p, "ContainersReady"), cond(p, "Ready")) == ("False", "False")
    assert p["status"]["containerStatuses"][0]["ready"] is False
    runtime.health = 200
    p = wait_pod(api, "probed", lambda p: cond(p, "Ready") == "True", "to turn Ready")
    assert cond(p, "ContainersReady") == "True" and p["status"]["containerStatuses"][0]["ready"] is True
    runtime.health = 500  # failureThreshold 1: the next failed probe makes it unready again
    wait_pod(api, "probed", lambda p: cond(p, "ContainersReady") == "False", "to turn unready")


def test_readiness_gate_holds_ready_until_its_condition_is_true(api: Rest) -> None:
    create(api, manifest("gated", probe=HTTP_PROBE, gates=True))
    p = wait_pod(api, "gated", lambda p: cond(p, "ContainersReady") == "True", "containers ready")
    ready = next(c for c in p["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ReadinessGatesNotReady"
    assert GATE in ready["message"]
    status_path = api.pods_path(name="gated", sub="status")
    for value, expected in (("True", "True"), ("False", "False"), ("True", "True")):
        body = {"status": {"conditions": [{"type": GATE, "status": value}]}}
        resp = api.patch(status_path, body, "application/strategic-merge-patch+json")
        assert resp.status_code == 200, resp.text
        wait_pod(api, "gated", lambda p, e=expected: cond(p, "Ready") == e, f"Ready={expected}")


def test_node_selector_no_node_matches_stays_pending(api: Rest, runtime: StubRuntime) -> None:
    create(api, manifest("nowhere", node_selector={"example.com/pool": "gpu"}))
    create(api, manifest("fits", node_selector=dict(NODE_LABELS)))
    wait_pod(api, "fits", lambda p: cond(p, "Ready") == "True", "to run (the barrier)")
    p = pod(api, "nowhere")
    assert p["status"]["phase"] == "Pending" and not p["status"].get("podIP")
    assert not p["spec"].get("nodeName")
    scheduled = next(c for c in p["status"]["conditions"] if c["type"] == "PodScheduled")
    assert (scheduled["status"], scheduled["reason"]) == ("False", "Unschedulable")
    assert "didn't match Pod's node affinity/selector" in scheduled["message"]
    assert runtime.names("start") == ["fits"]
    assert api.delete_pod("nowhere").status_code == 200  # unscheduled: gone at once
    assert api.get_pod("nowhere").status_code == 404


def test_graceful_delete_stops_the_container_when_it_begins(api: Rest, runtime: StubRuntime) -> None:
    create(api, manifest("bye", probe=HTTP_PROBE, grace=30))
    p = wait_pod(api, "bye", lambda p: cond(p, "Ready") == "True", "to turn Ready")
    ip = p["status"]["podIP"]
    assert api.delete_pod("bye").status_code == 200
    wait_until(lambda: runtime.names("stop") == ["bye"], 5, "the runtime to stop bye")
    terminating = pod(api, "bye")  # the grace period (30 s) is still running
    assert terminating["metadata"]["deletionTimestamp"]
    with pytest.raises(OSError):
        socket.create_connection((ip, PORT), timeout=1).close()
    assert api.delete_pod("bye", grace=0).status_code == 200
    assert runtime.names("stop") == ["bye"]  # stopped once


def test_namespace_deletion_stops_its_containers(api: Rest, runtime: StubRuntime) -> None:
    assert api.call("POST", "/api/v1/namespaces", json={"metadata": {"name": "gone"}}).status_code == 201
    body = manifest("in-ns")
    resp = api.call("POST", api.pods_path("gone"), json=body)
    assert resp.status_code == 201, resp.text
    wait_until(lambda: runtime.names("start") == ["in-ns"], 5, "the runtime to start in-ns")
    assert api.call("DELETE", "/api/v1/namespaces/gone").status_code == 200
    wait_until(lambda: runtime.names("stop") == ["in-ns"], 5, "the runtime to stop in-ns")


def test_start_failure_leaves_the_container_waiting(api: Rest, runtime: StubRuntime) -> None:
    class Refused(Exception):
        reason = "ErrImagePull"

    runtime.fail_with = Refused("pull access denied for stub/worker")
    create(api, manifest("broken", probe=HTTP_PROBE))
    p = wait_pod(api, "broken", lambda p: p["status"].get("containerStatuses"), "to report its container")
    waiting = p["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting == {"reason": "ErrImagePull", "message": "pull access denied for stub/worker"}
    assert p["status"]["phase"] == "Pending" and cond(p, "Ready") == "False"


@pytest.mark.parametrize(("code", "phase"), [(0, "Succeeded"), (3, "Failed")])
def test_exit_with_restart_policy_never_finishes_the_pod(
    api: Rest, runtime: StubRuntime, code: int, phase: str
) -> None:
    runtime.exit_code = code
    create(api, manifest("done", restart_policy="Never"))
    p = wait_pod(api, "done", lambda p: p["status"]["phase"] != "Pending", "to finish")
    assert p["status"]["phase"] == phase
    assert p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == code


def test_exit_with_restart_policy_always_is_a_crash_loop(api: Rest, runtime: StubRuntime) -> None:
    runtime.exit_code = 1
    create(api, manifest("crashy"))
    p = wait_pod(api, "crashy", lambda p: p["status"].get("containerStatuses"), "to report its container")
    assert p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert p["status"]["phase"] == "Running" and cond(p, "Ready") == "False"


def test_other_images_run_as_without_a_runtime_but_gates_apply(api: Rest, runtime: StubRuntime) -> None:
    create(api, manifest("plain", image="example.invalid/other:1"))
    create(api, manifest("plain-gated", image="example.invalid/other:1", gates=True))
    p = wait_pod(api, "plain", lambda p: cond(p, "Ready") == "True", "to turn Ready")
    assert p["status"]["podIP"]
    g = wait_pod(api, "plain-gated", lambda p: cond(p, "ContainersReady") == "True", "containers ready")
    assert cond(g, "Ready") == "False"
    assert runtime.calls == []


def test_restart_keeps_containers_and_resumes_probing(
    server: EmbeddedAPIServer, api: Rest, runtime: StubRuntime
) -> None:
    create(api, manifest("steady", probe=HTTP_PROBE))
    wait_pod(api, "steady", lambda p: cond(p, "Ready") == "True", "to turn Ready")
    server.restart()
    runtime.health = 503
    wait_pod(api, "steady", lambda p: cond(p, "Ready") == "False", "to be probed unready after restart")
    assert runtime.names("start") == ["steady"] and runtime.names("stop") == []


def test_runtime_needs_the_kubelet(runtime: StubRuntime) -> None:
    with pytest.raises(ValueError, match="needs the kubelet"):
        EmbeddedAPIServer(kubelet=False, container_runtime=runtime)


# -- pod IP blocks -----------------------------------------------------------------------------------


def test_pod_ip_start_moves_the_sequence(make_server: Any) -> None:
    srv = make_server(pod_ip_start="127.9.8.253")
    rest = Rest(srv.url)
    try:
        ips = []
        for name in ("a", "b", "c"):
            rest.create_pod(name)
            ips.append(
                wait_pod(rest, name, lambda p: p["status"].get("podIP"), "to get an IP")["status"]["podIP"]
            )
    finally:
        rest.close()
    assert ips == ["127.9.8.253", "127.9.8.254", "127.9.9.1"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("10.0.0.2", "is not a loopback address"),
        ("127.0.0.1", "the API server's own address"),
        ("127.1.2.255", "ends in .0 or .255"),
        ("127.1.2.0", "ends in .0 or .255"),
        ("localhost", "is not an IPv4 address"),
    ],
)
def test_bad_pod_ip_start_is_one_line(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as info:
        EmbeddedAPIServer(pod_ip_start=text)
    assert problem in str(info.value) and "\n" not in str(info.value)


def test_random_blocks_stay_in_loopback_and_off_the_default_block() -> None:
    starts = {random_pod_ip_start() for _ in range(200)}
    assert len(starts) > 150  # random, not one fixed block
    for start in starts:
        ip = ipaddress.IPv4Address(parse_pod_ip_start(start))
        assert ip in ipaddress.IPv4Network("127.0.0.0/8")
        assert ip.packed[1] != 0 and ip.packed[3] == 2  # never the 127.0.x.x block of the default


def test_sequence_from_any_start_skips_dot_zero_and_dot_255() -> None:
    seq = [loopback_ip(i, "127.200.255.250") for i in range(8)]
    assert seq == [
        "127.200.255.250",
        "127.200.255.251",
        "127.200.255.252",
        "127.200.255.253",
        "127.200.255.254",
        "127.201.0.1",
        "127.201.0.2",
        "127.201.0.3",
    ]
    assert loopback_ip(1, "127.255.255.254") == "127.0.0.2"  # wraps, never 127.0.0.1


# -- the command line ---------------------------------------------------------------------------------


@pytest.fixture
def processes() -> Iterator[list[Cli]]:
    started: list[Cli] = []
    yield started
    for c in started:
        c.reap()


def test_cli_run_fake_workers_serves_the_worker_image_on_the_pod_ip(
    processes: list[Cli], tmp_path: Path
) -> None:
    """`--run-fake-workers`: a pod of the fake-worker image gets a worker answering on podIP:port (role
    from its args), turns Ready through the probe, and the worker goes with the pod."""
    c = Cli(tmp_path, "--port", "0", "--run-fake-workers", "--pod-ip-start", "random")
    processes.append(c)
    match = LISTENING.fullmatch(c.first_line())
    assert match, "no listening line"
    api = Rest(f"http://127.0.0.1:{match.group(1)}")
    http = requests.Session()
    http.trust_env = False
    try:
        container = {
            "name": "worker",
            "image": "sgl-conformance/fake-worker:0.1",
            "args": ["--port", str(PORT), "--role", "decode", "--model-id", "m-1"],
            "ports": [{"name": "http", "containerPort": PORT}],
            "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 1},
        }
        body = {"metadata": {"name": "fw"}, "spec": {"containers": [container]}}
        assert api.call("POST", api.pods_path(), json=body).status_code == 201
        p = wait_pod(api, "fw", lambda p: cond(p, "Ready") == "True", "to turn Ready", timeout=10)
        ip = p["status"]["podIP"]
        assert not ip.startswith("127.0.")  # a random block
        info = http.get(f"http://{ip}:{PORT}/server_info", timeout=5).json()
        assert info["disaggregation_mode"] == "decode"
        assert http.get(f"http://{ip}:{PORT}/health", timeout=5).status_code == 200
        assert api.delete_pod("fw", grace=0).status_code == 200

        def refused() -> bool:
            try:
                http.get(f"http://{ip}:{PORT}/health", timeout=1)
            except requests.ConnectionError:
                return True
            return False

        wait_until(refused, 5, "the worker to stop with its pod")
    finally:
        api.close()
        http.close()
    code, _, err = c.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in err, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--pod-ip-start", "10.1.2.3"], "--pod-ip-start"),
        (["--run-fake-workers", "--no-kubelet"], "--run-fake-workers needs the kubelet"),
    ],
)
def test_cli_bad_runtime_flags_are_one_line(
    processes: list[Cli], tmp_path: Path, args: list[str], needle: str
) -> None:
    c = Cli(tmp_path, "--port", "0", *args)
    processes.append(c)
    out, err = c.proc.communicate(timeout=15)
    assert c.proc.returncode == 2
    assert "listening on" not in out and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], err
