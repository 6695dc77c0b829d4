"""Pods on the embedded cluster: states, workers, mutations, deletion, as the API server holds them."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
import requests
from kubernetes import client, watch

from fixtures.clusters import Namespace, PodSpec, ProviderError
from fixtures.clusters.podview import condition, is_ready, is_terminating, labels, phase, pod_ip
from fixtures.workers import WorkerSpec
from reference import PodInfo

PORT = 18000


def refused(ip: str, port: int = PORT) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


class ReadyWatcher:
    """Watches a namespace and notes (monotonic time, worker health) when pod `name` is first Ready."""

    def __init__(self, ns: Namespace, name: str) -> None:
        self._ns, self._name = ns, name
        self._watch = watch.Watch()
        self.first_seen: dict[str, Any] | None = None
        self.ready_at: float | None = None
        self.health_status_when_ready: int | None = None
        self._started = threading.Event()
        self._stopping = False
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ReadyWatcher:
        self._thread.start()
        assert self._started.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        self._watch.stop()
        self._thread.join(15)
        if self.error is not None:  # a stream broken before the test was done with it
            raise self.error

    def _run(self) -> None:
        try:
            self._watch_until_ready()
        except Exception as exc:  # the server may close the stream once the test stopped watching
            if not self._stopping:
                self.error = exc

    def _watch_until_ready(self) -> None:
        listed = client.CoreV1Api(self._ns.provider.api_client()).list_namespaced_pod(self._ns.name)
        self._started.set()
        stream = self._watch.stream(
            client.CoreV1Api(self._ns.provider.api_client()).list_namespaced_pod,
            self._ns.name,
            resource_version=listed.metadata.resource_version,
            timeout_seconds=10,
        )
        with requests.Session() as http:
            http.trust_env = False
            for event in stream:
                pod = event["raw_object"]
                if pod["metadata"]["name"] != self._name:
                    continue
                if self.first_seen is None:
                    self.first_seen = pod
                if is_ready(pod):
                    self.ready_at = time.monotonic()
                    self.health_status_when_ready = http.get(
                        f"http://{pod_ip(pod)}:{PORT}/health", timeout=5
                    ).status_code
                    self._watch.stop()
                    return


def test_ready_pod_worker_answers_before_ready_is_observed(namespace: Namespace) -> None:
    with ReadyWatcher(namespace, "reg-a") as watcher:
        pod = namespace.create_pod(PodSpec("reg-a", labels={"app": "sglang"}, port=PORT))
    assert is_ready(pod)
    assert phase(pod) == "Running"
    assert watcher.ready_at is not None, "the watch never saw the pod turn Ready"
    assert watcher.first_seen is not None and not is_ready(watcher.first_seen)
    assert watcher.health_status_when_ready == 200
    worker = namespace.worker("reg-a")
    assert worker is not None and worker.host == pod_ip(pod) and worker.port == PORT
    first_health = next(r.time for r in worker.requests if r.path == "/health")
    assert first_health < watcher.ready_at


def test_worker_serves_the_pods_model_and_role(namespace: Namespace, http: requests.Session) -> None:
    spec = PodSpec("pre-a", port=PORT, bootstrap_port=8998, worker=WorkerSpec(model_id="m1", role="prefill"))
    pod = namespace.create_pod(spec)
    info = http.get(f"http://{pod_ip(pod)}:{PORT}/server_info", timeout=5).json()
    assert info["served_model_name"] == "m1"
    assert info["disaggregation_mode"] == "prefill"
    with socket.create_connection((pod_ip(pod), 8998), timeout=5):
        pass  # the bootstrap port accepts connections


def test_pending_pod_has_no_ip_no_ready_and_no_worker(namespace: Namespace) -> None:
    pod = namespace.create_pod(PodSpec("pend", phase="Pending", port=PORT))
    assert phase(pod) == "Pending"
    assert pod_ip(pod) is None
    assert not is_ready(pod)
    assert namespace.worker("pend") is None


def test_not_ready_pod_runs_with_ip_and_a_serving_worker(
    namespace: Namespace, http: requests.Session
) -> None:
    pod = namespace.create_pod(PodSpec("unready", ready=False, port=PORT))
    assert phase(pod) == "Running"
    assert pod_ip(pod) is not None
    assert condition(pod, "Ready") == "False"
    assert http.get(f"http://{pod_ip(pod)}:{PORT}/health", timeout=5).status_code == 200


def test_pod_without_ip_is_running_and_has_no_worker(namespace: Namespace) -> None:
    pod = namespace.create_pod(PodSpec("noip", has_ip=False, port=PORT))
    assert phase(pod) == "Running"
    assert "podIP" not in pod["status"]
    assert namespace.worker("noip") is None


def test_unreachable_pod_is_ready_but_nothing_listens(namespace: Namespace) -> None:
    pod = namespace.create_pod(PodSpec("dark", reachable=False, port=PORT))
    assert is_ready(pod)
    assert refused(str(pod_ip(pod)))


def test_failing_worker_is_still_made_ready(namespace: Namespace, http: requests.Session) -> None:
    pod = namespace.create_pod(PodSpec("sick", port=PORT, worker=WorkerSpec(failing=frozenset({"/health"}))))
    assert is_ready(pod)
    assert http.get(f"http://{pod_ip(pod)}:{PORT}/health", timeout=5).status_code == 503


def test_relabel_replaces_the_whole_label_set(namespace: Namespace) -> None:
    namespace.create_pod(PodSpec("p", labels={"app": "sglang", "role": "regular"}, port=PORT))
    returned = namespace.relabel("p", {"app": "sglang", "tier": "b"})
    assert labels(returned) == {"app": "sglang", "tier": "b"}
    stored = namespace.get("p")
    assert stored is not None and labels(stored) == {"app": "sglang", "tier": "b"}
    namespace.relabel("p", {})
    stored = namespace.get("p")
    assert stored is not None and labels(stored) == {}


def test_set_ready_flips_ready_and_keeps_other_conditions(
    namespace: Namespace, http: requests.Session
) -> None:
    pod = namespace.create_pod(PodSpec("flip", port=PORT))
    unready = namespace.set_ready("flip", False)
    assert condition(unready, "Ready") == "False"
    assert condition(unready, "ContainersReady") == "False"
    assert condition(unready, "PodScheduled") == "True"
    assert condition(unready, "Initialized") == "True"
    assert pod_ip(unready) == pod_ip(pod)
    assert http.get(f"http://{pod_ip(pod)}:{PORT}/health", timeout=5).status_code == 200
    again = namespace.set_ready("flip", True)
    assert condition(again, "Ready") == "True"
    stored = namespace.get("flip")
    assert stored is not None and is_ready(stored)


def test_set_phase_writes_status_phase(namespace: Namespace) -> None:
    namespace.create_pod(PodSpec("ph", port=PORT))
    assert phase(namespace.set_phase("ph", "Failed")) == "Failed"
    with pytest.raises(ValueError, match="phase must be one of"):
        namespace.set_phase("ph", "Crashed")


def test_graceful_delete_leaves_a_terminating_pod_then_removes_it(namespace: Namespace) -> None:
    pod = namespace.create_pod(PodSpec("grace", port=PORT))
    answered = namespace.delete("grace", grace_seconds=2)
    assert answered is not None and is_terminating(answered)
    stored = namespace.get("grace")
    assert stored is not None, "a graceful delete must keep the pod until the grace period ends"
    assert is_terminating(stored)
    assert stored["metadata"]["deletionGracePeriodSeconds"] == 2
    assert refused(str(pod_ip(pod))), "the worker stops when the delete is accepted"
    namespace.wait_gone("grace", timeout=10)


def test_immediate_delete_removes_pod_and_stops_worker(namespace: Namespace) -> None:
    pod = namespace.create_pod(PodSpec("now", port=PORT))
    namespace.delete("now", grace_seconds=0)
    assert namespace.get("now") is None
    assert refused(str(pod_ip(pod)))
    assert namespace.worker("now") is None


def test_recreate_gets_a_new_ip_and_uid_and_moves_the_worker(
    namespace: Namespace, http: requests.Session
) -> None:
    old = namespace.create_pod(PodSpec("again", labels={"app": "sglang"}, port=PORT))
    new = namespace.recreate("again")
    assert pod_ip(new) is not None and pod_ip(new) != pod_ip(old)
    assert new["metadata"]["uid"] != old["metadata"]["uid"]
    assert labels(new) == {"app": "sglang"}
    assert is_ready(new)
    assert refused(str(pod_ip(old)))
    assert http.get(f"http://{pod_ip(new)}:{PORT}/health", timeout=5).status_code == 200


def test_terminating_spec_is_created_then_left_terminating(namespace: Namespace) -> None:
    pod = namespace.create_pod(PodSpec("going", port=PORT, terminating=True))
    assert is_terminating(pod)
    stored = namespace.get("going")
    assert stored is not None and is_terminating(stored) and pod_ip(stored) is not None


def test_a_batch_is_posted_before_any_pod_is_brought_up(namespace: Namespace) -> None:
    with ReadyWatcher(namespace, "b-1") as watcher:
        pods = namespace.create_pods([PodSpec("b-0", port=PORT), PodSpec("b-1", port=PORT)])
    assert [p["metadata"]["name"] for p in pods] == ["b-0", "b-1"] and all(is_ready(p) for p in pods)
    assert watcher.first_seen is not None
    created_b1 = int(watcher.first_seen["metadata"]["resourceVersion"])
    ready_b0 = int(pods[0]["metadata"]["resourceVersion"])
    assert created_b1 < ready_b0, "b-1 must be POSTed before b-0 is made Ready"


def test_a_spec_for_another_namespace_is_refused(namespace: Namespace) -> None:
    with pytest.raises(ProviderError, match=r"belongs in namespace elsewhere, not conformance-"):
        namespace.create_pod(PodSpec("lost", port=PORT, namespace="elsewhere"))


def test_duplicate_pod_name_is_a_one_line_error(namespace: Namespace) -> None:
    namespace.create_pod(PodSpec("dup", reachable=False, port=PORT))
    with pytest.raises(ProviderError) as info:
        namespace.create_pod(PodSpec("dup", reachable=False, port=PORT))
    assert "already exists" in str(info.value)
    assert "\n" not in str(info.value)


def test_pods_are_camelcase_json_that_the_reference_reads(namespace: Namespace) -> None:
    namespace.create_pod(PodSpec("pre-a", labels={"app": "sglang"}, bootstrap_port=8998, port=PORT))
    namespace.create_pod(PodSpec("pend", phase="Pending", port=PORT))
    pods = {p["metadata"]["name"]: p for p in namespace.pods()}
    assert set(pods) == {"pre-a", "pend"}
    ready = pods["pre-a"]
    assert ready["metadata"]["namespace"] == namespace.name
    assert ready["metadata"]["uid"]
    assert ready["metadata"]["annotations"]["sglang.ai/bootstrap-port"] == "8998"
    assert ready["spec"]["containers"][0]["name"] == "worker"
    assert "podIP" in ready["status"] and "pod_ip" not in ready["status"]
    info = PodInfo.from_pod(ready)
    assert info is not None
    assert (info.name, info.ip, info.status, info.is_ready) == (
        "pre-a",
        ready["status"]["podIP"],
        "Running",
        True,
    )
    assert info.is_healthy()
    assert PodInfo.from_pod(pods["pend"]) is None  # no podIP: the gateway skips it


def _next_ip(ip: str) -> str:
    """The address after ``ip`` in the emulated kubelet's sequence (127.0.0.2, .3, ... within a block)."""
    a, b, c, d = (int(x) for x in ip.split("."))
    return f"{a}.{b}.{c}.{d + 1}"


def test_pod_ip_taken_on_this_host_is_replaced_by_a_fresh_pod(
    namespace: Namespace, http: requests.Session
) -> None:
    probe = namespace.create_pod(PodSpec("probe", reachable=False, port=PORT))
    taken = _next_ip(str(pod_ip(probe)))
    with socket.socket() as blocker:  # another suite's worker on the address the kubelet hands out next
        blocker.bind((taken, PORT))
        blocker.listen()
        pod = namespace.create_pod(PodSpec("moved", port=PORT))
        assert pod_ip(pod) not in (None, taken)
        assert is_ready(pod)
        assert http.get(f"http://{pod_ip(pod)}:{PORT}/health", timeout=5).status_code == 200
    assert sorted(p["metadata"]["name"] for p in namespace.pods()) == ["moved", "probe"]
