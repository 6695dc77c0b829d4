"""Features, profiles, the declaration decorator, premise checks, and the suite's own declarations."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import conformance.suite
from conformance import outcomes, premise
from conformance.features import PROFILES, Feature, UnknownProfile, profiles_of, resolve_profiles, selected_by
from conformance.registry import REGISTRY, NotExpressible, Outcome, conformance_test
from reference import ServiceDiscoveryConfig


def _load_suite() -> None:
    for mod in pkgutil.iter_modules(conformance.suite.__path__):
        importlib.import_module(f"conformance.suite.{mod.name}")


def test_every_feature_has_a_profile_and_tests() -> None:
    _load_suite()
    used = {f for decl in REGISTRY.values() for f in decl.features}
    assert set(Feature) == used, set(Feature) - used
    assert all(profiles_of([f]) for f in Feature)
    assert all(PROFILES[name].features & used for name in PROFILES)


def test_suite_declarations_are_unique_and_in_profiles() -> None:
    _load_suite()
    assert len(REGISTRY) >= 25
    for decl in REGISTRY.values():
        assert decl.profiles, decl.id
        assert decl.description.endswith("."), decl.id


def test_resolve_profiles() -> None:
    assert [p.name for p in resolve_profiles(["pd,core"])] == ["core", "pd"]
    # without --profile: every default profile; a slow one (scale) only when named
    assert [p.name for p in resolve_profiles([])] == [n for n, p in PROFILES.items() if p.default]
    assert "scale" in PROFILES and "scale" not in {p.name for p in resolve_profiles([])}
    assert [p.name for p in resolve_profiles(["scale"])] == ["scale"]
    with pytest.raises(UnknownProfile, match="unknown profile 'nope'"):
        resolve_profiles(["core", "nope"])


def test_selection_needs_every_feature_covered() -> None:
    core, pd = PROFILES["core"], PROFILES["pd"]
    both = [Feature.PD_CLASSIFICATION, Feature.BOOTSTRAP_PORT]
    assert selected_by(both, [pd])
    assert not selected_by([Feature.PD_CLASSIFICATION, Feature.READINESS_LOSS], [pd, core])


def test_decorator_rejects_duplicates_and_featureless_tests() -> None:
    with pytest.raises(ValueError, match="declares no features"):
        conformance_test(id="x-none", description="d.", features=[])
    conformance_test(id="x-dup", description="d.", features=[Feature.RELABEL])(lambda: None)
    with pytest.raises(ValueError, match="declared twice"):
        conformance_test(id="x-dup", description="other.", features=[Feature.RELABEL])(lambda: None)
    del REGISTRY["x-dup"]


def test_forced_igw_matters_only_in_pd_mode() -> None:
    regular = ServiceDiscoveryConfig(enabled=True, selector={"app": "x"})
    forced = ServiceDiscoveryConfig(enabled=True, selector={"app": "x"}, igw_mode=True)
    assert premise.config_differences(regular, forced, premise.relevant_fields(regular)) == {}
    pd = ServiceDiscoveryConfig(enabled=True, pd_mode=True, prefill_selector={"a": "b"})
    pd_forced = ServiceDiscoveryConfig(enabled=True, pd_mode=True, prefill_selector={"a": "b"}, igw_mode=True)
    assert premise.config_differences(pd, pd_forced, premise.relevant_fields(pd)) == {}
    pd = ServiceDiscoveryConfig(enabled=True, pd_mode=True, prefill_selector={"a": "b"}, selector={"c": "d"})
    pd_forced = ServiceDiscoveryConfig(
        enabled=True, pd_mode=True, prefill_selector={"a": "b"}, selector={"c": "d"}, igw_mode=True
    )
    diffs = premise.config_differences(pd, pd_forced, premise.relevant_fields(pd))
    assert diffs == {"igw_mode": (False, True)}
    assert premise.describe(diffs) == "igw_mode=True where the test asks for False"


def _outcome(exc: BaseException) -> tuple[Outcome, str]:
    """How the plugin classifies a test that raised `exc` (a skip, as pytest reports one)."""

    def body() -> None:
        raise exc

    call = pytest.CallInfo.from_call(body, when="call")
    report = pytest.TestReport("t", ("t.py", 0, "t"), {}, "skipped", ("t.py", 0, f"Skipped: {exc}"), "call")
    return outcomes.classify(report, call)


def test_not_expressible_is_recognised_by_its_type() -> None:
    assert _outcome(NotExpressible("igw forced on")) == (
        Outcome.NOT_EXPRESSIBLE,
        "not expressible: igw forced on",
    )


def test_a_skip_that_merely_says_not_expressible_stays_a_skip() -> None:
    assert _outcome(pytest.skip.Exception("not expressible: in words only")) == (
        Outcome.SKIPPED,
        "not expressible: in words only",
    )
