"""The object a conformance test talks to: cluster state as a table, one gateway, prose assertions.

style.md ("Gateway API conformance"): a reader should see the scenario table, not the plumbing. A test
creates pods from a table (`pod(name, labels, expect=...)`), starts the gateway with a discovery config,
and asserts with `must_converge()` / `must_never_show(..., barrier=...)` / `must_log(...)`. Everything
else lives here:

- expectations always come from `reference.expected_pools` over the pods as the API server holds them
  (`ns.pods()`), for the config the test asked for (ARCHITECTURE.md, "Lines that must hold");
- the `expect=` column of a table is a readability aid checked against the reference: if the two
  disagree the suite itself is wrong, and the test errors with SuiteTableError instead of judging the
  gateway;
- requested vs effective config (conformance.premise) and a refused configuration turn into the
  "not expressible" and "rejected config" outcomes (conformance.registry);
- the evidence of a failure (expected vs observed pools, time waited, log tail, pods) goes into
  `record`, which the plugin writes into the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance import convergence, premise
from conformance.registry import NotExpressible, RejectedConfig
from conformance.timeouts import TimeoutConfig
from reference import Pools, Semantics, ServiceDiscoveryConfig, expected_pools, selects

ABSENT = "-"
ROLES = ("regular", "prefill", "decode")
BOOTSTRAP_ANNOTATION = "sglang.ai/bootstrap-port"
# The semantics the tables' `expect=` columns and barriers are written for. Under another `--semantics`
# the reference alone decides; a barrier it does not discover makes the test skip (absence unprovable).
TABLE_SEMANTICS = Semantics.PR_25294


class SuiteTableError(Exception):
    """A table's `expect=` column disagrees with the reference: the suite is wrong, not the gateway."""


@dataclass(frozen=True)
class PodRow:
    """One row of a scenario table: a pod to create, and (optionally) how it must be discovered."""

    name: str
    labels: Mapping[str, str]
    ready: bool = True
    phase: str = "Running"
    has_ip: bool = True
    annotations: Mapping[str, str] = field(default_factory=dict)
    expect: str | None = None  # "regular" | "prefill" | "decode" | ABSENT | None (not stated)


