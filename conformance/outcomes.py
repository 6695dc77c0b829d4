"""What one conformance test's pytest reports mean: a verdict about the gateway, or no verdict at all.

Outcomes (conformance.registry.Outcome): Passed; Failed (an assertion, or the gateway crashed or never
answered at start-up -- fixtures/gateways/base.py names which); RejectedConfig (the gateway refused the
configuration in its own words); NotExpressible and Skipped. A test that errored because the harness
could not prepare the gateway (install, YAML placeholders, a missing binary) or because the cluster
failed under it has *no* outcome: it says nothing about the gateway, so it is listed as not run and
the run is incomplete (`not_judged`).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import validate
from conformance.registry import Outcome, RejectedConfig

SETUP_FAILED = "the gateway could not be prepared"


def not_judged(call: pytest.CallInfo[None]) -> str | None:
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


def keep_log_tail(scn: Any, call: pytest.CallInfo[None]) -> None:
    """A gateway that crashed or never answered carries its log tail on the error: keep it as evidence."""
    exc = call.excinfo.value if call.excinfo is not None else None
    tail = getattr(exc, "log_tail", "")
    if scn is not None and tail and not scn.record.get("log_tail"):
        scn.record["log_tail"] = tail


def classify(report: pytest.TestReport, call: pytest.CallInfo[None]) -> tuple[Outcome, str]:
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


def evidence(record: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    """The report's evidence for one test from its scenario record (more of it when it did not pass)."""
    out: dict[str, Any] = {}
    requested, effective = record.get("requested_config"), record.get("effective_config")
    if requested and effective and requested != effective:
        out["requestedConfig"] = requested
        out["effectiveConfig"] = effective
    elif requested:
        out["config"] = requested
    out["timings"] = record.get("timings")
    # per check, the seconds of it the harness itself stalled (left out of the gateway's time)
    out["harnessSeconds"] = record.get("harness_seconds")
    if outcome is not Outcome.PASSED:
        out["differingPods"] = record.get("differing_pods")
        out["waitedSeconds"] = record.get("waited_seconds")
        out["expected"] = record.get("expected")
        out["observed"] = record.get("observed")
        out["pods"] = record.get("pods")
        if outcome in (Outcome.FAILED, Outcome.REJECTED_CONFIG):
            out["logTail"] = record.get("log_tail")
    return out


def pod_summary(pod: dict[str, Any]) -> dict[str, Any]:
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
