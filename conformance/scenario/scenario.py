"""`Scenario`: what a conformance test talks to -- a table of pods, one gateway, checks in prose.

It puts the parts together (conformance/scenario/__init__.py lists them) and offers a test the short
vocabulary of the suite: `create(pod(...))`, `start(selector=...)`, `set_ready` / `relabel` / `delete`
/ `recreate` / `wait_gone`, `must_converge()`, `must_never_show(..., barrier=pod(...))`,
`must_log(...)`, `faults`; and for changes that do not wait for the gateway, `apply(unready("a"),
ready("a", at=0.5), tolerance=...)` then `must_converge_and_hold(since=...)` (timed.py). Time:
`clock=` (fixtures.waiting.Clock) is the one place a run injects the clock every wait of the scenario
uses (docs/interfaces.md, "conformance/").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from conformance.contracts import Faults, GatewayDriver, PodNamespace, RunningGateway
from conformance.evidence import Evidence, Timeline
from conformance.latency import Expectations
from conformance.scenario.checks import Checks
from conformance.scenario.cluster_side import ClusterSide
from conformance.scenario.gateway_side import GatewaySide
from conformance.scenario.table import TABLE_SEMANTICS, Row, Table
from conformance.scenario.timed import Applied, Change, apply_changes
from conformance.timeouts import TimeoutConfig
from fixtures.waiting import SYSTEM_CLOCK, Clock
from reference import Semantics, ServiceDiscoveryConfig


class Scenario(Checks):
    """One test's namespaces, its gateway, and the checks on them; `evidence` is what it leaves."""

    def __init__(
        self,
        *,
        driver: GatewayDriver,
        new_namespace: Callable[[], PodNamespace],
        kubeconfig: Path,
        workdir: Path,
        timeouts: TimeoutConfig,
        worker_port: int,
        relies_on: Iterable[str] = (),
        faults: Callable[[], Faults] | None = None,
        semantics: Semantics = TABLE_SEMANTICS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.semantics = semantics
        self.timeouts = timeouts
        self.clock = clock
        self.worker_port = worker_port
        self.relies_on = tuple(relies_on)
        self.timeline = Timeline(clock)
        self.evidence = Evidence(timeline=self.timeline)
        self.table = Table()
        self.expectations = Expectations()
        self.cluster = ClusterSide(new_namespace=new_namespace, timeline=self.timeline)
        self.gateway_side = GatewaySide(
            driver=driver,
            kubeconfig=kubeconfig,
            workdir=workdir,
            timeouts=timeouts,
            evidence=self.evidence,
            timeline=self.timeline,
            faults=faults,
        )

    # -- the cluster -------------------------------------------------------------------------------

    @property
    def ns(self) -> PodNamespace:
        """The test's main namespace (created on first use)."""
        return self.cluster.main

    def other_namespace(self) -> PodNamespace:
        """A second fresh namespace (for namespace-scoping tests)."""
        return self.cluster.other_namespace()

    def create(self, *rows: Row, namespace: PodNamespace | None = None) -> None:
        """Create the table's pods and remember their `expect=`: in `namespace`, else in the namespace a
        row's pod names (`PodSpec.namespace`), else in the main one."""
        main = self.ns.name
        self.cluster.create([row.spec for row in rows], namespace=namespace)
        for row in rows:
            self.table.state(namespace.name if namespace else row.spec.namespace or main, row)

    def pods(self) -> list[dict[str, Any]]:
        """Every pod of the test's namespaces, as the API server holds them."""
        return self.cluster.pods()

    def set_ready(self, name: str, ready: bool) -> None:
        self.table.forget(self.cluster.set_ready(name, ready), name)

    def relabel(self, name: str, labels: Mapping[str, str]) -> None:
        self.table.forget(self.cluster.relabel(name, labels), name)

    def delete(self, name: str, *, grace_seconds: int | None = None) -> None:
        """Delete a pod: grace_seconds None = the cluster's default graceful path, 0 = at once."""
        self.table.forget(self.cluster.delete(name, grace_seconds=grace_seconds), name)

    def recreate(self, name: str) -> None:
        """Delete the pod at once and create it again: a new uid, a new IP."""
        self.table.forget(self.cluster.recreate(name), name)

    def apply(self, *changes: Change, tolerance: float) -> Applied:
        """Make `changes` at their moments without waiting for the gateway (timed.py); NotExpressible
        when the cluster was more than `tolerance` seconds late with one of them."""
        return apply_changes(self, changes, clock=self.clock, tolerance=tolerance, evidence=self.evidence)

    def wait_gone(self, name: str) -> None:
        """Wait (bounded by pod_ready + the cap) until the API server no longer holds the pod."""
        self.cluster.wait_gone(name, timeout=self.timeouts.pod_ready + self.timeouts.max_time_to_consistency)

    # -- the gateway -------------------------------------------------------------------------------

    @property
    def driver(self) -> GatewayDriver:
        return self.gateway_side.driver

    @property
    def gateway(self) -> RunningGateway | None:
        """The running gateway, if started."""
        return self.gateway_side.running

    def make_config(self, **fields: Any) -> ServiceDiscoveryConfig:
        """A discovery config scoped to the main namespace on the workers' port unless told otherwise."""
        fields.setdefault("enabled", True)
        fields.setdefault("namespace", self.ns.name)
        fields.setdefault("port", self.worker_port)
        return ServiceDiscoveryConfig(**fields)

    def start(self, **fields: Any) -> RunningGateway:
        """Start the gateway with this config; rejected -> RejectedConfig, inexpressible -> NotExpressible."""
        running = self.gateway_side.start(self.make_config(**fields))
        self.gateway_side.check_premise(self.relies_on)
        return running

    def stop(self) -> None:
        """Stop the gateway (its log tail kept as evidence) and clear pending faults."""
        self.gateway_side.stop()

    @property
    def faults(self) -> Faults:
        """The cluster's fault injection (embedded cluster only; elsewhere the test is NotExpressible)."""
        return self.gateway_side.faults