def pod(
    name: str,
    labels: Mapping[str, str],
    *,
    expect: str | None = None,
    ready: bool = True,
    phase: str = "Running",
    has_ip: bool = True,
    bootstrap_port: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> PodRow:
    """A table row. `bootstrap_port` sets the `sglang.ai/bootstrap-port` annotation verbatim."""
    notes = dict(annotations or {})
    if bootstrap_port is not None:
        notes[BOOTSTRAP_ANNOTATION] = bootstrap_port
    return PodRow(name, dict(labels), ready, phase, has_ip, notes, expect)


def _pod_spec(row: PodRow) -> Any:
    """The cluster provider's PodSpec for a row (fixtures.clusters contract)."""
    from fixtures.clusters import PodSpec

    annotations = dict(row.annotations)
    bootstrap = annotations.pop(BOOTSTRAP_ANNOTATION, None)  # PodSpec writes it (and listens there)
    return PodSpec(
        name=row.name,
        labels=dict(row.labels),
        annotations=annotations,
        ready=row.ready,
        phase=row.phase,  # type: ignore[arg-type]
        has_ip=row.has_ip,
        bootstrap_port=bootstrap,
    )


class Scenario:
    """One test's cluster namespaces, its gateway, and the assertions on them."""

    def __init__(
        self,
        *,
        driver: Any,
        new_namespace: Callable[[], Any],
        kubeconfig: Path,
        workdir: Path,
        timeouts: TimeoutConfig,
        worker_port: int,
        relies_on: Iterable[str] = (),
        faults: Callable[[], Any] | None = None,
        semantics: Semantics = TABLE_SEMANTICS,
        clock: Any = None,
    ) -> None:
        self.driver = driver
        # Where the gateway's waits read the time and pause (`now()`, `sleep()`): the plugin passes a
        # conformance.gatewayclock.GatewayClock, which leaves the harness's own stalls out.
        self.clock: Any = clock if clock is not None else _WallClock()
        self._check_stall = 0.0
        self.semantics = semantics
        self._faults_of = faults
        self._faults: Any = None
        self._new_namespace = new_namespace
        self.kubeconfig = kubeconfig
        self.workdir = workdir
        self.timeouts = timeouts
        self.worker_port = worker_port
        self.relies_on = tuple(relies_on)
        self.namespaces: list[Any] = []
        self.gateway: Any = None
        self.config: ServiceDiscoveryConfig | None = None
        self.record: dict[str, Any] = {"timings": {}}
        self._stated: dict[tuple[str, str], str | None] = {}
        self._ever: dict[str, tuple[str, str]] = {}  # podIP -> (namespace, name), for naming gone pods
        self._last: tuple[Pools, list[dict[str, Any]]] | None = None  # last expected pools and their pods

    # -- cluster state -------------------------------------------------------------------------

    @property
    def ns(self) -> Any:
        """The test's main namespace (created on first use)."""
        if not self.namespaces:
            self.namespaces.append(self._new_namespace())
        return self.namespaces[0]

    def other_namespace(self) -> Any:
        """A second fresh namespace (for namespace-scoping tests)."""
        _ = self.ns
        self.namespaces.append(self._new_namespace())
        return self.namespaces[-1]

    def create(self, *rows: PodRow, namespace: Any = None) -> None:
        """Create the table's pods (in the main namespace unless told) and remember their `expect=`."""
        target = namespace if namespace is not None else self.ns
        for row in rows:
            target.create_pod(_pod_spec(row))
            self._stated[(_ns_name(target), row.name)] = row.expect

    def pods(self) -> list[dict[str, Any]]:
        """Every pod of the test's namespaces, as the API server holds them."""
        out: list[dict[str, Any]] = []
        for ns in self.namespaces:
            out.extend(ns.pods())
        for item in out:
            ip = (item.get("status") or {}).get("podIP")
            meta = item.get("metadata") or {}
            if ip:
                self._ever[ip] = (meta.get("namespace", "?"), meta.get("name", "?"))
        return out

    def pods_for_naming(self) -> list[dict[str, Any]]:
        """Current pods, plus "name (deleted)" stand-ins for IPs of pods that are gone (failure messages)."""
        current = self.pods()
        live = {(item.get("status") or {}).get("podIP") for item in current}
        gone = [
            {"metadata": {"namespace": ns, "name": f"{name} (deleted)"}, "status": {"podIP": ip}}
            for ip, (ns, name) in self._ever.items()
            if ip not in live
        ]
        return current + gone

    def _forget(self, ns: Any, name: str) -> None:
        """A mutated pod's `expect=` no longer describes it."""
        self._stated.pop((_ns_name(ns), name), None)

    def _find(self, name: str) -> tuple[Any, dict[str, Any]]:
        for ns in self.namespaces:
            for item in ns.pods():
                if item.get("metadata", {}).get("name") == name:
                    return ns, item
        raise KeyError(f"no pod named {name!r} in the test's namespaces")

    def set_ready(self, name: str, ready: bool) -> None:
        ns, _ = self._find(name)
        self._forget(ns, name)
        ns.set_ready(name, ready)

    def relabel(self, name: str, labels: Mapping[str, str]) -> None:
        ns, _ = self._find(name)
        self._forget(ns, name)
        ns.relabel(name, dict(labels))

    def delete(self, name: str, *, grace_seconds: int | None = None) -> None:
        """Delete a pod: grace_seconds None = the cluster's default graceful path, 0 = at once."""
        ns, _ = self._find(name)
        self._forget(ns, name)
        ns.delete(name, grace_seconds=grace_seconds)

    def wait_gone(self, name: str) -> None:
        """Wait (bounded by pod_ready) until the API server no longer holds the pod."""
        deadline = time.monotonic() + self.timeouts.pod_ready + self.timeouts.max_time_to_consistency
        while time.monotonic() < deadline:
            try:
                self._find(name)
            except KeyError:
                return
            time.sleep(self.timeouts.poll_interval)
        raise AssertionError(f"pod {name} still exists after its deletion (cluster problem)")

    # -- the gateway ---------------------------------------------------------------------------

    def make_config(self, **fields: Any) -> ServiceDiscoveryConfig:
        """A discovery config scoped to the main namespace on the workers' port unless told otherwise."""
        fields.setdefault("enabled", True)
        fields.setdefault("namespace", _ns_name(self.ns))
        fields.setdefault("port", self.worker_port)
        return ServiceDiscoveryConfig(**fields)

    def start(self, **fields: Any) -> Any:
        """Start the gateway with this config; rejected -> RejectedConfig, inexpressible -> NotExpressible."""
        from fixtures.gateways import GatewayRejected

        self.config = self.make_config(**fields)
        self.record["requested_config"] = _config_dict(self.config)
        try:
            self.gateway = self.driver.start(
                self.config,
                kubeconfig=self.kubeconfig,
                workdir=self.workdir,
                timeout=self.timeouts.gateway_start,
            )
        except GatewayRejected as exc:
            self.record["log_tail"] = getattr(exc, "log_tail", "")
            raise RejectedConfig(exc.message) from None
        effective = getattr(self.gateway, "effective_config", self.config)
        self.record["effective_config"] = _config_dict(effective)
        differences = premise.config_differences(
            self.config, effective, premise.relevant_fields(self.config, self.relies_on)
        )
        if differences:
            raise NotExpressible(f"{self.driver.name} runs with {premise.describe(differences)}")
        return self.gateway

    def stop(self) -> None:
        try:
            if self.gateway is not None:
                self.record["log_tail"] = _tail(self.gateway.log())
                self.gateway.stop()
        finally:
            if self._faults is not None:  # pending faults must not reach the next test
                self._faults.clear()

    # -- fault injection (resilience) ----------------------------------------------------------

    @property
    def faults(self) -> Any:
        """The cluster's fault injection (drop_watches, compact, fail_lists, restart, ...), if it has one.

        Only the embedded cluster offers it (the provider's `faults()`); elsewhere the test is
        NotExpressible. Faults still pending are cleared when the scenario stops.
        """
        if self._faults is None:
            if self._faults_of is None:
                raise NotExpressible("fault injection needs the embedded cluster")
            self._faults = self._faults_of()
        return self._faults

    def must_hold_while_lists_fail(self, *, label: str = "lists-failing") -> float:
        """The pools must stay equal to the last expected ones while injected LIST failures are pending.

        Polls the gateway (never the API server: a LIST of ours would take an injected failure) until
        the failures have been served and `timeouts.settle` more seconds have passed, or the cap runs
        out (a gateway that does not LIST then is judged by the next must_converge). A snapshot that
        differs -- pools drained because a LIST failed -- fails at once. Returns the seconds held.
        """
        assert self._last is not None, "converge before injecting LIST failures"
        expected, pods = self._last
        self._begin_check()
        start = self.clock.now()
        served: float | None = None
        while True:
            observed = self.gateway.pools()
            now = self.clock.now()
            if observed != expected:
                lines, differing = convergence.describe_difference(
                    expected, observed, convergence.pod_names_by_ip(pods)
                )
                exc = convergence.ConsistencyFailure(
                    f"gateway pools changed after {now - start:.1f} s while LISTs failed "
                    "(the cluster did not change: a failing LIST must not drain the pools)",
                    expected,
                    observed,
                    now - start,
                    differing,
                    lines,
                )
                self._record_failure(exc)
                raise exc
            if served is None and self.faults.pending_list_failures() == 0:
                served = now
            if (served is not None and now - served >= self.timeouts.settle) or (
                now - start >= self.timeouts.max_time_to_consistency
            ):
                if served is None:  # the gateway made no LIST: ours must not take the failures
                    self.faults.clear()
                self._timing(label if served is not None else f"{label}-not-served", now - start)
                return now - start
            self.clock.sleep(self.timeouts.poll_interval)

    # -- expectations and assertions -----------------------------------------------------------

    def expected(self) -> Pools:
        """reference.expected_pools over the pods as the API server holds them now."""
        assert self.config is not None, "start the gateway first"
        pods = self.pods()
        pools = expected_pools(pods, self.config, semantics=self.semantics)
        if self.semantics is TABLE_SEMANTICS:
            self._check_table(pods, pools)
        self._last = (pools, pods)
        return pools

    def _check_table(self, pods: list[dict[str, Any]], pools: Pools) -> None:
        roles_by_host: dict[str, str] = {}
        for role in ROLES:
            for worker in getattr(pools, role):
                roles_by_host[convergence.url_host(worker.url)] = role
        for item in pods:
            meta = item.get("metadata", {})
            stated = self._stated.get((meta.get("namespace"), meta.get("name")))
            if stated is None:
                continue
            ip = (item.get("status") or {}).get("podIP")
            actual = roles_by_host.get(ip, ABSENT) if ip else ABSENT
            if actual != stated:
                raise SuiteTableError(
                    f"scenario table says pod {meta.get('name')} is {stated!r}, the reference says {actual!r}"
                )

    def must_converge(self, *, label: str = "converge") -> float:
        """The gateway's pools must equal the reference's for the current cluster state (within the cap)."""
        expected = self.expected()
        self._begin_check()
        try:
            took = convergence.must_converge_to(
                expected,
                source=self.gateway.pools,
                timeouts=self.timeouts,
                pods=self.pods_for_naming,
                clock=self.clock.now,
                sleep=self.clock.sleep,
            )
        except convergence.ConsistencyFailure as exc:
            self._record_failure(exc)
            raise
        self._timing(label, took)
        return took

    def must_never_show(self, *names: str, barrier: PodRow) -> float:
        """Prove that the named pods are not discovered: a barrier pod must show, then a settle window.

        The pools must first converge to the reference for the pods so far (ARCHITECTURE.md, steps 5
        then 6): a gateway that misses an expected worker fails on that, naming it, rather than on a
        barrier that cannot show for the same reason.
        """
        self._check_barrier(barrier)
        self.must_converge(label="before-barrier")
        hosts = set()
        for name in names:
            _, item = self._find(name)
            ip = (item.get("status") or {}).get("podIP")
            if ip:
                hosts.add(ip)
        self.create(barrier)
        _, barrier_pod = self._find(barrier.name)
        barrier_ip = (barrier_pod.get("status") or {}).get("podIP")
        if not barrier_ip:
            raise AssertionError(f"barrier pod {barrier.name} got no podIP (cluster problem)")
        self._begin_check()
        try:
            took = convergence.must_never_show(
                hosts,
                barrier_host=barrier_ip,
                source=self.gateway.pools,
                timeouts=self.timeouts,
                pods=self.pods_for_naming,
                clock=self.clock.now,
                sleep=self.clock.sleep,
            )
        except convergence.ConsistencyFailure as exc:
            exc.expected = self.expected()
            if exc.observed is not None:  # name every pod that differs, not only the barrier
                lines, differing = convergence.describe_difference(
                    exc.expected, exc.observed, convergence.pod_names_by_ip(self.pods_for_naming())
                )
                exc.differing_pods = sorted(set(exc.differing_pods) | set(differing))
                exc.details = [*lines, *exc.details]
            self._record_failure(exc)
            raise
        self._timing("barrier", took)
        return self.must_converge(label="after-barrier")

    def _check_barrier(self, barrier: PodRow) -> None:
        """A barrier proves absence only if the reference discovers it: selected, Running, Ready, an IP."""
        assert self.config is not None, "start the gateway first"
        healthy = barrier.ready and barrier.phase == "Running" and barrier.has_ip
        if healthy and selects(barrier.labels, self.config, semantics=self.semantics):
            return
        if self.semantics is TABLE_SEMANTICS:
            raise SuiteTableError(f"barrier pod {barrier.name} is not discovered by the reference")
        pytest.skip(f"under semantics {self.semantics} the barrier is not discovered: absence is unprovable")

    def expected_warnings(self) -> list[str]:
        """The warnings the reference says this config produces (warn_if_misconfigured and should_include)."""
        from conformance import warnings

        assert self.config is not None, "start the gateway first"
        return warnings.expected_warnings(self.config, self.pods(), semantics=self.semantics)

    def must_log(self, text: str) -> float:
        """The gateway's log (ANSI stripped) must contain `text` within timeouts.log_wait seconds."""
        from conformance.warnings import strip_ansi

        self._begin_check()
        start = self.clock.now()
        while True:
            log = strip_ansi(self.gateway.log())
            if text in log:
                took = self.clock.now() - start
                self._timing("log", took)
                return took
            if self.clock.now() - start >= self.timeouts.log_wait:
                self.record["log_tail"] = _tail(log)
                raise AssertionError(
                    f"warning not in the gateway log after {self.timeouts.log_wait:g} s: {text!r}"
                )
            self.clock.sleep(self.timeouts.poll_interval)

    def _timing(self, label: str, seconds: float) -> None:
        timings: dict[str, float] = self.record["timings"]
        key, n = label, 2
        while key in timings:
            key, n = f"{label}-{n}", n + 1
        timings[key] = round(seconds, 3)
        self._harness_share(key)

    def _begin_check(self) -> None:
        """A check starts: what the clock leaves out from here on is this check's harness overhead."""
        self._check_stall = _harness_seconds(self.clock)

    def _harness_share(self, key: str) -> None:
        """Record the seconds the clock left out of the check that just ended (report: harnessSeconds)."""
        share = _harness_seconds(self.clock) - self._check_stall
        self.record.setdefault("harness_seconds", {})[key] = round(max(0.0, share), 3)

    def _record_failure(self, exc: convergence.ConsistencyFailure) -> None:
        self._harness_share("failed-check")
        self.record["expected"] = exc.expected.to_dict() if exc.expected is not None else None
        self.record["observed"] = exc.observed.to_dict() if exc.observed is not None else None
        self.record["waited_seconds"] = round(exc.waited, 3)
        self.record["differing_pods"] = list(exc.differing_pods)


class _WallClock:
    """The machine's monotonic clock (no stall accounting): the default when no clock is given."""

    now = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)


def _harness_seconds(clock: Any) -> float:
    measure = getattr(clock, "harness_seconds", None)
    return float(measure()) if callable(measure) else 0.0


def _ns_name(ns: Any) -> str:
    return str(getattr(ns, "name", ns))


def _tail(log: str, lines: int = 40) -> str:
    return "\n".join(log.splitlines()[-lines:])


def _config_dict(config: Any) -> dict[str, Any]:
    """A plain mapping of a config's fields (for the report)."""
    to_dict = getattr(config, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    fields = getattr(config, "__dataclass_fields__", {})
    return {name: _plain(getattr(config, name)) for name in fields}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [_plain(v) for v in value]
    return value
