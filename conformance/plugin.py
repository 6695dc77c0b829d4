"""The pytest plugin that runs conformance/suite: options, per-test fixtures, outcomes, the report.

ARCHITECTURE.md "How a conformance test runs": one fresh namespace per test from the cluster provider,
one gateway per test from the driver (configs are flags, and a gateway that never drops workers would
leak state into the next test), everything stopped at the end -- on failure too. The plugin turns each
test into a report entry: outcome (Passed / Failed / RejectedConfig / NotExpressible / Skipped),
expected vs observed pools, the pods that differ, the log tail and the pods as the API server holds
them. Load it with `-p conformance.plugin` (`python -m conformance` does).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import HARNESS_VERSION
from conformance.features import PROFILES, Feature, resolve_profiles, selected_by
from conformance.registry import (
    MARKER,
    ConformanceTest,
    NotExpressible,
    Outcome,
    RejectedConfig,
    declaration_of,
)
from conformance.report import TestResult, build_report, render_summary, write_report
from conformance.signals import interrupt_on_sigterm
from conformance.timeouts import TimeoutConfig, load_timeouts
from reference import Semantics

_OUTCOME = pytest.StashKey[tuple[Outcome, str]]()
_SCENARIO = pytest.StashKey[Any]()
_DURATION = pytest.StashKey[float]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "gateway discovery conformance")
    group.addoption("--gateway", default="reference", help="reference | smg | sglang-router | PATH.yaml")
    group.addoption("--profile", action="append", default=[], help=f"profiles ({', '.join(PROFILES)})")
    group.addoption("--timeout-config", default=None, help="YAML file of TimeoutConfig fields")
    group.addoption(
        "--timeout-override", action="append", default=[], help="override one timeout: NAME=SECONDS"
    )
    group.addoption("--report", default=None, help="write the ConformanceReport YAML here")
    group.addoption("--cluster", default="embedded", help="cluster provider (default: embedded)")
    group.addoption(
        "--exempt-feature", action="append", default=[], help="features the gateway does not claim"
    )
    group.addoption(
        "--semantics",
        default=Semantics.PR_25294.value,
        choices=[member.value for member in Semantics],
        help="the discovery rules expectations come from (default: pr-25294)",
    )


class ConformanceRun:
    """Session state: options, the driver, the cluster provider, the results gathered so far."""

    def __init__(self, config: pytest.Config) -> None:
        opt = config.option
        self.gateway_name: str = opt.gateway
        self.profiles = resolve_profiles(opt.profile)
        self.timeouts: TimeoutConfig = load_timeouts(opt.timeout_config, opt.timeout_override)
        self.cluster_name: str = opt.cluster
        self.exempt = {Feature(f) if f in Feature._value2member_map_ else f for f in opt.exempt_feature}
        self.report_path: str | None = opt.report
        self.semantics = Semantics.parse(opt.semantics)
        self.results: list[TestResult] = []
        self.started = time.monotonic()
        self._driver: Any = None
        self._provider: Any = None
        self.version: str = "unknown"
        self.final_report: dict[str, Any] | None = None

    @property
    def driver(self) -> Any:
        if self._driver is None:
            from fixtures.gateways import get_driver

            self._driver = get_driver(self.gateway_name)
            try:
                self.version = str(self._driver.version())
            except Exception as exc:  # the version is evidence, not a reason to stop
                self.version = f"unknown ({exc})"
        return self._driver

    @property
    def provider(self) -> Any:
        if self._provider is None:
            from fixtures.clusters import get_provider

            provider = get_provider(self.cluster_name)
            self._provider = provider.start() if hasattr(provider, "start") else provider
        return self._provider

    def close(self) -> None:
        if self._provider is not None:
            with contextlib.suppress(Exception):
                self._provider.close()
            self._provider = None

    def report(self) -> dict[str, Any]:
        name = getattr(self._driver, "name", self.gateway_name)
        return build_report(
            results=self.results,
            implementation={"name": name, "version": self.version, "gateway": self.gateway_name},
            harness_version=HARNESS_VERSION,
            cluster_provider=self.cluster_name,
            semantics_version=self.semantics.value,
            timeouts=self.timeouts.to_dict(),
            profiles=[p.name for p in self.profiles],
            wall_seconds=time.monotonic() - self.started,
        )


_RUN = pytest.StashKey[ConformanceRun]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(decl): a declared conformance test (conformance.registry)")
    config.stash[_RUN] = ConformanceRun(config)
    interrupt_on_sigterm()  # pytest then unwinds and every fixture finalizer stops its gateway


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is not None:
        run.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the conformance tests whose features the selected profiles cover."""
    run = config.stash[_RUN]
    keep, drop = [], []
    for item in items:
        decl = declaration_of(item)
        if decl is not None:
            item.add_marker(pytest.mark.conformance(decl))
        if decl is None or selected_by(decl.features, run.profiles):
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> ConformanceRun:
    return request.config.stash[_RUN]


