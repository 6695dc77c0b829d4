"""The built-in KWOK-style kubelet (docs/interfaces.md "Built-in kubelet"; issue 3 "What to build").

Why: gateways only register pods that are Running, Ready and have a podIP, and they reach workers at
that IP; the kubelet must hand out unique loopback addresses and honour the annotations tests use to
ask for Pending / not-Ready / no-IP pods, then leave status alone so tests can flip readiness.
"""

from __future__ import annotations

import ipaddress

from tests.apiserver._support import JSON, Rest, watch_path
from tests.polling import wait_until

ANN = "kubelet.emulator/"


def started(rest: Rest, name: str) -> JSON:
    """Wait until the kubelet has acted on the pod (phase no longer the create-time Pending, or an IP)."""

    def done() -> JSON | None:
        pod = rest.get_pod(name).json()
        st = pod.get("status", {})
        return pod if st.get("phase") != "Pending" or st.get("podIP") or st.get("conditions") else None

    return wait_until(done, 5, f"kubelet to start {name}")


def ready(pod: JSON) -> str | None:
    return next((c["status"] for c in pod["status"].get("conditions", []) if c["type"] == "Ready"), None)


def test_new_pod_runs_ready_with_loopback_ip(rest: Rest) -> None:
    """Kubelet: a new pod gets a node, phase Running, Ready/ContainersReady/PodScheduled/Initialized True
    and a podIP 127.0.0.N (N ≠ 1), mirrored in `podIPs`."""
    rest.create_pod("k1")
    pod = started(rest, "k1")
    assert pod["spec"]["nodeName"] == "emulated-node"
    st = pod["status"]
    assert st["phase"] == "Running"
    conds = {c["type"]: c["status"] for c in st["conditions"]}
    assert conds == {
        "Initialized": "True",
        "ContainersReady": "True",
        "Ready": "True",
        "PodScheduled": "True",
    }
    ip = ipaddress.ip_address(st["podIP"])
    assert ip in ipaddress.ip_network("127.0.0.0/8") and str(ip) != "127.0.0.1"
    assert st.get("podIPs") == [{"ip": st["podIP"]}]


def test_ips_are_unique_and_never_reused(rest: Rest) -> None:
    """Kubelet: IPs are distinct across pods, and a deleted pod's IP is not handed out again."""
    ips: list[str] = []
    for i in range(4):
        rest.create_pod(f"u{i}")
        ips.append(started(rest, f"u{i}")["status"]["podIP"])
    assert len(set(ips)) == 4
    for i in range(4):
        assert rest.delete_pod(f"u{i}", grace=0).status_code == 200
    rest.create_pod("u0")  # same name as before, new pod
    new_ip = started(rest, "u0")["status"]["podIP"]
    assert new_ip not in ips


def test_pending_annotation(rest: Rest) -> None:
    """Kubelet annotation `phase=Pending`: no IP, not Ready, stays Pending. Checked after a 2 s
    settle window watched from the create, so whatever the kubelet does has happened."""
    created = rest.create_pod("p", annotations={ANN + "phase": "Pending"})
    rv = created["metadata"]["resourceVersion"]
    ws = rest.watch(watch_path(resourceVersion=rv, fieldSelector="metadata.name=p", timeoutSeconds=2))
    try:
        events = ws.collect_until_end(timeout=5)
    finally:
        ws.close()
    pod = rest.get_pod("p").json()
    assert pod["status"]["phase"] == "Pending", events
    assert not pod["status"].get("podIP")
    assert ready(pod) in (None, "False")
    assert all(e.object["status"].get("phase") == "Pending" for e in events)


def test_not_ready_annotation_then_flip_through_status(rest: Rest) -> None:
    """Kubelet annotation `ready="false"`: Running with an IP but Ready=False; a /status patch flips it
    to True like a kubelet would, and the kubelet leaves it so."""
    rest.create_pod("nr", annotations={ANN + "ready": "false"})
    pod = started(rest, "nr")
    assert pod["status"]["phase"] == "Running" and pod["status"]["podIP"]
    assert ready(pod) == "False"
    ws = rest.watch(
        watch_path(resourceVersion=rest.list_rv(), fieldSelector="metadata.name=nr", timeoutSeconds=2)
    )
    try:
        patch = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
        resp = rest.patch(
            rest.pods_path(name="nr", sub="status"), patch, "application/strategic-merge-patch+json"
        )
        assert resp.status_code == 200, resp.text
        events = ws.collect_until_end(timeout=5)
    finally:
        ws.close()
    assert [e.type for e in events] == ["MODIFIED"], "the kubelet must not undo or add to a status write"
    assert ready(events[0].object) == "True"
    assert ready(rest.get_pod("nr").json()) == "True"


def test_no_ip_annotation(rest: Rest) -> None:
    """Kubelet annotation `pod-ip="none"`: the pod runs without a podIP."""
    rest.create_pod("noip", annotations={ANN + "pod-ip": "none"})
    pod = started(rest, "noip")
    assert pod["status"]["phase"] == "Running"
    assert not pod["status"].get("podIP")


def test_failed_annotation(rest: Rest) -> None:
    """Kubelet annotation `phase=Failed`: the pod ends up Failed and is not Ready."""
    rest.create_pod("bad", annotations={ANN + "phase": "Failed"})
    pod = started(rest, "bad")
    assert pod["status"]["phase"] == "Failed"
    assert ready(pod) != "True"


def test_kubelet_off_leaves_pods_pending(make_server) -> None:
    """`EmbeddedAPIServer(kubelet=False)`: no node, no IP; checked after a barrier write is watched."""
    srv = make_server(kubelet=False)
    rest = Rest(srv.url)
    rest.create_pod("k")
    ws = rest.watch(watch_path(resourceVersion=rest.list_rv(), timeoutSeconds=1))
    try:
        events = ws.collect_until_end(timeout=4)  # 1 s settle window: any kubelet write would show here
    finally:
        ws.close()
    assert events == []
    pod = rest.get_pod("k").json()
    assert pod["status"]["phase"] == "Pending" and "nodeName" not in pod["spec"]
    rest.close()
