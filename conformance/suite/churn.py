"""The scale profile's cluster: many pods over several namespaces, and a churn plan that never waits.

Why a module: the plan is data the scale tests declare (sizes, rate, duration, mix) and a test of the
harness checks (tests/conformance/test_churn.py), so it is built here, deterministically (a seeded
`random.Random`: the same plan every run, so a failure names the same pods again).

The churn touches each pod at most once and never brings a removed pod back: a gateway that re-adds a
returning pod late (smg's 60 s pass, docs/gateways.md#lifecycle) fails the lifecycle and overlap tests
for that already; here only keeping up with many changes at once is judged. Pods are spread evenly
over the namespaces; names are unique across them (a Scenario finds a pod by name).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from conformance.scenario import Row, pod
from conformance.scenario.timed import Change, create, delete, relabel, unready
from conformance.suite.labels import OTHER_APP

# One cycle of the churn: what fraction of changes does what (per 12 changes).
MIX: tuple[tuple[str, int], ...] = (
    ("create", 5),
    ("unready", 2),
    ("relabel-out", 2),
    ("delete-at-once", 2),
    ("delete", 1),
)


@dataclass(frozen=True)
class Role:
    """A kind of worker in the plan: its name prefix, labels, the pool it lands in, its bootstrap port."""

    prefix: str
    labels: Mapping[str, str]
    expect: str
    bootstrap_port: str | None = None

    def row(self, name: str, namespace: str, run: Mapping[str, str], *, expect: bool) -> Row:
        labels = {**self.labels, **run}
        made = pod(name, labels, bootstrap_port=self.bootstrap_port, expect=self.expect if expect else None)
        return Row(replace(made.spec, namespace=namespace), made.expect)


@dataclass(frozen=True)
class ScalePlan:
    """The pods to create first (in namespace order) and the churn to apply after convergence."""

    pods: list[Row]
    churn: list[Change]

    def count(self, action: str) -> int:
        return sum(1 for change in self.churn if _kind(change) == action)


def _kind(change: Change) -> str:
    if change.action == "delete":
        return "delete-at-once" if change.grace_seconds == 0 else "delete"
    if change.action == "relabel":
        return "relabel-out"
    return change.action


def plan(
    *,
    roles: Sequence[Role],
    namespaces: Sequence[str],
    pods: int,
    rate: float,
    seconds: float,
    run: Mapping[str, str],
    seed: int = 13,
) -> ScalePlan:
    """`pods` pods spread over `namespaces` and the roles in turn, then `rate * seconds` changes due
    `1 / rate` s apart in the MIX proportions (each on a pod not touched before, creates in new ones).

    `run` holds labels unique to this run (the selectors carry them, so pods of other tests in the same
    cluster never match). ValueError when the churn would need more untouched pods than there are.
    """
    if not roles or not namespaces or pods <= 0 or rate <= 0 or seconds <= 0:
        raise ValueError("a scale plan needs roles, namespaces, pods, a rate and a duration")
    rows = [
        roles[i % len(roles)].row(f"w-{i}", namespaces[i % len(namespaces)], run, expect=True)
        for i in range(pods)
    ]
    total = round(rate * seconds)
    cycle = [action for action, count in MIX for _ in range(count)]
    actions = [cycle[i % len(cycle)] for i in range(total)]
    touching = sum(1 for action in actions if action != "create")
    if touching > pods:
        raise ValueError(f"the churn touches {touching} pods but the plan has only {pods}")
    rng = random.Random(seed)
    victims = iter(rng.sample([row.name for row in rows], touching))
    churn: list[Change] = []
    created = 0
    for i, action in enumerate(actions):
        at = i / rate
        if action == "create":
            role = roles[created % len(roles)]
            namespace = namespaces[created % len(namespaces)]
            churn.append(create(role.row(f"n-{created}", namespace, run, expect=False), at=at))
            created += 1
        elif action == "unready":
            churn.append(unready(next(victims), at=at))
        elif action == "relabel-out":
            churn.append(relabel(next(victims), {**OTHER_APP, **run}, at=at))
        elif action == "delete-at-once":
            churn.append(delete(next(victims), grace_seconds=0, at=at))
        else:
            churn.append(delete(next(victims), at=at))
    return ScalePlan(rows, churn)
