"""The embedded cluster stays faithful at the scale profile's size: 500 pods, 5 namespaces, churn.

Why: the scale tests (conformance/suite/test_scale.py) judge gateways on what the embedded API server
tells them about 500 pods changing at 20 per second, with a fake worker per pod on its own loopback IP,
all in the harness's process. A verdict there is only worth something if the cluster is right at that
size, so this test builds the same cluster through the same Scenario code (no gateway), runs a churn
at more than twice the profile's pace, and checks what a gateway relies on:

- a cluster-wide watch from the first LIST's resourceVersion delivers every change, in increasing
  resourceVersion order: replaying it over that LIST gives exactly the final LIST;
- every pod has its own IP, never reused; every Ready pod's worker answers /health on podIP:8000,
  and no deleted pod's worker still does.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kubernetes import client, watch

from conformance.scenario import Scenario
from conformance.suite.churn import Role, plan
from conformance.suite.labels import APP, DECODE, PREFILL
from conformance.timeouts import TimeoutConfig
from fixtures.clusters import get_provider
from fixtures.clusters.base import ClusterProvider
from fixtures.clusters.podview import is_ready, pod_ip
from fixtures.gateways import get_driver
from tests.polling import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.long]  # 500 pods: tox -e proofs

PODS, NAMESPACES = 500, 5
RATE, SECONDS = 50.0, 4.0  # 200 changes, 2.5 times the scale profile's pace
ROLES = (Role("w", APP, "regular"), Role("p", PREFILL, "prefill", "8998"), Role("d", DECODE, "decode"))


@pytest.fixture(scope="module")
def provider() -> Iterator[ClusterProvider]:
    with get_provider("embedded") as started:
        yield started


class Recorder:
    """A cluster-wide pod watch from a resourceVersion (the kubernetes client's `watch`), in a thread."""

    def __init__(self, api: client.CoreV1Api, resource_version: str) -> None:
        self.api, self.rv = api, resource_version
        self.events: list[dict[str, Any]] = []
        self.watch = watch.Watch()
        self.error: BaseException | None = None
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            for event in self.watch.stream(
                self.api.list_pod_for_all_namespaces, resource_version=self.rv, timeout_seconds=120
            ):
                self.events.append({"type": event["type"], "object": event["raw_object"]})
        except Exception as exc:  # the cluster going away after the test is not the test's concern
            if not self.stopped.is_set():
                self.error = exc

    def stop(self) -> None:
        self.stopped.set()
        self.watch.stop()  # ends the stream at its next event


def _key(pod: dict[str, Any]) -> tuple[str, str]:
    return pod["metadata"]["namespace"], pod["metadata"]["name"]


def _state(pods: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, str]]:
    return {_key(p): (p["metadata"]["uid"], p["metadata"]["resourceVersion"]) for p in pods}


def test_500_pods_under_churn_stay_faithful(provider: ClusterProvider, tmp_path: Path) -> None:
    scn = Scenario(
        driver=get_driver("reference"),  # never started: only the cluster side is exercised
        new_namespace=provider.namespace,
        kubeconfig=provider.kubeconfig,
        workdir=tmp_path,
        timeouts=TimeoutConfig(),
        worker_port=8000,
    )
    namespaces = [scn.ns] + [scn.other_namespace() for _ in range(NAMESPACES - 1)]
    run = {"conformance-run": uuid.uuid4().hex[:12]}
    made = plan(
        roles=ROLES, namespaces=[ns.name for ns in namespaces], pods=PODS, rate=RATE, seconds=SECONDS, run=run
    )
    try:
        for ns in namespaces:
            scn.create(*(row for row in made.pods if row.spec.namespace == ns.name), namespace=ns)
        api = client.CoreV1Api(provider.api_client())
        listed = json.loads(api.list_pod_for_all_namespaces(_preload_content=False).data)
        ours = {ns.name for ns in namespaces}
        start = {k: v for k, v in _state(listed["items"]).items() if k[0] in ours}
        assert len(start) == PODS
        recorder = Recorder(api, listed["metadata"]["resourceVersion"])
        recorder.thread.start()
        done = scn.apply(*made.churn, tolerance=60.0)
        final_pods = scn.pods()
        final = _state(final_pods)
        last_rv = max(int(p["metadata"]["resourceVersion"]) for p in final_pods)

        def caught_up() -> bool:
            assert recorder.error is None, f"the watch failed: {recorder.error}"
            return any(int(e["object"]["metadata"]["resourceVersion"]) >= last_rv for e in recorder.events)

        wait_until(caught_up, timeout=30, what="the watch to deliver the last change")
        recorder.stop()
        events = [e for e in recorder.events if e["object"]["metadata"]["namespace"] in ours]
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs)
        replayed = dict(start)
        for event in events:
            obj = event["object"]
            if event["type"] == "DELETED":
                replayed.pop(_key(obj), None)
            else:
                replayed[_key(obj)] = (obj["metadata"]["uid"], obj["metadata"]["resourceVersion"])
        assert replayed == final

        ips = [pod_ip(p) for p in final_pods]
        assert len(ips) == len(set(ips)), "a pod IP was handed out twice"
        stopped = [  # deleted pods, and terminating ones: their workers stopped at the delete
            pod_ip(p)
            for p in scn.cluster.pods_for_naming()
            if p["metadata"]["name"].endswith(" (deleted)") or p["metadata"].get("deletionTimestamp")
        ]
        assert len(stopped) == made.count("delete") + made.count("delete-at-once")
        with requests.Session() as http:
            http.trust_env = False
            for pod in final_pods:
                if is_ready(pod) and not pod["metadata"].get("deletionTimestamp"):
                    assert http.get(f"http://{pod_ip(pod)}:8000/health", timeout=5).status_code == 200
            for ip in stopped:
                with pytest.raises(requests.ConnectionError):
                    http.get(f"http://{ip}:8000/health", timeout=5)
        print(f"{PODS} pods, {len(made.churn)} changes in {done.span:.1f} s, {len(events)} watch events")
    finally:
        for ns in namespaces:
            ns.close()
