"""One slot of the live fuzz: an embedded cluster of its own, one gateway on it, and the case it runs.

Why: a fuzz verdict costs a gateway round trip, so several run at once (pool.py), each in a slot that
shares nothing with the others. A slot is the suite's core (conformance/scenario/): a ClusterSide over
two fixed namespaces -- `default` and `ns-other`, as the strategies name them, so a scenario's config
is exactly the generated one -- and a GatewaySide. A cluster of its own per slot, rather than a
namespace of its own in one shared cluster, because half the generated configs watch every namespace:
they would see each other's pods, and a case would stop being replayable on its own. An embedded
cluster costs one thread and ~40 ms to start.

`run(case)` is the one way a case is executed, by the fuzzers and by replay: the batch of pods, then
each step; after the batch and after every step that waits, a check (check.py) with a fresh barrier
pod. Between cases the gateway is reused while the config stays the same; every pod is then deleted
at once and the IPs the case used are remembered as *stale*: the kubelet never reuses an IP while its
server runs, so a worker on a stale IP is a leftover of an earlier case (smg drops deleted pods only
after ~6 s, sglang-router 0.3.2 never: docs/gateways.md#lifecycle) and is left out of this case's
verdict. A slot keeps up to KEEP_GATEWAYS gateways running (watching its cluster), so shrinking, which
goes back and forth between a config and its simplifications, restarts few. Pod names get a
per-case suffix on the cluster (`pod-0.c7`) and lose it again in every message: a gateway that
remembers pods by name must not carry one case into the next either.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from conformance.contracts import GatewayDriver, Pod, PodNamespace
from conformance.convergence import ConsistencyFailure
from conformance.differences import pod_names_by_ip, url_host
from conformance.evidence import Evidence, Timeline
from conformance.fuzz.check import judge
from conformance.fuzz.plans import HOME, PlanError, Step
from conformance.fuzz.scenario import BATCH, FuzzScenario
from conformance.fuzz.timing import FuzzTiming
from conformance.registry import RejectedConfig
from conformance.scenario.cluster_side import ClusterSide
from conformance.scenario.gateway_side import GatewaySide
from conformance.strategies import OTHER_NAMESPACE
from fixtures.clusters.podspec import PodSpec
from fixtures.waiting import SYSTEM_CLOCK, Clock
from reference import Pools, Semantics, ServiceDiscoveryConfig, Worker, expected_pools
from reference.selection import discovery_selectors

NAMESPACES = (HOME, OTHER_NAMESPACE)
KEEP_GATEWAYS = 3  # gateways a slot keeps running, by config: shrinking goes back and forth between configs
_SUFFIX = re.compile(r"\.c\d+\b")


class GatewayRefused(Exception):
    """The gateway refused the case's config at startup (not a discovery verdict)."""


def no_barrier_reason(config: ServiceDiscoveryConfig, semantics: Semantics) -> str:
    """Why no barrier pod can prove absence under `config` ("" when one can)."""
    if config.namespace not in (None, HOME):
        return f"the config watches namespace {config.namespace}, where the fuzz makes no pods"
    if not discovery_selectors(config, semantics=semantics):
        mode = "PD mode" if config.pd_mode else "regular mode"
        return f"the reference discovers no pod in {mode} with these selectors; settle window only"
    return ""


def barrier_spec(config: ServiceDiscoveryConfig, semantics: Semantics, name: str) -> PodSpec:
    """A pod the reference discovers: exactly the first selector that discovers, Running, Ready."""
    labels = dict(discovery_selectors(config, semantics=semantics)[0])
    return PodSpec(name=name, labels=labels, namespace=HOME, port=config.port)


