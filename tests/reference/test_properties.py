"""Hypothesis properties of the reference, driven by the config-aware strategies in
conformance/strategies.py (pods derived from the selectors: hits, supersets and near misses).

Each property carries ``@example``s for the documented corners, so they run on every seed.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conformance.strategies import (
    configs_and_pods,
    discovery_configs,
    label_keys,
    label_values,
    make_pod,
    pods_for,
    selectors,
)
from reference import (
    SELECTOR_IGNORED_WITHOUT_IGW,
    Pools,
    Semantics,
    ServiceDiscoveryConfig,
    expectation,
    expected_pools,
    inclusion,
    inclusion_warning,
    matches_selector,
    misconfiguration_warnings,
    should_include,
    warn_if_misconfigured,
)

Batch = tuple[ServiceDiscoveryConfig, list[dict[str, Any]]]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

APP = {"app": "sglang"}
REG = {"app": "regular-worker"}
PREFILL = {"app": "sglang", "component": "prefill"}
DECODE = {"app": "sglang", "component": "decode"}


def _pod(index: int, labels: dict[str, str], **fields: Any) -> dict[str, Any]:
    return make_pod(name=f"pod-{index}", ip=f"127.0.0.{index + 2}", labels=labels, **fields)


PD_IGW_BOTH_EMPTY: Batch = (
    ServiceDiscoveryConfig(pd_mode=True, igw_mode=True, selector=REG),
    [_pod(0, REG), _pod(1, PREFILL)],
)
PD_NO_IGW_WITH_SELECTOR: Batch = (
    ServiceDiscoveryConfig(pd_mode=True, selector=REG, prefill_selector=PREFILL, decode_selector=DECODE),
    [_pod(0, REG), _pod(1, PREFILL, annotations={"sglang.ai/bootstrap-port": "8998"}), _pod(2, DECODE)],
)
COMMA_PITFALL: Batch = (
    ServiceDiscoveryConfig(selector={"app": "sglang,role=regular"}),
    [_pod(0, {"app": "sglang", "role": "regular"})],
)
CORNERS: Batch = (
    ServiceDiscoveryConfig(
        pd_mode=True, igw_mode=True, selector=APP, prefill_selector=PREFILL, decode_selector=APP
    ),
    [
        _pod(0, PREFILL, annotations={"sglang.ai/bootstrap-port": "abc"}),  # invalid annotation
        _pod(1, DECODE, phase="Pending"),  # Ready but Pending
        _pod(2, APP, phase=None),  # no phase
        _pod(3, APP, ready=None),  # no conditions
        _pod(4, APP, deletion_timestamp="2026-01-01T00:00:00Z"),
        _pod(5, PREFILL, annotations={"sglang.ai/bootstrap-port": "70000"}),
    ],
)


@st.composite
def batches_with_extra_labels(
    draw: st.DrawFn,
) -> tuple[ServiceDiscoveryConfig, list[dict[str, Any]], list[dict[str, str]]]:
    """A batch plus, per pod, labels under keys the pod does not have yet."""
    config, pods = draw(configs_and_pods())
    extras = []
    for pod in pods:
        existing = pod["metadata"].get("labels") or {}
        extra = draw(st.dictionaries(label_keys(), label_values(), max_size=3))
        extras.append({key: value for key, value in extra.items() if key not in existing})
    return config, pods, extras


def _with_labels(pod: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
    grown = copy.deepcopy(pod)
    grown["metadata"]["labels"] = {**(grown["metadata"].get("labels") or {}), **extra}
    return grown


@SETTINGS
@given(batches_with_extra_labels())
@example((*PD_IGW_BOTH_EMPTY, [{"component": "prefill"}, {"tier": "a"}]))
@example((*PD_NO_IGW_WITH_SELECTOR, [{"x": "a"}, {}, {"role": "b"}]))
@example((*COMMA_PITFALL, [{"tier": "a"}]))
def test_adding_labels_never_removes_a_pod_from_the_pools(
    case: tuple[ServiceDiscoveryConfig, list[dict[str, Any]], list[dict[str, str]]],
) -> None:
    config, pods, extras = case
    for semantics in Semantics:
        before = expected_pools(pods, config, semantics=semantics).all_urls()
        grown = [_with_labels(pod, extra) for pod, extra in zip(pods, extras, strict=True)]
        after = expected_pools(grown, config, semantics=semantics).all_urls()
        assert before <= after, f"{semantics}: lost {sorted(before - after)}"


@SETTINGS
@given(configs_and_pods(pd_mode=False), selectors(), selectors(), st.booleans())
@example(COMMA_PITFALL, PREFILL, DECODE, True)
@example((ServiceDiscoveryConfig(selector={}), [_pod(0, APP)]), APP, APP, True)
def test_outside_pd_mode_pd_selectors_and_igw_do_not_matter(
    batch: Batch, prefill: dict[str, str], decode: dict[str, str], igw_mode: bool
) -> None:
    config, pods = batch
    changed = dataclasses.replace(config, prefill_selector=prefill, decode_selector=decode, igw_mode=igw_mode)
    pools = expected_pools(pods, config)
    assert expected_pools(pods, changed) == pools
    assert pools.prefill == frozenset()
    assert pools.decode == frozenset()
    assert all(worker.bootstrap_port is None for worker in pools.regular)


@SETTINGS
@given(configs_and_pods(pd_mode=True, igw_mode=False))
@example(PD_NO_IGW_WITH_SELECTOR)
@example((dataclasses.replace(PD_IGW_BOTH_EMPTY[0], igw_mode=False), PD_IGW_BOTH_EMPTY[1]))
def test_pd_mode_without_igw_never_includes_a_pod_matching_only_selector(batch: Batch) -> None:
    config, pods = batch
    urls = expected_pools(pods, config).all_urls()
    for pod in pods:
        only_selector = (
            matches_selector(pod, config.selector)
            and not matches_selector(pod, config.prefill_selector)
            and not matches_selector(pod, config.decode_selector)
        )
        if only_selector and "podIP" in pod.get("status", {}):
            assert f"http://{pod['status']['podIP']}:{config.port}" not in urls


@SETTINGS
@given(discovery_configs())
@example(PD_NO_IGW_WITH_SELECTOR[0])
@example(PD_IGW_BOTH_EMPTY[0])
@example(ServiceDiscoveryConfig(pd_mode=True))
@example(ServiceDiscoveryConfig(selector=APP))
def test_warn_if_misconfigured_warns_exactly_when_pd_on_igw_off_selector_set(
    config: ServiceDiscoveryConfig,
) -> None:
    should_warn = config.pd_mode and not config.igw_mode and bool(config.selector)
    assert warn_if_misconfigured(config) == ([SELECTOR_IGNORED_WITHOUT_IGW] if should_warn else [])
    assert warn_if_misconfigured(config, semantics=Semantics.PRE_25294) == []


@SETTINGS
@given(st.one_of(configs_and_pods(pd_mode=False), configs_and_pods(igw_mode=False)))
@example(PD_NO_IGW_WITH_SELECTOR)
@example(COMMA_PITFALL)
@example((dataclasses.replace(CORNERS[0], igw_mode=False), CORNERS[1]))
def test_semantics_agree_unless_pd_and_igw_are_both_on(batch: Batch) -> None:
    config, pods = batch
    assert expected_pools(pods, config, semantics=Semantics.PRE_25294) == expected_pools(pods, config)


@SETTINGS
@given(configs_and_pods(pd_mode=True, igw_mode=True))
@example(PD_IGW_BOTH_EMPTY)
@example(CORNERS)
def test_pr_25294_only_adds_regular_workers_to_pre_25294(batch: Batch) -> None:
    config, pods = batch
    before = expected_pools(pods, config, semantics=Semantics.PRE_25294)
    after = expected_pools(pods, config)
    assert after.prefill == before.prefill
    assert after.decode == before.decode
    assert before.regular == frozenset()  # before the PR, PD mode never had regular workers


@SETTINGS
@given(configs_and_pods())
@example(CORNERS)
def test_every_worker_comes_from_a_healthy_live_pod_of_the_watched_namespace(batch: Batch) -> None:
    config, pods = batch
    live: dict[str, dict[str, Any]] = {}
    for pod in pods:
        status, metadata = pod.get("status") or {}, pod["metadata"]
        ready = {"type": "Ready", "status": "True"} in (status.get("conditions") or [])
        in_namespace = config.namespace is None or metadata.get("namespace", "default") == config.namespace
        if (
            status.get("phase") == "Running"
            and ready
            and "podIP" in status
            and "deletionTimestamp" not in metadata
            and in_namespace
        ):
            live[f"http://{status['podIP']}:{config.port}"] = pod
    pools = expected_pools(pods, config)
    assert pools.all_urls() <= set(live)
    for worker in pools.prefill:
        annotation = live[worker.url]["metadata"].get("annotations", {}).get("sglang.ai/bootstrap-port")
        # "+8998" and "08998" are 8998 too (conformance/corners.py): the number is what must agree
        assert worker.bootstrap_port is None or int(annotation) == worker.bootstrap_port


@SETTINGS
@given(configs_and_pods())
@example(CORNERS)
def test_pools_round_trip_and_self_diff_is_empty(batch: Batch) -> None:
    config, pods = batch
    pools = expected_pools(pods, config)
    assert Pools.from_dict(pools.to_dict()) == pools
    assert not pools.diff(pools)
    assert pools.diff(Pools.empty()).missing == pools


@settings(max_examples=50, deadline=None)
@given(discovery_configs().flatmap(lambda config: st.tuples(st.just(config), pods_for(config, max_size=12))))
def test_generated_batches_have_unique_names_and_loopback_ips(batch: Batch) -> None:
    _, pods = batch
    names = [pod["metadata"]["name"] for pod in pods]
    ips = [pod["status"]["podIP"] for pod in pods if "podIP" in pod.get("status", {})]
    assert len(set(names)) == len(names)
    assert len(set(ips)) == len(ips)
    assert all(ip.startswith("127.0.0.") and ip != "127.0.0.1" for ip in ips)


@SETTINGS
@given(configs_and_pods())
@example(PD_IGW_BOTH_EMPTY)
@example((ServiceDiscoveryConfig(), [_pod(0, APP)]))
@example((dataclasses.replace(PD_IGW_BOTH_EMPTY[0], selector={}), PD_IGW_BOTH_EMPTY[1]))
def test_decisions_as_data_agree_with_the_logging_layer(batch: Batch) -> None:
    config, pods = batch
    for semantics in Semantics:
        result = expectation(pods, config, semantics=semantics)
        assert result.pools == expected_pools(pods, config, semantics=semantics)
        warning = inclusion_warning(config, semantics=semantics)
        heard_of = [
            pod
            for pod in pods
            if config.namespace is None or pod["metadata"].get("namespace", "default") == config.namespace
        ]
        assert result.warnings == ((warning,) if warning is not None and heard_of else ())
        for pod in pods:
            decision = inclusion(pod, config, semantics=semantics)
            assert decision.warning == warning
            assert decision.included is should_include(pod, config, semantics=semantics)
            assert not (decision.included and decision.warning)  # a warning always comes with "no"
        assert misconfiguration_warnings(config, semantics=semantics) == warn_if_misconfigured(
            config, semantics=semantics
        )
