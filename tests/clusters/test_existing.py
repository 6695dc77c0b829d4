"""The existing-cluster provider, run against the embedded API server as "someone else's cluster":
the provider gets a kubeconfig and nothing else; pods come from the manifests' worker templates, and
the embedded kubelet runs the fake-worker image as a local worker on each pod IP (container runtime
`fixtures.workers.runtime.FakeWorkerRuntime`), so reachable pods work as on a real cluster: the worker
answers `/health`, Ready flips through the readiness gate, a nodeSelector keeps a pod Pending, and
deleting the pod stops its worker (issue 5 "Parity here").

With `--cluster kind` / `existing` (`tox -e kind`) the same contract tests run on that
cluster instead (fixture `real_cluster`); the checks that reach a pod IP from this process are skipped
there (pod IPs of a real cluster are not routable from the host).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from kubernetes import client

from fixtures.clusters import ClusterProvider, PodSpec, ProviderError
from fixtures.clusters.base import client_configuration, is_loopback_url
from fixtures.clusters.existing import ExistingProvider
from fixtures.clusters.podview import condition, is_ready, is_terminating, phase, pod_ip
from fixtures.clusters.templates import READINESS_GATE, UNSCHEDULABLE_SELECTOR
from fixtures.clusters.waiting import wait_until
from fixtures.workers import WorkerSpec

PORT = 8000
# One harness worker shares the module's cluster (xdist's loadgroup), as one process would.
pytestmark = pytest.mark.xdist_group("existing-cluster")


@pytest.fixture(scope="module")
def real_cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ClusterProvider]:
    """The session's kind/existing cluster when chosen, else an ExistingProvider on a fresh embedded
    API server with the fake-worker runtime (started here, stopped afterwards, with its workers) that
    only sees its kubeconfig."""
    if request.config.getoption("--cluster", default=None) in ("kind", "existing"):
        yield request.getfixturevalue("cluster")
        return
    from fixtures.apiserver import EmbeddedAPIServer, random_pod_ip_start
    from fixtures.workers.runtime import FakeWorkerRuntime

    with FakeWorkerRuntime() as runtime:
        server = EmbeddedAPIServer(container_runtime=runtime, pod_ip_start=random_pod_ip_start()).start()
        try:
            kubeconfig = tmp_path_factory.mktemp("existing") / "someone-elses-kubeconfig.yaml"
            server.write_kubeconfig(kubeconfig)
            with ExistingProvider(kubeconfig=kubeconfig, pod_timeout=10, namespace_timeout=10) as provider:
                yield provider
        finally:
            server.stop()


@pytest.fixture
def local_pods(real_cluster: ClusterProvider) -> None:
    """Skip unless pod IPs are reachable from this process (the embedded server as a real cluster)."""
    if not is_loopback_url(real_cluster.server_url()):
        pytest.skip("pod IPs of a real cluster are not reachable from the test process")


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # pod IPs are loopback here; never a proxy
        yield session


def _refused(http: requests.Session, url: str) -> bool:
    try:
        http.get(url, timeout=1)
    except requests.ConnectionError:
        return True
    return False


def test_preflight_passes_and_leaves_no_namespace(real_cluster: ClusterProvider) -> None:
    names = [ns.metadata.name for ns in client.CoreV1Api(real_cluster.api_client()).list_namespace().items]
    assert not any(name.startswith("conformance-preflight") for name in names)


def test_pods_come_from_the_worker_templates(real_cluster: ClusterProvider) -> None:
    with real_cluster.namespace() as ns:
        pod = ns.create_pod(PodSpec("reg-a", labels={"app": "sglang"}))
        assert phase(pod) == "Running" and pod_ip(pod) is not None and is_ready(pod)
        spec = pod["spec"]
        container = spec["containers"][0]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert spec["readinessGates"] == [{"conditionType": READINESS_GATE}]
        assert condition(pod, READINESS_GATE) == "True"
        assert condition(pod, "ContainersReady") == "True"
        assert pod["metadata"]["labels"] == {"app": "sglang"}
        name = ns.name
    assert all(
        n.metadata.name != name for n in client.CoreV1Api(real_cluster.api_client()).list_namespace().items
    )


@pytest.mark.usefixtures("local_pods")
def test_reachable_pod_has_a_real_worker_on_its_ip(
    real_cluster: ClusterProvider, http: requests.Session
) -> None:
    """The kubelet ran the template's image: a worker with the args' role, model and bootstrap port
    answers on podIP:port (and the bootstrap port accepts connections)."""
    spec = PodSpec(
        "pre-a",
        labels={"app": "sglang"},
        bootstrap_port=8998,
        port=PORT,
        worker=WorkerSpec(model_id="m-parity", role="prefill"),
    )
    with real_cluster.namespace() as ns:
        pod = ns.create_pod(spec)
        base = f"http://{pod_ip(pod)}:{PORT}"
        assert http.get(f"{base}/health", timeout=5).status_code == 200
        info = http.get(f"{base}/server_info", timeout=5).json()
        assert (info["served_model_name"], info["disaggregation_mode"]) == ("m-parity", "prefill")
        socket.create_connection((str(pod_ip(pod)), 8998), timeout=5).close()
        assert ns.worker("pre-a") is None  # not served by the harness: the cluster runs it


@pytest.mark.usefixtures("local_pods")
def test_worker_failing_health_is_ready_through_the_tcp_probe(
    real_cluster: ClusterProvider, http: requests.Session
) -> None:
    """templates.py: a worker told to fail /health gets a TCP probe, so the pod still turns Ready."""
    with real_cluster.namespace() as ns:
        pod = ns.create_pod(PodSpec("sick", worker=WorkerSpec(failing=frozenset({"/health"}))))
        assert is_ready(pod)
        assert http.get(f"http://{pod_ip(pod)}:{PORT}/health", timeout=5).status_code == 503


def test_ready_flips_through_the_readiness_gate(real_cluster: ClusterProvider) -> None:
    with real_cluster.namespace() as ns:
        ns.create_pod(PodSpec("flip"))
        off = ns.set_ready("flip", False)
        assert not is_ready(off)
        assert condition(off, READINESS_GATE) == "False" and condition(off, "ContainersReady") == "True"
        on = ns.set_ready("flip", True)
        assert is_ready(on) and condition(on, READINESS_GATE) == "True"


def test_unready_pod_runs_and_stays_not_ready(real_cluster: ClusterProvider) -> None:
    with real_cluster.namespace() as ns:
        pod = ns.create_pod(PodSpec("cold", ready=False))
        assert phase(pod) == "Running" and pod_ip(pod) is not None and not is_ready(pod)
        assert condition(pod, "ContainersReady") == "True"


def test_pending_pod_is_unschedulable_without_ip(real_cluster: ClusterProvider) -> None:
    with real_cluster.namespace() as ns:
        pod = ns.create_pod(PodSpec("pend", phase="Pending"))
        assert phase(pod) == "Pending" and pod_ip(pod) is None
        assert pod["spec"]["nodeSelector"] == UNSCHEDULABLE_SELECTOR
        assert condition(pod, "PodScheduled") == "False"


@pytest.mark.parametrize("wanted", ["Failed", "Succeeded"])
def test_finished_pods_come_from_the_exit_command(real_cluster: ClusterProvider, wanted: str) -> None:
    with real_cluster.namespace() as ns:
        pod = ns.create_pod(PodSpec("done", phase=wanted))
        assert phase(pod) == wanted and not is_ready(pod)


@pytest.mark.usefixtures("local_pods")
def test_unreachable_pod_runs_without_serving(real_cluster: ClusterProvider, http: requests.Session) -> None:
    with real_cluster.namespace() as ns:
        pod = ns.create_pod(PodSpec("idle", reachable=False))
        assert phase(pod) == "Running" and is_ready(pod)
        assert _refused(http, f"http://{pod_ip(pod)}:{PORT}/health")


@pytest.mark.usefixtures("local_pods")
def test_deleting_a_pod_stops_its_worker(real_cluster: ClusterProvider, http: requests.Session) -> None:
    """The graceful delete begins (the template's 5 s grace): the worker stops at once, as the image does
    on SIGTERM, while the pod is still there, terminating."""
    with real_cluster.namespace() as ns:
        pod = ns.create_pod(PodSpec("bye"))
        url = f"http://{pod_ip(pod)}:{PORT}/health"
        assert http.get(url, timeout=5).status_code == 200
        ns.delete("bye")
        wait_until(lambda: _refused(http, url), timeout=5, what="the worker of bye to stop")
        still = ns.get("bye")
        assert still is not None and is_terminating(still)


def test_proxy_settings_are_ignored_for_a_loopback_api_server(
    real_cluster: ClusterProvider, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """HTTP(S)_PROXY pointing nowhere must not break talking to 127.0.0.1 (the kubernetes client would
    send every request to the proxy); remote servers keep the proxy."""
    if not is_loopback_url(real_cluster.server_url()):
        pytest.skip("needs a loopback API server")
    dead_proxy = "http://127.0.0.1:9"
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(var, dead_proxy)
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    provider = ExistingProvider(kubeconfig=real_cluster.kubeconfig, preflight_pod=False)
    with provider:
        assert provider.api_client().configuration.proxy is None
        assert client.CoreV1Api(provider.api_client()).list_namespace(limit=1).items
    remote = _kubeconfig(tmp_path / "remote", ["c"], "c", server="http://10.255.0.1:6443")
    assert client_configuration(remote, None).proxy == dead_proxy


def test_keep_resources_leaves_the_namespace(real_cluster: ClusterProvider) -> None:
    real_cluster.keep_resources = True
    try:
        ns = real_cluster.namespace()
        ns.close()
        assert ns.exists()
    finally:
        real_cluster.keep_resources = False
    client.CoreV1Api(real_cluster.api_client()).delete_namespace(ns.name)


def _kubeconfig(
    path: Path, contexts: list[str], current: str | None, server: str = "http://127.0.0.1:9"
) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": n, "context": {"cluster": "c", "user": "u"}} for n in contexts],
    }
    if current:
        doc["current-context"] = current
    path.write_text(yaml.safe_dump(doc))
    return path


def test_missing_kubeconfig_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as info:
        ExistingProvider(kubeconfig=tmp_path / "nope").start()
    assert str(info.value) == f"kubeconfig {tmp_path / 'nope'} does not exist (pass --kubeconfig PATH)"


def test_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path / "kc", ["staging", "prod"], "prod")
    with pytest.raises(ProviderError) as info:
        ExistingProvider(kubeconfig=path, context="dev").start()
    assert str(info.value) == f"kubeconfig {path} has no context 'dev'; it has: staging, prod"


def test_context_is_pinned_for_gateways(apiserver: object, tmp_path: Path) -> None:
    """--context must reach gateways and kubectl too, which read only the current context."""
    source = yaml.safe_load(Path(apiserver.kubeconfig).read_text())
    source["contexts"].append({"name": "other", "context": {"cluster": "nowhere", "user": "nobody"}})
    chosen = source["current-context"]
    source["current-context"] = "other"
    path = tmp_path / "kc.yaml"
    path.write_text(yaml.safe_dump(source))
    with ExistingProvider(kubeconfig=path, context=chosen, pod_timeout=10, namespace_timeout=10) as provider:
        pinned = yaml.safe_load(provider.kubeconfig.read_text())
        assert provider.kubeconfig != path
        assert pinned["current-context"] == chosen
    assert yaml.safe_load(path.read_text())["current-context"] == "other"  # the user's file untouched


def test_unreachable_cluster_fails_preflight_in_one_line(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path / "kc", ["c"], "c")
    with pytest.raises(ProviderError) as info:
        ExistingProvider(kubeconfig=path).start()
    assert str(info.value).startswith("existing cluster at http://127.0.0.1:9: cannot list pods: ")
    assert "\n" not in str(info.value)


def test_concurrent_embedded_clusters_hand_out_their_own_ip_blocks(tmp_path: Path) -> None:
    """Two runs on one machine (two embedded providers) must not put workers on the same ip:port: each
    server counts pod IPs from its own random 127.R.S.2 block, never the default 127.0.0.x."""
    from fixtures.clusters.embedded import EmbeddedProvider

    with (
        EmbeddedProvider(workdir=tmp_path / "one") as one,
        EmbeddedProvider(workdir=tmp_path / "two") as two,
        one.namespace() as ns_one,
        two.namespace() as ns_two,
    ):
        ip_one = pod_ip(ns_one.create_pod(PodSpec("w", port=PORT)))
        ip_two = pod_ip(ns_two.create_pod(PodSpec("w", port=PORT)))
        assert ip_one == one.server.pod_ip_start and ip_two == two.server.pod_ip_start
        assert not str(ip_one).startswith("127.0.") and not str(ip_two).startswith("127.0.")
        assert ip_one != ip_two
