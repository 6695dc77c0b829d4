"""Latency figures (conformance/latency.py): what a check measured, the report section, summary and matrix.

Reports here are written by hand (test entries with timelines), and every expected figure is worked out
by hand from them: nearest-rank percentiles, checks that never converged counted apart, scale figures.
"""

from __future__ import annotations

from typing import Any

from conformance.latency import ChangeKind, Expectations, matrix_table, percentile, section, summary_lines
from conformance.registry import Outcome
from conformance.report import TestResult, build_report, render_matrix, render_summary
from reference import Pools, Worker


def pools(*urls: str, prefill: tuple[str, ...] = ()) -> Pools:
    return Pools(
        frozenset(Worker(u, None) for u in urls), frozenset(Worker(u, 8998) for u in prefill), frozenset()
    )


def test_expectations_name_what_each_check_waits_for() -> None:
    seen = Expectations()
    assert seen.advance(pools("a", "b")) is ChangeKind.START
    assert seen.advance(pools("a")) is ChangeKind.REMOVE
    assert seen.advance(pools("a", "b")) is ChangeKind.READD  # b was expected before
    assert seen.advance(pools("a", "b", "c")) is ChangeKind.ADD
    assert seen.advance(pools("a", "b", "c")) is ChangeKind.NONE
    assert seen.advance(pools("a", "b", "d")) is ChangeKind.REPLACE
    # the same URL in another pool (a role change) is a different worker: replace
    assert seen.advance(pools("a", "b", prefill=("d",))) is ChangeKind.REPLACE


def test_percentiles_are_nearest_rank() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 95) == 5.0
    assert percentile(list(map(float, range(1, 21))), 95) == 19.0  # rank ceil(0.95 * 20) = 19
    assert percentile([7.0], 50) == 7.0


def check(change: str | None, seconds: float | None, result: str = "converged") -> dict[str, Any]:
    out: dict[str, Any] = {"label": "x", "result": result}
    if change is not None:
        out["change"] = change
    if seconds is not None:
        out["seconds"] = seconds
    return out


def entry(*checks: dict[str, Any], figures: dict[str, float] | None = None) -> dict[str, Any]:
    test: dict[str, Any] = {"id": "t", "timeline": {"marks": [], "checks": list(checks)}}
    if figures:
        test["figures"] = figures
    return test


TESTS = [
    entry(check("start", 0.9), check("remove", 6.1), check("re-add", 1.2)),
    entry(check("start", 1.0), check("add", 1.3, result="settled"), check("remove", 5.9), check("none", 0.0)),
    entry(
        check("start", 1.0), check("add", 1.1), check("replace", 6.0), check("re-add", None, result="failed")
    ),
    entry(check("remove", None, result="late"), check(None, None)),
]


def test_the_section_gathers_converged_checks_by_kind() -> None:
    assert section(TESTS) == {
        "add": {"count": 2, "p50": 1.1, "p95": 1.3, "max": 1.3},
        "remove": {"count": 2, "p50": 5.9, "p95": 6.1, "max": 6.1, "notConverged": 1},
        "re-add": {"count": 1, "p50": 1.2, "p95": 1.2, "max": 1.2, "notConverged": 1},
    }


def test_scale_figures_come_from_the_scale_tests() -> None:
    scale = entry(
        check("start", 3.0), figures={"workers": 500, "firstWorkerSeconds": 2.9, "allWorkersSeconds": 3.3}
    )
    scale["id"] = "scale-regular"
    late = entry(figures={"workers": 500, "firstWorkerSeconds": 0.6})
    late["id"] = "scale-pd"
    got = section([scale, late])
    assert got["scale"] == [
        {"test": "scale-regular", "workers": 500, "firstWorkerSeconds": 2.9, "allWorkersSeconds": 3.3},
        {"test": "scale-pd", "workers": 500, "firstWorkerSeconds": 0.6},
    ]
    lines = summary_lines({"latency": got})
    assert lines[-1] == (
        "  scale   scale-regular: first worker 2.9 s, all 500 3.3 s; "
        "scale-pd: first worker 0.6 s, all 500 never"
    )


def test_summary_lines() -> None:
    assert summary_lines({"latency": section(TESTS)}) == [
        "Latency (p50 / p95 / max over the checks that converged):",
        "  add     1.10 / 1.30 / 1.30 s (n=2)",
        "  remove  5.90 / 6.10 / 6.10 s (n=2), 1 not converged",
        "  re-add  1.20 / 1.20 / 1.20 s (n=1), 1 not converged",
    ]
    assert summary_lines({"latency": section([entry(check("start", 1.0))])}) == []  # nothing to show
    assert summary_lines({}) == []  # a report from before the section existed


def _report(name: str, tests: list[dict[str, Any]]) -> dict[str, Any]:
    results = [
        TestResult(
            id=f"t{i}",
            description="d.",
            features=["Relabel"],
            profiles=["lifecycle"],
            outcome=Outcome.PASSED,
            evidence={"timeline": t["timeline"]},
        )
        for i, t in enumerate(tests)
    ]
    return build_report(
        results=results,
        implementation={"name": name, "version": f"{name} 1"},
        harness_version="0",
        cluster_provider="embedded",
        semantics_version="pr-25294",
        timeouts={},
    )


def test_the_report_summary_and_matrix_carry_the_figures() -> None:
    fast = _report("fast", TESTS[:2])
    slow = _report("slow", [entry(check("add", 2.0), check("remove", None, result="failed"))])
    assert fast["latency"]["add"] == {"count": 1, "p50": 1.3, "p95": 1.3, "max": 1.3}
    assert "  remove  5.90 / 6.10 / 6.10 s (n=2)" in render_summary(fast).splitlines()
    table = render_matrix([fast, slow], labels=["fast", "slow"])
    assert matrix_table([fast, slow], ["fast", "slow"]) in table
    rows = table.split("| latency (p50 / p95 / max) | fast | slow |")[1].strip().splitlines()
    assert rows == [
        "|---|---|---|",
        "| add | 1.30 / 1.30 / 1.30 s (n=1) | 2.00 / 2.00 / 2.00 s (n=1) |",
        "| remove | 5.90 / 6.10 / 6.10 s (n=2) | -, 1 not converged |",
        "| re-add | 1.20 / 1.20 / 1.20 s (n=1) | - |",
    ]


def test_the_matrix_has_no_latency_table_without_figures() -> None:
    bare = _report("bare", [entry(check("start", 1.0))])
    assert "latency" not in render_matrix([bare], labels=["bare"])
