"""Deployment helpers (deployments.py, deploymentcontroller.py) against kube's definitions.

Why: pod names and `pod-template-hash` must change exactly when the template does; label selectors
must match as metav1.LabelSelector does; Available is "available >= replicas - maxUnavailable" with
kube's rounding (maxSurge rounds up, maxUnavailable down, not both zero; Recreate: 0).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from fixtures.apiserver.deploymentcontroller import max_unavailable
from fixtures.apiserver.deployments import selector_matches, selector_string, template_hash

TEMPLATE: dict[str, Any] = {
    "metadata": {"labels": {"app": "a"}},
    "spec": {"containers": [{"name": "c", "image": "i"}]},
}


def test_template_hash_is_stable_safe_and_follows_the_template() -> None:
    first = template_hash(TEMPLATE)
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{6,10}", first)
    assert template_hash(copy.deepcopy(TEMPLATE)) == first
    changed = copy.deepcopy(TEMPLATE)
    changed["spec"]["containers"][0]["image"] = "j"
    assert template_hash(changed) != first
    assert template_hash(TEMPLATE, collision_count=1) != first


SELECTOR = {
    "matchLabels": {"app": "a"},
    "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["x", "y"]},
        {"key": "canary", "operator": "DoesNotExist"},
    ],
}


@pytest.mark.parametrize(
    ("labels", "matches"),
    [
        ({"app": "a", "tier": "x"}, True),
        ({"app": "a", "tier": "z"}, False),
        ({"app": "a", "tier": "y", "canary": "1"}, False),
        ({"tier": "x"}, False),
    ],
)
def test_selector_matches(labels: dict[str, str], matches: bool) -> None:
    assert selector_matches(SELECTOR, labels) is matches


def test_selector_string() -> None:
    assert selector_string(SELECTOR) == "app=a,tier in (x,y),!canary"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {
                "replicas": 1,
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
                },
            },
            0,
        ),
        (
            {
                "replicas": 4,
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
                },
            },
            1,
        ),
        (
            {
                "replicas": 3,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}},
            },
            1,
        ),
        ({"replicas": 3, "strategy": {"type": "Recreate"}}, 0),
        ({"replicas": 0, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}}}, 0),
    ],
)
def test_max_unavailable(spec: dict[str, Any], expected: int) -> None:
    assert max_unavailable(spec) == expected
