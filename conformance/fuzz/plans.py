"""What the live fuzz does to a cluster, as plain data: steps over the one pod description.

Why this exists: a found difference must be printed, written to a scenario file and replayed exactly
(issue 6, "Differential fuzz" and "Stateful fuzz"). Hypothesis draws pods as API-server JSON
(conformance.strategies) and rule arguments as recipes; both become pod descriptions
(fixtures.clusters.PodSpec, `PodSpec.from_pod`: labels, Ready, phase, podIP, bootstrap annotation,
namespace, terminating, Ready conditions; the IP is the cluster's to choose) and `Step`s here, the one
vocabulary that the live runner (slot.py) executes, the scenario file stores and `replay` reads back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fixtures.clusters.podspec import CONDITION_STATUSES, PodSpec

HOME = "default"
OPS = ("create", "relabel", "set_ready", "set_phase", "set_conditions", "delete", "recreate")


class PlanError(ValueError):
    """A pod plan or step that cannot be used (one-line message)."""


@dataclass(frozen=True)
class Step:
    """One action on the cluster. ``op`` is one of OPS; the other fields depend on it:

    create: ``pod`` (a PodSpec); relabel: ``name``, ``labels``; set_ready: ``name``, ``ready``;
    set_phase: ``name``, ``phase``; set_conditions: ``name``, ``conditions`` (the statuses of its
    Ready conditions: none, Unknown, duplicates); delete: ``name``, ``grace`` (0 = at once, N =
    graceful); recreate: ``name`` (deleted at once and created again: new uid, new IP).

    ``wait`` (issue 13's pace): True -- the gateway must converge before the next step; False -- the
    next step follows at once, and the gateway must converge after the last step of the burst.
    """

    op: str
    name: str = ""
    pod: PodSpec | None = None
    labels: Mapping[str, str] | None = None
    ready: bool | None = None
    phase: str | None = None
    grace: int | None = None
    conditions: tuple[str, ...] | None = None
    wait: bool = True

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise PlanError(f"unknown step {self.op!r}; choose one of: {', '.join(OPS)}")
        if self.op == "create" and self.pod is None:
            raise PlanError("a create step needs a pod")
        if self.op == "set_conditions":
            if self.conditions is None or isinstance(self.conditions, str):
                raise PlanError("a set_conditions step needs conditions (a list of statuses)")
            object.__setattr__(self, "conditions", tuple(str(c) for c in self.conditions))
            bad = [c for c in self.conditions if c not in CONDITION_STATUSES]
            if bad:
                raise PlanError(f"a Ready condition's status is one of {', '.join(CONDITION_STATUSES)}")
        if not isinstance(self.wait, bool):
            raise PlanError(f"a step's wait is true or false, got {self.wait!r}")

    @property
    def target(self) -> str:
        return self.pod.name if self.pod is not None else self.name

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op}
        if self.pod is not None:
            out["pod"] = self.pod.to_dict()
        else:
            out["name"] = self.name
        for key in ("labels", "ready", "phase", "grace", "conditions"):
            value = getattr(self, key)
            if value is not None:
                out[key] = dict(value) if key == "labels" else list(value) if key == "conditions" else value
        if not self.wait:
            out["wait"] = False
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        if not isinstance(data, Mapping) or "op" not in data:
            raise PlanError(f"a step needs an op, got {data!r}")
        try:
            pod = PodSpec.from_dict(data["pod"]) if data.get("pod") is not None else None
        except ValueError as exc:
            raise PlanError(str(exc)) from None
        labels = data.get("labels")
        if labels is not None and not isinstance(labels, Mapping):
            raise PlanError(f"a step's labels must be a mapping, got {labels!r}")
        conditions = data.get("conditions")
        return cls(
            op=str(data["op"]),
            name=str(data.get("name", "")),
            pod=pod,
            labels=None if labels is None else {str(k): str(v) for k, v in labels.items()},
            ready=data.get("ready"),
            phase=data.get("phase"),
            grace=data.get("grace"),
            conditions=None if conditions is None else tuple(conditions),
            wait=data.get("wait", True),
        )

    def __str__(self) -> str:
        if self.op == "create" and self.pod is not None:
            text = f"create {self.pod.short()}"
        else:
            args = {k: v for k, v in self.to_dict().items() if k not in {"op", "name", "wait"}}
            text = f"{self.op} {self.name}" + "".join(f" {k}={v!r}" for k, v in args.items())
        return text if self.wait else text + "  (no wait)"
