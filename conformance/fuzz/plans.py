"""What the live fuzz does to a cluster, as plain data: pod plans and steps.

Why this exists: a found difference must be printed, written to a scenario file and replayed exactly
(issue 6, "Differential fuzz" and "Stateful fuzz"). Hypothesis draws pods as API-server JSON
(conformance.strategies) and rule arguments as recipes; both become `PodPlan`s and `Step`s here, the
one vocabulary that the live runner executes, the scenario file stores and `replay` reads back. A plan
says what a test states about a pod (fixtures.clusters.PodSpec: labels, Ready, phase, podIP, bootstrap
annotation) plus where it lives and whether it is terminating; the IP is the cluster's to choose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BOOTSTRAP_ANNOTATION = "sglang.ai/bootstrap-port"
HOME = "default"
OPS = ("create", "relabel", "set_ready", "set_phase", "delete", "recreate")
TERMINATING_GRACE = 600  # seconds a "terminating" pod keeps its deletionTimestamp before it is gone


class PlanError(ValueError):
    """A pod plan or step that cannot be used (one-line message)."""


@dataclass(frozen=True)
class PodPlan:
    """One pod to create: what discovery looks at, nothing the cluster decides (IP, uid)."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    namespace: str = HOME
    ready: bool = True
    phase: str = "Running"
    has_ip: bool = True
    bootstrap: str | None = None  # the annotation's raw text (valid, invalid) or absent
    terminating: bool = False  # created, then deleted gracefully with a long grace period

    def to_dict(self) -> dict[str, Any]:
        """A compact mapping for YAML: defaults left out."""
        out: dict[str, Any] = {"name": self.name, "labels": dict(self.labels)}
        if self.namespace != HOME:
            out["namespace"] = self.namespace
        for key, default in (("ready", True), ("phase", "Running"), ("has_ip", True), ("terminating", False)):
            if getattr(self, key) != default:
                out[key] = getattr(self, key)
        if self.bootstrap is not None:
            out["bootstrap"] = self.bootstrap
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PodPlan:
        """Inverse of to_dict; unknown keys or wrong types raise PlanError."""
        if not isinstance(data, Mapping) or "name" not in data:
            raise PlanError(f"a pod needs at least a name, got {data!r}")
        known = {"name", "labels", "namespace", "ready", "phase", "has_ip", "bootstrap", "terminating"}
        unknown = set(data) - known
        if unknown:
            raise PlanError(f"pod {data['name']}: unknown field(s) {', '.join(sorted(unknown))}")
        labels = data.get("labels") or {}
        if not isinstance(labels, Mapping):
            raise PlanError(f"pod {data['name']}: labels must be a mapping")
        bootstrap = data.get("bootstrap")
        return cls(
            name=str(data["name"]),
            labels={str(k): str(v) for k, v in labels.items()},
            namespace=str(data.get("namespace", HOME)),
            ready=bool(data.get("ready", True)),
            phase=str(data.get("phase", "Running")),
            has_ip=bool(data.get("has_ip", True)),
            bootstrap=None if bootstrap is None else str(bootstrap),
            terminating=bool(data.get("terminating", False)),
        )

    def short(self) -> str:
        """One line for printed step lists."""
        extras = [f"{k}={v!r}" for k, v in self.to_dict().items() if k not in {"name", "labels"}]
        return f"{self.namespace}/{self.name} labels={dict(self.labels)}" + (
            " " + " ".join(extras) if extras else ""
        )


def plan_from_pod(pod: Mapping[str, Any]) -> PodPlan:
    """The plan for a generated pod (conformance.strategies.make_pod JSON, drawn with ``live=True``).

    Things a live cluster cannot hold are mapped to the nearest thing it can: no status -> Pending,
    no conditions -> not Ready, a phase other than the kubelet's -> Failed. The verdict stays sound
    because expectations are always computed from the pods as the API server holds them.
    """
    meta = pod.get("metadata") or {}
    status = pod.get("status")
    annotations = meta.get("annotations") or {}
    if status is None:
        phase, ready, has_ip = "Pending", False, False
    else:
        phase = status.get("phase") or "Failed"
        if phase not in ("Pending", "Running", "Failed", "Succeeded"):
            phase = "Failed"
        conditions = status.get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        has_ip = bool(status.get("podIP"))
    return PodPlan(
        name=str(meta["name"]),
        labels=dict(meta.get("labels") or {}),
        namespace=str(meta.get("namespace") or HOME),
        ready=ready,
        phase=phase,
        has_ip=has_ip,
        bootstrap=annotations.get(BOOTSTRAP_ANNOTATION),
        terminating=bool(meta.get("deletionTimestamp")),
    )


@dataclass(frozen=True)
class Step:
    """One action on the cluster. ``op`` is one of OPS; the other fields depend on it:

    create: ``pod`` (a PodPlan); relabel: ``name``, ``labels``; set_ready: ``name``, ``ready``;
    set_phase: ``name``, ``phase``; delete: ``name``, ``grace`` (0 = at once, N = graceful);
    recreate: ``name`` (deleted at once and created again: new uid, new IP).
    """

    op: str
    name: str = ""
    pod: PodPlan | None = None
    labels: Mapping[str, str] | None = None
    ready: bool | None = None
    phase: str | None = None
    grace: int | None = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise PlanError(f"unknown step {self.op!r}; choose one of: {', '.join(OPS)}")
        if self.op == "create" and self.pod is None:
            raise PlanError("a create step needs a pod")

    @property
    def target(self) -> str:
        return self.pod.name if self.pod is not None else self.name

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op}
        if self.pod is not None:
            out["pod"] = self.pod.to_dict()
        else:
            out["name"] = self.name
        for key in ("labels", "ready", "phase", "grace"):
            value = getattr(self, key)
            if value is not None:
                out[key] = dict(value) if key == "labels" else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        if not isinstance(data, Mapping) or "op" not in data:
            raise PlanError(f"a step needs an op, got {data!r}")
        pod = PodPlan.from_dict(data["pod"]) if data.get("pod") is not None else None
        labels = data.get("labels")
        return cls(
            op=str(data["op"]),
            name=str(data.get("name", "")),
            pod=pod,
            labels=None if labels is None else {str(k): str(v) for k, v in labels.items()},
            ready=data.get("ready"),
            phase=data.get("phase"),
            grace=data.get("grace"),
        )

    def __str__(self) -> str:
        if self.op == "create" and self.pod is not None:
            return f"create {self.pod.short()}"
        args = {k: v for k, v in self.to_dict().items() if k not in {"op", "name"}}
        return f"{self.op} {self.name}" + "".join(f" {k}={v!r}" for k, v in args.items())
