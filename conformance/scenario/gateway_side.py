"""The gateway side of a scenario: start the gateway under a config, read it, stop it; and the faults.

Why a part of its own: what a start means for a verdict is decided here, once, for the suite and the
fuzz alike -- a gateway that refuses a configuration at startup is "rejected config" with its own
words (RejectedConfig), never a hang; one whose effective configuration differs from the requested one
in a field the test relies on makes the test "not expressible" (conformance.premise); the requested
and effective configs and the gateway's log tail go into the evidence. Fault injection (the embedded
cluster's API server) lives here because pending faults must be cleared when the gateway stops,
before anything else touches the cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from conformance import premise
from conformance.contracts import Faults, GatewayDriver, RunningGateway
from conformance.evidence import Evidence, Timeline
from conformance.registry import NotExpressible, RejectedConfig
from conformance.timeouts import TimeoutConfig
from fixtures.gateways import GatewayRejected
from reference import Pools, ServiceDiscoveryConfig

LOG_TAIL_LINES = 40


def tail(log: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(log.splitlines()[-lines:])


class GatewaySide:
    """One gateway at a time, started by `driver` against the cluster of `kubeconfig`."""

    def __init__(
        self,
        *,
        driver: GatewayDriver,
        kubeconfig: Path,
        workdir: Path,
        timeouts: TimeoutConfig,
        evidence: Evidence,
        timeline: Timeline,
        faults: Callable[[], Faults] | None = None,
    ) -> None:
        self.driver = driver
        self.kubeconfig = kubeconfig
        self.workdir = workdir
        self.timeouts = timeouts
        self.evidence = evidence
        self.timeline = timeline
        self._faults_of = faults
        self._faults: Faults | None = None
        self.config: ServiceDiscoveryConfig | None = None
        self.running: RunningGateway | None = None
        self.starts = 0

    def start(self, config: ServiceDiscoveryConfig) -> RunningGateway:
        """Start the gateway with `config` (a fresh work directory per start); refused -> RejectedConfig."""
        self.config = config
        self.evidence.requested_config = config_dict(config)
        workdir = self.workdir if self.starts == 0 else self.workdir / f"gateway-{self.starts}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self.timeline.mark("start gateway")
        try:
            self.running = self.driver.start(
                config, kubeconfig=self.kubeconfig, workdir=workdir, timeout=self.timeouts.gateway_start
            )
        except GatewayRejected as exc:
            self.evidence.log_tail = exc.log_tail
            raise RejectedConfig(exc.message) from None
        self.evidence.effective_config = config_dict(self.running.effective_config)
        return self.running

    def check_premise(self, relies_on: Iterable[str]) -> None:
        """NotExpressible when the effective config differs in a field the test relies on."""
        assert self.config is not None and self.running is not None, "start the gateway first"
        fields = premise.relevant_fields(self.config, relies_on)
        differences = premise.config_differences(self.config, self.running.effective_config, fields)
        if differences:
            raise NotExpressible(f"{self.driver.name} runs with {premise.describe(differences)}")

    def pools(self) -> Pools:
        """The running gateway's pools now (its own errors when it is gone)."""
        assert self.running is not None, "start the gateway first"
        return self.running.pools()

    def log(self) -> str:
        """The running gateway's log so far (ANSI stripped by the driver)."""
        assert self.running is not None, "start the gateway first"
        return self.running.log()

    def stop(self) -> None:
        """Keep the log tail, stop the gateway, clear pending faults; idempotent."""
        try:
            if self.running is not None:
                self.evidence.log_tail = tail(self.running.log())
                self.running.stop()
                self.running = None
        finally:
            if self._faults is not None:  # pending faults must not reach the next test
                self._faults.clear()

    @property
    def faults(self) -> Faults:
        """The cluster's fault injection (drop_watches, compact, fail_lists, restart, ...), if it has one.

        Only the embedded cluster offers it (the provider's `faults()`); elsewhere the test is
        NotExpressible. Faults still pending are cleared when the gateway stops.
        """
        if self._faults is None:
            if self._faults_of is None:
                raise NotExpressible("fault injection needs the embedded cluster")
            self._faults = self._faults_of()
        return self._faults


def config_dict(config: ServiceDiscoveryConfig) -> dict[str, Any]:
    """A plain mapping of a config's fields (for the report)."""
    return {name: _plain(getattr(config, name)) for name in config.__dataclass_fields__}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [_plain(v) for v in value]
    return value
