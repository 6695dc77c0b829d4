"""The existing-cluster provider, run against the embedded API server as "someone else's cluster":
the provider gets a kubeconfig and nothing else; pods come from the manifests' worker templates.

With `--cluster-provider kind` / `existing` (`tox -e kind`) the same contract tests run on that
cluster instead (fixture `real_cluster`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fixtures.clusters import ClusterProvider, PodSpec, ProviderError
from fixtures.clusters.existing import ExistingProvider
from fixtures.clusters.podview import condition, is_ready, phase, pod_ip
from fixtures.clusters.templates import READINESS_GATE


@pytest.fixture
def real_cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClusterProvider]:
    """The session's kind/existing cluster when chosen, else an ExistingProvider on a fresh embedded
    API server (started here, stopped afterwards) that only sees its kubeconfig."""
    if request.config.getoption("--cluster-provider", default="embedded") in ("kind", "existing"):
        yield request.getfixturevalue("cluster")
        return
    from fixtures.apiserver import EmbeddedAPIServer

    server = EmbeddedAPIServer(kubelet=True).start()
    try:
        kubeconfig = tmp_path / "someone-elses-kubeconfig.yaml"
        server.write_kubeconfig(kubeconfig)
        with ExistingProvider(kubeconfig=kubeconfig, pod_timeout=10, namespace_timeout=10) as provider:
            yield provider
    finally:
        server.stop()


def test_preflight_passes_and_leaves_no_namespace(real_cluster: ClusterProvider) -> None:
    names = [ns.metadata.name for ns in real_cluster.core().list_namespace().items]
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
        assert pod["metadata"]["labels"] == {"app": "sglang"}
        name = ns.name
    assert all(n.metadata.name != name for n in real_cluster.core().list_namespace().items)


def test_pending_pod_is_unschedulable_without_ip(real_cluster: ClusterProvider) -> None:
    if isinstance(real_cluster, ExistingProvider) and "127.0.0.1" in real_cluster.server_url():
        pytest.skip(
            "the embedded kubelet does not evaluate nodeSelector yet (container-runtime hook pending)"
        )
    with real_cluster.namespace() as ns:
        pod = ns.create_pod(PodSpec("pend", phase="Pending"))
        assert phase(pod) == "Pending" and pod_ip(pod) is None


def test_keep_resources_leaves_the_namespace(real_cluster: ClusterProvider) -> None:
    real_cluster.keep_resources = True
    try:
        ns = real_cluster.namespace()
        ns.close()
        assert ns.exists()
    finally:
        real_cluster.keep_resources = False
    real_cluster.core().delete_namespace(ns.name)


def _kubeconfig(path: Path, contexts: list[str], current: str | None) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9"}}],
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
    source = yaml.safe_load(Path(apiserver.kubeconfig).read_text())  # type: ignore[attr-defined]
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
