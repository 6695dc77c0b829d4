"""One embedded cluster and one reusable gateway that fuzz examples run against.

Why this exists: issue 6 asks for live verdicts at a useful rate, so the expensive parts are shared.
The embedded cluster (API server + fleet) lives for the whole run; the gateway is restarted only when
an example's config differs from the running one (or it died). Between examples every pod is deleted
and the IPs they had are remembered as *stale*: the kubelet never reuses an IP while the server runs
(docs/interfaces.md, built-in kubelet), so a worker on a stale IP is a leftover of an earlier example
(smg removes deleted pods only after ~6 s, sglang-router 0.3.2 never does, gateway-facts.md 3b) and is
left out of this example's verdict. No cleanup wait is needed, which is what makes reuse pay off.

Pods live in the namespaces the strategies name (`default`, `ns-other`), so a scenario's config is
exactly the generated one; this only works on a private cluster, hence the embedded provider.
Expectations are always `reference.expected_pools` over the pods as the API server holds them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.convergence import describe_difference, pod_names_by_ip, url_host
from conformance.fuzz.plans import HOME, TERMINATING_GRACE, PodPlan, Step
from conformance.strategies import OTHER_NAMESPACE
from reference import Pools, Semantics, ServiceDiscoveryConfig, Worker, expected_pools

NAMESPACES = (HOME, OTHER_NAMESPACE)


@dataclass(frozen=True)
class Bounds:
    """How long a live check may take. A check passes after `consecutive` equal snapshots that end at
    least `settle` seconds after the change (so a pod the gateway adds late is still seen: absence is
    a settle window after the change, the gateway's own latency is well inside it); it fails when no
    such run happens within `cap` seconds."""

    poll: float = 0.1
    consecutive: int = 3
    cap: float = 5.0
    settle: float = 1.0

    @classmethod
    def for_gateway(cls, name: str) -> Bounds:
        """Defaults per gateway: smg batches changes for 1 s and drains removals for 5 s (facts 0.7)."""
        if name.startswith("smg") or name.endswith("smg.yaml"):
            return cls(poll=0.2, consecutive=3, cap=10.0, settle=2.5)
        return cls()


class Difference(AssertionError):
    """The gateway's pools did not converge to the reference's: the verdict of a failed check."""

    def __init__(
        self,
        summary: str,
        expected: Pools,
        observed: Pools,
        lines: list[str],
        pods: list[dict[str, Any]],
        names: dict[str, str],
    ) -> None:
        self.names = names
        self.summary = summary
        self.expected = expected
        self.observed = observed
        self.lines = lines
        self.pods = pods
        super().__init__("\n".join([summary, *lines]))

    @property
    def missing(self) -> Pools:
        return self.expected.diff(self.observed).missing

    @property
    def unexpected(self) -> Pools:
        return self.expected.diff(self.observed).unexpected


class GatewayRefused(Exception):
    """The gateway refused the generated config at startup (not a discovery verdict)."""


class LiveCluster:
    """The embedded cluster plus at most one running gateway. Use as a context manager."""

    def __init__(
        self,
        gateway: str,
        *,
        bounds: Bounds | None = None,
        semantics: Semantics = Semantics.PR_25294,
        workdir: Path | None = None,
    ) -> None:
        self.gateway_name = gateway
        self.bounds = bounds or Bounds.for_gateway(gateway)
        self.semantics = semantics
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="sgl-fuzz-")
        self.workdir = Path(workdir or self._tmp.name)  # type: ignore[union-attr]
        self.provider: Any = None
        self.namespaces: dict[str, Any] = {}
        self.driver: Any = None
        self.gateway: Any = None
        self.config: ServiceDiscoveryConfig | None = None
        self.stale_hosts: set[str] = set()
        self.example_hosts: set[str] = set()  # every pod IP seen in the current example
        self.names: dict[str, str] = {}  # pod IP -> "namespace/name" for every pod ever seen
        self.starts = 0
        self.verbose = False
        self.examples = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LiveCluster:
        from fixtures.clusters import get_provider
        from fixtures.clusters.namespace import Namespace
        from fixtures.gateways import get_driver

        self.driver = get_driver(self.gateway_name)
        self.provider = get_provider("embedded", workdir=self.workdir)
        self.provider.start()
        try:
            self.namespaces = {
                HOME: Namespace(self.provider, HOME),
                OTHER_NAMESPACE: Namespace.create(self.provider, OTHER_NAMESPACE),
            }
        except Exception:
            self.provider.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the gateway and the cluster; idempotent, safe after a failed start."""
        self.stop_gateway()
        if self.provider is not None:
            try:
                for ns in self.namespaces.values():
                    for name in list(ns._specs):
                        self.provider.runtime.release(ns, name)
            finally:
                self.provider.close()
                self.provider = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def stop_gateway(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
            self.config = None

    def use_config(self, config: ServiceDiscoveryConfig) -> None:
        """Make the running gateway one started with `config` (reused when equal and alive).

        Raises GatewayRefused when the gateway exits at startup with this config.
        """
        from fixtures.gateways import GatewayRejected

        if self.gateway is not None and self.config == config and self.gateway.process.exit_code() is None:
            return
        self.stop_gateway()
        workdir = self.workdir / f"gw-{self.starts}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        try:
            self.gateway = self.driver.start(config, kubeconfig=self.provider.kubeconfig, workdir=workdir)
        except GatewayRejected as exc:
            raise GatewayRefused(exc.message) from None
        self.config = config

    def begin_example(self, config: ServiceDiscoveryConfig) -> None:
        """A clean slate for one example: no pods, earlier IPs stale, the gateway running `config`."""
        self.reset()
        self.use_config(config)
        self.examples += 1

    def reset(self) -> None:
        """Delete every pod at once (waiting until gone) and mark every IP of the example stale."""
        for ns in self.namespaces.values():
            for pod in ns.pods():
                self._seen(pod)
                ns.delete(pod["metadata"]["name"], grace_seconds=0, wait=True)
        self.stale_hosts |= self.example_hosts
        self.example_hosts = set()

    def _seen(self, pod: dict[str, Any] | None) -> None:
        ip = ((pod or {}).get("status") or {}).get("podIP")
        if ip:
            self.example_hosts.add(ip)
            meta = (pod or {}).get("metadata") or {}
            self.names[ip] = f"{meta.get('namespace')}/{meta.get('name')}"

    # -- cluster actions ---------------------------------------------------------------------

    def _spec(self, plan: PodPlan) -> Any:
        from fixtures.clusters import PodSpec

        assert self.config is not None, "use_config first"
        annotations = {} if plan.bootstrap is None else {"sglang.ai/bootstrap-port": plan.bootstrap}
        return PodSpec(
            name=plan.name,
            labels=dict(plan.labels),
            annotations=annotations,
            ready=plan.ready,
            phase=plan.phase,  # type: ignore[arg-type]
            has_ip=plan.has_ip,
            port=self.config.port,
        )

    def create_batch(self, plans: Iterable[PodPlan]) -> None:
        """POST every pod first (the gateway sees the whole batch arrive), then bring each up."""
        submitted = []
        for plan in plans:
            ns, spec = self.namespaces[plan.namespace], self._spec(plan)
            submitted.append((plan, ns, spec, ns.submit(spec)))
        for plan, ns, spec, pod in submitted:
            self._seen(self.provider.runtime.bring_up(ns, spec, pod))
            if plan.terminating:
                ns.delete(plan.name, grace_seconds=TERMINATING_GRACE, wait=False)

    def apply(self, step: Step) -> None:
        """Do one step to the cluster (see plans.Step)."""
        if step.op == "create":
            assert step.pod is not None
            self.create_batch([step.pod])
            return
        ns = self._namespace_of(step.name)
        if step.op == "relabel":
            ns.relabel(step.name, dict(step.labels or {}))
        elif step.op == "set_ready":
            ns.set_ready(step.name, bool(step.ready))
        elif step.op == "set_phase":
            ns.set_phase(step.name, str(step.phase))
        elif step.op == "delete":
            ns.delete(step.name, grace_seconds=step.grace if step.grace is not None else 0)
        elif step.op == "recreate":
            self._seen(ns.get(step.name))
            self._seen(ns.recreate(step.name))

    def _namespace_of(self, name: str) -> Any:
        for ns in self.namespaces.values():
            if ns.get(name) is not None:
                return ns
        raise KeyError(f"no pod named {name!r} in the fuzz namespaces")

    # -- verdicts ----------------------------------------------------------------------------

    def pods(self) -> list[dict[str, Any]]:
        """Every pod of the fuzz namespaces, as the API server holds them."""
        pods = [pod for ns in self.namespaces.values() for pod in ns.pods()]
        for pod in pods:
            self._seen(pod)
        return pods

    def expected(self) -> Pools:
        assert self.config is not None, "use_config first"
        return expected_pools(self.pods(), self.config, semantics=self.semantics)

    def observed(self) -> Pools:
        """The gateway's pools without workers on stale IPs (leftovers of earlier examples)."""
        pools = self.gateway.pools()
        return _without_hosts(pools, self.stale_hosts)

    def check(self, *, since: float | None = None) -> float:
        """The gateway must converge to the reference for the current pods; returns seconds taken.

        `since` is when the last change was made (default: now). Raises Difference with the last
        snapshot otherwise.
        """
        bounds = self.bounds
        start = time.monotonic() if since is None else since
        expected = self.expected()
        streak, observed = 0, Pools.empty()
        while True:
            observed = self.observed()
            now = time.monotonic()
            streak = streak + 1 if observed == expected else 0
            if streak >= bounds.consecutive and now - start >= bounds.settle:
                return now - start
            if now - start >= bounds.cap:
                break
            time.sleep(bounds.poll)
        pods = self.pods()
        current = pod_names_by_ip(pods)
        names = {ip: f"{name} (deleted)" for ip, name in self.names.items() if ip not in current}
        names.update(current)
        lines, _ = describe_difference(expected, observed, names)
        summary = (
            f"{self.gateway_name} did not converge to the reference within {bounds.cap:g} s "
            f"({bounds.consecutive} equal snapshots needed)"
        )
        raise Difference(summary, expected, observed, lines, pods, names)


def _without_hosts(pools: Pools, hosts: set[str]) -> Pools:
    def keep(workers: frozenset[Worker]) -> frozenset[Worker]:
        return frozenset(w for w in workers if url_host(w.url) not in hosts)

    return Pools(regular=keep(pools.regular), prefill=keep(pools.prefill), decode=keep(pools.decode))
