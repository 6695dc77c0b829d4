"""The pytest plugin that runs conformance/suite: options, per-test fixtures, outcomes, the report.

ARCHITECTURE.md "How a conformance test runs": one fresh namespace per test from the cluster provider,
one gateway per test from the driver (configs are flags, and a gateway that never drops workers would
leak state into the next test), everything stopped at the end -- on failure too. The plugin turns each
test into a report entry: outcome (Passed / Failed / RejectedConfig / NotExpressible / Skipped),
expected vs observed pools, the pods that differ, the log tail and the pods as the API server holds
them. Load it with `-p conformance.plugin` (`python -m conformance` does).

Trustworthy verdicts (the session-level half; the per-test half is above):
- every option is checked in `pytest_configure` and the selection at the end of collection (an
  unknown `--test` id, a `-k` that selects nothing): pytest's usage error, before any test starts;
- only then is the run guarded (fixtures/lifetime: the run cookie and the reaper), and SIGINT/SIGTERM
  unwind it (conformance/signals.py);
- a test that could not be judged -- the gateway could not be installed or prepared, the cluster
  failed under it -- is not a gateway failure: it is listed as not run, and a preparation failure
  stops the session (every later test would fail the same way);
- the report always says whether every selected test finished (`complete`), why not, and which never
  ran; it is written atomically, and a JUnit file gets the same verdict as a global property.
"""

from __future__ import annotations

import contextlib
import difflib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conformance import HARNESS_VERSION, signals, validate
from conformance.features import PROFILES, resolve_profiles, selected_by
from conformance.registry import (
    MARKER,
    REGISTRY,
    ConformanceTest,
    NotExpressible,
    Outcome,
    RejectedConfig,
    declaration_of,
)
from conformance.report import TestResult, build_report, is_complete, render_summary, write_report
from conformance.timeouts import TimeoutConfig

SEMANTICS = "pr-25294"
_OUTCOME = pytest.StashKey[tuple[Outcome, str]]()
_SCENARIO = pytest.StashKey[Any]()
_DURATION = pytest.StashKey[float]()
_NOT_JUDGED = pytest.StashKey[str]()


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
        "--test", dest="conformance_tests", action="append", default=[], help="only this test id (repeat)"
    )


class ConformanceRun:
    """Session state: options, the driver, the cluster provider, the results gathered so far."""

    def __init__(self, config: pytest.Config) -> None:
        """Check every option (validate.UsageError, one line) before anything is started."""
        opt = config.option
        self.gateway_name: str = opt.gateway
        validate.check_gateway(self.gateway_name)
        validate.check_profiles(opt.profile)
        self.profiles = resolve_profiles(opt.profile)
        self.timeouts: TimeoutConfig = validate.check_timeouts(opt.timeout_config, opt.timeout_override)
        self.cluster_name: str = opt.cluster
        validate.check_cluster(self.cluster_name)
        self.exempt = validate.check_features(opt.exempt_feature)
        self.test_ids: list[str] = [t for item in opt.conformance_tests for t in item.split(",") if t.strip()]
        self.report_path: str | None = opt.report
        if self.report_path:
            validate.check_output_file(self.report_path, "--report")
        if getattr(opt, "xmlpath", None):
            validate.check_output_file(opt.xmlpath, "--junitxml")
        self.results: list[TestResult] = []
        self.selected: list[ConformanceTest] = []
        self.stop_reasons: list[str] = []
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

    def not_run(self) -> list[ConformanceTest]:
        done = {r.id for r in self.results}
        return [t for t in self.selected if t.id not in done]

    def stopped(self, reason: str) -> None:
        if reason not in self.stop_reasons:
            self.stop_reasons.append(reason)

    def report(self) -> dict[str, Any]:
        name = getattr(self._driver, "name", self.gateway_name)
        return build_report(
            results=self.results,
            implementation={"name": name, "version": self.version, "gateway": self.gateway_name},
            harness_version=HARNESS_VERSION,
            cluster_provider=self.cluster_name,
            semantics_version=SEMANTICS,
            timeouts=self.timeouts.to_dict(),
            profiles=[p.name for p in self.profiles],
            wall_seconds=time.monotonic() - self.started,
            not_run=self.not_run(),
            incomplete_reason="; ".join(self.stop_reasons) or None,
        )


