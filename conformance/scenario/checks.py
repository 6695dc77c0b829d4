"""The checks a conformance test states in prose: converge, never show, hold while LISTs fail, log.

Why here: each check joins the two sides of a scenario -- it asks the reference what the cluster
state means (over the pods as the API server holds them, for the config the test asked for), reads
the gateway through the wait primitive (conformance.convergence), records a timeline entry and, on
failure, the evidence (expected vs observed, time waited, the pods that differ, by name).
"""

from __future__ import annotations

from collections.abc import Callable

from conformance import convergence, warnings
from conformance.contracts import Pod
from conformance.differences import describe_difference, pod_names_by_ip
from conformance.evidence import CheckTrace, Evidence, Timeline
from conformance.latency import ChangeKind, Expectations
from conformance.scenario.cluster_side import ClusterSide
from conformance.scenario.gateway_side import GatewaySide, tail
from conformance.scenario.table import TABLE_SEMANTICS, Row, Table, check_barrier
from conformance.timeouts import TimeoutConfig
from fixtures.gateways import strip_ansi
from fixtures.waiting import Clock, WaitTimeout, wait_for
from reference import Pools, Semantics, ServiceDiscoveryConfig, expected_pools


class Checks:
    """The assertions of a Scenario (which builds these parts)."""

    cluster: ClusterSide
    gateway_side: GatewaySide
    table: Table
    evidence: Evidence
    timeline: Timeline
    timeouts: TimeoutConfig
    clock: Clock
    semantics: Semantics
    expectations: Expectations
    _last: tuple[Pools, list[Pod]] | None = None

    @property
    def config(self) -> ServiceDiscoveryConfig:
        """The config the gateway was started with."""
        assert self.gateway_side.config is not None, "start the gateway first"
        return self.gateway_side.config

    def expected(self) -> Pools:
        """reference.expected_pools over the pods as the API server holds them now."""
        return self._expectation()[0]

    def _expectation(self) -> tuple[Pools, list[Pod]]:
        """The expected pools and the pods they were computed from (kept: the last expectation)."""
        pods = self.cluster.pods()
        pools = expected_pools(pods, self.config, semantics=self.semantics)
        if self.semantics is TABLE_SEMANTICS:
            self.table.check(pods, pools)
        self._last = (pools, pods)
        return pools, pods

    def must_converge(self, *, label: str = "converge") -> float:
        """The gateway's pools must equal the reference's for the current cluster state (within the cap)."""
        return self._converge(label)

    def must_converge_and_hold(self, *, since: float, label: str = "converge-and-hold") -> float:
        """Converge to the reference within the cap counted from `since` (the clock time of the last
        change), and stay equal until `timeouts.hold` seconds after it.

        For changes that did not wait for the gateway: a gateway that shows the final state at once but
        still has a removal pending from an overlapped change (a drain) loses the worker inside the
        hold, and then must get it back within the cap. Returns the measured time from `since`.
        """
        return self._converge(label, since=since, settle=self.timeouts.hold)

    def _converge(self, label: str, *, since: float | None = None, settle: float = 0.0) -> float:
        expected = self.expected()
        return self._checked(
            label,
            expected,
            lambda trace: convergence.must_converge_to(
                expected,
                source=self.gateway_side.pools,
                timeouts=self.timeouts,
                pods=self.cluster.pods_for_naming,
                clock=self.clock,
                trace=trace,
                since=since,
                settle=settle,
            ),
            change=self.expectations.advance(expected),
        )

    def must_never_show(self, *names: str, barrier: Row) -> float:
        """Prove that the named pods are not discovered: a barrier pod must show, then a settle window.

        The pools must first converge to the reference for the pods so far (docs/architecture.md,
        steps 5 then 6): a gateway that misses an expected worker fails on that, naming it, rather
        than on a barrier that cannot show for the same reason.
        """
        check_barrier(barrier, self.config, self.semantics)
        self.must_converge(label="before-barrier")
        hosts = set()
        for name in names:
            _, item = self.cluster.find(name)
            ip = (item.get("status") or {}).get("podIP")
            if ip:
                hosts.add(ip)
        self.cluster.create([barrier.spec], namespace=self.cluster.main)
        self.table.state(self.cluster.main.name, barrier)
        _, barrier_pod = self.cluster.find(barrier.name)
        barrier_ip = (barrier_pod.get("status") or {}).get("podIP")
        if not barrier_ip:
            raise AssertionError(f"barrier pod {barrier.name} got no podIP (cluster problem)")
        expected = self.expected()
        change = self.expectations.advance(expected)

        def name_every_difference(exc: convergence.ConsistencyFailure) -> None:
            exc.expected = expected
            if exc.observed is not None:  # name every pod that differs, not only the barrier
                names = pod_names_by_ip(self.cluster.pods_for_naming())
                lines, differing = describe_difference(expected, exc.observed, names)
                exc.differing_pods = sorted(set(exc.differing_pods) | set(differing))
                exc.details = [*lines, *exc.details]

        self._checked(
            "barrier",
            expected,
            lambda trace: convergence.must_never_show(
                hosts,
                barrier_host=barrier_ip,
                source=self.gateway_side.pools,
                timeouts=self.timeouts,
                pods=self.cluster.pods_for_naming,
                clock=self.clock,
                trace=trace,
            ),
            on_failure=name_every_difference,
            change=change,
        )
        return self.must_converge(label="after-barrier")

    def must_hold_while_lists_fail(self, *, label: str = "lists-failing") -> float:
        """The pools must stay equal to the reference's while injected LIST failures are pending.

        Polls the gateway (never the API server: a LIST of ours would take an injected failure) until
        the failures have been served and `timeouts.settle` more seconds have passed, or the cap runs
        out (a gateway that does not LIST then is judged by the next must_converge). A snapshot that
        differs -- pools drained because a LIST failed -- fails at once. Returns the seconds held.
        """
        assert self._last is not None, "converge before injecting LIST failures"
        expected, pods = self._last
        faults = self.gateway_side.faults
        trace = self._trace(label, expected)
        stalled = self.clock.stalled()
        try:
            held, served = convergence.must_stay(
                expected,
                source=self.gateway_side.pools,
                timeouts=self.timeouts,
                released=lambda: faults.pending_list_failures() == 0,
                why="LISTs failed (the cluster did not change: a failing LIST must not drain the pools)",
                pods=lambda: pods,
                clock=self.clock,
                trace=trace,
            )
        except convergence.ConsistencyFailure as exc:
            self._record_failure(exc)
            raise
        if not served:  # the gateway made no LIST: ours must not take the failures
            faults.clear()
        self.evidence.timing(
            label if served else f"{label}-not-served", held, harness=self.clock.stalled() - stalled
        )
        return held

    def expected_warnings(self) -> list[str]:
        """The warnings the reference says this config produces (warn_if_misconfigured and should_include)."""
        return warnings.expected_warnings(self.config, self.cluster.pods(), semantics=self.semantics)

    def must_log(self, text: str) -> float:
        """The gateway's log (ANSI stripped) must contain `text` within timeouts.log_wait seconds."""
        trace = self.timeline.begin("log", cap_seconds=self.timeouts.log_wait, expected=None)
        start, stalled = self.clock.now(), self.clock.stalled()
        try:
            wait_for(
                lambda: text in strip_ansi(self.gateway_side.log()) or None,
                timeout=self.timeouts.log_wait,
                what=f"{text!r} in the gateway log",
                interval=self.timeouts.poll_interval,
                clock=self.clock,
            )
        except WaitTimeout:
            trace.finish("not logged", at=None, end=self.clock.now())
            self.evidence.log_tail = tail(strip_ansi(self.gateway_side.log()))
            raise AssertionError(
                f"warning not in the gateway log after {self.timeouts.log_wait:g} s: {text!r}"
            ) from None
        took = self.clock.now() - start
        trace.finish("logged", at=self.clock.now(), end=self.clock.now())
        self.evidence.timing("log", took, harness=self.clock.stalled() - stalled)
        return took

    def _trace(self, label: str, expected: Pools) -> CheckTrace:
        """A timeline entry for a check bounded by the cap on time to consistency."""
        return self.timeline.begin(
            label, cap_seconds=self.timeouts.max_time_to_consistency, expected=expected
        )

    def _checked(
        self,
        label: str,
        expected: Pools,
        check: Callable[[CheckTrace], float],
        *,
        on_failure: Callable[[convergence.ConsistencyFailure], None] | None = None,
        change: ChangeKind | None = None,
    ) -> float:
        """Run one check with its timeline entry; record its time, or its failure as evidence."""
        trace = self._trace(label, expected)
        trace.change = None if change is None else change.value
        stalled = self.clock.stalled()  # the harness's own stalls during the check: reported beside it
        try:
            took = check(trace)
        except convergence.ConsistencyFailure as exc:
            if on_failure is not None:
                on_failure(exc)
            self._record_failure(exc)
            raise
        trace.seconds = took
        self.evidence.timing(label, took, harness=self.clock.stalled() - stalled)
        return took

    def _record_failure(self, exc: convergence.ConsistencyFailure) -> None:
        self.evidence.failure(
            expected=exc.expected, observed=exc.observed, waited=exc.waited, differing=exc.differing_pods
        )
