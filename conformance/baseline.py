"""Expected outcomes: judge a run against a baseline report or an expectations file, not against "all pass".

Why: every real gateway has known divergences (smg 1.13.0 lacks PR #25294), so "exit 0 only when every
test passed" is a gate no gateway project can use. A project gates on *regressions*: `--baseline
REPORT.yaml` (an earlier ConformanceReport: each finished test's outcome is what is expected) or
`--expect FILE` (test id -> expected outcome, with a reason). The comparison is a pure function over
data -- expectations and a report in, a verdict out -- so it gives the same answer wherever the report
is built (in this process, by a parallel run's controller, or offline over two report files).

Outcomes are ranked: Passed above NotExpressible / Skipped above Failed / RejectedConfig. Per test:

- same outcome: as expected;
- lower rank than expected: a **regression** (e.g. expected Passed, now Failed or RejectedConfig);
- higher rank: an **improvement** (expected Failed, now Passed): a notice, a failure with `--strict-baseline`;
- same rank, other outcome (Failed <-> RejectedConfig, NotExpressible <-> Skipped): a **change**, a notice
  (a failure with `--strict-baseline`);
- a test the expectations do not name is expected to pass (a new test that fails is a regression);
  expectations for tests this run did not select are ignored.

Exit status (conformance/exit_status.py): an incomplete run is still 4; otherwise 1 on a regression (or,
strict, on any improvement or change), else 0 -- known failures no longer fail the gate. The verdict is
stored in the report as its `expectations` section, which the summary lists first, regressions first.

Expectations file (YAML):

    expectations:
      igw-mixed-regular-beside-pd: {outcome: Failed, reason: "smg 1.13.0 lacks PR #25294"}
      igw-mixed-pd-without-igw-ignores-selector: NotExpressible    # outcome only
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance import exit_status as status
from conformance.registry import Outcome
from conformance.validate import UsageError, one_line

RANK = {
    Outcome.PASSED.value: 2,
    Outcome.NOT_EXPRESSIBLE.value: 1,
    Outcome.SKIPPED.value: 1,
    Outcome.FAILED.value: 0,
    Outcome.REJECTED_CONFIG.value: 0,
}
REGRESSION, IMPROVEMENT, CHANGE = "regression", "improvement", "change"
NO_EXPECTATION = "no expectation for this test: expected to pass"


@dataclass(frozen=True)
class Expected:
    """What one test is expected to end as, and why (a report's message, or the file's reason)."""

    outcome: str
    reason: str = ""


@dataclass(frozen=True)
class Expectations:
    """Test id -> Expected, and where they came from (shown in the summary)."""

    source: str
    tests: Mapping[str, Expected]
    semantics: str | None = None
    names_tests: bool = False
    """True for an expectations file, whose ids must all exist (a report's may be old)."""


@dataclass(frozen=True)
class Difference:
    """One test whose outcome is not the expected one."""

    id: str
    kind: str
    expected: str
    observed: str
    reason: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"id": self.id, "expected": self.expected, "observed": self.observed}
        if self.reason:
            out["reason"] = self.reason
        if self.message:
            out["message"] = self.message
        return out