_RUN = pytest.StashKey[ConformanceRun]()


def final_report(config: pytest.Config) -> dict[str, Any] | None:
    """The report this session built (None if it stopped before the selection was known)."""
    run = config.stash.get(_RUN, None)
    return run.final_report if run is not None else None


@pytest.hookimpl(trylast=True)  # after pytest's own sys.unraisablehook (signals.keep_interrupts wraps it)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(decl): a declared conformance test (conformance.registry)")
    _INTERRUPTS.clear()
    try:
        config.stash[_RUN] = ConformanceRun(config)
    except validate.UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    signals.install()  # pytest then unwinds and every fixture finalizer stops its gateway


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is not None:
        try:
            run.close()
        finally:
            from fixtures.lifetime import release_run

            release_run()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the conformance tests whose features the selected profiles cover (and `--test` ids)."""
    run = config.stash[_RUN]
    keep, drop = [], []
    for item in items:
        decl = declaration_of(item)
        if decl is not None:
            item.add_marker(pytest.mark.conformance(decl))
        wanted = decl is None or (
            selected_by(decl.features, run.profiles) and (not run.test_ids or decl.id in run.test_ids)
        )
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """The selection is final: refuse unknown test ids and an empty selection, then guard the run."""
    run = session.config.stash.get(_RUN, None)
    if run is None or session.testsfailed:
        return  # a collection error is pytest's to report (the run then counts as incomplete)
    for test_id in run.test_ids:
        if test_id not in REGISTRY:
            close = difflib.get_close_matches(test_id, list(REGISTRY), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" ({len(REGISTRY)} ids are declared)"
            raise pytest.UsageError(f"unknown test id {test_id!r}{hint}")
    run.selected = [d for d in (declaration_of(item) for item in session.items) if d is not None]
    if not run.selected:
        raise pytest.UsageError(f"{_selection(session.config, run)} selects no conformance test")
    if session.config.option.collectonly:
        return
    from fixtures.lifetime import guard_run

    guard_run()  # from here on, whatever the run starts dies with it


def _selection(config: pytest.Config, run: ConformanceRun) -> str:
    parts = [f"--profile {','.join(p.name for p in run.profiles)}"]
    if run.test_ids:
        parts.append(f"--test {','.join(run.test_ids)}")
    if config.option.keyword:
        parts.append(f"-k {config.option.keyword!r}")
    if config.option.markexpr:
        parts.append(f"-m {config.option.markexpr!r}")
    return " ".join(parts)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """Belt and braces: a signal whose KeyboardInterrupt some code swallowed stops the run here."""
    if signals.first_signal() and _SESSION and not _SESSION[0].shouldstop:
        _SESSION[0].shouldstop = f"interrupted by {signals.first_signal()}"


def pytest_sessionstart(session: pytest.Session) -> None:
    _SESSION[:] = [session]


_SESSION: list[pytest.Session] = []


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Remember why the session stopped (a signal, or pytest's own stop after a failed preparation)."""
    _INTERRUPTS.append(signals.first_signal() or type(excinfo.value).__name__)


_INTERRUPTS: list[str] = []


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> ConformanceRun:
    return request.config.stash[_RUN]


