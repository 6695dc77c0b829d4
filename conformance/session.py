"""The state of one conformance session: the options (checked), the gateway driver, the cluster, the
selection, the results and why the run stopped early -- and the report built from them.

Split from the pytest plugin (conformance/plugin.py), which only wires this into pytest's hooks.
Every option is checked here, in the constructor, before anything is started (validate.UsageError).

The same object lives in every process of a run: in a run side by side (pytest-xdist,
conformance/distributed.py) each worker has one that drives its own tests (its own driver and its
own embedded cluster) and the controller has one that only gathers what the workers' reports carry
(`record`, `not_judged`, `implementation`) and builds the report. A run one at a time is both in one
process. Either way results are put in the order of the selection, so the report does not depend on
which test finished first.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from conformance import HARNESS_VERSION, baseline, cluster_options, validate
from conformance.features import resolve_profiles
from conformance.outcomes import SETUP_FAILED
from conformance.registry import ConformanceTest
from conformance.report import TestResult, build_report, is_complete
from conformance.timeouts import TimeoutConfig
from reference import Semantics


class ConformanceRun:
    """Session state: options, the driver, the cluster provider, the results gathered so far."""

    def __init__(self, opt: Any) -> None:
        """Check every option (validate.UsageError, one line) before anything is started."""
        self.gateway_name: str = opt.gateway
        validate.check_gateway(self.gateway_name)
        validate.check_profiles(opt.profile)
        self.profiles = resolve_profiles(opt.profile)
        self.timeouts: TimeoutConfig = validate.check_timeouts(opt.timeout_config, opt.timeout_override)
        self.cluster = cluster_options.check(opt, [self.gateway_name])
        self.cluster_name: str = self.cluster.cluster
        self.exempt = validate.check_features(opt.exempt_feature)
        self.test_ids: list[str] = [t for item in opt.conformance_tests for t in item.split(",") if t.strip()]
        try:
            self.semantics = Semantics.parse(getattr(opt, "semantics", Semantics.PR_25294.value))
        except ValueError as exc:
            raise validate.UsageError(str(exc)) from None
        self.expectations = baseline.load_option(
            getattr(opt, "baseline", None),
            getattr(opt, "expect", None),
            getattr(opt, "strict_baseline", False),
        )
        self.strict_baseline = bool(getattr(opt, "strict_baseline", False))
        self.report_path: str | None = opt.report
        if self.report_path:
            validate.check_output_file(self.report_path, "--report")
        self.html_path: str | None = getattr(opt, "html", None)
        if self.html_path:
            validate.check_output_file(self.html_path, "--html")
        if getattr(opt, "xmlpath", None):
            validate.check_output_file(opt.xmlpath, "--junitxml")
        self.results: list[TestResult] = []
        self.selected: list[ConformanceTest] = []
        self.stop_reasons: list[str] = []
        self.not_judged: dict[str, str] = {}  # test id -> why the test says nothing about the gateway
        self.implementation: dict[str, str] | None = None  # name and version, from whoever ran a test
        self.order: dict[str, int] = {}  # node id -> place in the selection (JUnit's order)
        self.started = time.monotonic()
        self._driver: Any = None
        self._provider: Any = None
        self.version: str = "unknown"
        self.final_report: dict[str, Any] | None = None

    @property
    def driver(self) -> Any:
        if self._driver is None:
            self._driver = cluster_options.gateway_driver(self.gateway_name, self.cluster)
            try:
                self.version = str(self._driver.version())
            except Exception as exc:  # the version is evidence, not a reason to stop
                self.version = f"unknown ({exc})"
        return self._driver

    @property
    def provider(self) -> Any:
        if self._provider is None:
            self._provider = cluster_options.provider(self.cluster, self.driver)
        return self._provider

    def implementation_seen(self) -> dict[str, str] | None:
        """The gateway's name and version, if this process made its driver (for the workers' reports)."""
        if self._driver is None:
            return None
        return {"name": str(getattr(self._driver, "name", self.gateway_name)), "version": self.version}

    def record(self, result: TestResult) -> None:
        """A finished test's verdict (from this process or from a worker's report)."""
        if all(r.id != result.id for r in self.results):
            self.results.append(result)

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

    def _index(self, test_id: str) -> int:
        order = {t.id: i for i, t in enumerate(self.selected)}
        return order.get(test_id, len(order))

    def _reasons(self) -> list[str]:
        """Why the run is incomplete: tests that could not be judged first, in selection order.

        A gateway that cannot be prepared stops the run at the first test that tries (one at a time,
        that is the only one); side by side several tests may try at once and fail the same way: the
        first in selection order stands for them all, so the reason reads the same either way.
        """
        reasons: list[str] = []
        prepared_failure = False
        for test_id in sorted(self.not_judged, key=self._index):
            why = self.not_judged[test_id]
            if why.startswith(SETUP_FAILED):
                if prepared_failure:
                    continue
                prepared_failure = True
            reasons.append(f"{test_id}: {why}")
        return reasons + [r for r in self.stop_reasons if r not in reasons]

    def report(self) -> dict[str, Any]:
        impl = self.implementation or self.implementation_seen() or {}
        name = impl.get("name", self.gateway_name)
        version = impl.get("version", self.version)
        report = build_report(
            results=sorted(self.results, key=lambda r: self._index(r.id)),
            implementation={"name": name, "version": version, "gateway": self.gateway_name},
            harness_version=HARNESS_VERSION,
            cluster_provider=self.cluster_name,
            gateway_placement=self.cluster.placement,
            semantics_version=self.semantics.value,
            timeouts=self.timeouts.to_dict(),
            profiles=[p.name for p in self.profiles],
            wall_seconds=time.monotonic() - self.started,
            not_run=self.not_run(),
            incomplete_reason="; ".join(self._reasons()) or None,
        )
        if self.expectations is None:
            return report
        verdict = baseline.compare(self.expectations, report, strict=self.strict_baseline)
        return baseline.with_verdict(report, verdict)  # judged by expectations (conformance/baseline.py)


def selection_text(run: ConformanceRun, keyword: str | None, markexpr: str | None) -> str:
    """The options that chose the tests, as the user typed them (for "... selects no test")."""
    parts = [f"--profile {','.join(p.name for p in run.profiles)}"]
    if run.test_ids:
        parts.append(f"--test {','.join(run.test_ids)}")
    if keyword:
        parts.append(f"-k {keyword!r}")
    if markexpr:
        parts.append(f"-m {markexpr!r}")
    return " ".join(parts)


def interruption(reason: str) -> str:
    return f"interrupted by {reason}" if reason.startswith("SIG") else f"stopped ({reason})"


def junit_verdict(config: Any, report: dict[str, Any]) -> None:
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


def junit_in_order(config: Any, order: dict[str, int]) -> None:
    """Put pytest's JUnit test cases in the selection's order (side by side they arrive as they finish).

    `order` maps node ids to their place in the selection; entries not in it keep their place at the end.
    """
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover - pytest moved it; JUnit then keeps the arrival order
        return
    xml = config.stash.get(xml_key, None)
    reporters = getattr(xml, "node_reporters_ordered", None)
    if isinstance(reporters, list):
        reporters.sort(key=lambda r: order.get(getattr(r, "id", ""), len(order)))
