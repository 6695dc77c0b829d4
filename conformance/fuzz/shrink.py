"""Shrinking a found case: smaller candidates, several at a time on the slots, until none fails alike.

Why not Hypothesis's shrinker: it shrinks what it drew -- a round of several cases -- in its own order,
one attempt at a time, and every attempt here costs a live gateway round trip. So once a round fails,
the engine shrinks the smallest failing case itself (delta debugging, as Hypothesis does, on the case's
own structure): candidates that drop pods and steps (halves first, then single ones) and then
simplify what is left (labels, defects, annotations, the config), run side by side on the slots
(pool.py), the smallest that still fails *the same way* -- the same kinds of difference, missing /
unexpected / bootstrap port -- becomes the new best (reported and written at once: reporting.py), and
the search starts again from it. It ends when no candidate fails alike, or at the deadline / a signal
(the best so far stands). Verdicts are remembered by case, so no candidate runs twice.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from conformance.fuzz.plans import HOME, Step
from conformance.fuzz.pool import Cancelled, Slots, Verdict
from conformance.fuzz.reporting import Reporter, Tally
from conformance.fuzz.scenario import FuzzScenario
from fixtures.clusters.podspec import PodSpec
from reference import ServiceDiscoveryConfig

T = TypeVar("T")
Lookup = Callable[[Sequence[FuzzScenario]], list[Verdict]]
"""Verdicts for cases: from the cache, else run on the slots (the engine's, which also counts them)."""


def kinds(case: FuzzScenario) -> set[str]:
    """The kinds of difference a failing case shows: "missing", "unexpected", "bootstrap"."""
    return {difference.split()[0] for difference in case.differences}


def shrink(
    slots: Slots,
    found: FuzzScenario,
    lookup: Lookup,
    *,
    reporter: Reporter,
    tally: Tally,
) -> tuple[FuzzScenario, str]:
    """The smallest case that fails like `found`; returns it and "" or why shrinking stopped early."""
    best, want = found, kinds(found)
    batch_size = slots.count  # one round: each candidate on its own slot
    try:
        while True:
            improved = False
            pending: list[FuzzScenario] = []
            for candidate in candidates(best):
                if candidate.size() >= best.size():
                    continue
                pending.append(candidate)
                if len(pending) < batch_size:
                    continue
                better = _smallest_alike(lookup(pending), want)
                pending = []
                if better is not None:
                    best, improved = better, True
                    reporter.difference(tally, best)
                    break
            if not improved and pending:
                better = _smallest_alike(lookup(pending), want)
                if better is not None:
                    best, improved = better, True
                    reporter.difference(tally, best)
            if not improved:
                return best, ""
            if slots.stopper.passed():
                return best, "deadline"
    except Cancelled as stop:
        return best, str(stop) or "deadline"


def _smallest_alike(verdicts: list[Verdict], want: set[str]) -> FuzzScenario | None:
    alike = [
        v.result
        for v in verdicts
        if v.result is not None and v.result.failed and kinds(v.result) and kinds(v.result) <= want
    ]
    return min(alike, key=FuzzScenario.size) if alike else None


# -- candidates, biggest cuts first -------------------------------------------------------------------


def candidates(case: FuzzScenario) -> Iterator[FuzzScenario]:
    """Smaller variants of `case`: cut the tail after the failing step, drop pods and steps, simplify."""
    if case.steps and case.failed_at is not None and 0 <= case.failed_at < len(case.steps) - 1:
        yield _with(case, steps=_settled_tail(case.steps[: case.failed_at + 1]))
    for pods in _drops(case.pods):
        yield _with(case, pods=pods)
    for steps in _drops(case.steps):
        if _valid(steps):
            yield _with(case, steps=_settled_tail(steps))
    for index, pod in enumerate(case.pods):
        for simpler in _simpler_pods(pod):
            yield _with(case, pods=[*case.pods[:index], simpler, *case.pods[index + 1 :]])
    for index, step in enumerate(case.steps):
        for simpler_step in _simpler_steps(step):
            yield _with(case, steps=[*case.steps[:index], simpler_step, *case.steps[index + 1 :]])
    for config in _simpler_configs(case.config):
        yield _with(case, config=config)
    renumbered = _renumbered(case)
    if renumbered is not None:
        yield renumbered


def _renumbered(case: FuzzScenario) -> FuzzScenario | None:
    """The pods named pod-0, pod-1, ... in the order they are made (None when they already are)."""
    made = [p.name for p in case.pods] + [s.pod.name for s in case.steps if s.op == "create" and s.pod]
    names = {old: f"pod-{index}" for index, old in enumerate(made)}
    if all(old == new for old, new in names.items()) or len(set(names.values())) != len(names):
        return None
    if any(_POD.fullmatch(old) is None for old in names):
        return None  # hand-written names are kept
    steps = [
        dataclasses.replace(s, pod=dataclasses.replace(s.pod, name=names[s.pod.name]))
        if s.op == "create" and s.pod is not None
        else dataclasses.replace(s, name=names.get(s.name, s.name))
        for s in case.steps
    ]
    pods = [dataclasses.replace(p, name=names[p.name]) for p in case.pods]
    return _with(case, pods=pods, steps=steps)


_POD = re.compile(r"pod-\d+")


def _with(case: FuzzScenario, **changes: object) -> FuzzScenario:
    fresh = case.fresh()
    for name, value in changes.items():
        setattr(fresh, name, value)
    return fresh


def _settled_tail(steps: list[Step]) -> list[Step]:
    """The last step always waits (a burst must end in a check)."""
    if steps and not steps[-1].wait:
        return [*steps[:-1], dataclasses.replace(steps[-1], wait=True)]
    return steps


def _drops(items: Sequence[T]) -> Iterator[list[T]]:
    """`items` without a chunk: halves, quarters, ... single items; from the end first."""
    n = len(items)
    size = n // 2 if n > 1 else n
    while size >= 1:
        for start in range(n - size, -1, -size):
            yield [*items[:start], *items[start + size :]]
        size //= 2


def _valid(steps: Sequence[Step]) -> bool:
    """Every step names a pod that exists then (created before, not deleted since)."""
    live: set[str] = set()
    for step in steps:
        if step.op == "create":
            assert step.pod is not None
            if step.pod.name in live:
                return False
            live.add(step.pod.name)
        elif step.name not in live:
            return False
        elif step.op == "delete":
            live.discard(step.name)
    return True


def _simpler_pods(pod: PodSpec) -> Iterator[PodSpec]:
    """The pod with one thing made plainer: a defect gone, an annotation gone, a label gone."""
    plain: dict[str, Any] = {
        "ready": True,
        "phase": "Running",
        "has_ip": True,
        "terminating": False,
        "ready_conditions": None,
        "bootstrap_port": None,
        "annotations": {},
        "namespace": pod.namespace if pod.namespace in (None, HOME) else HOME,
    }
    for name, value in plain.items():
        if getattr(pod, name) != value:
            yield dataclasses.replace(pod, **{name: value})
    for key in sorted(pod.labels):
        yield dataclasses.replace(pod, labels={k: v for k, v in pod.labels.items() if k != key})


def _simpler_steps(step: Step) -> Iterator[Step]:
    if step.op == "create" and step.pod is not None:
        for pod in _simpler_pods(step.pod):
            yield dataclasses.replace(step, pod=pod)
    elif step.op == "relabel" and step.labels:
        for key in sorted(step.labels):
            yield dataclasses.replace(step, labels={k: v for k, v in step.labels.items() if k != key})
    elif step.op == "set_conditions" and step.conditions:
        for index in range(len(step.conditions)):
            yield dataclasses.replace(step, conditions=step.conditions[:index] + step.conditions[index + 1 :])


def _simpler_configs(config: ServiceDiscoveryConfig) -> Iterator[ServiceDiscoveryConfig]:
    """The config with one selector term, the router selector or a custom port/namespace gone."""
    if config.router_selector:
        yield dataclasses.replace(config, router_selector={})
    for field in ("selector", "prefill_selector", "decode_selector"):
        selector: dict[str, str] = getattr(config, field)
        for key in sorted(selector) if len(selector) > 1 else ():
            fewer: dict[str, Any] = {field: {k: v for k, v in selector.items() if k != key}}
            yield dataclasses.replace(config, **fewer)
    if config.port != 8000:
        yield dataclasses.replace(config, port=8000)
