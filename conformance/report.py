"""The ConformanceReport (YAML), the ten-second terminal summary and the Markdown matrix.

Modelled on Gateway API's report (docs/conventions.md#results-and-reports):
`apiVersion`/`kind`, `date`, `implementation`, harness and semantics versions, cluster provider, the
timeouts used, and one entry per profile with `result` (success / partial / failure), `statistics`
(capitalised keys as in Gateway API: Passed, Skipped, Failed, NotExpressible) and the failed / skipped
/ not-expressible test ids. Rules per profile, as in Gateway API: `failure` if any test failed (a
refused configuration counts as failed), else `partial` if any was skipped or not expressible, else
`success`. Unlike Gateway API's NOT_SUPPORTED, a not-expressible test makes a profile partial: the
gateway could not show that behaviour, so it cannot claim it. Each failure carries expected vs
observed pools, the pods that differ, the time waited, the log tail and the pods as the API server held
them. JUnit XML comes from pytest's own `--junitxml`.

A run that stopped early (a signal, an internal error, a gateway that could not be installed) must
never read like a finished one: the report then says `complete: false` with the reason
(`incompleteReason`) and the selected tests that never ran (`notRunTests`), every profile with such
a test is `incomplete` (unless one of its tests already failed: that verdict stands), the summary ends
in `Result: INCOMPLETE`, and the exit status is 4 (conformance/exit_status.py). Reports are written to
a temporary file beside the target and renamed over it, so a reader never sees half a report and an
earlier report is replaced only by a whole new one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance import baseline, latency
from conformance import exit_status as status
from conformance.atomic import write_atomic
from conformance.features import PROFILES
from conformance.registry import ConformanceTest, Outcome

API_VERSION = "conformance.sgl-discovery.io/v1alpha1"
KIND = "ConformanceReport"
STAT_KEYS = {
    Outcome.PASSED: "Passed",
    Outcome.SKIPPED: "Skipped",
    Outcome.FAILED: "Failed",
    Outcome.REJECTED_CONFIG: "Failed",
    Outcome.NOT_EXPRESSIBLE: "NotExpressible",
}


@dataclass
class TestResult:
    """One conformance test's outcome and evidence."""

    __test__ = False  # not a pytest test class, despite the name

    id: str
    description: str
    features: list[str]
    profiles: list[str]
    outcome: Outcome
    message: str = ""
    duration: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "outcome": self.outcome.value,
            "description": self.description,
            "features": list(self.features),
            "durationSeconds": round(self.duration, 3),
        }
        if self.message:
            out["message"] = self.message
        out.update({k: v for k, v in self.evidence.items() if v not in (None, {}, [], "")})
        return out

    def to_wire(self) -> dict[str, Any]:
        """Plain data (str, numbers, lists, dicts) for a pytest report travelling from an xdist worker."""
        data = dataclasses.asdict(self)
        data["outcome"] = self.outcome.value
        wire: dict[str, Any] = json.loads(json.dumps(data, default=str))  # anything exotic becomes text
        return wire

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> TestResult:
        fields = dict(data)
        fields["outcome"] = Outcome(fields["outcome"])
        return cls(**fields)


def profile_status(
    name: str, results: Sequence[TestResult], not_run: Sequence[ConformanceTest] = ()
) -> dict[str, Any]:
    """One profile's entry: result, summary, statistics and the test ids by outcome."""
    mine = [r for r in results if name in r.profiles]
    stats = {"Passed": 0, "Skipped": 0, "Failed": 0, "NotExpressible": 0, "NotRun": 0}
    for r in mine:
        stats[STAT_KEYS[r.outcome]] += 1
    failed = [r.id for r in mine if r.outcome.counts_as_failure]
    skipped = [r.id for r in mine if r.outcome is Outcome.SKIPPED]
    inexpressible = [r.id for r in mine if r.outcome is Outcome.NOT_EXPRESSIBLE]
    unrun = [t.id for t in not_run if name in t.profiles]
    stats["NotRun"] = len(unrun)
    if failed:
        result = "failure"
    elif unrun:
        result = "incomplete"
    elif skipped or inexpressible:
        result = "partial"
    else:
        result = "success"
    entry: dict[str, Any] = {
        "name": name,
        "result": result,
        "summary": _profile_sentence(name, result, stats),
        "statistics": stats,
    }
    if failed:
        entry["failedTests"] = failed
    if skipped:
        entry["skippedTests"] = skipped
    if inexpressible:
        entry["notExpressibleTests"] = inexpressible
    if unrun:
        entry["notRunTests"] = unrun
    return entry


def _profile_sentence(name: str, result: str, stats: Mapping[str, int]) -> str:
    if result == "success":
        return f"{name} tests succeeded ({stats['Passed']} passed)."
    if result == "incomplete":
        return f"{name} tests are incomplete: {stats['NotRun']} of {sum(stats.values())} never ran."
    if result == "partial":
        return (
            f"{name} tests partially succeeded with {stats['Skipped']} skipped and "
            f"{stats['NotExpressible']} not expressible."
        )
    return f"{name} tests failed with {stats['Failed']} failure(s) of {sum(stats.values())}."


