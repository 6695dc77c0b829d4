"""PodInfo.from_pod, is_healthy, worker_url, matches_selector and the config defaults.

Rows marked "upstream: NAME" re-express an assertion of upstream's own unit test NAME in
sgl-model-gateway/src/service_discovery.rs (sgl-project/sglang, commit 09d3b255).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from reference import PodInfo, PodType, ServiceDiscoveryConfig, matches_selector
from reference.pods import parse_u16
from tests.reference._pods import ABSENT, BOOTSTRAP, pd_config, pd_pod, pod

# (id, pod, config, expected fields of the PodInfo, or None when from_pod must give None)
FROM_POD: list[tuple[str, dict[str, Any], ServiceDiscoveryConfig | None, dict[str, Any] | None]] = [
    # upstream: test_pod_info_from_pod_valid
    (
        "valid-no-config",
        pod("test-pod", "10.0.0.1"),
        None,
        {
            "name": "test-pod",
            "ip": "10.0.0.1",
            "status": "Running",
            "is_ready": True,
            "pod_type": None,
            "bootstrap_port": None,
            "is_router": False,
            "mesh_port": None,
        },
    ),
    # upstream: test_pod_info_from_pod_with_pd_config_prefill
    (
        "pd-prefill",
        pd_pod("prefill-pod", "10.0.0.1", "prefill", 8081),
        pd_config(),
        {
            "name": "prefill-pod",
            "ip": "10.0.0.1",
            "status": "Running",
            "is_ready": True,
            "pod_type": PodType.PREFILL,
            "bootstrap_port": 8081,
        },
    ),
    # upstream: test_pod_info_from_pod_with_pd_config_decode
    (
        "pd-decode",
        pd_pod("decode-pod", "10.0.0.2", "decode"),
        pd_config(),
        {
            "name": "decode-pod",
            "ip": "10.0.0.2",
            "status": "Running",
            "is_ready": True,
            "pod_type": PodType.DECODE,
            "bootstrap_port": None,
        },
    ),
    # upstream: test_pod_info_from_pod_with_pd_config_regular_mode
    (
        "pd-config-regular-mode",
        pd_pod("regular-pod", "10.0.0.3", "worker"),
        pd_config(pd_mode=False),
        {
            "name": "regular-pod",
            "ip": "10.0.0.3",
            "status": "Running",
            "is_ready": True,
            "pod_type": PodType.REGULAR,
            "bootstrap_port": None,
        },
    ),
    # upstream: test_pod_info_from_pod_with_pd_config_unmatched_labels
    (
        "pd-unmatched-is-regular",
        pd_pod("unknown-pod", "10.0.0.4", "unknown"),
        pd_config(),
        {
            "name": "unknown-pod",
            "ip": "10.0.0.4",
            "status": "Running",
            "is_ready": True,
            "pod_type": PodType.REGULAR,
            "bootstrap_port": None,
        },
    ),
    # upstream: test_pod_info_from_pod_with_pd_config_invalid_bootstrap_port
    (
        "pd-invalid-bootstrap",
        pd_pod("prefill-pod", "10.0.0.1", "prefill", "invalid"),
        pd_config(),
        {"pod_type": PodType.PREFILL, "bootstrap_port": None},
    ),
    ("bootstrap-abc", pd_pod("p", "10.0.0.1", "prefill", "abc"), pd_config(), {"bootstrap_port": None}),
    ("bootstrap-70000", pd_pod("p", "10.0.0.1", "prefill", "70000"), pd_config(), {"bootstrap_port": None}),
    ("bootstrap-minus-1", pd_pod("p", "10.0.0.1", "prefill", "-1"), pd_config(), {"bootstrap_port": None}),
    ("bootstrap-max", pd_pod("p", "10.0.0.1", "prefill", "65535"), pd_config(), {"bootstrap_port": 65535}),
    (
        "bootstrap-decode-ignored",
        pd_pod("p", "10.0.0.1", "decode", "8998"),
        pd_config(),
        {"bootstrap_port": None},
    ),
    (
        "bootstrap-regular-mode-ignored",
        pd_pod("p", "10.0.0.1", "prefill", "8998"),
        pd_config(pd_mode=False, selector={"app": "sglang"}),
        {"pod_type": PodType.REGULAR, "bootstrap_port": None},
    ),
    (
        "bootstrap-custom-annotation",
        pod(
            "p",
            labels={"app": "sglang", "component": "prefill"},
            annotations={"x.io/bp": "9000", BOOTSTRAP: "1"},
        ),
        pd_config(bootstrap_port_annotation="x.io/bp"),
        {"bootstrap_port": 9000},
    ),
    (
        "prefill-beats-decode",
        pod("p", labels={"app": "sglang", "component": "prefill"}, annotations={BOOTSTRAP: "8998"}),
        pd_config(decode_selector={"app": "sglang"}),
        {"pod_type": PodType.PREFILL, "bootstrap_port": 8998},
    ),
    (
        "decode-when-prefill-empty",
        pod("p", labels={"app": "sglang", "component": "prefill"}),
        pd_config(prefill_selector={}, decode_selector={"app": "sglang"}),
        {"pod_type": PodType.DECODE},
    ),
    (
        "pd-no-labels-is-regular",
        pod("p"),
        pd_config(),
        {"pod_type": PodType.REGULAR},
    ),
    # upstream: test_pod_info_from_pod_not_ready
    ("not-ready", pod("test-pod", "10.0.0.1", ready="False"), None, {"is_ready": False}),
    # upstream: test_pod_info_from_pod_no_conditions
    ("no-conditions", pod("test-pod", "10.0.0.1", ready=ABSENT), None, {"is_ready": False}),
    ("ready-lowercase-true", pod("p", ready="true"), None, {"is_ready": False}),
    (
        "ready-among-other-conditions",
        {
            "metadata": {"name": "p"},
            "status": {
                "podIP": "1.2.3.4",
                "phase": "Running",
                "conditions": [
                    {"type": "PodScheduled", "status": "True"},
                    {"type": "Ready", "status": "True"},
                ],
            },
        },
        None,
        {"is_ready": True},
    ),
    (
        "other-condition-true-only",
        {
            "metadata": {"name": "p"},
            "status": {"podIP": "1.2.3.4", "conditions": [{"type": "ContainersReady", "status": "True"}]},
        },
        None,
        {"is_ready": False},
    ),
    # upstream: test_pod_info_from_pod_missing_name
    ("missing-name", pod(ABSENT, "10.0.0.1"), None, None),
    # upstream: test_pod_info_from_pod_missing_ip
    ("missing-ip", pod("test-pod", ABSENT), None, None),
    ("null-ip", pod("test-pod", None), None, None),
    (
        "missing-ip-with-config",
        pd_pod("p", "x", "prefill") | {"status": {"phase": "Running"}},
        pd_config(),
        None,
    ),
    # upstream: test_pod_info_from_pod_missing_status_phase
    ("missing-phase", pod("test-pod", "10.0.0.1", phase=ABSENT), None, {"status": "Unknown"}),
    # upstream: test_pod_info_from_pod_no_status_object
    ("no-status-object", pod("test-pod", ABSENT, phase=ABSENT, ready=ABSENT, status=False), None, None),
    ("null-status", {"metadata": {"name": "p"}, "status": None}, None, None),
    ("no-metadata", {"status": {"podIP": "1.2.3.4"}}, None, None),
    ("empty-ip-is-present", pod("p", ""), None, {"ip": ""}),
    (
        "router-pod-mesh-port",
        pod("r", labels={"app": "router"}, annotations={"sglang.ai/ha-port": "39527"}),
        ServiceDiscoveryConfig(router_selector={"app": "router"}),
        {"is_router": True, "mesh_port": 39527, "pod_type": PodType.REGULAR},
    ),
    (
        "router-empty-selector",
        pod("r", labels={"app": "router"}, annotations={"sglang.ai/ha-port": "39527"}),
        ServiceDiscoveryConfig(),
        {"is_router": False, "mesh_port": None},
    ),
]


@pytest.mark.parametrize(
    ("pod_", "config", "expected"), [row[1:] for row in FROM_POD], ids=[row[0] for row in FROM_POD]
)
def test_from_pod(
    pod_: dict[str, Any], config: ServiceDiscoveryConfig | None, expected: dict[str, Any] | None
) -> None:
    info = PodInfo.from_pod(pod_, config)
    if expected is None:
        assert info is None
        return
    assert info is not None
    assert {field: getattr(info, field) for field in expected} == expected


def _info(**changes: Any) -> PodInfo:
    fields: dict[str, Any] = {
        "name": "p1",
        "ip": "1.1.1.1",
        "status": "Running",
        "is_ready": True,
        "pod_type": None,
        "bootstrap_port": None,
        "is_router": False,
        "mesh_port": None,
    }
    fields.update(changes)
    return PodInfo(**fields)


@pytest.mark.parametrize(
    ("info", "healthy"),
    [
        (_info(), True),  # upstream: test_pod_info_is_healthy (healthy_pod)
        (_info(is_ready=False), False),  # upstream: test_pod_info_is_healthy (not_ready_pod)
        (_info(status="Pending"), False),  # upstream: test_pod_info_is_healthy (not_running_pod)
        (_info(status="Unknown"), False),
        (_info(status="Succeeded"), False),
        (_info(status="running"), False),
    ],
)
def test_is_healthy(info: PodInfo, healthy: bool) -> None:
    assert info.is_healthy() is healthy


def test_podinfo_equality_includes_pod_type() -> None:
    # upstream: test_pod_info_equality_with_pod_type
    one = _info(name="pod1", ip="1.2.3.4", pod_type=PodType.PREFILL, bootstrap_port=8081)
    same = _info(name="pod1", ip="1.2.3.4", pod_type=PodType.PREFILL, bootstrap_port=8081)
    other = _info(name="pod1", ip="1.2.3.4", pod_type=PodType.DECODE)
    assert one == same
    assert hash(one) == hash(same)
    assert one != other


def test_pod_type_members() -> None:
    # upstream: test_pod_type_enum (three distinct variants named Prefill, Decode, Regular)
    assert [member.name for member in PodType] == ["PREFILL", "DECODE", "REGULAR"]
    assert len({PodType.PREFILL, PodType.DECODE, PodType.REGULAR}) == 3


def test_worker_url() -> None:
    assert _info(ip="127.0.0.5").worker_url(18000) == "http://127.0.0.5:18000"


def test_config_defaults() -> None:
    # upstream: test_service_discovery_config_default, plus the fields it does not check
    config = ServiceDiscoveryConfig()
    assert config.enabled is False
    assert config.selector == {}
    assert config.check_interval == 60.0
    assert config.resync_interval == 30.0
    assert config.port == 8000
    assert config.namespace is None
    assert config.pd_mode is False
    assert config.prefill_selector == {}
    assert config.decode_selector == {}
    assert config.bootstrap_port_annotation == "sglang.ai/bootstrap-port"
    assert config.router_selector == {}
    assert config.router_mesh_port_annotation == "sglang.ai/ha-port"
    assert config.igw_mode is False


def test_config_selector_defaults_are_not_shared() -> None:
    first, second = ServiceDiscoveryConfig(), ServiceDiscoveryConfig()
    first.selector["app"] = "x"
    assert second.selector == {}
    assert dataclasses.replace(first, igw_mode=True).selector == {"app": "x"}


@pytest.mark.parametrize(
    ("labels", "selector", "matches"),
    [
        ({"app": "x"}, {}, False),  # empty selector matches nothing
        ({}, {}, False),
        (ABSENT, {"app": "x"}, False),  # no labels at all
        (None, {"app": "x"}, False),  # labels: null
        ({"app": "x"}, {"app": "x"}, True),
        ({"app": "x", "role": "y"}, {"app": "x"}, True),  # superset of labels
        ({"app": "x"}, {"app": "x", "role": "y"}, False),  # a selector key missing
        ({"app": "x", "role": "z"}, {"app": "x", "role": "y"}, False),  # a value differs
        ({"app": "X"}, {"app": "x"}, False),  # case-sensitive
        ({"app": ""}, {"app": ""}, True),  # the empty value is a value
        ({}, {"app": ""}, False),  # ... and a missing label is not the empty value
        ({"app": "sglang", "role": "regular"}, {"app": "sglang,role=regular"}, False),  # comma pitfall
    ],
)
def test_matches_selector(labels: Any, selector: dict[str, str], matches: bool) -> None:
    assert matches_selector(pod(labels=labels), selector) is matches


@pytest.mark.parametrize(
    ("text", "port"),
    [
        ("8998", 8998),
        ("0", 0),
        ("65535", 65535),
        ("0080", 80),
        ("+80", 80),
        ("65536", None),
        ("70000", None),
        ("-1", None),
        ("-0", None),
        ("abc", None),
        ("", None),
        (" 80", None),
        ("80 ", None),
        ("8_0", None),
        ("+", None),
        ("٨٠", None),
        ("80\n", None),
        (None, None),
    ],
)
def test_parse_u16_follows_rust(text: str | None, port: int | None) -> None:
    assert parse_u16(text) == port
