"""The pytest plugin that runs conformance/suite: options, per-test fixtures, outcomes, the report.

docs/architecture.md#how-a-test-runs: one fresh namespace per test from the cluster provider,
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

Side by side (`-n N`, pytest-xdist; `python -m conformance --jobs N`): the plugin runs in every
worker and in the controller, and conformance/distributed.py says who does what. Whatever the mode,
a test's verdict leaves the process that ran it on its teardown report (`_RESULT`, `_NOT_JUDGED`,
`_IMPLEMENTATION` attributes) and is recorded where reports are logged, so the report is built from
the same data, in the selection's order, one at a time or side by side.

Load does not decide verdicts: every scenario waits on a conformance.gatewayclock.GatewayClock, which
leaves the harness's own stalls out of the gateway's time, and records them per check (`harnessSeconds`).
"""

from __future__ import annotations

import contextlib
import difflib
import gc
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from conformance import cluster_options, distributed, outcomes, signals, validate
from conformance import session as session_state
from conformance.baseline import check_ids as check_expected_ids
from conformance.evidence import Evidence
from conformance.features import PROFILES, selected_by
from conformance.registry import MARKER, REGISTRY, ConformanceTest, NotExpressible, Outcome, declaration_of
from conformance.report import TestResult, render_summary, write_report
from conformance.session import ConformanceRun
from reference import Semantics

if TYPE_CHECKING:
    from conformance.scenario import Scenario

_OUTCOME = pytest.StashKey[tuple[Outcome, str]]()
_SCENARIO = pytest.StashKey["Scenario"]()
_DURATION = pytest.StashKey[float]()
_NOT_JUDGED = pytest.StashKey[str]()
_CONTROLLER = pytest.StashKey[distributed.Controller]()
# Extra attributes of a conformance test's teardown report (plain data: pytest serialises them for xdist)
_RESULT = "conformance_result"
_NOT_JUDGED_ATTR = "conformance_not_judged"
_IMPLEMENTATION = "conformance_implementation"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "gateway discovery conformance")
    group.addoption("--gateway", default="reference", help="reference | smg | sglang-router | PATH.yaml")
    group.addoption("--profile", action="append", default=[], help=f"profiles ({', '.join(PROFILES)})")
    group.addoption("--timeout-config", default=None, help="YAML file of TimeoutConfig fields")
    group.addoption(
        "--timeout-override", action="append", default=[], help="override one timeout: NAME=SECONDS"
    )
    group.addoption("--report", default=None, help="write the ConformanceReport YAML here")
    group.addoption(
        "--exempt-feature", action="append", default=[], help="features the gateway does not claim"
    )
    group.addoption(
        "--test", dest="conformance_tests", action="append", default=[], help="only this test id (repeat)"
    )
    group.addoption(
        "--semantics",
        default=Semantics.PR_25294.value,
        choices=[member.value for member in Semantics],
        help="the discovery rules expectations come from (default: pr-25294)",
    )
    group.addoption("--baseline", default=None, help="judge by an earlier ConformanceReport's outcomes")
    group.addoption("--expect", default=None, help="judge by a YAML file of test id -> expected outcome")
    group.addoption(
        "--strict-baseline", action="store_true", help="an improvement or change also fails the run"
    )
    group.addoption("--html", default=None, help="also write the report as one self-contained HTML page")
    from fixtures.clusters.options import add_pytest_options

    add_pytest_options(parser, early=True)  # --cluster, ... (fixtures.clusters.pytest_plugin adds the rest)


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
        run = config.stash[_RUN] = ConformanceRun(config.option)
    except validate.UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    if distributed.is_worker(config):
        distributed.become_worker(config)
    else:
        config.pluginmanager.register(_Gatherer(run), "conformance-gatherer")
    signals.install()  # pytest then unwinds and every fixture finalizer stops its gateway


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    controller = config.stash.get(_CONTROLLER, None)
    if controller is not None:
        controller.close()
    if run is not None:
        try:
            run.close()
        finally:
            from fixtures.lifetime import release_run

            release_run()


class _Gatherer:
    """Records the verdicts that teardown reports carry (in the controller, or the one process)."""

    def __init__(self, run: ConformanceRun) -> None:
        self.run = run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        implementation = getattr(report, _IMPLEMENTATION, None)
        if implementation and self.run.implementation is None:
            self.run.implementation = dict(implementation)
        not_judged = getattr(report, _NOT_JUDGED_ATTR, None)
        if not_judged:
            test_id, why = not_judged
            self.run.not_judged[test_id] = why
        data = getattr(report, _RESULT, None)
        if data:
            self.run.record(TestResult.from_wire(data))


def _selected_by_workers(config: pytest.Config, ids: list[str]) -> None:
    """The controller's selection: the workers' node ids, checked as a collection in one process is."""
    run = config.stash[_RUN]
    distributed.load_suite()
    chosen = [(nodeid, distributed.declaration_for(nodeid)) for nodeid in ids]
    _check_selection(config, run, [d for _, d in chosen if d is not None])
    run.order = {nodeid: index for index, (nodeid, _) in enumerate(chosen)}


