"""expected_pools / expectation: the desired state and the warnings on the way, row by row.

Rows marked "upstream: NAME" re-express upstream's reconcile tests (sgl-project/sglang
sgl-model-gateway/src/service_discovery.rs, commit 09d3b255) as desired-state rows.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from reference import (
    PD_SELECTORS_EMPTY,
    REGULAR_SELECTOR_EMPTY,
    Expectation,
    Pools,
    Semantics,
    ServiceDiscoveryConfig,
    Worker,
    expectation,
    expected_pools,
)
from tests.reference._pods import ABSENT, BOOTSTRAP, pd_config, pod

APP = {"app": "sglang"}
REG = {"app": "regular-worker"}
PR, PRE = Semantics.PR_25294, Semantics.PRE_25294


def labelled(name: str, ip: str, labels: dict[str, str], **fields: Any) -> dict[str, Any]:
    return pod(name, ip, labels=labels, **fields)


def pre(name: str, ip: str, port: Any = ABSENT, **fields: Any) -> dict[str, Any]:
    annotations = {} if port is ABSENT else {BOOTSTRAP: port}
    return pod(name, ip, labels={"app": "sglang", "component": "prefill"}, annotations=annotations, **fields)


def dec(name: str, ip: str, **fields: Any) -> dict[str, Any]:
    return pod(name, ip, labels={"app": "sglang", "component": "decode"}, **fields)


REGULAR = ServiceDiscoveryConfig(enabled=True, selector=APP, port=8000)

# (id, pods, config, expected pools)
ROWS: list[tuple[str, list[dict[str, Any]], ServiceDiscoveryConfig, Pools]] = [
    ("no-pods", [], REGULAR, Pools.empty()),
    # upstream: test_reconcile_adds_listed_pods_and_removes_absent_ones (the listed healthy pod)
    (
        "regular-healthy",
        [labelled("a", "127.0.0.2", APP)],
        REGULAR,
        Pools(regular={Worker("http://127.0.0.2:8000")}),
    ),
    ("not-ready", [labelled("a", "127.0.0.2", APP, ready="False")], REGULAR, Pools.empty()),
    ("no-conditions", [labelled("a", "127.0.0.2", APP, ready=ABSENT)], REGULAR, Pools.empty()),
    ("pending-but-ready", [labelled("a", "127.0.0.2", APP, phase="Pending")], REGULAR, Pools.empty()),
    ("failed", [labelled("a", "127.0.0.2", APP, phase="Failed")], REGULAR, Pools.empty()),
    ("missing-phase", [labelled("a", "127.0.0.2", APP, phase=ABSENT)], REGULAR, Pools.empty()),
    ("no-ip", [labelled("a", ABSENT, APP)], REGULAR, Pools.empty()),
    ("no-name", [labelled(ABSENT, "127.0.0.2", APP)], REGULAR, Pools.empty()),
    ("no-status", [labelled("a", "127.0.0.2", APP, status=False)], REGULAR, Pools.empty()),
    # upstream: test_reconcile_treats_terminating_pod_as_absent
    (
        "terminating",
        [labelled("a", "127.0.0.2", APP, deletion="2026-01-01T00:00:00Z")],
        REGULAR,
        Pools.empty(),
    ),
    ("not-matching", [labelled("a", "127.0.0.2", {"app": "other"})], REGULAR, Pools.empty()),
    (
        "namespace-filter",
        [
            labelled("a", "127.0.0.2", APP, namespace="ns-a"),
            labelled("b", "127.0.0.3", APP, namespace="ns-b"),
            labelled("c", "127.0.0.4", APP),  # no namespace: "default"
        ],
        ServiceDiscoveryConfig(selector=APP, namespace="ns-a"),
        Pools(regular={Worker("http://127.0.0.2:8000")}),
    ),
    (
        "default-namespace-for-missing",
        [labelled("c", "127.0.0.4", APP), labelled("d", "127.0.0.5", APP, namespace="ns-b")],
        ServiceDiscoveryConfig(selector=APP, namespace="default"),
        Pools(regular={Worker("http://127.0.0.4:8000")}),
    ),
    (
        "all-namespaces",
        [
            labelled("a", "127.0.0.2", APP, namespace="ns-a"),
            labelled("b", "127.0.0.3", APP, namespace="ns-b"),
        ],
        REGULAR,
        Pools(regular={Worker("http://127.0.0.2:8000"), Worker("http://127.0.0.3:8000")}),
    ),
    (
        "regular-mode-prefill-annotation-ignored",
        [pre("p", "127.0.0.2", "8998")],
        REGULAR,
        Pools(regular={Worker("http://127.0.0.2:8000")}),
    ),
    (
        "pd-pools-and-bootstrap",
        [
            pre("pre-a", "127.0.0.2", "8998"),
            pre("pre-b", "127.0.0.3"),  # no annotation
            pre("pre-c", "127.0.0.4", "abc"),  # invalid annotation
            dec("dec-a", "127.0.0.5"),
            labelled("reg-a", "127.0.0.6", REG),
            labelled("other", "127.0.0.7", {"app": "x"}),
        ],
        pd_config(port=18000),
        Pools(
            prefill={
                Worker("http://127.0.0.2:18000", 8998),
                Worker("http://127.0.0.3:18000"),
                Worker("http://127.0.0.4:18000"),
            },
            decode={Worker("http://127.0.0.5:18000")},
        ),
    ),
    (
        "pd-igw-mixed",
        [pre("pre-a", "127.0.0.2", "8998"), dec("dec-a", "127.0.0.3"), labelled("reg-a", "127.0.0.4", REG)],
        pd_config(port=18000, igw_mode=True, selector=REG),
        Pools(
            regular={Worker("http://127.0.0.4:18000")},
            prefill={Worker("http://127.0.0.2:18000", 8998)},
            decode={Worker("http://127.0.0.3:18000")},
        ),
    ),
    (
        "pd-igw-both-empty-regular-only",
        [pre("pre-a", "127.0.0.2", "8998"), labelled("reg-a", "127.0.0.4", REG)],
        pd_config(prefill_selector={}, decode_selector={}, igw_mode=True, selector=REG),
        Pools(regular={Worker("http://127.0.0.4:8080")}),
    ),
    (
        "pd-igw-selector-matches-prefill-pod",  # prefill wins over the regular selector
        [pre("pre-a", "127.0.0.2", "8998")],
        pd_config(igw_mode=True, selector=APP),
        Pools(prefill={Worker("http://127.0.0.2:8080", 8998)}),
    ),
    (
        "same-ip-same-role-collapses",
        [labelled("a", "127.0.0.2", APP), labelled("b", "127.0.0.2", APP)],
        REGULAR,
        Pools(regular={Worker("http://127.0.0.2:8000")}),
    ),
]


@pytest.mark.parametrize(("pods", "config", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_expected_pools(pods: list[dict[str, Any]], config: ServiceDiscoveryConfig, expected: Pools) -> None:
    assert expected_pools(pods, config) == expected


def test_pre_25294_drops_regular_pods_in_pd_igw_mode() -> None:
    pods = [pre("pre-a", "127.0.0.2", "8998"), labelled("reg-a", "127.0.0.4", REG)]
    config = pd_config(igw_mode=True, selector=REG)
    assert expected_pools(pods, config, semantics=PRE) == Pools(
        prefill={Worker("http://127.0.0.2:8080", 8998)}
    )
    assert expected_pools(pods, config).regular == {Worker("http://127.0.0.4:8080")}


def test_expected_pools_accepts_any_iterable() -> None:
    pods = (labelled(f"p{i}", f"127.0.0.{i}", APP) for i in (2, 3))
    assert expected_pools(pods, REGULAR).all_urls() == {"http://127.0.0.2:8000", "http://127.0.0.3:8000"}


# (id, pods, config, semantics, the should_include warnings the gateway logs while judging them)
WARNING_ROWS: list[tuple[str, list[dict[str, Any]], ServiceDiscoveryConfig, Semantics, tuple[str, ...]]] = [
    ("regular-ok", [labelled("a", "127.0.0.2", APP)], REGULAR, PR, ()),
    ("regular-empty-no-pods", [], ServiceDiscoveryConfig(enabled=True), PR, ()),
    (
        "regular-empty-one-pod",  # two pods, one warning: each text once
        [labelled("a", "127.0.0.2", APP), labelled("b", "127.0.0.3", APP)],
        ServiceDiscoveryConfig(enabled=True),
        PR,
        (REGULAR_SELECTOR_EMPTY,),
    ),
    (
        "pd-empty-terminating-pod-still-heard-of",
        [labelled("a", "127.0.0.2", APP, deletion="2026-01-01T00:00:00Z")],
        pd_config(prefill_selector={}, decode_selector={}),
        PR,
        (PD_SELECTORS_EMPTY,),
    ),
    (
        "pd-empty-pod-in-another-namespace-unheard",
        [labelled("a", "127.0.0.2", APP, namespace="elsewhere")],
        pd_config(prefill_selector={}, decode_selector={}, namespace="default"),
        PR,
        (),
    ),
    (
        "pd-igw-both-empty-selector-no-warning",
        [labelled("reg-a", "127.0.0.4", REG)],
        pd_config(prefill_selector={}, decode_selector={}, igw_mode=True, selector=REG),
        PR,
        (),
    ),
    (
        "pd-igw-both-empty-selector-pre-warns",
        [labelled("reg-a", "127.0.0.4", REG)],
        pd_config(prefill_selector={}, decode_selector={}, igw_mode=True, selector=REG),
        PRE,
        (PD_SELECTORS_EMPTY,),
    ),
]


@pytest.mark.parametrize(
    ("pods", "config", "semantics", "warnings"),
    [r[1:] for r in WARNING_ROWS],
    ids=[r[0] for r in WARNING_ROWS],
)
def test_expectation_carries_the_per_pod_warnings_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
    pods: list[dict[str, Any]],
    config: ServiceDiscoveryConfig,
    semantics: Semantics,
    warnings: tuple[str, ...],
) -> None:
    with caplog.at_level(logging.DEBUG, logger="reference"):
        result = expectation(pods, config, semantics=semantics)
        pools = expected_pools(pods, config, semantics=semantics)
    assert result == Expectation(pools=pools, warnings=warnings)
    assert caplog.record_tuples == []