@pytest.fixture
def scenario(
    request: pytest.FixtureRequest, conformance_run: ConformanceRun, tmp_path: Path
) -> Iterator[Any]:
    """A Scenario: fresh namespaces, one gateway; all stopped / deleted afterwards, on failure too."""
    from conformance.scenario import Scenario
    from fixtures.clusters.podspec import DEFAULT_WORKER_PORT

    decl = declaration_of(request.node)
    lacking = sorted(str(f) for f in (decl.features if decl else ()) if f in conformance_run.exempt)
    if lacking:
        raise NotExpressible(f"the gateway does not claim feature(s) {', '.join(lacking)}")
    provider = conformance_run.provider
    driver = conformance_run.driver
    namespaces: list[Any] = []

    def new_namespace() -> Any:
        ns = provider.namespace()
        namespaces.append(ns)
        return ns

    scn = Scenario(
        driver=driver,
        new_namespace=new_namespace,
        kubeconfig=provider.kubeconfig,
        workdir=tmp_path,
        timeouts=conformance_run.timeouts,
        worker_port=DEFAULT_WORKER_PORT,
        relies_on=decl.relies_on if decl else (),
        semantics=conformance_run.semantics,
        faults=getattr(provider, "faults", None),  # embedded only: the resilience profile
    )
    request.node.stash[_SCENARIO] = scn
    try:
        yield scn
    finally:
        outcome = request.node.stash.get(_OUTCOME, None)
        try:
            if outcome is not None and outcome[0] is not Outcome.PASSED:
                with contextlib.suppress(Exception):
                    scn.record["pods"] = [_pod_summary(p) for p in scn.pods()]
        finally:
            try:
                scn.stop()
            finally:
                for ns in reversed(namespaces):
                    with contextlib.suppress(Exception):
                        ns.close()


def _pod_summary(pod: dict[str, Any]) -> dict[str, Any]:
    """The fields of a pod that discovery looks at, as the API server holds them."""
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    ready = next((c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    out = {
        "name": f"{meta.get('namespace')}/{meta.get('name')}",
        "labels": dict(meta.get("labels") or {}),
        "phase": status.get("phase"),
        "ready": ready,
        "podIP": status.get("podIP"),
    }
    if meta.get("annotations"):
        out["annotations"] = dict(meta["annotations"])
    if meta.get("deletionTimestamp"):
        out["deletionTimestamp"] = meta["deletionTimestamp"]
    return out


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    decl = declaration_of(item)
    if decl is None:
        return report
    item.stash[_DURATION] = item.stash.get(_DURATION, 0.0) + report.duration
    if report.when in ("setup", "call") and (report.when == "call" or not report.passed):
        item.stash[_OUTCOME] = _classify(report, call)
    if report.when == "teardown":
        result = _record(item, decl, report)
        # JUnit (pytest's --junitxml) carries the verdict and the pods that differ as properties
        report.user_properties.append(("conformance.id", decl.id))
        report.user_properties.append(("conformance.outcome", result.outcome.value))
        for key in ("differingPods", "waitedSeconds"):
            if result.evidence.get(key):
                report.user_properties.append((f"conformance.{key}", str(result.evidence[key])))
    return report


def _classify(report: pytest.TestReport, call: pytest.CallInfo[None]) -> tuple[Outcome, str]:
    if report.passed:
        return Outcome.PASSED, ""
    if report.skipped:
        reason = _skip_reason(report)
        marker = "not expressible:"
        if marker in reason:
            return Outcome.NOT_EXPRESSIBLE, reason[reason.index(marker) :]
        return Outcome.SKIPPED, reason
    exc = call.excinfo.value if call.excinfo is not None else None
    message = str(exc) if exc is not None else str(report.longrepr).splitlines()[-1]
    if isinstance(exc, RejectedConfig):
        return Outcome.REJECTED_CONFIG, message
    if exc is not None and not isinstance(exc, AssertionError):
        message = f"{type(exc).__name__}: {message}"
    return Outcome.FAILED, message


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason.removeprefix("Skipped: ")
    return str(longrepr)


def _record(item: pytest.Item, decl: ConformanceTest, teardown: pytest.TestReport) -> TestResult:
    run = item.config.stash[_RUN]
    outcome, message = item.stash.get(_OUTCOME, (Outcome.FAILED, "test did not run"))
    if outcome is Outcome.PASSED and teardown.failed:
        outcome, message = Outcome.FAILED, f"teardown failed: {str(teardown.longrepr).splitlines()[-1]}"
    scn = item.stash.get(_SCENARIO, None)
    record: dict[str, Any] = dict(scn.record) if scn is not None else {}
    evidence: dict[str, Any] = {}
    requested, effective = record.get("requested_config"), record.get("effective_config")
    if requested and effective and requested != effective:
        evidence["requestedConfig"] = requested
        evidence["effectiveConfig"] = effective
    elif requested:
        evidence["config"] = requested
    evidence["timings"] = record.get("timings")
    if outcome is not Outcome.PASSED:
        evidence["differingPods"] = record.get("differing_pods")
        evidence["waitedSeconds"] = record.get("waited_seconds")
        evidence["expected"] = record.get("expected")
        evidence["observed"] = record.get("observed")
        evidence["pods"] = record.get("pods")
        if outcome in (Outcome.FAILED, Outcome.REJECTED_CONFIG):
            evidence["logTail"] = record.get("log_tail")
    result = TestResult(
        id=decl.id,
        description=decl.description,
        features=[str(f) for f in decl.features],
        profiles=decl.profiles,
        outcome=outcome,
        message=message,
        duration=item.stash.get(_DURATION, 0.0),
        evidence=evidence,
    )
    run.results.append(result)
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Build the report once (before the terminal summary) and write it when asked."""
    run = session.config.stash.get(_RUN, None)
    if run is None or not run.results:
        return
    run.final_report = run.report()
    if run.report_path:
        write_report(run.final_report, run.report_path)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or not run.results:
        return
    terminalreporter.section("conformance summary")
    terminalreporter.write_line(render_summary(run.final_report or run.report()))
    if run.report_path:
        terminalreporter.write_line(f"report: {run.report_path}")
