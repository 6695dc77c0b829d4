"""The Scenario core against an in-memory cluster and gateway (the Protocols of conformance/contracts.py).

Why: the suite's verdict logic -- the table check, rejected and inexpressible configs, convergence,
absence, evidence and timeline -- must be right on its own, independent of a real cluster; the fakes
here implement only the Protocols, and a fake clock makes every wait instant (the one injection point).
The real path is covered by tests/conformance/test_proof.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import pytest

from conformance.convergence import ConsistencyFailure
from conformance.registry import NotExpressible, Outcome, RejectedConfig
from conformance.scenario import ABSENT, Scenario, SuiteTableError, pod
from conformance.timeouts import TimeoutConfig
from fixtures.clusters.podspec import PodSpec
from fixtures.clusters.templates import NotExpressible as ClusterCannotHold
from fixtures.gateways import GatewayRejected, GatewayTiming
from reference import Pools, ServiceDiscoveryConfig, Worker, expected_pools
from tests.polling import FakeTime

APP = {"app": "sglang"}
Pod = dict[str, object]


class FakeNamespace:
    """Pods in memory: Running pods get the next 127.0.0.N at once; `has_ip=False` cannot be held."""

    next_ip = 2

    def __init__(self, name: str) -> None:
        self.name = name
        self.stored: dict[str, Pod] = {}
        self.specs: dict[str, PodSpec] = {}

    def create_pods(self, specs: Iterable[PodSpec]) -> list[Pod]:
        out = []
        for spec in specs:
            if not spec.has_ip:
                raise ClusterCannotHold(f"pod {spec.name}: a real kubelet cannot run a pod without an IP")
            ip = f"127.0.0.{FakeNamespace.next_ip}"
            FakeNamespace.next_ip += 1
            ready = "True" if spec.expects_ready else "False"
            self.specs[spec.name] = spec
            self.stored[spec.name] = {
                "metadata": {"name": spec.name, "namespace": self.name, "labels": dict(spec.labels)},
                "status": {
                    "phase": spec.phase,
                    "podIP": ip,
                    "conditions": [{"type": "Ready", "status": ready}],
                },
            }
            out.append(self.stored[spec.name])
        return out

    def pods(self) -> list[Pod]:
        return list(self.stored.values())

    def get(self, name: str) -> Pod | None:
        return self.stored.get(name)

    def relabel(self, name: str, labels: Mapping[str, str]) -> Pod:
        self.stored[name]["metadata"]["labels"] = dict(labels)  # type: ignore[index]
        return self.stored[name]

    def set_ready(self, name: str, ready: bool) -> Pod:
        self.stored[name]["status"]["conditions"] = [{"type": "Ready", "status": str(ready)}]  # type: ignore[index]
        return self.stored[name]

    def set_phase(self, name: str, phase: str) -> Pod:
        self.stored[name]["status"]["phase"] = phase  # type: ignore[index]
        return self.stored[name]

    def set_ready_conditions(self, name: str, statuses: Sequence[str]) -> Pod:
        conditions = [{"type": "Ready", "status": status} for status in statuses]
        self.stored[name]["status"]["conditions"] = conditions  # type: ignore[index]
        return self.stored[name]

    def delete(self, name: str, grace_seconds: int | None = None, *, wait: bool | None = None) -> Pod | None:
        return self.stored.pop(name, None)

    def recreate(self, name: str, spec: PodSpec | None = None) -> Pod:
        self.delete(name)
        return self.create_pods([spec or self.specs[name]])[0]

    def wait_gone(self, name: str, *, timeout: float | None = None) -> None:
        assert name not in self.stored

    def release_workers(self) -> None:
        pass

    def close(self) -> None:
        self.stored.clear()


class FakeGateway:
    """Shows what `view` makes of the reference's pools (conformant when `view` is the identity)."""

    def __init__(self, config: ServiceDiscoveryConfig, cluster: list[FakeNamespace], view: View) -> None:
        self.requested_config = self.effective_config = config
        self.cluster, self.view = cluster, view
        self.stopped = False

    def pools(self) -> Pools:
        pods = [p for ns in self.cluster for p in ns.pods()]
        return self.view(expected_pools(pods, self.requested_config), pods)

    def log(self) -> str:
        return "gateway log line"

    def alive(self) -> bool:
        return not self.stopped

    def stop(self) -> None:
        self.stopped = True


View = Callable[[Pools, list[Pod]], Pools]


class FakeDriver:
    name = "fake"
    timing = GatewayTiming()

    def __init__(self, cluster: list[FakeNamespace], view: View = lambda pools, pods: pools) -> None:
        self.cluster, self.view = cluster, view
        self.refuse: str | None = None
        self.forced: dict[str, object] = {}

    def version(self) -> str:
        return "fake 1"

    def start(
        self, config: ServiceDiscoveryConfig, *, kubeconfig: Path, workdir: Path, timeout: float = 30.0
    ) -> FakeGateway:
        if self.refuse:
            raise GatewayRejected(self.refuse, exit_code=2, log_tail="refused here")
        gateway = FakeGateway(config, self.cluster, self.view)
        gateway.effective_config = dataclasses.replace(config, **self.forced)  # type: ignore[arg-type]
        return gateway


