"""The fake-worker container runtime (fixtures/workers/runtime.py): a pod's container, read as the
worker image would read it, becomes a worker on the pod IP.

Why: the embedded kubelet relies on this to run the manifests' worker templates (issue 5 "Parity
here"), including the commands templates.py uses for finished and idle pods. Each test calls the
runtime directly with a pod dict, the way the kubelet does, and looks at what serves on the pod IP.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fixtures.workers import FAKE_WORKER_IMAGE
from fixtures.workers.runtime import ContainerStartError, FakeWorkerRuntime

PORT = 18200


def pod(
    ip: str | None, *, uid: str = "u-1", image: str = FAKE_WORKER_IMAGE, **container: Any
) -> dict[str, Any]:
    status = {"podIP": ip} if ip else {}
    return {
        "metadata": {"name": "p", "namespace": "ns", "uid": uid},
        "spec": {
            "containers": [
                {"name": "sidecar", "image": "other:1"},
                {"name": "w", "image": image, **container},
            ]
        },
        "status": status,
    }


@pytest.fixture
def runtime() -> Iterator[FakeWorkerRuntime]:
    with FakeWorkerRuntime() as rt:
        yield rt


def test_handles_only_pods_with_the_worker_image(runtime: FakeWorkerRuntime) -> None:
    assert runtime.handles(pod("127.0.30.2"))
    assert not runtime.handles(pod("127.0.30.2", image="sgl-conformance/fake-worker:9.9"))
    assert FakeWorkerRuntime(images=["registry.example/fw:1"]).handles(
        pod(None, image="registry.example/fw:1")
    )


def test_args_become_a_worker_on_the_pod_ip(
    runtime: FakeWorkerRuntime, subnet: str, http: requests.Session
) -> None:
    ip = f"{subnet}2"
    args = ["--port", str(PORT), "--role", "decode", "--model-id", "m-7", "--fail", "/v1/models"]
    assert runtime.start(pod(ip, args=args)) is None
    worker = runtime.worker(ip)
    assert worker is not None and (worker.host, worker.port) == (ip, PORT)
    info = http.get(f"http://{ip}:{PORT}/server_info", timeout=5).json()
    assert (info["served_model_name"], info["disaggregation_mode"]) == ("m-7", "decode")
    assert http.get(f"http://{ip}:{PORT}/v1/models", timeout=5).status_code == 503
    runtime.stop(pod(ip))
    runtime.stop(pod(ip))  # idempotent
    assert runtime.worker(ip) is None
    with pytest.raises(OSError):
        socket.create_connection((ip, PORT), timeout=1).close()


def test_no_args_listen_on_the_images_default_port(runtime: FakeWorkerRuntime, subnet: str) -> None:
    ip = f"{subnet}3"
    runtime.start(pod(ip))
    worker = runtime.worker(ip)
    assert worker is not None and worker.port == 8000


@pytest.mark.parametrize(("code"), [0, 1, 42])
def test_exit_command_exits_with_its_code(runtime: FakeWorkerRuntime, subnet: str, code: int) -> None:
    command = ["python", "-c", f"raise SystemExit({code})"]
    assert runtime.start(pod(f"{subnet}4", command=command)) == code
    assert runtime.worker(f"{subnet}4") is None


def test_idle_command_runs_without_serving(runtime: FakeWorkerRuntime, subnet: str) -> None:
    command = ["python", "-c", "import signal; signal.pause()"]
    assert runtime.start(pod(f"{subnet}5", command=command, args=["--port", str(PORT)])) is None
    assert runtime.worker(f"{subnet}5") is None


@pytest.mark.parametrize(
    ("container", "reason", "needle"),
    [
        ({"command": ["sh", "-c", "sleep 1"]}, "RunContainerError", "cannot run command"),
        ({"args": ["--role", "router"]}, "CrashLoopBackOff", "exited with code 2"),
        ({"args": ["--port", "99999"]}, "CrashLoopBackOff", "is not a TCP port"),
        ({"args": ["--nonsense"]}, "CrashLoopBackOff", "unrecognized arguments"),
    ],
)
def test_containers_it_cannot_run_fail_in_one_line(
    runtime: FakeWorkerRuntime, subnet: str, container: dict[str, Any], reason: str, needle: str
) -> None:
    with pytest.raises(ContainerStartError) as info:
        runtime.start(pod(f"{subnet}6", **container))
    assert info.value.reason == reason
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_pod_without_ip_cannot_start(runtime: FakeWorkerRuntime) -> None:
    with pytest.raises(ContainerStartError, match="no IP"):
        runtime.start(pod(None))


def test_taken_address_names_it(runtime: FakeWorkerRuntime, subnet: str) -> None:
    ip = f"{subnet}7"
    with socket.socket() as blocker:
        blocker.bind((ip, PORT))
        blocker.listen()
        with pytest.raises(ContainerStartError, match=f"{ip}:{PORT} is already in use"):
            runtime.start(pod(ip, args=["--port", str(PORT)]))


def test_close_stops_every_worker(subnet: str) -> None:
    runtime = FakeWorkerRuntime()
    ips = [f"{subnet}{n}" for n in (8, 9)]
    for n, ip in enumerate(ips):
        runtime.start(pod(ip, uid=f"u-{n}", args=["--port", str(PORT)]))
    runtime.close()
    for ip in ips:
        with pytest.raises(OSError):
            socket.create_connection((ip, PORT), timeout=1).close()