def _worker_crashed(run: ConformanceRun, nodeid: str) -> None:
    if not signals.first_signal():  # a worker stopped by our own signal did not crash
        run.stopped(f"a worker crashed while running {nodeid}")


@pytest.hookimpl(tryfirst=True)  # before pytest's -k deselection, which must see the conformance ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the conformance tests whose features the selected profiles cover (and `--test` ids)."""
    run = config.stash[_RUN]
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        decl = declaration_of(item)
        if decl is not None:
            item.add_marker(pytest.mark.conformance(decl))
            item.extra_keyword_matches.add(decl.id)  # `-k lifecycle-unready` names the test a report names
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
    decls = [d for d in (declaration_of(item) for item in session.items) if d is not None]
    if distributed.is_worker(session.config):
        run.selected = decls  # the controller checks the selection and reports it
    else:
        _check_selection(session.config, run, decls)
        run.order = {item.nodeid: index for index, item in enumerate(session.items)}
    if session.config.option.collectonly:
        return
    # Everything imported so far (pytest, the kubernetes client, aiohttp) lives until the process ends:
    # out of the collector's sight, so its sweeps during the run do not walk it again and again.
    gc.freeze()
    from fixtures.lifetime import guard_run

    guard_run()  # from here on, whatever the run starts dies with it (a worker's gateways with it)


