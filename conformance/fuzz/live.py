"""One embedded cluster and one reusable gateway that fuzz examples run against, on the suite's core.

Why this exists: issue 6 asks for live verdicts at a useful rate, so the expensive parts are shared.
The embedded cluster (API server + fleet) lives for the whole run; the gateway is restarted only when
an example's config differs from the running one (or it died). Between examples every pod is deleted
and the IPs they had are remembered as *stale*: the kubelet never reuses an IP while the server runs
(docs/interfaces.md, built-in kubelet), so a worker on a stale IP is a leftover of an earlier example
(smg removes deleted pods only after ~6 s, sglang-router 0.3.2 never does: docs/gateways.md#lifecycle)
and is left out of this example's verdict. No cleanup wait is needed, which is what makes reuse pay.

Built on the suite's core (conformance/scenario/): the pods go through its ClusterSide (two fixed
namespaces, `default` and `ns-other`, as the strategies name them, so a scenario's config is exactly
the generated one -- which only works on a private cluster, hence the embedded provider), the gateway
through its GatewaySide, and a check is `convergence.must_converge_to` with the TimeoutConfig the
driver's timing gives (`fuzz_timeouts`): `consecutive` equal snapshots that end at least `settle`
seconds after the change, within the cap. Expectations are always `reference.expected_pools` over the
pods as the API server holds them.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance.contracts import GatewayDriver, PodNamespace
from conformance.convergence import must_converge_to
from conformance.differences import pod_names_by_ip, url_host
from conformance.evidence import Evidence, Timeline
from conformance.fuzz.plans import HOME, Step
from conformance.registry import RejectedConfig
from conformance.scenario.cluster_side import ClusterSide
from conformance.scenario.gateway_side import GatewaySide
from conformance.strategies import OTHER_NAMESPACE
from conformance.timeouts import TimeoutConfig
from fixtures.clusters.podspec import PodSpec
from fixtures.gateways.base import GatewayTiming
from reference import Pools, Semantics, ServiceDiscoveryConfig, Worker, expected_pools

NAMESPACES = (HOME, OTHER_NAMESPACE)


def fuzz_timeouts(
    timing: GatewayTiming, *, cap: float | None = None, settle: float | None = None
) -> TimeoutConfig:
    """The TimeoutConfig of a fuzz check against a gateway with this timing (`cap` / `settle` override)."""
    return TimeoutConfig(
        poll_interval=timing.poll_interval,
        max_time_to_consistency=timing.cap if cap is None else cap,
        settle=timing.settle if settle is None else settle,
    )


class GatewayRefused(Exception):
    """The gateway refused the generated config at startup (not a discovery verdict)."""


class LiveCluster:
    """The embedded cluster plus at most one running gateway. Use as a context manager.

    `timeouts` default to the driver's timing (`fuzz_timeouts`), with `cap` / `settle` overriding it.
    """

    def __init__(
        self,
        gateway: str,
        *,
        timeouts: TimeoutConfig | None = None,
        cap: float | None = None,
        settle: float | None = None,
        semantics: Semantics = Semantics.PR_25294,
        workdir: Path | None = None,
    ) -> None:
        from fixtures.gateways import get_driver

        self.gateway_name = gateway
        self.driver: GatewayDriver = get_driver(gateway)
        self.timeouts = timeouts or fuzz_timeouts(self.driver.timing, cap=cap, settle=settle)
        self.semantics = semantics
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sgl-fuzz-")
            workdir = Path(self._tmp.name)
        self.workdir = workdir
        self.provider: Any = None
        self.timeline = Timeline()
        self.cluster = ClusterSide(timeline=self.timeline)
        self.gateway_side: GatewaySide | None = None
        self.stale_hosts: set[str] = set()
        self.example_hosts: set[str] = set()  # every pod IP seen in the current example
        self.verbose = False
        self.examples = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LiveCluster:
        from fixtures.clusters import get_provider
        from fixtures.clusters.namespace import Namespace

        self.provider = get_provider("embedded", workdir=self.workdir)
        self.provider.start()
        try:
            namespaces: list[PodNamespace] = [
                Namespace(self.provider, HOME),
                Namespace.create(self.provider, OTHER_NAMESPACE),
            ]
        except Exception:
            self.provider.close()
            raise
        self.cluster = ClusterSide(namespaces=namespaces, timeline=self.timeline)
        self.gateway_side = GatewaySide(
            driver=self.driver,
            kubeconfig=self.provider.kubeconfig,
            workdir=self.workdir / "gateway",
            timeouts=self.timeouts,
            evidence=Evidence(timeline=self.timeline),
            timeline=self.timeline,
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def starts(self) -> int:
        """Gateway starts so far."""
        return self.gateway_side.starts if self.gateway_side is not None else 0

    def close(self) -> None:
        """Stop the gateway and the cluster; idempotent, safe after a failed start."""
        self.stop_gateway()
        if self.provider is not None:
            try:
                for ns in self.cluster.namespaces:
                    ns.release_workers()
            finally:
                self.provider.close()
                self.provider = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def stop_gateway(self) -> None:
        if self.gateway_side is not None:
            self.gateway_side.stop()
            self.gateway_side.config = None

    def use_config(self, config: ServiceDiscoveryConfig) -> None:
        """Make the running gateway one started with `config` (reused when equal and alive).

        Raises GatewayRefused when the gateway exits at startup with this config.
        """
        side = self._side()
        if side.running is not None and side.config == config and side.running.alive():
            return
        self.stop_gateway()
        try:
            side.start(config)
        except RejectedConfig as exc:
            side.config = None
            raise GatewayRefused(str(exc).removeprefix("rejected config: ")) from None

    @property
    def config(self) -> ServiceDiscoveryConfig | None:
        return self.gateway_side.config if self.gateway_side is not None else None

    def _side(self) -> GatewaySide:
        assert self.gateway_side is not None, "use LiveCluster as a context manager"
        return self.gateway_side

    def begin_example(self, config: ServiceDiscoveryConfig) -> None:
        """A clean slate for one example: no pods, earlier IPs stale, the gateway running `config`."""
        self.reset()
        self.use_config(config)
        self.examples += 1

    def reset(self) -> None:
        """Delete every pod at once (waiting until gone) and mark every IP of the example stale."""
        for pod in self.pods():
            self.cluster.delete(pod["metadata"]["name"], grace_seconds=0)
        self.stale_hosts |= self.example_hosts
        self.example_hosts = set()

    # -- cluster actions ---------------------------------------------------------------------

    def create_batch(self, specs: Iterable[PodSpec]) -> None:
        """POST every pod first (the gateway sees the whole batch arrive), then bring each up."""
        config = self.config
        assert config is not None, "use_config first"
        self._seen(self.cluster.create([dataclasses.replace(spec, port=config.port) for spec in specs]))

    def apply(self, step: Step) -> None:
        """Do one step to the cluster (see plans.Step)."""
        if step.op == "create":
            assert step.pod is not None
            self.create_batch([step.pod])
        elif step.op == "relabel":
            self.cluster.relabel(step.name, dict(step.labels or {}))
        elif step.op == "set_ready":
            self.cluster.set_ready(step.name, bool(step.ready))
        elif step.op == "set_phase":
            self.cluster.set_phase(step.name, str(step.phase))
        elif step.op == "delete":
            self.cluster.delete(step.name, grace_seconds=step.grace if step.grace is not None else 0)
        elif step.op == "recreate":
            self.cluster.recreate(step.name)
            self.pods()

    # -- verdicts ----------------------------------------------------------------------------

    def pods(self) -> list[dict[str, Any]]:
        """Every pod of the fuzz namespaces, as the API server holds them."""
        return self._seen(self.cluster.pods())

    def _seen(self, pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.example_hosts.update(pod_names_by_ip(pods))
        return pods

    def expected(self) -> Pools:
        config = self.config
        assert config is not None, "use_config first"
        return expected_pools(self.pods(), config, semantics=self.semantics)

    def observed(self) -> Pools:
        """The gateway's pools without workers on stale IPs (leftovers of earlier examples)."""
        return _without_hosts(self._side().pools(), self.stale_hosts)

    def check(self, *, since: float | None = None) -> float:
        """The gateway must converge to the reference for the current pods; returns seconds taken.

        `since` is when the last change was made (time.monotonic(); default: now). Raises
        convergence.ConsistencyFailure with the last snapshot otherwise.
        """
        return must_converge_to(
            self.expected(),
            source=self.observed,
            timeouts=self.timeouts,
            pods=self.cluster.pods_for_naming,
            since=time.monotonic() if since is None else since,
            settle=self.timeouts.settle,
        )


def _without_hosts(pools: Pools, hosts: set[str]) -> Pools:
    def keep(workers: frozenset[Worker]) -> frozenset[Worker]:
        return frozenset(w for w in workers if url_host(w.url) not in hosts)

    return Pools(regular=keep(pools.regular), prefill=keep(pools.prefill), decode=keep(pools.decode))