def build_report(
    *,
    results: Sequence[TestResult],
    implementation: Mapping[str, Any],
    harness_version: str,
    cluster_provider: str,
    semantics_version: str,
    timeouts: Mapping[str, Any],
    profiles: Iterable[str] | None = None,
    wall_seconds: float | None = None,
    date: dt.datetime | None = None,
    not_run: Sequence[ConformanceTest] = (),
    incomplete_reason: str | None = None,
    gateway_placement: str | None = None,
) -> dict[str, Any]:
    """The report as plain data (what `write_report` dumps). Profiles without tests are left out.

    `not_run`: selected tests that never finished; any makes the report incomplete (`complete: false`,
    with `incomplete_reason`, e.g. "interrupted by SIGINT").
    """
    names = [
        p
        for p in (profiles or PROFILES)
        if any(p in r.profiles for r in results) or any(p in t.profiles for t in not_run)
    ]
    complete = bool(results) and not not_run
    report: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "date": (date or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat(),
        "implementation": dict(implementation),
        "harnessVersion": harness_version,
        "clusterProvider": cluster_provider,
        **({"gatewayPlacement": gateway_placement} if gateway_placement else {}),
        "semanticsVersion": semantics_version,
        "timeouts": dict(timeouts),
        "complete": complete,
        "profiles": [profile_status(name, results, not_run) for name in names],
        "tests": [r.to_dict() for r in results],
    }
    report["latency"] = latency.section(report["tests"])  # figures from the checks' timings
    if not complete:
        report["incompleteReason"] = incomplete_reason or "no test finished"
        report["notRunTests"] = [t.id for t in not_run]
    if wall_seconds is not None:
        report["wallSeconds"] = round(wall_seconds, 1)
    return report


