"""should_include and warn_if_misconfigured under both semantics: the decisions as data (``inclusion``,
``misconfiguration_warnings``) and the logging layer on top (warnings captured from logger ``reference``).

Rows marked "upstream: NAME" re-express an assertion of upstream's own unit test NAME in
sgl-model-gateway/src/service_discovery.rs (sgl-project/sglang, commit 09d3b255).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from reference import (
    PD_SELECTORS_EMPTY,
    REGULAR_SELECTOR_EMPTY,
    SELECTOR_IGNORED_WITHOUT_IGW,
    Inclusion,
    PodInfo,
    PodType,
    Semantics,
    ServiceDiscoveryConfig,
    inclusion,
    inclusion_warning,
    misconfiguration_warnings,
    should_include,
    warn_if_misconfigured,
)
from tests.reference._pods import pd_config, pd_pod, pod, regular_pod

PR, PRE = Semantics.PR_25294, Semantics.PRE_25294
REG = {"app": "regular-worker"}

# (id, pod, config, included under PR_25294, included under PRE_25294, warning logged or None)
CASES: list[tuple[str, dict[str, Any], ServiceDiscoveryConfig, bool, bool, str | None]] = [
    # upstream: test_pod_info_should_include (PD config: prefill, decode, unmatched)
    ("pd-prefill", pd_pod("prefill-pod", "10.0.0.1", "prefill", 8081), pd_config(), True, True, None),
    ("pd-decode", pd_pod("decode-pod", "10.0.0.2", "decode"), pd_config(), True, True, None),
    ("pd-unmatched", pd_pod("other-pod", "10.0.0.3", "other"), pd_config(), False, False, None),
    # upstream: test_pod_info_should_include (regular config app=sglang, pod component=worker)
    (
        "regular-match",
        pd_pod("worker-pod", "10.0.0.4", "worker"),
        ServiceDiscoveryConfig(selector={"app": "sglang"}),
        True,
        True,
        None,
    ),
    (
        "regular-miss",
        regular_pod("r", "10.0.0.4"),
        ServiceDiscoveryConfig(selector={"app": "sglang"}),
        False,
        False,
        None,
    ),
    # regular mode ignores igw_mode and the PD selectors
    (
        "regular-ignores-pd-selectors",
        pd_pod("p", "10.0.0.1", "prefill"),
        pd_config(pd_mode=False, selector=REG, igw_mode=True),
        False,
        False,
        None,
    ),
    (
        "regular-empty-selector-warns",
        pd_pod("p", "10.0.0.1", "prefill"),
        pd_config(pd_mode=False, igw_mode=True),
        False,
        False,
        REGULAR_SELECTOR_EMPTY,
    ),
    # upstream: test_should_include_regular_pod_in_pd_igw_mode and
    # test_should_include_mixed_pd_igw_regular_pod_included (PRE: igw_mode did not exist)
    (
        "pd-igw-regular",
        regular_pod("regular-pod", "10.0.0.5"),
        pd_config(igw_mode=True, selector=REG),
        True,
        False,
        None,
    ),
    # upstream: test_should_exclude_regular_pod_in_pd_mode_without_igw and
    # test_should_include_mixed_pd_no_igw_regular_pod_excluded
    (
        "pd-no-igw-regular",
        regular_pod("regular-pod", "10.0.0.5"),
        pd_config(selector=REG),
        False,
        False,
        None,
    ),
    ("pd-igw-no-selector", regular_pod("r", "10.0.0.5"), pd_config(igw_mode=True), False, False, None),
    (
        "pd-igw-prefill-still",
        pd_pod("p", "10.0.0.1", "prefill"),
        pd_config(igw_mode=True, selector=REG),
        True,
        True,
        None,
    ),
    (
        "pd-igw-neither",
        pod("n", labels={"app": "x"}),
        pd_config(igw_mode=True, selector=REG),
        False,
        False,
        None,
    ),
    # both PD selectors empty: the edge case the PR's review fixed
    (
        "both-empty-igw-selector-regular",
        regular_pod("r", "10.0.0.5"),
        pd_config(prefill_selector={}, decode_selector={}, igw_mode=True, selector=REG),
        True,
        False,
        None,  # PR: no warning; PRE warns (checked below)
    ),
    (
        "both-empty-igw-selector-other",
        pd_pod("p", "10.0.0.1", "prefill"),
        pd_config(prefill_selector={}, decode_selector={}, igw_mode=True, selector=REG),
        False,
        False,
        None,
    ),
    (
        "both-empty-igw-no-selector",
        regular_pod("r", "10.0.0.5"),
        pd_config(prefill_selector={}, decode_selector={}, igw_mode=True),
        False,
        False,
        PD_SELECTORS_EMPTY,
    ),
    (
        "both-empty-no-igw-selector",
        regular_pod("r", "10.0.0.5"),
        pd_config(prefill_selector={}, decode_selector={}, selector=REG),
        False,
        False,
        PD_SELECTORS_EMPTY,
    ),
    (
        "both-empty-nothing",
        regular_pod("r", "10.0.0.5"),
        pd_config(prefill_selector={}, decode_selector={}),
        False,
        False,
        PD_SELECTORS_EMPTY,
    ),
    # one PD selector empty is fine: the other still matches
    ("prefill-only", pd_pod("p", "1", "prefill"), pd_config(decode_selector={}), True, True, None),
    ("decode-only", pd_pod("d", "1", "decode"), pd_config(prefill_selector={}), True, True, None),
    (
        "decode-only-prefill-pod",
        pd_pod("p", "1", "prefill"),
        pd_config(prefill_selector={}),
        False,
        False,
        None,
    ),
    # inclusion does not look at health or IP: those are decided later
    ("unhealthy-still-included", pd_pod("p", "1", "decode") | {"status": {}}, pd_config(), True, True, None),
]


@pytest.mark.parametrize(
    ("pod_", "config", "included"), [(c[1], c[2], c[3]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_should_include_pr_25294(
    pod_: dict[str, Any], config: ServiceDiscoveryConfig, included: bool
) -> None:
    assert should_include(pod_, config) is included
    assert should_include(pod_, config, semantics=PR) is included


@pytest.mark.parametrize(
    ("pod_", "config", "included"), [(c[1], c[2], c[4]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_should_include_pre_25294(
    pod_: dict[str, Any], config: ServiceDiscoveryConfig, included: bool
) -> None:
    assert should_include(pod_, config, semantics=PRE) is included


@pytest.mark.parametrize(
    ("pod_", "config", "warning"), [(c[1], c[2], c[5]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_should_include_warnings_pr_25294(
    caplog: pytest.LogCaptureFixture,
    pod_: dict[str, Any],
    config: ServiceDiscoveryConfig,
    warning: str | None,
) -> None:
    with caplog.at_level(logging.WARNING, logger="reference"):
        should_include(pod_, config)
    expected = [] if warning is None else [("reference", logging.WARNING, warning)]
    assert caplog.record_tuples == expected


@pytest.mark.parametrize(
    ("pod_", "config", "included", "warning"),
    [(c[1], c[2], c[3], c[5]) for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_inclusion_is_the_decision_as_data_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
    pod_: dict[str, Any],
    config: ServiceDiscoveryConfig,
    included: bool,
    warning: str | None,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="reference"):
        decision = inclusion(pod_, config)
        assert inclusion_warning(config) == warning
    assert decision == Inclusion(included=included, warning=warning)
    assert caplog.record_tuples == []


def test_inclusion_pre_25294_warns_when_both_pd_selectors_empty_even_with_igw() -> None:
    config = pd_config(prefill_selector={}, decode_selector={}, igw_mode=True, selector=REG)
    pod_ = regular_pod("r", "10.0.0.5")
    assert inclusion(pod_, config, semantics=PRE) == Inclusion(False, PD_SELECTORS_EMPTY)
    assert inclusion(pod_, config) == Inclusion(True, None)


def test_pre_25294_warns_when_both_pd_selectors_empty_even_with_igw(caplog: pytest.LogCaptureFixture) -> None:
    config = pd_config(prefill_selector={}, decode_selector={}, igw_mode=True, selector=REG)
    with caplog.at_level(logging.WARNING, logger="reference"):
        assert should_include(regular_pod("r", "10.0.0.5"), config, semantics=PRE) is False
    assert caplog.record_tuples == [("reference", logging.WARNING, PD_SELECTORS_EMPTY)]


def test_warning_is_logged_on_every_call_like_per_pod_events(caplog: pytest.LogCaptureFixture) -> None:
    config = ServiceDiscoveryConfig()
    with caplog.at_level(logging.WARNING, logger="reference"):
        for index in range(3):
            should_include(pod(f"p{index}"), config)
    assert [record.getMessage() for record in caplog.records] == [REGULAR_SELECTOR_EMPTY] * 3


def test_pd_igw_regular_pod_is_typed_regular() -> None:
    # upstream: test_should_include_regular_pod_in_pd_igw_mode (second half)
    info = PodInfo.from_pod(regular_pod("regular-pod", "10.0.0.5"), pd_config(igw_mode=True, selector=REG))
    assert info is not None
    assert info.pod_type is PodType.REGULAR


def test_warning_texts_are_upstreams() -> None:
    assert PD_SELECTORS_EMPTY == "PD mode enabled but both prefill_selector and decode_selector are empty"
    assert REGULAR_SELECTOR_EMPTY == "Regular mode enabled but selector is empty"
    assert SELECTOR_IGNORED_WITHOUT_IGW == (
        "--selector is set in PD mode without IGW mode enabled; regular worker discovery alongside PD "
        "workers requires IGW mode, selector will be ignored"
    )


# (pd_mode, igw_mode, selector non-empty) -> warns under PR_25294
@pytest.mark.parametrize(
    ("pd_mode", "igw_mode", "selector", "warns"),
    [
        (True, False, REG, True),
        (True, True, REG, False),
        (True, False, {}, False),
        (True, True, {}, False),
        (False, False, REG, False),
        (False, True, REG, False),
        (False, False, {}, False),
        (False, True, {}, False),
    ],
)
def test_warn_if_misconfigured(
    caplog: pytest.LogCaptureFixture, pd_mode: bool, igw_mode: bool, selector: dict[str, str], warns: bool
) -> None:
    config = pd_config(pd_mode=pd_mode, igw_mode=igw_mode, selector=selector)
    with caplog.at_level(logging.WARNING, logger="reference"):
        warnings = warn_if_misconfigured(config)
        pre_warnings = warn_if_misconfigured(config, semantics=PRE)
    expected = [SELECTOR_IGNORED_WITHOUT_IGW] if warns else []
    assert warnings == expected
    assert pre_warnings == []
    assert caplog.record_tuples == [("reference", logging.WARNING, message) for message in expected]


def test_misconfiguration_warnings_are_data_and_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    config = pd_config(selector=REG)
    with caplog.at_level(logging.DEBUG, logger="reference"):
        assert misconfiguration_warnings(config) == [SELECTOR_IGNORED_WITHOUT_IGW]
        assert misconfiguration_warnings(config, semantics=PRE) == []
        assert misconfiguration_warnings(pd_config(selector=REG, igw_mode=True)) == []
    assert caplog.record_tuples == []


def test_warn_if_misconfigured_ignores_pd_selectors_being_empty() -> None:
    config = pd_config(prefill_selector={}, decode_selector={}, selector=REG)
    assert warn_if_misconfigured(config) == [SELECTOR_IGNORED_WITHOUT_IGW]


@pytest.mark.parametrize(
    ("text", "member"),
    [("pr-25294", PR), ("pre-25294", PRE), ("PRE_25294", PRE), ("PR_25294", PR)],
)
def test_semantics_parse(text: str, member: Semantics) -> None:
    assert Semantics.parse(text) is member


def test_semantics_values_and_unknown_name() -> None:
    assert [str(member) for member in Semantics] == ["pr-25294", "pre-25294"]
    with pytest.raises(ValueError, match=r"^unknown semantics 'v2'; choose one of: pr-25294, pre-25294$"):
        Semantics.parse("v2")
