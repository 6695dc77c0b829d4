"""The state of one conformance session: the options (checked), the gateway driver, the cluster, the
selection, the results and why the run stopped early -- and the report built from them.

Split from the pytest plugin (conformance/plugin.py), which only wires this into pytest's hooks.
Every option is checked here, in the constructor, before anything is started (validate.UsageError).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from conformance import HARNESS_VERSION, cluster_options, validate
from conformance.features import resolve_profiles
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
            gateway_placement=self.cluster.placement,
            semantics_version=self.semantics.value,
            timeouts=self.timeouts.to_dict(),
            profiles=[p.name for p in self.profiles],
            wall_seconds=time.monotonic() - self.started,
            not_run=self.not_run(),
            incomplete_reason="; ".join(self.stop_reasons) or None,
        )


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
