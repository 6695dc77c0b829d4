"""kubectl against the embedded server (docs/apiserver.md §3.1 O1/O2, §7 M5/M6, §9 TB1; §12 test 14; Appendix
A).

Why: people debug a failing scenario by pointing kubectl at the cluster, and `kubectl apply` without
`--validate=false` only works if the server serves OpenAPI v3 the way kubectl's field-validation probe
expects. `-v=6` makes kubectl log each request line, which lets the tests see what went over the wire
without a proxy.
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.apiserver._support import Kubectl, Rest, stop_process
from tests.polling import wait_until

pytestmark = pytest.mark.kubectl


def manifest(name: str, labels: dict[str, str]) -> str:
    label_lines = "".join(f"    {k}: {v}\n" for k, v in labels.items())
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n{label_lines}"
        "spec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: main\n"
        "    image: example.invalid/worker:1\n"
    )


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_apply_create_then_reapply_with_change(kubectl: Kubectl, rest: Rest, tmp_path: Path) -> None:
    """§12.14 / O1, O2, M5: `apply -f` (validation on) creates with `fieldValidation=Strict`; a second
    apply with changed labels PATCHes (client-side apply SMP): a label dropped from the file is removed."""
    first = kubectl.run(
        "apply", "-f", write(tmp_path, "a.yaml", manifest("p1", {"app": "demo", "tier": "a"})), "-v=6"
    )
    assert "pod/p1 created" in first.stdout
    assert "fieldValidation=Strict" in first.stderr, "kubectl did not find fieldValidation in OpenAPI v3"
    assert "POST" in first.stderr
    pod = rest.get_pod("p1").json()
    assert pod["metadata"]["labels"] == {"app": "demo", "tier": "a"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in pod["metadata"]["annotations"]
    second = kubectl.run("apply", "-f", write(tmp_path, "b.yaml", manifest("p1", {"app": "demo2"})), "-v=6")
    assert "pod/p1 configured" in second.stdout
    assert "PATCH" in second.stderr
    assert rest.get_pod("p1").json()["metadata"]["labels"] == {"app": "demo2"}
    third = kubectl.run("apply", "-f", write(tmp_path, "c.yaml", manifest("p1", {"app": "demo2"})))
    assert "pod/p1 unchanged" in third.stdout


def test_apply_server_side(kubectl: Kubectl, rest: Rest, tmp_path: Path) -> None:
    """M5 (apply-patch+yaml): `apply --server-side` creates, then updates; managedFields names kubectl."""
    out = kubectl.run(
        "apply", "--server-side", "-f", write(tmp_path, "s.yaml", manifest("p2", {"app": "ssa"}))
    )
    assert "pod/p2 serverside-applied" in out.stdout
    out = kubectl.run(
        "apply", "--server-side", "-f", write(tmp_path, "t.yaml", manifest("p2", {"app": "ssa2"}))
    )
    assert "pod/p2 serverside-applied" in out.stdout
    pod = rest.get_pod("p2").json()
    assert pod["metadata"]["labels"]["app"] == "ssa2"
    managers = {(m.get("manager"), m.get("operation")) for m in pod["metadata"].get("managedFields", [])}
    assert ("kubectl", "Apply") in managers, managers


def test_get_pods(kubectl: Kubectl, rest: Rest) -> None:
    """§12.14 / TB1, L6: `get pods` prints a header and one row per pod (READY/STATUS columns when the
    Table is served); `-o name`, `-l` and `get ns` work too."""
    rest.create_pod("g1", labels={"app": "x"})
    rest.create_pod("g2", labels={"app": "y"})
    for name in ("g1", "g2"):
        wait_until(lambda n=name: rest.get_pod(n).json()["status"].get("podIP"), 5, f"{name} running")
    lines = kubectl.run("get", "pods").stdout.splitlines()
    header = lines[0].split()
    assert header[0] == "NAME"
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"g1", "g2"}
    if "STATUS" in header:  # Table served (TB1 SHOULD); otherwise kubectl prints NAME AGE
        assert rows["g1"][header.index("READY")] == "1/1"
        assert rows["g1"][header.index("STATUS")] == "Running"
    else:
        assert header == ["NAME", "AGE"]
    assert kubectl.run("get", "pods", "-o", "name").stdout.split() == ["pod/g1", "pod/g2"]
    assert kubectl.run("get", "pods", "-l", "app=y", "-o", "name").stdout.split() == ["pod/g2"]
    ns_names = {line.split()[0] for line in kubectl.run("get", "ns").stdout.splitlines()[1:]}
    assert {"default", "kube-system"} <= ns_names


def read_lines(proc: subprocess.Popen[str], into: queue.Queue[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        into.put(line.rstrip("\n"))


def wait_line(lines: queue.Queue[str], needle: str, timeout: float, seen: list[str]) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"kubectl get -w printed no line with {needle!r} in {timeout}s; got {seen}")


def test_get_pods_watch(kubectl: Kubectl, rest: Rest) -> None:
    """§12.14 / W3, W12, M6: `get pods -w` lists, then prints later changes (a new pod; a graceful
    delete shows as Terminating when the Table is served)."""
    rest.create_pod("w1")
    proc = subprocess.Popen(
        kubectl.argv("get", "pods", "-w"),
        env=kubectl.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=read_lines, args=(proc, lines), daemon=True).start()
        seen: list[str] = []
        wait_line(lines, "w1", 10, seen)
        rest.create_pod("w2")
        wait_line(lines, "w2", 5, seen)
        if "STATUS" in seen[0].split():  # Table served: the deletion mark shows as Terminating
            assert rest.delete_pod("w1", grace=5).status_code == 200
            wait_line(lines, "Terminating", 5, seen)
        assert proc.poll() is None, "kubectl get -w must keep watching"
    finally:
        stop_process(proc)
    assert seen[0].split()[0] == "NAME"


def test_label(kubectl: Kubectl, rest: Rest) -> None:
    """§12.14 / M5: `label pod p foo=bar` (merge patch) adds the label; `foo-` removes it."""
    rest.create_pod("l1", labels={"app": "x"})
    out = kubectl.run("label", "pod", "l1", "foo=bar", "-v=6")
    assert "pod/l1 labeled" in out.stdout and "PATCH" in out.stderr
    assert rest.get_pod("l1").json()["metadata"]["labels"] == {"app": "x", "foo": "bar"}
    kubectl.run("label", "pod", "l1", "foo-")
    assert rest.get_pod("l1").json()["metadata"]["labels"] == {"app": "x"}


def test_delete_waits_for_graceful_removal(kubectl: Kubectl, rest: Rest, tmp_path: Path) -> None:
    """§12.14 / M6: `delete pod` returns after the pod is really gone (grace 1 s, kubelet finishes it)."""
    kubectl.run("apply", "-f", write(tmp_path, "d.yaml", manifest("d1", {"app": "x"})))
    wait_until(lambda: rest.get_pod("d1").json()["spec"].get("nodeName"), 5, "d1 scheduled")
    t0 = time.monotonic()
    out = kubectl.run("delete", "pod", "d1", timeout=20)
    assert 'pod "d1" deleted' in out.stdout
    assert time.monotonic() - t0 >= 0.8, "returned before the grace period could have elapsed"
    assert rest.get_pod("d1").status_code == 404
    missing = kubectl.run("delete", "pod", "d1", check=False)
    assert missing.returncode != 0 and 'pods "d1" not found' in missing.stderr
