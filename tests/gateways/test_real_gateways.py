"""smg 1.13.0 and sglang-router 0.3.2 from PyPI, driven against the embedded API server.

Why: issue 3's proof that kube-rs accepts the embedded server (a Ready pod matching `--selector`
shows in the gateway's `GET /workers` with its 127.0.0.N address), and issue 4's driver promises:
a refused configuration is a fast GatewayRejected carrying the gateway's own message, smg's
effective igw_mode is read from its log, versions come from the binaries, and the command driver
with examples/smg-1.13.0.yaml behaves like the built-in smg driver. The gateways are installed on
first use into .gateways/ (about 10 s and 20 s).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fixtures.gateways import GatewayRejected, get_driver
from reference import Pools, Worker
from tests.gateways.conftest import discovery, regular, wait_for

pytestmark = pytest.mark.gateway

SMG_YAML = str(Path(__file__).resolve().parents[2] / "fixtures/gateways/examples/smg-1.13.0.yaml")
GATEWAYS = ["smg", "sglang-router", SMG_YAML]
VERSIONS = {"smg": "smg 1.13.0", "sglang-router": "sgl-model-gateway 0.3.2", SMG_YAML: "smg 1.13.0"}


@pytest.mark.parametrize("name", GATEWAYS, ids=["smg", "sglang-router", "smg-yaml"])
def test_version_comes_from_the_binary(name):
    assert get_driver(name).version() == VERSIONS[name]


@pytest.mark.parametrize("name", GATEWAYS, ids=["smg", "sglang-router", "smg-yaml"])
def test_discovers_ready_pod_matching_selector(cluster, start_gateway, name):
    cluster.pod("other", {"app": "other"})
    gw = start_gateway(get_driver(name), discovery(cluster.port, selector={"app": "sglang"}))
    started = time.monotonic()
    url = cluster.pod("reg-a", {"app": "sglang", "role": "regular"})
    wait_for(lambda: gw.pools() == regular(url), timeout=20, what=f"{url} in {name}'s /workers")
    print(f"{name}: started in {gw.startup_seconds:.2f} s, discovered in {time.monotonic() - started:.2f} s")
    assert url.startswith("http://127.") and not url.startswith("http://127.0.0.1:")  # a loopback pod IP


@pytest.mark.parametrize("name", GATEWAYS, ids=["smg", "sglang-router", "smg-yaml"])
def test_empty_selector_is_rejected_with_the_gateways_message(apiserver, tmp_path, name):
    driver = get_driver(name)
    driver.version()  # install outside the timed part
    started = time.monotonic()
    with pytest.raises(GatewayRejected) as info:
        driver.start(discovery(8000), kubeconfig=apiserver.kubeconfig, workdir=tmp_path)
    assert time.monotonic() - started < 15
    assert info.value.message == (
        "Configuration error: Validation failed: "
        "Regular mode with service discovery requires a non-empty selector"
    )
    assert info.value.exit_code == 1


@pytest.mark.parametrize("name", ["smg", SMG_YAML], ids=["smg", "smg-yaml"])
def test_smg_runs_with_igw_on_whenever_discovery_is_on(cluster, start_gateway, name):
    gw = start_gateway(get_driver(name), discovery(cluster.port, selector={"app": "sglang"}, igw_mode=False))
    assert gw.requested_config.igw_mode is False
    assert gw.effective_config.igw_mode is True


def test_sglang_router_keeps_igw_as_requested(cluster, start_gateway):
    gw = start_gateway(get_driver("sglang-router"), discovery(cluster.port, selector={"app": "sglang"}))
    assert gw.effective_config.igw_mode is False


@pytest.mark.parametrize("name", ["smg", "sglang-router"])
def test_pd_mode_classifies_with_bootstrap_port(cluster, start_gateway, name):
    cfg = discovery(
        cluster.port,
        pd_mode=True,
        prefill_selector={"app": "sglang", "component": "prefill"},
        decode_selector={"app": "sglang", "component": "decode"},
    )
    gw = start_gateway(get_driver(name), cfg)
    pre = cluster.pod(
        "pre", {"app": "sglang", "component": "prefill"}, annotations={"sglang.ai/bootstrap-port": "8998"}
    )
    dec = cluster.pod("dec", {"app": "sglang", "component": "decode"})
    expected = Pools(
        regular=frozenset(), prefill=frozenset({Worker(pre, 8998)}), decode=frozenset({Worker(dec, None)})
    )
    wait_for(lambda: gw.pools() == expected, timeout=20, what=f"{expected} in {name}'s /workers")