def _check_selection(config: pytest.Config, run: ConformanceRun, decls: list[ConformanceTest]) -> None:
    """Refuse unknown `--test` ids and a selection without a conformance test (pytest's usage error)."""
    for test_id in run.test_ids:
        if test_id not in REGISTRY:
            close = difflib.get_close_matches(test_id, list(REGISTRY), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" ({len(REGISTRY)} ids are declared)"
            raise pytest.UsageError(f"unknown test id {test_id!r}{hint}")
    if run.expectations is not None:
        try:
            check_expected_ids(run.expectations, list(REGISTRY))
        except validate.UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    run.selected = decls
    if not run.selected:
        opt = config.option
        selection = session_state.selection_text(run, opt.keyword, opt.markexpr)
        raise pytest.UsageError(f"{selection} selects no conformance test")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """A worker runs no further test once another worker found the run cannot go on (RunDir.stop)."""
    run_dir = distributed.worker_run_dir(item.config)
    reason = run_dir.stop_reason() if run_dir is not None else None
    if reason is None:
        return None
    item.session.shouldstop = reason
    return True  # not run: the test stays in the report's notRunTests


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """Belt and braces: a signal whose KeyboardInterrupt some code swallowed stops the run here."""
    if signals.first_signal() and _SESSION and not _SESSION[0].shouldstop:
        _SESSION[0].shouldstop = f"interrupted by {signals.first_signal()}"


@pytest.hookimpl(tryfirst=True)  # before xdist's (trylast) sessionstart starts the workers
def pytest_sessionstart(session: pytest.Session) -> None:
    _SESSION[:] = [session]
    config = session.config
    if distributed.is_controller(config):  # known only now: xdist registers it in its pytest_configure
        run = config.stash[_RUN]
        controller = distributed.Controller(
            on_selection=lambda ids: _selected_by_workers(config, ids),
            on_crash=lambda nodeid, report: _worker_crashed(run, nodeid),
        )
        config.stash[_CONTROLLER] = controller
        config.pluginmanager.register(controller, "conformance-controller")
        from fixtures.lifetime import guard_run

        guard_run()  # the workers inherit this run's cookie: the reaper takes them if we die


_SESSION: list[pytest.Session] = []


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Remember why the session stopped (a signal, or pytest's own stop after a failed preparation);
    a controller passes a signal on to its workers, which unwind their tests."""
    _INTERRUPTS.append(signals.first_signal() or type(excinfo.value).__name__)
    if signals.first_signal() and _SESSION:
        controller = _SESSION[0].config.stash.get(_CONTROLLER, None)
        if controller is not None:
            controller.forward(signals.first_signal())


_INTERRUPTS: list[str] = []


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> ConformanceRun:
    return request.config.stash[_RUN]


@pytest.fixture
def scenario(
    request: pytest.FixtureRequest, conformance_run: ConformanceRun, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    """A Scenario: fresh namespaces, one gateway; all stopped / deleted afterwards, on failure too."""
    from conformance.contracts import PodNamespace
    from conformance.gatewayclock import GatewayClock
    from conformance.scenario import Scenario
    from fixtures.clusters.podspec import DEFAULT_WORKER_PORT

    # Not `tmp_path`: its teardown fails (KeyError) when a signal interrupted the test's setup.
    tmp_path = tmp_path_factory.mktemp(request.node.name[:40], numbered=True)
    decl = declaration_of(request.node)
    lacking = sorted(str(f) for f in (decl.features if decl else ()) if f in conformance_run.exempt)
    if lacking:
        raise NotExpressible(f"the gateway does not claim feature(s) {', '.join(lacking)}")
    provider = conformance_run.provider
    skip = cluster_options.skip_reason(decl, provider)
    if skip:
        pytest.skip(skip)  # declared: this cluster cannot do what the test needs
    driver = conformance_run.driver
    namespaces: list[PodNamespace] = []

    def new_namespace() -> PodNamespace:
        ns: PodNamespace = provider.namespace()
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
        clock=GatewayClock().as_clock(),  # the harness's own stalls are not the gateway's time
    )
    request.node.stash[_SCENARIO] = scn
    try:
        yield scn
    finally:
        outcome = request.node.stash.get(_OUTCOME, None)
        try:
            if outcome is not None and outcome[0] is not Outcome.PASSED:
                with contextlib.suppress(Exception):
                    scn.evidence.pods = [outcomes.pod_summary(p) for p in scn.pods()]
        finally:
            try:
                scn.stop()
            finally:
                for ns in reversed(namespaces):
                    with contextlib.suppress(Exception):
                        ns.close()


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
        why_not = outcomes.not_judged(call)
        if why_not is not None:
            item.stash[_NOT_JUDGED] = why_not
        else:
            item.stash[_OUTCOME] = outcomes.classify(report, call)
            scn = item.stash.get(_SCENARIO, None)
            outcomes.keep_log_tail(scn.evidence if scn is not None else None, call)
    if report.when == "teardown":
        implementation = item.config.stash[_RUN].implementation_seen()
        if implementation is not None:
            setattr(report, _IMPLEMENTATION, implementation)
        why_not = item.stash.get(_NOT_JUDGED, None)
        if why_not is not None:
            setattr(report, _NOT_JUDGED_ATTR, [decl.id, why_not])
            if why_not.startswith(outcomes.SETUP_FAILED):
                item.session.shouldstop = why_not  # every later test would fail the same way
                run_dir = distributed.worker_run_dir(item.config)
                if run_dir is not None:
                    run_dir.stop(why_not)  # ... on the other workers too
            return report
        result = _result(item, decl, report)
        setattr(report, _RESULT, result.to_wire())
        # JUnit (pytest's --junitxml) carries the verdict and the pods that differ as properties
        report.user_properties.append(("conformance.id", decl.id))
        report.user_properties.append(("conformance.outcome", result.outcome.value))
        for key in ("differingPods", "waitedSeconds"):
            if result.evidence.get(key):
                report.user_properties.append((f"conformance.{key}", str(result.evidence[key])))
    return report


def _result(item: pytest.Item, decl: ConformanceTest, teardown: pytest.TestReport) -> TestResult:
    outcome, message = item.stash.get(_OUTCOME, (Outcome.FAILED, "test did not run"))
    if outcome is Outcome.PASSED and teardown.failed:
        outcome, message = Outcome.FAILED, f"teardown failed: {str(teardown.longrepr).splitlines()[-1]}"
    scn = item.stash.get(_SCENARIO, None)
    evidence = scn.evidence if scn is not None else Evidence()
    return TestResult(
        id=decl.id,
        description=decl.description,
        features=[str(f) for f in decl.features],
        profiles=decl.profiles,
        outcome=outcome,
        message=message,
        duration=item.stash.get(_DURATION, 0.0),
        evidence=evidence.to_report(outcome),
    )


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Build the report once (before the terminal summary and JUnit) and write it when asked."""
    run = session.config.stash.get(_RUN, None)
    if run is None or not run.selected or distributed.is_worker(session.config):
        return  # stopped before the selection was known (the CLI says so), or a worker: not its job
    if run.not_run():
        if _INTERRUPTS:
            run.stopped(session_state.interruption(_INTERRUPTS[0]))
        if exitstatus == pytest.ExitCode.INTERNAL_ERROR:
            run.stopped("internal error (see the traceback above)")
        if not run.stop_reasons:
            why = session.shouldfail or session.shouldstop
            run.stopped(
                f"stopped early: {why}" if why else f"stopped early (pytest exit status {exitstatus})"
            )
    run.final_report = run.report()
    distributed.keep_durations(session.config, run.final_report)  # the next run's schedule
    session_state.junit_verdict(session.config, run.final_report)
    session_state.junit_in_order(session.config, run.order)
    if run.report_path:
        write_report(run.final_report, run.report_path)
    if run.html_path:
        from conformance.html import write_html

        write_html(run.final_report, run.html_path)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or run.final_report is None:
        return
    terminalreporter.section("conformance summary")
    terminalreporter.write_line(render_summary(run.final_report))
    if run.report_path:
        terminalreporter.write_line(f"report: {run.report_path}")
    if run.html_path:
        terminalreporter.write_line(f"html: {run.html_path}")
