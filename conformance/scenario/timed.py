"""Changes at given moments, without waiting for the gateway: the premise of the overlap and scale tests.

Why: every other test changes one thing and waits for convergence; a real cluster does not wait. Here a
test lists its changes with the moment each is due (`at`, seconds after the schedule starts), and
`apply_changes` makes them in order on the scenario's clock (fixtures/waiting.py), each as soon as it is
due, never waiting for the gateway in between. The test then requires convergence for the FINAL
cluster state (Checks.must_converge_and_hold, counted from the last change).

A premise that was not built is not judged: each change must be done (its API calls answered) within
`tolerance` seconds of its moment. On a machine too busy for that -- a flap meant to fit inside a
gateway's 1 s batching window that took 1.5 s -- the test is "not expressible", naming the change and
how late it was, instead of a verdict about timing the test never produced. The changes are marked on
the timeline as they start; the schedule's span and its worst lateness go into the timings
(`changes-span`, `changes-late`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from conformance.evidence import Evidence
from conformance.registry import NotExpressible
from conformance.scenario.table import Row
from fixtures.waiting import Clock


class Target(Protocol):
    """What a change is made through (a Scenario: its table forgets the pods a change touches)."""

    def set_ready(self, name: str, ready: bool) -> None: ...

    def relabel(self, name: str, labels: Mapping[str, str]) -> None: ...

    def delete(self, name: str, *, grace_seconds: int | None = None) -> None: ...

    def create(self, *rows: Row) -> None: ...

    def recreate(self, name: str) -> None: ...


@dataclass(frozen=True)
class Change:
    """One change to one pod, due `at` seconds after its schedule starts."""

    action: str
    pod: str
    at: float = 0.0
    labels: Mapping[str, str] = field(default_factory=dict)
    grace_seconds: int | None = None
    row: Row | None = None

    def apply(self, target: Target) -> None:
        if self.action == "unready":
            target.set_ready(self.pod, False)
        elif self.action == "ready":
            target.set_ready(self.pod, True)
        elif self.action == "relabel":
            target.relabel(self.pod, self.labels)
        elif self.action == "delete":
            target.delete(self.pod, grace_seconds=self.grace_seconds)
        elif self.action == "create":
            assert self.row is not None
            target.create(self.row)
        elif self.action == "recreate":
            target.recreate(self.pod)
        else:  # pragma: no cover - the constructors below are the only way in
            raise ValueError(f"unknown change {self.action!r}")

    def __str__(self) -> str:
        what = self.action
        if self.action == "delete":
            what = "delete at once" if self.grace_seconds == 0 else "delete"
        return f"{what} {self.pod}"


def unready(name: str, *, at: float = 0.0) -> Change:
    return Change("unready", name, at)


def ready(name: str, *, at: float = 0.0) -> Change:
    return Change("ready", name, at)


def relabel(name: str, labels: Mapping[str, str], *, at: float = 0.0) -> Change:
    return Change("relabel", name, at, labels=dict(labels))


def delete(name: str, *, grace_seconds: int | None = None, at: float = 0.0) -> Change:
    """Delete a pod: grace_seconds None = its graceful path (terminating), 0 = at once."""
    return Change("delete", name, at, grace_seconds=grace_seconds)


def create(row: Row, *, at: float = 0.0) -> Change:
    return Change("create", row.name, at, row=row)


def recreate(name: str, *, at: float = 0.0) -> Change:
    """Delete at once and create the same pod again: a new uid and a new IP."""
    return Change("recreate", name, at)


@dataclass
class Applied:
    """When each change of a schedule was due and done (clock times)."""

    start: float
    changes: list[Change] = field(default_factory=list)
    done: list[float] = field(default_factory=list)

    @property
    def last(self) -> float:
        """Clock time the last change was done (the final cluster state exists from here on)."""
        return self.done[-1] if self.done else self.start

    @property
    def span(self) -> float:
        """Seconds from the schedule's start to its last change done."""
        return self.last - self.start

    def lateness(self) -> list[float]:
        """Per change: seconds between its moment and when it was done."""
        return [done - (self.start + change.at) for change, done in zip(self.changes, self.done, strict=True)]


def apply_changes(
    target: Target,
    changes: Sequence[Change],
    *,
    clock: Clock,
    tolerance: float,
    evidence: Evidence | None = None,
) -> Applied:
    """Make `changes` at their moments (in `at` order; ties in the order given), never waiting for the
    gateway. NotExpressible when one was done more than `tolerance` seconds after its moment."""
    if not changes:
        raise ValueError("a schedule needs at least one change")
    if tolerance < 0 or any(c.at < 0 for c in changes):
        raise ValueError("moments and the tolerance are seconds >= 0")
    ordered = sorted(changes, key=lambda c: c.at)
    applied = Applied(start=clock.now())
    for change in ordered:
        due = applied.start + change.at
        wait = due - clock.now()
        if wait > 0:
            clock.sleep(wait)
        change.apply(target)
        applied.changes.append(change)
        applied.done.append(clock.now())
    late = applied.lateness()
    if evidence is not None:
        evidence.timing("changes-span", applied.span)
        evidence.timing("changes-late", max(late))
    worst = max(range(len(late)), key=late.__getitem__)
    if late[worst] > tolerance:
        raise NotExpressible(
            f"the harness made change {ordered[worst]} {late[worst]:.2f} s after its moment "
            f"(+{ordered[worst].at:g} s; tolerance {tolerance:g} s): the cluster was too slow to build "
            "the premise, so the test cannot judge the gateway"
        )
    return applied
