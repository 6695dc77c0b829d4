"""The kind path, as far as it can run without Docker: our port-forward, the command lines we hand to
kind / kubectl / docker, the node image choice and the skip reason when no Docker engine answers.

The real `kind create cluster` and the pods' real kubelet cannot run here (no Docker engine); the
fakes in fakebins.py record what our code runs and answer like the real tools do on the paths tested.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from fixtures.clusters import ProviderError
from fixtures.clusters.kind import CLUSTER_CONFIG, KindProvider, harness_kind_cluster
from fixtures.clusters.portforward import PortForward, PortForwardError
from fixtures.clusters.tools import docker_problem, node_image_for
from fixtures.workers import FAKE_WORKER_IMAGE
from tests.clusters import fakebins


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.fixture
def fake_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "calls.jsonl"
    fakebins.set_env(monkeypatch, log)
    return log


def test_port_forward_spawns_kubectl_once_and_reads_the_port(
    tmp_path: Path, fake_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    kubectl = fakebins.install(tmp_path / "bin", "kubectl", fakebins.KUBECTL)
    kubeconfig = tmp_path / "kubeconfig"
    started = time.monotonic()
    with PortForward(kubectl, kubeconfig, "deployment/sgl-gateway", 30000, namespace="ns1") as forward:
        elapsed = time.monotonic() - started
        answer = requests.get(forward.url + "/workers", timeout=5, proxies={"http": "", "https": ""})
        pid = forward.pid
        assert pid is not None and _alive(pid)
    assert answer.text == "ok"
    assert elapsed < 5.0  # pytest-kind's port_forward takes 10 s: it respawns kubectl 10 times
    recorded = fakebins.calls(fake_log, "kubectl")
    assert len(recorded) == 1
    assert recorded[0]["argv"] == [
        "port-forward",
        "--address",
        "127.0.0.1",
        "--namespace",
        "ns1",
        "deployment/sgl-gateway",
        ":30000",
    ]
    assert recorded[0]["kubeconfig"] == str(kubeconfig)
    assert recorded[0]["proxy"] is None  # proxies dropped, rest of the environment kept
    assert recorded[0]["path"] is True
    assert not _alive(pid)


def test_port_forward_that_exits_is_one_line_with_kubectls_reason(tmp_path: Path, fake_log: Path) -> None:
    kubectl = fakebins.install(tmp_path / "bin", "kubectl", fakebins.KUBECTL)
    os.environ["FAKE_MODE"] = "fail"
    try:
        started = time.monotonic()
        with pytest.raises(PortForwardError) as info:
            PortForward(kubectl, tmp_path / "kc", "pod/gw", 8000, timeout=10).start()
    finally:
        del os.environ["FAKE_MODE"]
    assert time.monotonic() - started < 5.0
    message = str(info.value)
    assert message == (
        "kubectl port-forward pod/gw exited with code 1: error: unable to forward port because pod is "
        "not running. Current status=Pending"
    )
    assert len(fakebins.calls(fake_log, "kubectl")) == 1  # no retry loop


def test_port_forward_timeout_stops_kubectl(
    tmp_path: Path, fake_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubectl = fakebins.install(tmp_path / "bin", "kubectl", fakebins.KUBECTL)
    monkeypatch.setenv("FAKE_MODE", "silent")
    forward = PortForward(kubectl, tmp_path / "kc", "pod/gw", 8000, timeout=1.0)
    with pytest.raises(PortForwardError, match=r"not ready after 1 s \(no 'Forwarding from' line\)"):
        forward.start()
    assert forward.pid is not None and not _alive(forward.pid)


def test_missing_kubectl_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(PortForwardError, match=r"^cannot run '.*/nope': No such file or directory$"):
        PortForward(tmp_path / "nope", tmp_path / "kc", "pod/gw", 8000).start()


def test_kind_cluster_port_forward_is_replaced(tmp_path: Path, fake_log: Path) -> None:
    pytest.importorskip("pytest_kind", reason="pytest-kind-ng is not installed")
    kubectl = fakebins.install(tmp_path / "bin", "kubectl", fakebins.KUBECTL)
    cluster = harness_kind_cluster(
        "c1",
        kubeconfig=tmp_path / "kc",
        image=None,
        kind_path=tmp_path / "bin" / "kind",
        kubectl_path=kubectl,
        workdir=tmp_path,
    )
    started = time.monotonic()
    with cluster.port_forward("svc/gw", 30000, "-n", "ns2") as port:
        assert isinstance(port, int) and port > 0
    assert time.monotonic() - started < 5.0
    recorded = fakebins.calls(fake_log, "kubectl")
    assert [c["argv"][-3:] for c in recorded] == [["ns2", "svc/gw", ":30000"]]
    assert not (Path.cwd() / ".pytest-kind" / "c1").exists()  # nothing written into the checkout


def test_kind_cluster_never_downloads_binaries(tmp_path: Path) -> None:
    pytest.importorskip("pytest_kind", reason="pytest-kind-ng is not installed")
    cluster = harness_kind_cluster(
        "c1",
        kubeconfig=tmp_path / "kc",
        image=None,
        kind_path=tmp_path / "kind",
        kubectl_path=tmp_path / "kubectl",
        workdir=tmp_path,
    )
    with pytest.raises(ProviderError, match=r"kind binary .*/kind is missing \(pass --kind-bin\)"):
        cluster.ensure_kind()
    with pytest.raises(ProviderError, match=r"pass --kind-kubectl-bin"):
        cluster.ensure_kubectl()


def test_node_image_matches_the_kind_version() -> None:
    # The ubuntu-24.04 runner ships kind 0.26.0 (docs/conventions.md#pytest-kind); its release's node image is
    # 1.32.0.
    assert node_image_for("v0.26.0") == "kindest/node:v1.32.0"
    assert node_image_for("v9.9.9") is None  # unknown: kind's own built-in default, never a guess


def test_docker_without_engine_fails_fast_with_one_line() -> None:
    """Here `docker` is only a client: `docker info` must fail at once, not hang."""
    if subprocess.run(["which", "docker"], capture_output=True, check=False).returncode != 0:
        pytest.skip("no docker client on this machine")
    started = time.monotonic()
    problem = docker_problem()
    if problem is None:
        pytest.skip("a Docker engine answers on this machine")
    assert time.monotonic() - started < 15.0
    assert problem.startswith("no Docker engine: `docker info` failed: ")
    assert "\n" not in problem


def _kind_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source_kubeconfig: Path) -> dict[str, Path]:
    bins = tmp_path / "bin"
    paths = {
        "kind": fakebins.install(bins, "kind", fakebins.KIND),
        "docker": fakebins.install(bins, "docker", fakebins.DOCKER),
        "kubectl": fakebins.install(bins, "kubectl", fakebins.KUBECTL),
    }
    monkeypatch.setenv("FAKE_KUBECONFIG_SOURCE", str(source_kubeconfig))
    return paths


def test_kind_provider_without_docker_engine_stops_before_kind(
    tmp_path: Path, fake_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _kind_env(tmp_path, monkeypatch, tmp_path / "unused")
    monkeypatch.setenv("FAKE_MODE", "no-engine")
    provider = KindProvider(kind_bin=paths["kind"], kubectl_bin=paths["kubectl"], docker_bin=paths["docker"])
    with pytest.raises(ProviderError) as info:
        provider.start()
    assert str(info.value) == (
        "the kind provider needs Docker: no Docker engine: `docker info` failed: Cannot connect to the "
        "Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
    )
    assert fakebins.calls(fake_log, "kind") == []


def test_kind_provider_names_a_missing_worker_image(
    tmp_path: Path, fake_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _kind_env(tmp_path, monkeypatch, tmp_path / "unused")
    monkeypatch.setenv("FAKE_MISSING_IMAGES", FAKE_WORKER_IMAGE)
    provider = KindProvider(kind_bin=paths["kind"], kubectl_bin=paths["kubectl"], docker_bin=paths["docker"])
    with pytest.raises(ProviderError) as info:
        provider.start()
    assert str(info.value) == (
        f"image {FAKE_WORKER_IMAGE} is not in the local Docker engine; build it: "
        f"docker build -t {FAKE_WORKER_IMAGE} -f fixtures/workers/Dockerfile ."
    )
    assert fakebins.calls(fake_log, "kind") == []


@pytest.mark.parametrize("keep_cluster", [False, True])
def test_kind_provider_command_lines(
    tmp_path: Path, fake_log: Path, monkeypatch: pytest.MonkeyPatch, apiserver: object, keep_cluster: bool
) -> None:
    """Create with explicit binaries, matching node image and our config; load both images; delete.

    The fake kind "creates" the cluster by writing the embedded API server's kubeconfig, so the
    provider's preflight runs against a real API (its kubelet plays the node).
    """
    pytest.importorskip("pytest_kind", reason="pytest-kind-ng is not installed")
    paths = _kind_env(tmp_path, monkeypatch, apiserver.kubeconfig)  # type: ignore[attr-defined]
    provider = KindProvider(
        kind_bin=paths["kind"],
        kubectl_bin=paths["kubectl"],
        docker_bin=paths["docker"],
        cluster_name="sgl-test",
        load_images=["example/gateway:dev"],
        keep_cluster=keep_cluster,
        workdir=tmp_path / "kind",
        pod_timeout=10,
        namespace_timeout=10,
    )
    with provider:
        assert provider.kubeconfig == tmp_path / "kind" / "kubeconfig"
        assert provider.kubectl_bin == paths["kubectl"]
    kubeconfig = str(tmp_path / "kind" / "kubeconfig")
    kind_calls = [c["argv"] for c in fakebins.calls(fake_log, "kind")]
    expected = [
        ["version"],
        ["get", "clusters"],
        [
            "create",
            "cluster",
            "--name=sgl-test",
            f"--kubeconfig={kubeconfig}",
            "--image=kindest/node:v1.32.0",
            "--config",
            str(CLUSTER_CONFIG),
        ],
        ["load", "docker-image", "--name", "sgl-test", FAKE_WORKER_IMAGE],
        ["load", "docker-image", "--name", "sgl-test", "example/gateway:dev"],
    ]
    if not keep_cluster:
        expected.append(["delete", "cluster", "--name=sgl-test", f"--kubeconfig={kubeconfig}"])
    assert kind_calls == expected
    docker_calls = [c["argv"] for c in fakebins.calls(fake_log, "docker")]
    assert docker_calls[0] == ["info", "--format", "{{.ServerVersion}}"]
    assert ["image", "inspect", FAKE_WORKER_IMAGE] in docker_calls
    assert ["image", "inspect", "example/gateway:dev"] in docker_calls


def test_kind_create_failure_is_one_line(
    tmp_path: Path, fake_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pytest_kind", reason="pytest-kind-ng is not installed")
    paths = _kind_env(tmp_path, monkeypatch, tmp_path / "unused")
    monkeypatch.setenv("FAKE_MODE", "create-fails")
    provider = KindProvider(
        kind_bin=paths["kind"],
        kubectl_bin=paths["kubectl"],
        docker_bin=paths["docker"],
        workdir=tmp_path / "k",
    )
    with pytest.raises(ProviderError, match=r"^kind create cluster failed \(exit 1\)"):
        provider.start()
    assert provider.cluster is None


def test_sigterm_is_not_sent_to_our_own_group(tmp_path: Path, fake_log: Path) -> None:
    """close() signals kubectl's own process group, never ours."""
    kubectl = fakebins.install(tmp_path / "bin", "kubectl", fakebins.KUBECTL)
    forward = PortForward(kubectl, tmp_path / "kc", "pod/gw", 8000).start()
    try:
        assert forward.pid is not None
        assert os.getpgid(forward.pid) != os.getpgid(0)
    finally:
        forward.close()
