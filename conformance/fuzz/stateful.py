"""Stateful fuzz: programs of lifecycle steps under a live gateway, checked as they run.

Why this exists: the lifecycle is where gateways differ most (docs/gateways.md#lifecycle: sglang-router
0.3.2 keeps a worker whose pod turned unready, stopped matching or was deleted without a terminating
step; smg 1.13.0 adds a pod that came back only at its 60 s pass). A case is a config and a *program*:
create, relabel, flip readiness, change the phase or the Ready conditions, delete (graceful or at
once), recreate with a new IP -- and the two idioms that catch gateways that never re-add, a flap
(unready, then Ready again) and a relabel out and back in.

The program is drawn as a list of config-independent `Move`s (a label recipe instead of labels, a pod
index that wraps around instead of a name), like the rules of a Hypothesis state machine, and
resolved into concrete steps (plans.Step) against the config: so shrinking may drop or simplify any
move and the rest still makes sense. Why not `RuleBasedStateMachine`: Hypothesis runs one machine at
a time, and a round here runs several programs side by side, one per slot (engine.py).

Pace (issue 13): under `settle` the gateway must converge after every step. Under `fast` the steps of
a burst follow each other without waiting -- faster than the gateway's own batching and drains -- and
the gateway must converge once the burst is over (the step's `wait`, kept in the scenario file, so a
replay paces the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

from conformance.fuzz.plans import HOME, Step
from conformance.fuzz.scenario import FuzzScenario
from conformance.strategies import (
    OTHER_NAMESPACE,
    READY_CONDITIONS,
    RECIPE_KINDS,
    LabelRecipe,
    bootstrap_annotations,
    discovery_configs,
    label_recipes,
    selector_sources,
)
from fixtures.clusters.podspec import Phase, PodSpec
from reference import Semantics, ServiceDiscoveryConfig, selects

MODE = "stateful"
PACES = ("settle", "fast")
GRACEFUL_SECONDS = 30  # a graceful delete keeps the pod terminating for longer than any check
# Weighted (a repeated op is drawn more often) towards the moves that end a pod's worker and may bring
# it back -- what lifecycle bugs get wrong; shrinking goes towards the first, a create.
MOVES: tuple[str, ...] = (
    "create",
    "flap",
    "flap",
    "relabel-back",
    "relabel-back",
    "relabel",
    "relabel",
    "delete",
    "delete",
    "delete-graceful",
    "delete-graceful",
    "recreate",
    "recreate",
    "unready",
    "ready",
    "phase",
    "conditions",
)
# A created pod has at most one defect, none most often, so that most pods are workers whose
# lifecycle the program then exercises.
DEFECTS: tuple[str, ...] = (*("none",) * 8, "not-ready", "no-ip", "phase", "conditions")
PHASE_CHANGES: tuple[Phase, ...] = ("Failed", "Succeeded", "Pending", "Unknown", "Running")
# Labels of a created pod mostly hit a selector (exact, superset); a relabel mostly moves it out.
CREATE_RECIPES: tuple[str, ...] = (
    "exact",
    "exact",
    "exact",
    "superset",
    "superset",
    "merged",
    *RECIPE_KINDS[2:],
)
RELABEL_RECIPES: tuple[str, ...] = ("changed", "dropped", "noise", "changed", "dropped", *RECIPE_KINDS)


@dataclass(frozen=True)
class Move:
    """One rule of the program, independent of the config and of which pods exist (see the module doc)."""

    op: str = "create"
    target: int = 0  # which live pod (wraps around); ignored by create
    recipe: LabelRecipe = field(default_factory=LabelRecipe)  # the labels of a create
    # the labels a relabel gives (relabel-back: out)
    relabel: LabelRecipe = field(default_factory=lambda: LabelRecipe("changed"))
    defect: str = "none"  # of a created pod: not-ready, no-ip, phase, conditions
    phase: Phase = "Failed"  # of a phase move, or of a created pod with the phase defect
    bootstrap: str | None = None
    other_namespace: bool = False
    conditions: tuple[str, ...] = ()
    then_wait: bool = True  # fast pace: converge after this move (the end of a burst)


def moves() -> st.SearchStrategy[Move]:
    return st.builds(
        Move,
        op=st.sampled_from(MOVES),
        target=st.integers(min_value=0, max_value=7),
        recipe=label_recipes(CREATE_RECIPES),
        relabel=label_recipes(RELABEL_RECIPES),
        defect=st.sampled_from(DEFECTS),
        phase=st.sampled_from(PHASE_CHANGES),
        bootstrap=bootstrap_annotations(),
        other_namespace=st.sampled_from((False, False, False, False, True)),
        conditions=st.sampled_from(READY_CONDITIONS),
        then_wait=st.sampled_from((True, False, False)),
    )


def programs(
    gateway: str,
    *,
    configs: st.SearchStrategy[ServiceDiscoveryConfig] | None = None,
    pd_mode: bool | None = None,
    igw_mode: bool | None = None,
    max_steps: int = 5,
    pace: str = "settle",
    semantics: Semantics = Semantics.PR_25294,
) -> st.SearchStrategy[FuzzScenario]:
    """Stateful cases: a config and a program of up to `max_steps` moves, resolved into steps."""
    if pace not in PACES:
        raise ValueError(f"pace must be one of {', '.join(PACES)}, not {pace!r}")
    base = configs if configs is not None else discovery_configs(pd_mode=pd_mode, igw_mode=igw_mode)
    programs_of = st.lists(moves(), min_size=1, max_size=max_steps)

    @st.composite  # not .map(): see differential.cases
    def program(draw: st.DrawFn) -> FuzzScenario:
        config = draw(base)
        steps = resolve(config, draw(programs_of), pace=pace)
        return FuzzScenario(gateway=gateway, mode=MODE, config=config, steps=steps, semantics=semantics.value)

    return program()


def resolve(config: ServiceDiscoveryConfig, program: Sequence[Move], *, pace: str = "settle") -> list[Step]:
    """The concrete steps of `program` under `config`: names, labels, which pod each move touches.

    A move on an existing pod when none is left is skipped. Under the `fast` pace the last step of a
    move waits only when the move ends a burst (the program's last step always does).
    """
    sources = selector_sources(config)
    live: list[tuple[str, dict[str, str]]] = []  # (name, labels) of pods not deleted
    steps: list[Step] = []
    created = 0
    for move in program:
        made: list[Step] = []
        if move.op == "create" or not live:  # a move on a pod when there is none creates one
            name = f"pod-{created}"
            created += 1
            labels = move.recipe.apply(sources)
            made.append(Step("create", pod=_pod(name, labels, move)))
            live.append((name, labels))
        else:
            index = move.target % len(live)
            name, labels = live[index]
            made = _change(move, name, labels, config)
            if move.op.startswith("delete"):
                del live[index]
            elif move.op == "relabel":
                live[index] = (name, dict(made[0].labels or {}))
        if pace == "fast":
            made = [replace(step, wait=False) for step in made]
            if made and move.then_wait:
                made[-1] = replace(made[-1], wait=True)
        steps.extend(made)
    if steps and not steps[-1].wait:
        steps[-1] = replace(steps[-1], wait=True)
    return steps


def _pod(name: str, labels: dict[str, str], move: Move) -> PodSpec:
    defect = move.defect
    return PodSpec(
        name=name,
        labels=labels,
        namespace=OTHER_NAMESPACE if move.other_namespace else HOME,
        ready=defect != "not-ready",
        phase=move.phase if defect == "phase" else "Running",
        has_ip=defect != "no-ip",
        bootstrap_port=move.bootstrap,
        ready_conditions=move.conditions if defect == "conditions" else None,
    )


def _change(move: Move, name: str, labels: dict[str, str], config: ServiceDiscoveryConfig) -> list[Step]:
    """The step(s) of a move on pod `name` (currently labelled `labels`)."""
    op = move.op
    sources = selector_sources(config)
    if op == "relabel":
        return [Step("relabel", name=name, labels=move.relabel.apply(sources))]
    if op in ("unready", "ready"):
        return [Step("set_ready", name=name, ready=op == "ready")]
    if op == "flap":
        return [Step("set_ready", name=name, ready=False), Step("set_ready", name=name, ready=True)]
    if op == "relabel-back":
        away = move.relabel.apply(sources)
        if selects(away, config) or away == labels:
            away = {}  # out means out: no labels match nothing
        return [Step("relabel", name=name, labels=away), Step("relabel", name=name, labels=dict(labels))]
    if op == "delete":
        return [Step("delete", name=name, grace=0)]
    if op == "delete-graceful":
        return [Step("delete", name=name, grace=GRACEFUL_SECONDS)]
    if op == "recreate":
        return [Step("recreate", name=name)]
    if op == "phase":
        return [Step("set_phase", name=name, phase=move.phase)]
    return [Step("set_conditions", name=name, conditions=move.conditions)]