def write_report(report: Mapping[str, Any], path: Path | str) -> Path:
    """Write the YAML report (parents created), atomically. Returns the path."""
    text = yaml.dump(dict(report), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return write_atomic(path, text)


def load_report(path: Path | str) -> dict[str, Any]:
    """Read a report written by `write_report`."""
    data = yaml.safe_load(Path(path).read_text())
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ValueError(f"{path} is not a {KIND}")
    return data


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (log tails, diffs) as literal blocks so the report stays readable."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def is_complete(report: Mapping[str, Any]) -> bool:
    """Every selected test finished (reports from before `complete` existed count as complete)."""
    return bool(report.get("tests")) and report.get("complete", True) is True


def all_passed(report: Mapping[str, Any]) -> bool:
    """True when the run is complete and every selected test passed."""
    tests = report.get("tests") or []
    return is_complete(report) and all(t.get("outcome") == Outcome.PASSED.value for t in tests)


def exit_status(report: Mapping[str, Any]) -> int:
    """The exit status the report stands for (table in conformance/exit_status.py)."""
    if not is_complete(report):
        return status.INCOMPLETE
    if isinstance(report.get("expectations"), Mapping):  # judged by expected outcomes, not "all pass"
        return baseline.section_status(report["expectations"])
    if all_passed(report):
        return status.PASSED
    outcomes = {t.get("outcome") for t in report.get("tests") or []}
    if outcomes & {Outcome.FAILED.value, Outcome.REJECTED_CONFIG.value}:
        return status.FAILED
    return status.NOT_ALL_PASSED


def render_summary(report: Mapping[str, Any]) -> str:
    """The terminal summary: who was tested, one line per profile, one line per non-passing test."""
    impl = report.get("implementation") or {}
    lines = [
        f"Conformance of {impl.get('name', '?')} ({impl.get('version', '?')}) against semantics "
        f"{report.get('semanticsVersion')} on the {report.get('clusterProvider')} cluster"
        + (f" (gateway {report['gatewayPlacement']})" if report.get("gatewayPlacement") else "")
        + (f", {report['wallSeconds']} s" if "wallSeconds" in report else ""),
    ]
    lines.extend(baseline.summary_lines(report))  # regressions first, when judged by expectations
    width = max((len(p["name"]) for p in report.get("profiles") or []), default=8)
    for prof in report.get("profiles") or []:
        s = prof["statistics"]
        lines.append(
            f"  {prof['name']:<{width}}  {prof['result'].upper():<10} passed {s['Passed']}, "
            f"failed {s['Failed']}, not expressible {s['NotExpressible']}, skipped {s['Skipped']}"
        )
    bad = [t for t in report.get("tests") or [] if t.get("outcome") != Outcome.PASSED.value]
    if bad:
        lines.append("Not passed:")
        for t in bad:
            first = (t.get("message") or "").splitlines()[0] if t.get("message") else ""
            pods = t.get("differingPods") or []
            more = (
                f", ... ({len(pods) - SUMMARY_PODS} more in the report)" if len(pods) > SUMMARY_PODS else ""
            )
            who = f" [pods: {', '.join(pods[:SUMMARY_PODS])}{more}]" if pods else ""
            lines.append(f"  {t['outcome']:<15} {t['id']}: {first}{who}")
    lines.extend(latency.summary_lines(report))
    not_run = report.get("notRunTests") or []
    if not_run:
        shown = ", ".join(not_run[:SUMMARY_NOT_RUN])
        more = (
            f", ... ({len(not_run) - SUMMARY_NOT_RUN} more in the report)"
            if len(not_run) > SUMMARY_NOT_RUN
            else ""
        )
        lines.append(f"Not run ({len(not_run)}): {shown}{more}")
    lines.append(f"Result: {verdict_line(report)}")
    return "\n".join(lines)


SUMMARY_NOT_RUN = 8
SUMMARY_PODS = 8
"""Differing pods named per test in the summary (a scale test may differ in hundreds; the report has all)."""


def verdict_line(report: Mapping[str, Any]) -> str:
    """The last word of the summary; never ALL PASSED for a run that did not finish."""
    code = exit_status(report)
    if code == status.INCOMPLETE:
        ran = len(report.get("tests") or [])
        total = ran + len(report.get("notRunTests") or [])
        reason = report.get("incompleteReason") or "the run did not finish"
        return f"INCOMPLETE ({reason}; {ran} of {total} selected tests finished)"
    if isinstance(report.get("expectations"), Mapping):
        return baseline.verdict_words(report["expectations"])
    return {
        status.PASSED: "ALL PASSED",
        status.FAILED: "FAILED",
        status.NOT_ALL_PASSED: "NOT ALL PASSED (none failed)",
    }[code]


MATRIX_SYMBOL = {
    Outcome.PASSED.value: "pass",
    Outcome.FAILED.value: "**FAIL**",
    Outcome.REJECTED_CONFIG.value: "**rejected**",
    Outcome.NOT_EXPRESSIBLE.value: "n/e",
    Outcome.SKIPPED.value: "skip",
}
NOT_RUN_SYMBOL = "*not run*"


def render_matrix(reports: Sequence[Mapping[str, Any]], *, labels: Sequence[str] | None = None) -> str:
    """A Markdown table: tests as rows (in first-seen order), gateways as columns, profile verdicts last."""
    heads = list(labels) if labels else [_impl_label(r) for r in reports]
    order: list[str] = []
    profile_of: dict[str, str] = {}
    for rep in reports:
        for t in rep.get("tests") or []:
            if t["id"] not in order:
                order.append(t["id"])
                profile_of[t["id"]] = ",".join(_profiles_for(t))
    for rep in reports:
        for prof in rep.get("profiles") or []:
            for test_id in prof.get("notRunTests") or []:
                if test_id not in order:
                    order.append(test_id)
                    profile_of[test_id] = prof["name"]
                elif prof["name"] not in profile_of[test_id].split(","):
                    profile_of[test_id] += f",{prof['name']}"
    rows = ["| test | profile | " + " | ".join(heads) + " |", "|---|---|" + "---|" * len(heads)]
    by_report = [{t["id"]: t for t in rep.get("tests") or []} for rep in reports]
    for test_id in order:
        cells = []
        for tests, rep in zip(by_report, reports, strict=True):
            t = tests.get(test_id)
            if t is not None:
                cells.append(MATRIX_SYMBOL.get(t["outcome"], t["outcome"]))
            else:
                cells.append(NOT_RUN_SYMBOL if test_id in (rep.get("notRunTests") or []) else "")
        rows.append(f"| {test_id} | {profile_of[test_id]} | " + " | ".join(cells) + " |")
    prof_names: list[str] = []
    for rep in reports:
        for p in rep.get("profiles") or []:
            if p["name"] not in prof_names:
                prof_names.append(p["name"])
    for name in prof_names:
        cells = []
        for rep in reports:
            found = [p for p in rep.get("profiles") or [] if p["name"] == name]
            cells.append(f"**{found[0]['result']}**" if found else "")
        rows.append(f"| *profile {name}* | {name} | " + " | ".join(cells) + " |")
    walls = [f"{r['wallSeconds']} s" if "wallSeconds" in r else "" for r in reports]
    rows.append("| *wall time* | | " + " | ".join(walls) + " |")
    verdicts = [verdict_line(r) for r in reports]
    rows.append("| *result* | | " + " | ".join(verdicts) + " |")
    legend = (
        "pass = passed, **FAIL** = failed, **rejected** = refused the config, n/e = not expressible, "
        "*not run* = the run stopped before this test"
    )
    figures = latency.matrix_table(reports, heads)  # seconds, from the checks that converged
    return "\n".join(rows) + "\n\n" + legend + "\n" + (f"\n{figures}" if figures else "")


def _impl_label(report: Mapping[str, Any]) -> str:
    impl = report.get("implementation") or {}
    return str(impl.get("version") or impl.get("name") or "?")


def _profiles_for(test: Mapping[str, Any]) -> list[str]:
    from conformance.features import Feature, profiles_of

    feats = []
    for name in test.get("features") or []:
        try:
            feats.append(Feature(name))
        except ValueError:
            continue
    return profiles_of(feats)