class Slot:
    """An embedded cluster, its two namespaces, at most one gateway; `run(case)` gives the verdict."""

    def __init__(
        self,
        driver: GatewayDriver,
        *,
        timing: FuzzTiming,
        semantics: Semantics,
        workdir: Path,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.driver = driver
        self.timing = timing
        self.semantics = semantics
        self.workdir = workdir
        self.clock = clock
        self.provider: Any = None
        self.namespaces: list[PodNamespace] = []
        self.gateway_side: GatewaySide | None = None  # the gateway of the current case
        self._sides: OrderedDict[str, GatewaySide] = OrderedDict()  # running gateways by config, LRU last
        self.starts = 0
        self.cluster = ClusterSide(timeline=Timeline(clock))
        self.stale: set[str] = set()  # pod IPs of earlier cases
        self.seen: set[str] = set()  # pod IPs of this case
        self.cases = 0
        self._barrier: tuple[str, str] | None = None  # the current barrier: (cluster name, IP)
        self._barriers = 0

    # -- lifecycle -----------------------------------------------------------------------------------

    def open(self) -> Slot:
        from fixtures.clusters import get_provider
        from fixtures.clusters.namespace import Namespace

        self.provider = get_provider("embedded", workdir=self.workdir / "cluster")
        self.provider.start()
        try:
            self.namespaces = [
                Namespace(self.provider, HOME),
                Namespace.create(self.provider, OTHER_NAMESPACE),
            ]
        except BaseException:
            self.provider.close()
            self.provider = None
            raise
        return self

    def close(self) -> None:
        """Stop the gateways and the cluster; idempotent, safe after a failed open."""
        try:
            while self._sides:
                self._sides.popitem(last=False)[1].stop()
            self.gateway_side = None
        finally:
            if self.provider is not None:
                try:
                    for ns in self.namespaces:
                        ns.release_workers()
                finally:
                    self.provider.close()
                    self.provider = None

    @property
    def config(self) -> ServiceDiscoveryConfig | None:
        """The config of the gateway the last case used, if it runs."""
        side = self.gateway_side
        return side.config if side is not None and side.running is not None else None

    def runs(self, config: ServiceDiscoveryConfig) -> bool:
        """Whether one of the slot's gateways runs `config` (a case with it needs no start)."""
        side = self._sides.get(repr(config))
        return side is not None and side.running is not None and side.running.alive()

    def use_config(self, config: ServiceDiscoveryConfig) -> None:
        """Make the current gateway one started with `config`: a kept one when it still runs, else a new
        one (the least recently used of KEEP_GATEWAYS is stopped). GatewayRefused when it will not start.
        """
        key = repr(config)
        if self.runs(config):
            self._sides.move_to_end(key)
            self.gateway_side = self._sides[key]
            return
        old = self._sides.pop(key, None)
        if old is not None:
            old.stop()
        while len(self._sides) >= KEEP_GATEWAYS:
            self._sides.popitem(last=False)[1].stop()
        assert self.provider is not None, "open the slot first"
        timeline = Timeline(self.clock)
        side = GatewaySide(
            driver=self.driver,
            kubeconfig=self.provider.kubeconfig,
            workdir=self.workdir / f"gateway-{self.starts}",
            timeouts=self.timing.timeouts(),
            evidence=Evidence(timeline=timeline),
            timeline=timeline,
        )
        self.starts += 1
        try:
            side.start(config)
        except RejectedConfig as exc:
            side.stop()
            raise GatewayRefused(str(exc).removeprefix("rejected config: ")) from None
        except BaseException:
            side.stop()
            raise
        self._sides[key] = side
        self.gateway_side = side

    # -- one case ------------------------------------------------------------------------------------

    def run(self, case: FuzzScenario) -> FuzzScenario:
        """Run `case` from an empty cluster; returns it with its verdict (`failed_at` set on a difference).

        Raises GatewayRefused when the gateway will not start with the case's config.
        """
        result = case.fresh()
        self._begin(case.config)
        result.barrier = no_barrier_reason(case.config, self.semantics)
        if case.pods or not case.steps:
            since = self.clock.now()
            self._create(case.pods)
            if not self._check(result, BATCH, since):
                return result
        burst: float | None = None  # when the burst in progress began: the cap counts from its start
        last = len(case.steps) - 1
        for index, step in enumerate(case.steps):
            if burst is None:
                burst = self.clock.now()
            self._apply(step, index)
            if step.wait or index == last:
                if not self._check(result, index, burst):
                    return result
                burst = None
        return result

    def _begin(self, config: ServiceDiscoveryConfig) -> None:
        """A clean slate: no pods (their IPs stale), a fresh timeline, the gateway running `config`."""
        for ns in self.namespaces:
            for pod in ns.pods():
                ns.delete(pod["metadata"]["name"], grace_seconds=0, wait=False)
        self.stale |= self.seen
        self.seen = set()
        self.cases += 1
        self._barrier = None
        self._barriers = 0
        self.use_config(config)
        assert self.gateway_side is not None
        timeline = Timeline(self.clock)
        self.cluster = ClusterSide(namespaces=self.namespaces, timeline=timeline)
        self.gateway_side.timeline = timeline

    def _name(self, name: str) -> str:
        """A case's pod name as the cluster holds it (unique per case: see the module doc)."""
        return f"{name}.c{self.cases}"

    def _create(self, specs: Iterable[PodSpec]) -> list[Pod]:
        config = self.config
        assert config is not None
        real = [
            dataclasses.replace(
                spec, name=self._name(spec.name), port=config.port, namespace=spec.namespace or HOME
            )
            for spec in specs
        ]
        return self._seen(self.cluster.create(real))

    def _apply(self, step: Step, index: int) -> None:
        """Do one step to the cluster (plans.Step); PlanError when it names a pod the case lacks."""
        if step.op == "create":
            assert step.pod is not None
            self._create([step.pod])
            return
        name = self._name(step.name)
        try:
            if step.op == "relabel":
                self.cluster.relabel(name, dict(step.labels or {}))
            elif step.op == "set_ready":
                self.cluster.set_ready(name, bool(step.ready))
            elif step.op == "set_phase":
                self.cluster.set_phase(name, str(step.phase))
            elif step.op == "set_conditions":
                self.cluster.set_ready_conditions(name, tuple(step.conditions or ()))
            elif step.op == "delete":
                self.cluster.delete(name, grace_seconds=step.grace if step.grace is not None else 0)
            elif step.op == "recreate":
                self.cluster.recreate(name)
                self._seen(self.cluster.pods())
        except KeyError:
            raise PlanError(
                f"step {index} ({step.op}) names pod {step.name}, which the case does not hold"
            ) from None

    def _seen(self, pods: list[Pod]) -> list[Pod]:
        self.seen.update(pod_names_by_ip(pods))
        return pods

    # -- the check -----------------------------------------------------------------------------------

    def _check(self, result: FuzzScenario, index: int, since: float) -> bool:
        """Barrier, expected pools, judge (check.py); a difference is recorded in `result` (False)."""
        config = self.config
        assert config is not None
        barrier_host = None if result.barrier else self._new_barrier(config)
        pods = self._seen(self.cluster.pods())
        expected = expected_pools(pods, config, semantics=self.semantics)
        try:
            judge(
                expected,
                source=self.observed,
                timing=self.timing,
                since=since,
                barrier_host=barrier_host,
                clock=self.clock,
                names=self.names,
            )
        except ConsistencyFailure as failure:
            result.record_failure(index, failure)
            return False
        return True

    def _new_barrier(self, config: ServiceDiscoveryConfig) -> str:
        """Delete the last barrier (its IP goes stale), create the next; returns the new one's IP."""
        home = self.namespaces[0]
        if self._barrier is not None:
            old, ip = self._barrier
            home.delete(old, grace_seconds=0, wait=False)
            self.stale.add(ip)
        spec = barrier_spec(config, self.semantics, f"barrier-{self._barriers}")
        self._barriers += 1
        pod = self._create([spec])[0]
        ip = str((pod.get("status") or {}).get("podIP") or "")
        self._barrier = (str(pod["metadata"]["name"]), ip)
        return ip

    def observed(self) -> Pools:
        """The gateway's pools without workers on stale IPs (leftovers of earlier cases and barriers)."""
        assert self.gateway_side is not None
        return _without_hosts(self.gateway_side.pools(), self.stale)

    def names(self) -> Mapping[str, str]:
        """podIP -> "namespace/name" as the case names its pods (gone ones "(deleted)")."""
        named = pod_names_by_ip(self.cluster.pods_for_naming())
        return {ip: _SUFFIX.sub("", name) for ip, name in named.items()}


def _without_hosts(pools: Pools, hosts: set[str]) -> Pools:
    if not hosts:
        return pools

    def keep(workers: frozenset[Worker]) -> frozenset[Worker]:
        return frozenset(w for w in workers if url_host(w.url) not in hosts)

    return Pools(regular=keep(pools.regular), prefill=keep(pools.prefill), decode=keep(pools.decode))
