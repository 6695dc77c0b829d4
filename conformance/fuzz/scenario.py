"""Replayable scenario files: what a fuzz case is and what happened, in YAML a person can read and edit.

Why this exists: a found difference is written to a file (config, pods, steps, expected, observed) the
moment it is seen and rewritten as shrinking improves it, and `python -m conformance replay FILE
--gateway X` reruns exactly that case. One format serves both fuzzers: a differential case is a batch
of `pods` created at once and checked once; a stateful case is a list of `steps`, checked after every
step that `wait`s (all of them under `--pace settle`, the last of each burst under `--pace fast`).
`failed_at` says which check failed (-1 = the check after the batch, else the step's index) and
`differences` name the pods that differ, by direction and pool ("unexpected regular default/pod-0"),
so a replay can say whether it is the same failure although the cluster hands out other IPs.

Every check proves absence with a barrier pod (conformance/fuzz/check.py): `barrier-N`, created after
the change in the watched namespace, labelled to be discovered. Barriers are not part of the case;
they are made again, with the same names, on a replay.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance.atomic import write_atomic
from conformance.convergence import ConsistencyFailure
from conformance.differences import differences
from conformance.fuzz.plans import PlanError, Step
from fixtures.clusters.podspec import PodSpec
from reference import Pools, Semantics, ServiceDiscoveryConfig

KIND = "sgl-fuzz-scenario"
VERSION = 1
BATCH = -1


class ScenarioError(ValueError):
    """A scenario file that cannot be read (one-line message naming the file and the problem)."""


@dataclass
class FuzzScenario:
    """A case the fuzzer drew (or a person wrote) and, once run, what happened."""

    gateway: str
    mode: str  # "differential" | "stateful"
    config: ServiceDiscoveryConfig
    pods: list[PodSpec] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    semantics: str = Semantics.PR_25294.value
    failed_at: int | None = None
    summary: str = ""
    differences: list[str] = field(default_factory=list)
    expected: Pools | None = None
    observed: Pools | None = None
    seed: str | None = None
    barrier: str = ""  # why the checks had no barrier pod (empty: they had one)

    # -- the case ------------------------------------------------------------------------------------

    def key(self) -> str:
        """What makes two cases the same run (verdicts are cached by it)."""
        return repr((self.mode, self.config, self.pods, self.steps, self.semantics))

    def fresh(self) -> FuzzScenario:
        """The same case without any result (what a run starts from)."""
        return FuzzScenario(
            gateway=self.gateway,
            mode=self.mode,
            config=self.config,
            pods=list(self.pods),
            steps=list(self.steps),
            semantics=self.semantics,
            seed=self.seed,
        )

    @property
    def pod_count(self) -> int:
        """Pods the case makes: the batch, and one per create step."""
        return len(self.pods) + sum(1 for step in self.steps if step.op == "create")

    @property
    def step_count(self) -> int:
        return len(self.steps)

    def size(self) -> tuple[int, int, int, int]:
        """How big the case is, for "smaller": pods, steps, how much it says, then its pods' numbers."""
        config = config_to_dict(self.config, compact=True)
        said = len(repr((config, [p.to_dict() for p in self.pods], [s.to_dict() for s in self.steps])))
        names = [p.name for p in self.pods] + [s.pod.name for s in self.steps if s.pod is not None]
        numbers = sum(int(n.rsplit("-", 1)[1]) for n in names if n.rsplit("-", 1)[-1].isdigit())
        return self.pod_count, self.step_count, said, numbers

    def size_text(self) -> str:
        pods, steps = self.pod_count, self.step_count
        return f"{pods} pod{'' if pods == 1 else 's'} / {steps} step{'' if steps == 1 else 's'}"

    @property
    def failed(self) -> bool:
        return self.failed_at is not None

    def record_failure(self, at: int, failure: ConsistencyFailure) -> None:
        """The check `at` (BATCH, or a step's index) failed: keep its summary and differences by pod."""
        self.failed_at = at
        self.summary = failure.summary
        self.expected, self.observed = failure.expected, failure.observed
        self.differences = signature(
            failure.expected or Pools.empty(), failure.observed or Pools.empty(), failure.names
        )

    # -- the file ------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": KIND,
            "version": VERSION,
            "gateway": self.gateway,
            "mode": self.mode,
            "semantics": self.semantics,
            "config": config_to_dict(self.config),
            "pods": [p.to_dict() for p in self.pods],
            "steps": [s.to_dict() for s in self.steps],
        }
        if self.barrier:
            out["barrier"] = self.barrier
        if self.failed_at is not None:
            out["failed_at"] = self.failed_at
            out["summary"] = self.summary
            out["differences"] = list(self.differences)
        if self.expected is not None:
            out["expected"] = self.expected.to_dict()
        if self.observed is not None:
            out["observed"] = self.observed.to_dict()
        if self.seed is not None:
            out["seed"] = self.seed
        return out

    def dump(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=None, width=110)

    def write(self, path: Path) -> Path:
        """Write (or rewrite) the file whole: a reader never sees half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, self.dump())
        return path

    def describe(self) -> str:
        """The case as a person reads it: config, pods, numbered steps, the failure."""
        config = config_to_dict(self.config, compact=True)
        lines = [f"gateway {self.gateway}, {self.mode}, {self.size_text()}, config: {config}"]
        if self.barrier:
            lines.append(f"(no barrier pod: {self.barrier})")
        if self.pods:
            lines.append("pods created at once:")
            lines.extend(f"  {p.short()}" for p in self.pods)
        for index, step in enumerate(self.steps):
            lines.append(f"  step {index}: {step}")
        if self.failed_at is not None:
            where = "after the batch" if self.failed_at == BATCH else f"after step {self.failed_at}"
            lines.append(f"fails {where}: {self.summary}")
            lines.extend(f"  {d}" for d in self.differences)
        return "\n".join(lines)

    def __repr__(self) -> str:  # what Hypothesis prints for a falsifying example: the case, readable
        return f"<{self.describe()}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis's printer (IPython's protocol): the repr, not every field walked one by one."""
        printer.text(repr(self))