def scenario(
    tmp_path: Path, view: View = lambda pools, pods: pools, **kwargs: object
) -> tuple[Scenario, FakeTime]:
    time = FakeTime()
    namespaces: list[FakeNamespace] = []

    def new_namespace() -> FakeNamespace:
        namespaces.append(FakeNamespace(f"ns-{len(namespaces)}"))
        return namespaces[-1]

    scn = Scenario(
        driver=FakeDriver(namespaces, view),
        new_namespace=new_namespace,
        kubeconfig=tmp_path / "kubeconfig",
        workdir=tmp_path,
        timeouts=TimeoutConfig(poll_interval=1.0, max_time_to_consistency=10.0, settle=3.0),
        worker_port=8000,
        clock=time.clock(),
        **kwargs,  # type: ignore[arg-type]
    )
    return scn, time


def test_a_conformant_gateway_converges_and_leaves_a_timeline(tmp_path: Path) -> None:
    scn, time = scenario(tmp_path)
    scn.create(pod("a", APP, expect="regular"), pod("other", {"app": "x"}, expect=ABSENT))
    scn.start(selector=APP)
    assert scn.must_converge(label="initial") == 0.0
    scn.set_ready("a", False)
    scn.must_converge(label="unready")
    assert time.now == 4.0  # two checks of three polls each, one second apart, all on the fake clock
    report = scn.evidence.to_report(Outcome.PASSED)
    marks = [(action, pods) for _, action, pods in report["timeline"]["marks"]]
    assert marks == [("create", ["a", "other"]), ("start gateway", []), ("unready", ["a"])]
    assert [c["label"] for c in report["timeline"]["checks"]] == ["initial", "unready"]
    assert report["timings"] == {"initial": 0.0, "unready": 0.0}


def test_a_table_that_disagrees_with_the_reference_is_a_suite_error(tmp_path: Path) -> None:
    scn, _ = scenario(tmp_path)
    scn.create(pod("a", APP, expect=ABSENT))
    scn.start(selector=APP)
    with pytest.raises(SuiteTableError, match="table says pod a is '-', the reference says 'regular'"):
        scn.must_converge()


def test_a_refused_config_is_rejected_config_with_the_log_tail(tmp_path: Path) -> None:
    scn, _ = scenario(tmp_path)
    scn.driver.refuse = "Configuration error: no"  # type: ignore[attr-defined]
    with pytest.raises(RejectedConfig, match="rejected config: Configuration error: no"):
        scn.start(selector=APP)
    assert scn.evidence.log_tail == "refused here"


def test_a_forced_field_the_test_relies_on_is_not_expressible(tmp_path: Path) -> None:
    scn, _ = scenario(tmp_path, relies_on=["igw_mode"])
    scn.driver.forced = {"igw_mode": True}  # type: ignore[attr-defined]
    with pytest.raises(NotExpressible, match="fake runs with igw_mode=True where the test asks for False"):
        scn.start(selector=APP)


def test_a_pod_the_cluster_cannot_hold_is_not_expressible(tmp_path: Path) -> None:
    scn, _ = scenario(tmp_path)
    with pytest.raises(NotExpressible, match="cannot run a pod without an IP"):
        scn.create(pod("no-ip", APP, has_ip=False))


def test_an_excluded_pod_that_shows_after_the_barrier_fails_naming_it(tmp_path: Path) -> None:
    def leaks_other_once_the_barrier_is_there(pools: Pools, pods: list[Pod]) -> Pools:
        names = {p["metadata"]["name"]: p["status"]["podIP"] for p in pods}  # type: ignore[index]
        if "barrier" not in names:
            return pools
        leaked = Worker(f"http://{names['other']}:8000", None)
        return Pools(pools.regular | {leaked}, pools.prefill, pools.decode)

    scn, _ = scenario(tmp_path, view=leaks_other_once_the_barrier_is_there)
    scn.create(pod("a", APP, expect="regular"), pod("other", {"app": "x"}, expect=ABSENT))
    scn.start(selector=APP)
    with pytest.raises(ConsistencyFailure, match=r"excluded pod\(s\) shown by the gateway") as info:
        scn.must_never_show("other", barrier=pod("barrier", APP, expect="regular"))
    assert info.value.differing_pods == ["ns-0/other"]
    assert scn.evidence.differing_pods == ["ns-0/other"] and scn.evidence.expected is not None
    assert scn.evidence.timeline is not None
    assert [(c.label, c.result) for c in scn.evidence.timeline.checks] == [
        ("before-barrier", "converged"),
        ("barrier", "excluded shown"),
    ]


def test_a_barrier_the_reference_does_not_discover_is_a_suite_error(tmp_path: Path) -> None:
    scn, _ = scenario(tmp_path)
    scn.create(pod("a", APP, expect="regular"))
    scn.start(selector=APP)
    with pytest.raises(SuiteTableError, match="barrier pod barrier is not discovered"):
        scn.must_never_show("a", barrier=pod("barrier", {"app": "x"}))
