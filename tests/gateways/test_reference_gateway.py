"""The reference gateway, a real process, against the embedded API server.

It must discover exactly the matching Ready pods and drop them on unready, relabel and delete; its
`never-remove` and `ignore-igw` variants must show their bugs (issue 4, "Proof"). Expected pools
here are written out from the pods the test made, never computed by the code under test.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from fixtures.gateways import GatewayExited, GatewayRejected, get_driver
from fixtures.waiting import poll
from reference import Pools, Worker
from tests.gateways.conftest import discovery, pool_urls, regular, wait_for

SETTLE_SECONDS = 1.0


def must_hold(gw, check, *, seconds: float = SETTLE_SECONDS) -> None:
    """`check(pools)` stays true for a settle window (used after a barrier has shown)."""
    for sample in poll(gw.pools, interval=0.1):
        assert check(sample.value), f"settle window broken: {sample.value}"
        if sample.elapsed >= seconds:
            return


def test_discovers_matching_ready_pod_only(cluster, start_gateway):
    other = cluster.pod("other", {"app": "other"})
    gw = start_gateway(get_driver("reference"), discovery(cluster.port, selector={"app": "sglang"}))
    reg = cluster.pod("reg-a", {"app": "sglang", "role": "regular"})  # the barrier: created after `other`
    wait_for(lambda: gw.pools() == regular(reg), timeout=5, what="reg-a listed")
    must_hold(gw, lambda p: other not in pool_urls(p)["regular"] and p == regular(reg))
    assert reg.startswith("http://127.") and reg != f"http://127.0.0.1:{cluster.port}"  # a loopback pod IP


def test_removes_on_unready_relabel_and_delete(cluster, start_gateway):
    sel = {"app": "sglang"}
    urls = {name: cluster.pod(name, dict(sel)) for name in ("a", "b", "c")}
    gw = start_gateway(get_driver("reference"), discovery(cluster.port, selector=sel))
    wait_for(lambda: gw.pools() == regular(*urls.values()), timeout=5, what="three pods listed")
    cluster.set_ready("a", False)
    wait_for(lambda: gw.pools() == regular(urls["b"], urls["c"]), timeout=5, what="a gone after unready")
    cluster.relabel("b", {"app": "elsewhere"})
    wait_for(lambda: gw.pools() == regular(urls["c"]), timeout=5, what="b gone after relabel")
    cluster.delete("c")
    wait_for(lambda: gw.pools() == Pools.empty(), timeout=5, what="c gone after delete")
    cluster.set_ready("a", True)
    wait_for(lambda: gw.pools() == regular(urls["a"]), timeout=5, what="a back when Ready again")


def test_never_remove_variant_keeps_unready_pod(cluster, start_gateway):
    sel = {"app": "sglang"}
    a = cluster.pod("a", dict(sel))
    gw = start_gateway(get_driver("reference:never-remove"), discovery(cluster.port, selector=sel))
    wait_for(lambda: gw.pools() == regular(a), timeout=5, what="a listed")
    cluster.set_ready("a", False)
    barrier = cluster.pod("barrier", dict(sel))  # events are applied in order: once it shows, a's was seen
    wait_for(lambda: barrier in pool_urls(gw.pools())["regular"], timeout=5, what="barrier listed")
    must_hold(gw, lambda p: p == regular(a, barrier))


@pytest.mark.parametrize(("variant", "finds_regular"), [("reference", True), ("reference:ignore-igw", False)])
def test_ignore_igw_variant_drops_regular_pods_in_pd_mode(cluster, start_gateway, variant, finds_regular):
    reg = cluster.pod("reg", {"app": "sglang", "role": "regular"})
    cfg = discovery(
        cluster.port,
        selector={"role": "regular"},
        pd_mode=True,
        igw_mode=True,
        prefill_selector={"component": "prefill"},
        decode_selector={"component": "decode"},
    )
    gw = start_gateway(get_driver(variant), cfg)
    pre = cluster.pod("pre", {"component": "prefill"}, annotations={"sglang.ai/bootstrap-port": "8998"})
    wait_for(lambda: gw.pools().prefill, timeout=5, what="prefill pod listed (barrier)")
    expected = Pools(
        regular=frozenset({Worker(reg, None)}) if finds_regular else frozenset(),
        prefill=frozenset({Worker(pre, 8998)}),
        decode=frozenset(),
    )
    wait_for(lambda: gw.pools() == expected, timeout=5, what=f"pools {expected}")
    must_hold(gw, lambda p: p == expected)


def test_empty_selector_is_rejected_with_the_gateways_message(apiserver, tmp_path):
    started = time.monotonic()
    with pytest.raises(GatewayRejected) as info:
        get_driver("reference").start(discovery(8000), kubeconfig=apiserver.kubeconfig, workdir=tmp_path)
    assert time.monotonic() - started < 10
    assert "Regular mode with service discovery requires a non-empty selector" in info.value.message
    assert "\n" not in str(info.value)


def test_keeps_following_after_compaction_and_dropped_watches(apiserver, cluster, start_gateway):
    sel = {"app": "sglang"}
    a = cluster.pod("a", dict(sel))
    gw = start_gateway(get_driver("reference"), discovery(cluster.port, selector=sel))
    wait_for(lambda: gw.pools() == regular(a), timeout=5, what="a listed")
    apiserver.faults.fail_lists(3, code=500)
    apiserver.faults.compact()
    apiserver.faults.drop_watches()
    b = cluster.pod("b", dict(sel))
    wait_for(lambda: gw.pools() == regular(a, b), timeout=15, what="b listed after the faults")


def test_logs_upstreams_misconfiguration_warning(cluster, start_gateway):
    cfg = discovery(cluster.port, selector={"app": "sglang"}, pd_mode=True, prefill_selector={"c": "p"})
    gw = start_gateway(get_driver("reference"), cfg)
    assert gw.lint_warnings and "selector will be ignored" in gw.lint_warnings[0]
    wait_for(lambda: "selector will be ignored" in gw.log(), timeout=5, what="warning in the log")
    assert "WARNING reference: --selector is set in PD mode without IGW mode enabled" in gw.log()


def test_pools_after_the_gateway_died_is_gateway_exited(cluster, start_gateway):
    gw = start_gateway(get_driver("reference"), discovery(cluster.port, selector={"app": "sglang"}))
    assert gw.pools() == Pools.empty()
    os.kill(gw.pid, signal.SIGKILL)
    gw.process.proc.wait(timeout=5)
    with pytest.raises(GatewayExited, match="exited with code -9"):
        gw.pools()


@pytest.mark.parametrize("scope", [None, "team-a"])
def test_namespace_scoping(cluster, start_gateway, scope):
    sel = {"app": "sglang"}
    team = cluster.namespace("team-a")
    outside = cluster.pod("outside", dict(sel))  # in "default"
    gw = start_gateway(get_driver("reference"), discovery(cluster.port, selector=sel, namespace=scope))
    inside = cluster.pod("inside", dict(sel), namespace=team)  # the barrier
    expected = regular(inside) if scope else regular(inside, outside)
    wait_for(lambda: gw.pools() == expected, timeout=5, what=f"pools {expected}")
    must_hold(gw, lambda p: p == expected)
