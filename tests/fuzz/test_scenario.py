"""Scenario files round-trip, and bad input gives one clear line (no gateway needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.fuzz import replay
from conformance.fuzz.plans import Step
from conformance.fuzz.scenario import FuzzScenario, ScenarioError, load
from conformance.strategies import LabelRecipe
from fixtures.clusters.podspec import PodSpec
from reference import Pools, ServiceDiscoveryConfig, Worker


def test_scenario_round_trips_through_yaml(tmp_path: Path) -> None:
    config = ServiceDiscoveryConfig(enabled=True, selector={"app": "sglang"}, port=8000, namespace="default")
    pod = PodSpec("pod-0", {"app": "sglang"}, ready=False, bootstrap_port="abc", terminating=True)
    observed = Pools(frozenset({Worker("http://127.0.0.2:8000", None)}), frozenset(), frozenset())
    scenario = FuzzScenario(
        gateway="smg",
        mode="stateful",
        config=config,
        pods=[pod],
        steps=[Step("set_ready", name="pod-0", ready=False), Step("delete", name="pod-0", grace=30)],
        failed_at=1,
        summary="did not converge",
        differences=["unexpected regular default/pod-0 (deleted)"],
        expected=Pools.empty(),
        observed=observed,
    )
    back = load(scenario.write(tmp_path / "s.yaml"))
    assert back == scenario


def test_label_recipe_applies_to_any_config() -> None:
    sources = [{"app": "sglang", "role": "regular"}]
    assert LabelRecipe("exact").apply(sources) == {"app": "sglang", "role": "regular"}
    assert LabelRecipe("dropped", other=1).apply(sources) == {"app": "sglang"}
    assert LabelRecipe("changed", other=0, value="sglang").apply(sources)["app"] == "sglangx"
    assert LabelRecipe("noise", noise=(("a", "b"),)).apply(sources) == {"a": "b"}
    assert LabelRecipe("exact", noise=(("a", "b"),)).apply([]) == {"a": "b"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("kind: other\n", "is not a fuzz scenario"),
        ("kind: sgl-fuzz-scenario\nconfig: {bogus: 1}\n", "unknown config field"),
        ("kind: sgl-fuzz-scenario\nsteps: [{op: explode}]\n", "unknown step 'explode'"),
        ("kind: [\n", "is not valid YAML"),
    ],
)
def test_bad_scenario_files_give_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=needle):
        load(path)
    assert replay.main([str(path), "--gateway", "reference"]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
