"""The cluster side of a scenario: its namespaces, the pods in them, and the changes a test makes.

Why a part of its own: the suite (a fresh namespace per test) and the fuzz (two long-lived namespaces
shared by every example) drive pods the same way -- create a batch, relabel, flip readiness, change
the phase, delete, recreate, read them back as the API server holds them -- and name pods the same way
in failure messages, including pods that are gone ("name (deleted)"). Every change is marked on the
scenario's timeline. A pod state the cluster cannot hold (a real kubelet cannot run a pod without an
IP) makes the test "not expressible", not failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from conformance.contracts import Pod, PodNamespace
from conformance.evidence import Timeline
from conformance.registry import NotExpressible
from fixtures.clusters.podspec import PodSpec
from fixtures.clusters.templates import NotExpressible as ClusterCannotHold


class ClusterSide:
    """A scenario's namespaces (given, or made on first use by `new_namespace`) and their pods."""

    def __init__(
        self,
        *,
        new_namespace: Callable[[], PodNamespace] | None = None,
        namespaces: Sequence[PodNamespace] = (),
        timeline: Timeline | None = None,
    ) -> None:
        self._new_namespace = new_namespace
        self.namespaces: list[PodNamespace] = list(namespaces)
        self.timeline = timeline or Timeline()
        self._ever: dict[str, tuple[str, str]] = {}  # podIP -> (namespace, name): naming pods that are gone

    # -- namespaces ------------------------------------------------------------------------------

    @property
    def main(self) -> PodNamespace:
        """The main namespace (made on first use when the side makes its own)."""
        if not self.namespaces:
            self.namespaces.append(self._make())
        return self.namespaces[0]

    def other_namespace(self) -> PodNamespace:
        """A further fresh namespace (for namespace-scoping tests)."""
        _ = self.main
        self.namespaces.append(self._make())
        return self.namespaces[-1]

    def _make(self) -> PodNamespace:
        if self._new_namespace is None:
            raise RuntimeError("this scenario's namespaces are fixed; it cannot make new ones")
        return self._new_namespace()

    def namespace_named(self, name: str) -> PodNamespace:
        for ns in self.namespaces:
            if ns.name == name:
                return ns
        raise KeyError(f"no namespace {name!r} in this scenario")

    # -- pods --------------------------------------------------------------------------------------

    def create(self, specs: Iterable[PodSpec], *, namespace: PodNamespace | None = None) -> list[Pod]:
        """Create a batch (POSTed together per namespace, then brought up); settled pods in order.

        Each pod goes to `namespace`, else to the namespace its spec names, else to the main one.
        """
        batches: dict[str, tuple[PodNamespace, list[PodSpec]]] = {}
        for spec in specs:
            target = namespace or (self.namespace_named(spec.namespace) if spec.namespace else self.main)
            batches.setdefault(target.name, (target, []))[1].append(spec)
        created: list[Pod] = []
        for target, batch in batches.values():
            self.timeline.mark("create", *(spec.name for spec in batch))
            try:
                created.extend(target.create_pods(batch))
            except ClusterCannotHold as exc:
                raise NotExpressible(str(exc)) from None
        self._remember(created)
        return created

    def pods(self) -> list[Pod]:
        """Every pod of the scenario's namespaces, as the API server holds them."""
        out: list[Pod] = []
        for ns in self.namespaces:
            out.extend(ns.pods())
        self._remember(out)
        return out

    def pods_for_naming(self) -> list[Pod]:
        """Current pods, plus "name (deleted)" stand-ins for IPs of pods that are gone (failure messages)."""
        current = self.pods()
        live = {(item.get("status") or {}).get("podIP") for item in current}
        gone: list[Pod] = [
            {"metadata": {"namespace": ns, "name": f"{name} (deleted)"}, "status": {"podIP": ip}}
            for ip, (ns, name) in self._ever.items()
            if ip not in live
        ]
        return current + gone

    def find(self, name: str) -> tuple[PodNamespace, Pod]:
        """The namespace holding pod `name` and the pod; KeyError when none does."""
        for ns in self.namespaces:
            pod = ns.get(name)
            if pod is not None:
                return ns, pod
        raise KeyError(f"no pod named {name!r} in the scenario's namespaces")

    def _remember(self, pods: Iterable[Mapping[str, object]]) -> None:
        for item in pods:
            status, meta = item.get("status") or {}, item.get("metadata") or {}
            assert isinstance(status, Mapping) and isinstance(meta, Mapping)
            ip = status.get("podIP")
            if ip:
                self._ever[str(ip)] = (str(meta.get("namespace", "?")), str(meta.get("name", "?")))

    # -- changes (each returns the pod's namespace name) ----------------------------------------------

    def set_ready(self, name: str, ready: bool) -> str:
        ns, _ = self.find(name)
        self.timeline.mark("ready" if ready else "unready", name)
        ns.set_ready(name, ready)
        return ns.name

    def relabel(self, name: str, labels: Mapping[str, str]) -> str:
        ns, _ = self.find(name)
        self.timeline.mark("relabel", name)
        ns.relabel(name, dict(labels))
        return ns.name

    def set_phase(self, name: str, phase: str) -> str:
        ns, _ = self.find(name)
        self.timeline.mark(f"phase {phase}", name)
        ns.set_phase(name, phase)
        return ns.name

    def set_ready_conditions(self, name: str, statuses: Sequence[str]) -> str:
        """Replace the pod's Ready conditions by one per status (none, Unknown, duplicates)."""
        ns, _ = self.find(name)
        self.timeline.mark(f"conditions {'/'.join(statuses) or 'none'}", name)
        ns.set_ready_conditions(name, statuses)
        return ns.name

    def delete(self, name: str, *, grace_seconds: int | None = None) -> str:
        """Delete a pod: grace_seconds None = the cluster's default graceful path, 0 = at once."""
        ns, pod = self.find(name)
        self._remember([pod])
        self.timeline.mark("delete" if grace_seconds != 0 else "delete at once", name)
        ns.delete(name, grace_seconds=grace_seconds)  # waits until gone when at once
        return ns.name

    def recreate(self, name: str) -> str:
        """Delete at once and create the same spec again: a new uid, a new IP."""
        ns, pod = self.find(name)
        self._remember([pod])
        self.timeline.mark("recreate", name)
        self._remember([ns.recreate(name)])
        return ns.name

    def wait_gone(self, name: str, *, timeout: float | None = None) -> None:
        """Until the API server no longer holds the pod (bounded: the cluster's own timeout error)."""
        for ns in self.namespaces:
            if ns.get(name) is not None:
                ns.wait_gone(name, timeout=timeout)