@dataclass
class Verdict:
    """The comparison of one run with its expectations."""

    source: str
    strict: bool
    differences: list[Difference] = field(default_factory=list)
    matched: int = 0
    unexpected_tests: list[str] = field(default_factory=list)
    """Tests the expectations did not name (judged as expected to pass)."""
    note: str = ""

    def of_kind(self, kind: str) -> list[Difference]:
        return [d for d in self.differences if d.kind == kind]

    @property
    def status(self) -> int:
        return section_status(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The report's `expectations` section."""
        out: dict[str, Any] = {"source": self.source, "strict": self.strict, "matched": self.matched}
        for kind, key in ((REGRESSION, "regressions"), (IMPROVEMENT, "improvements"), (CHANGE, "changes")):
            out[key] = [d.to_dict() for d in self.of_kind(kind)]
        if self.unexpected_tests:
            out["notInExpectations"] = list(self.unexpected_tests)
        if self.note:
            out["note"] = self.note
        return out


def from_report(report: Mapping[str, Any], source: str) -> Expectations:
    """A report's finished tests as expectations (their messages as the reasons)."""
    tests = {
        str(t["id"]): Expected(str(t["outcome"]), _first_line(t.get("message")))
        for t in report.get("tests") or []
        if isinstance(t, Mapping) and "id" in t and t.get("outcome") in RANK
    }
    impl = report.get("implementation") or {}
    label = f"{source} ({impl.get('version') or impl.get('name') or '?'}, {report.get('date', '?')})"
    return Expectations(label, tests, semantics=report.get("semanticsVersion"))


def compare(expectations: Expectations, report: Mapping[str, Any], *, strict: bool = False) -> Verdict:
    """The verdict of `report`'s finished tests against `expectations` (pure: data in, verdict out)."""
    verdict = Verdict(source=expectations.source, strict=strict)
    run_semantics = report.get("semanticsVersion")
    if expectations.semantics and run_semantics and expectations.semantics != run_semantics:
        verdict.note = (
            f"the baseline was judged by semantics {expectations.semantics}, this run by {run_semantics}"
        )
    for test in report.get("tests") or []:
        test_id, observed = str(test["id"]), str(test["outcome"])
        expected = expectations.tests.get(test_id)
        if expected is None:
            verdict.unexpected_tests.append(test_id)
            expected = Expected(Outcome.PASSED.value, NO_EXPECTATION)
        if observed == expected.outcome:
            verdict.matched += 1
            continue
        down = RANK.get(observed, 0) - RANK.get(expected.outcome, 0)
        kind = REGRESSION if down < 0 else IMPROVEMENT if down > 0 else CHANGE
        verdict.differences.append(
            Difference(
                test_id, kind, expected.outcome, observed, expected.reason, _first_line(test.get("message"))
            )
        )
    return verdict


def compare_reports(
    baseline: Mapping[str, Any], report: Mapping[str, Any], *, strict: bool = False, source: str = "baseline"
) -> Verdict:
    """`report` judged against the outcomes of an earlier report."""
    return compare(from_report(baseline, source), report, strict=strict)


def with_verdict(report: Mapping[str, Any], verdict: Verdict) -> dict[str, Any]:
    """A copy of `report` carrying the verdict as its `expectations` section."""
    return {**report, "expectations": verdict.to_dict()}


def section_status(section: Mapping[str, Any]) -> int:
    """The exit status an `expectations` section stands for (the run being complete)."""
    if section.get("regressions"):
        return status.FAILED
    if section.get("strict") and (section.get("improvements") or section.get("changes")):
        return status.FAILED
    return status.PASSED


def verdict_words(section: Mapping[str, Any]) -> str:
    """The summary's last word for a complete run judged against expectations."""
    regressions, improvements = section.get("regressions") or [], section.get("improvements") or []
    changes = section.get("changes") or []
    counts = f"{len(regressions)} regression(s), {len(improvements)} improvement(s), {len(changes)} change(s)"
    if section_status(section) == status.PASSED:
        return f"PASSED: no regression ({section.get('matched', 0)} as expected; {counts})"
    strict = " (--strict-baseline)" if not regressions else ""
    return f"FAILED{strict}: {counts}"


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """The summary's expectations block: regressions first, then improvements and changes."""
    section = report.get("expectations")
    if not isinstance(section, Mapping):
        return []
    lines = [f"Expected outcomes from {section.get('source')}:"]
    if section.get("note"):
        lines.append(f"  note: {section['note']}")
    titles = (
        ("regressions", "Regressions"),
        ("improvements", "Improvements" + (" (fail: --strict-baseline)" if section.get("strict") else "")),
        ("changes", "Changed outcomes" + (" (fail: --strict-baseline)" if section.get("strict") else "")),
    )
    for key, title in titles:
        items = section.get(key) or []
        if not items:
            continue
        lines.append(f"  {title} ({len(items)}):")
        for d in items:
            why = (
                f" ({d['reason']})" if d.get("reason") else ""
            )  # the file's reason, or the baseline's message
            now = f": {d['message']}" if d.get("message") else ""
            lines.append(f"    {d['id']}: expected {d['expected']}{why}, now {d['observed']}{now}")
    if len(lines) == 1 + bool(section.get("note")):
        lines.append(f"  every outcome as expected ({section.get('matched', 0)} tests)")
    return lines


def load(path: str | Path, *, kind: str) -> Expectations:
    """`--baseline` (kind "baseline": a ConformanceReport) or `--expect` (kind "expect"); UsageError."""
    option = f"--{kind}"
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{option} {path}: not valid YAML: {one_line(exc)}") from None
    if kind == "baseline":
        if not isinstance(data, Mapping) or data.get("kind") != "ConformanceReport":
            raise UsageError(f"{option} {path} is not a ConformanceReport (kind: ConformanceReport)")
        if not data.get("tests"):
            raise UsageError(f"{option} {path} holds no finished test")
        return from_report(data, str(path))
    return _expectations_file(data, str(path), option)


def _expectations_file(data: Any, path: str, option: str) -> Expectations:
    entries = data.get("expectations") if isinstance(data, Mapping) else None
    if not isinstance(entries, Mapping) or not entries:
        raise UsageError(f"{option} {path}: expected a mapping `expectations: {{TEST-ID: OUTCOME}}`")
    tests: dict[str, Expected] = {}
    for test_id, entry in entries.items():
        outcome, reason = (
            (entry.get("outcome"), entry.get("reason", "")) if isinstance(entry, Mapping) else (entry, "")
        )
        if outcome not in RANK:
            raise UsageError(
                f"{option} {path}: {test_id}: outcome {outcome!r} is not one of {', '.join(RANK)}"
            )
        tests[str(test_id)] = Expected(str(outcome), str(reason or ""))
    return Expectations(path, tests, names_tests=True)


def check_ids(expectations: Expectations, known: Sequence[str]) -> None:
    """An expectations file naming a test that does not exist is a typo: UsageError (checked once the
    suite is collected). A baseline report may name tests since renamed: those are ignored."""
    if not expectations.names_tests:
        return
    for test_id in expectations.tests:
        if test_id not in known:
            close = difflib.get_close_matches(test_id, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(f"--expect {expectations.source}: unknown test id {test_id!r}{hint}")


def load_option(baseline: str | None, expect: str | None, strict: bool) -> Expectations | None:
    """The expectations the options name (at most one of the two), or None; UsageError."""
    if baseline and expect:
        raise UsageError("give --baseline or --expect, not both")
    if strict and not (baseline or expect):
        raise UsageError("--strict-baseline needs --baseline or --expect")
    if baseline:
        return load(baseline, kind="baseline")
    if expect:
        return load(expect, kind="expect")
    return None


def _first_line(text: Any) -> str:
    return str(text).splitlines()[0] if text else ""
