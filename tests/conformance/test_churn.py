"""The scale profile's plan (conformance/suite/churn.py): sizes, spread, pace and mix, each pod once."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.suite import test_scale
from conformance.suite.churn import MIX, Role, plan
from reference import ServiceDiscoveryConfig, expected_pools
from tests.conformance.test_scenario_core import APP

RUN = {"conformance-run": "r1"}
ROLES = (Role("p", {"app": "sglang", "component": "prefill"}, "prefill", "8998"), Role("d", APP, "decode"))


def test_the_declared_scale_plan() -> None:
    made = plan(
        roles=test_scale.PD,
        namespaces=[f"ns-{i}" for i in range(test_scale.NAMESPACES)],
        pods=test_scale.PODS,
        rate=test_scale.CHURN_RATE,
        seconds=test_scale.CHURN_SECONDS,
        run=RUN,
    )
    assert len(made.pods) == 500 and len(made.churn) == 600  # 20 changes/s for 30 s
    assert Counter(row.spec.namespace for row in made.pods) == {f"ns-{i}": 100 for i in range(5)}
    assert Counter(row.expect for row in made.pods) == {"prefill": 250, "decode": 250}
    assert {action: made.count(action) for action, _ in MIX} == {
        "create": 250,
        "unready": 100,
        "relabel-out": 100,
        "delete-at-once": 100,
        "delete": 50,
    }
    assert [c.at for c in made.churn[:3]] == [0.0, 0.05, 0.1] and made.churn[-1].at == pytest.approx(29.95)


def test_each_pod_changes_once_and_names_are_unique() -> None:
    made = plan(roles=ROLES, namespaces=["a", "b"], pods=40, rate=10, seconds=6, run=RUN)
    touched = [c.pod for c in made.churn if c.action != "create"]
    assert len(touched) == len(set(touched)) == 35  # 60 changes, 25 of them creates
    names = [row.name for row in made.pods] + [c.pod for c in made.churn if c.action == "create"]
    assert len(names) == len(set(names))
    assert set(touched) <= {row.name for row in made.pods}
    # the same plan every time (a failure names the same pods again)
    assert plan(roles=ROLES, namespaces=["a", "b"], pods=40, rate=10, seconds=6, run=RUN) == made


def test_the_run_label_keeps_other_pods_out_and_relabelled_pods_leave() -> None:
    made = plan(roles=ROLES[:1], namespaces=["a"], pods=12, rate=12, seconds=1, run=RUN)
    config = ServiceDiscoveryConfig(enabled=True, selector={**APP, **RUN})
    relabelled = next(c for c in made.churn if c.action == "relabel")
    assert relabelled.labels == {"app": "other", **RUN}
    created = next(c for c in made.churn if c.action == "create")
    assert created.row is not None and created.row.spec.labels["conformance-run"] == "r1"
    pod = {
        "metadata": {"name": "x", "namespace": "a", "uid": "u", "labels": dict(relabelled.labels)},
        "status": {
            "phase": "Running",
            "podIP": "127.0.0.9",
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    assert not expected_pools([pod], config)


def test_a_churn_larger_than_the_cluster_is_refused() -> None:
    with pytest.raises(ValueError, match="touches 7 pods but the plan has only 5"):
        plan(roles=ROLES, namespaces=["a"], pods=5, rate=12, seconds=1, run=RUN)
