"""The pre-run config lint: the comma pitfall and upstream's PD-without-IGW warning."""

from __future__ import annotations

from fixtures.gateways import lint_config
from reference import ServiceDiscoveryConfig


def test_comma_joined_selector_names_the_flag_and_the_fix():
    cfg = ServiceDiscoveryConfig(enabled=True, selector={"app": "sglang,role=regular"})
    warnings = lint_config(cfg)
    assert len(warnings) == 1
    assert "--selector" in warnings[0]
    assert "'sglang,role=regular'" in warnings[0]
    assert warnings[0].endswith("did you mean --selector app=sglang role=regular")


def test_comma_pitfall_in_pd_selectors_names_that_flag():
    cfg = ServiceDiscoveryConfig(
        enabled=True,
        pd_mode=True,
        prefill_selector={"app": "a,component=prefill"},
        decode_selector={"c": "d"},
    )
    (warning,) = lint_config(cfg)
    assert warning.startswith("--prefill-selector ")
    assert "did you mean --prefill-selector app=a component=prefill" in warning


def test_selector_in_pd_mode_without_igw_gets_upstreams_warning():
    cfg = ServiceDiscoveryConfig(
        enabled=True, pd_mode=True, selector={"app": "x"}, prefill_selector={"r": "p"}
    )
    (warning,) = lint_config(cfg)
    assert "--selector is set in PD mode without IGW mode enabled" in warning
    assert "selector will be ignored" in warning


def test_clean_config_has_no_warnings():
    cfg = ServiceDiscoveryConfig(enabled=True, pd_mode=True, igw_mode=True, selector={"app": "x"})
    assert lint_config(cfg) == []