def config_to_dict(config: ServiceDiscoveryConfig, *, compact: bool = False) -> dict[str, Any]:
    data = dataclasses.asdict(config)
    if compact:
        defaults = dataclasses.asdict(ServiceDiscoveryConfig())
        data = {k: v for k, v in data.items() if v != defaults[k] or k == "enabled"}
    return data


def config_from_dict(data: Mapping[str, Any]) -> ServiceDiscoveryConfig:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"config must be a mapping of fields, got {data!r}")
    names = {f.name for f in dataclasses.fields(ServiceDiscoveryConfig)}
    unknown = set(data) - names
    if unknown:
        raise ScenarioError(f"unknown config field(s): {', '.join(sorted(unknown))}")
    return ServiceDiscoveryConfig(**dict(data))


def signature(expected: Pools, observed: Pools, names: Mapping[str, str]) -> list[str]:
    """The differences by pod name ("missing regular default/pod-0"), sorted; `names` maps IP -> pod."""
    return sorted(d.signature() for d in differences(expected, observed, names))


def load(path: Path) -> FuzzScenario:
    """Read a scenario file; ScenarioError (one line) when it is missing or malformed."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise ScenarioError(f"scenario {path} is not valid YAML: {first}") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ScenarioError(f"scenario {path} is not a fuzz scenario (kind: {KIND} missing)")
    try:
        return FuzzScenario(
            gateway=str(data.get("gateway", "")),
            mode=str(data.get("mode", "differential")),
            config=config_from_dict(data.get("config") or {}),
            pods=[PodSpec.from_dict(p) for p in data.get("pods") or []],
            steps=[Step.from_dict(s) for s in data.get("steps") or []],
            semantics=str(data.get("semantics", Semantics.PR_25294.value)),
            failed_at=data.get("failed_at"),
            summary=str(data.get("summary", "")),
            differences=[str(d) for d in data.get("differences") or []],
            expected=Pools.from_dict(data["expected"]) if data.get("expected") else None,
            observed=Pools.from_dict(data["observed"]) if data.get("observed") else None,
            seed=data.get("seed"),
            barrier=str(data.get("barrier", "")),
        )
    except (PlanError, ScenarioError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ScenarioError(f"scenario {path}: {exc}") from None