@pytest.fixture
def scenario(
    request: pytest.FixtureRequest, conformance_run: ConformanceRun, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A Scenario: fresh namespaces, one gateway; all stopped / deleted afterwards, on failure too."""
    from conformance.scenario import Scenario
    from fixtures.clusters.podspec import DEFAULT_WORKER_PORT

    # Not `tmp_path`: its teardown fails (KeyError) when a signal interrupted the test's setup.
    tmp_path = tmp_path_factory.mktemp(request.node.name[:40], numbered=True)
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
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report: pytest.TestReport = yield
    decl = declaration_of(item)
    if decl is None:
        return report
    item.stash[_DURATION] = item.stash.get(_DURATION, 0.0) + report.duration
    if report.when in ("setup", "call") and (report.when == "call" or not report.passed):
        why_not = _not_judged(call)
        if why_not is not None:
            item.stash[_NOT_JUDGED] = why_not
        else:
            item.stash[_OUTCOME] = _classify(report, call)
            _keep_log_tail(item, call)
    if report.when == "teardown":
        why_not = item.stash.get(_NOT_JUDGED, None)
        if why_not is not None:
            run = item.config.stash[_RUN]
            run.stopped(f"{decl.id}: {why_not}")
            if why_not.startswith(SETUP_FAILED):
                item.session.shouldstop = why_not  # every later test would fail the same way
            return report
        result = _record(item, decl, report)
        # JUnit (pytest's --junitxml) carries the verdict and the pods that differ as properties
        report.user_properties.append(("conformance.id", decl.id))
        report.user_properties.append(("conformance.outcome", result.outcome.value))
        for key in ("differingPods", "waitedSeconds"):
            if result.evidence.get(key):
                report.user_properties.append((f"conformance.{key}", str(result.evidence[key])))
    return report


SETUP_FAILED = "the gateway could not be prepared"


def _not_judged(call: pytest.CallInfo[None]) -> str | None:
    """Why a test says nothing about the gateway, or None when its outcome is a verdict.

    The harness could not prepare the gateway (install, YAML placeholders, version probe), or the
    cluster failed under the test (a ProviderError: API server, pods, namespaces). Neither is the
    gateway's failure; the test is reported as not run and the run as incomplete.
    """
    exc = call.excinfo.value if call.excinfo is not None else None
    if exc is None:
        return None
    from fixtures.clusters.errors import ProviderError
    from fixtures.clusters.templates import NotExpressible as ClusterNotExpressible
    from fixtures.gateways import GatewaySetupError

    if isinstance(exc, GatewaySetupError):
        return f"{SETUP_FAILED}: {validate.one_line(exc)}"
    if isinstance(exc, ProviderError) and not isinstance(exc, ClusterNotExpressible):
        return f"the cluster failed: {type(exc).__name__}: {validate.one_line(exc)}"
    return None


def _keep_log_tail(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """A gateway that crashed or never answered carries its log tail on the error: keep it as evidence."""
    exc = call.excinfo.value if call.excinfo is not None else None
    scn = item.stash.get(_SCENARIO, None)
    tail = getattr(exc, "log_tail", "")
    if scn is not None and tail and not scn.record.get("log_tail"):
        scn.record["log_tail"] = tail


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
    """Build the report once (before the terminal summary and JUnit) and write it when asked."""
    run = session.config.stash.get(_RUN, None)
    if run is None or not run.selected:
        return  # stopped before the selection was known: nothing to report (the CLI says so)
    if run.not_run():
        if _INTERRUPTS:
            run.stopped(_interruption())
        if exitstatus == pytest.ExitCode.INTERNAL_ERROR:
            run.stopped("internal error (see the traceback above)")
        if not run.stop_reasons:
            why = session.shouldfail or session.shouldstop
            run.stopped(
                f"stopped early: {why}" if why else f"stopped early (pytest exit status {exitstatus})"
            )
    run.final_report = run.report()
    _junit_verdict(session.config, run.final_report)
    if run.report_path:
        write_report(run.final_report, run.report_path)


def _interruption() -> str:
    reason = _INTERRUPTS[0]
    return f"interrupted by {reason}" if reason.startswith("SIG") else f"stopped ({reason})"


def _junit_verdict(config: pytest.Config, report: dict[str, Any]) -> None:
    """Put the run's completeness into pytest's JUnit XML, which has no notion of it."""
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover - pytest moved it; JUnit then lacks the property
        return
    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    xml.add_global_property("conformance.complete", str(is_complete(report)).lower())
    if not is_complete(report):
        xml.add_global_property("conformance.incompleteReason", report.get("incompleteReason", ""))
        xml.add_global_property("conformance.notRunTests", ",".join(report.get("notRunTests") or []))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or run.final_report is None:
        return
    terminalreporter.section("conformance summary")
    terminalreporter.write_line(render_summary(run.final_report))
    if run.report_path:
        terminalreporter.write_line(f"report: {run.report_path}")
