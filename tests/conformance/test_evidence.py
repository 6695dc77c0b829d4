"""The evidence a test leaves for its report: which keys, when, and a timeline kept small."""

from __future__ import annotations

from conformance.evidence import Evidence, Poll, Timeline, compact
from conformance.registry import Outcome
from reference import Pools, Worker
from tests.polling import FakeTime

A = Worker("http://127.0.0.2:8000", None)
ONE = Pools(regular=frozenset({A}), prefill=frozenset(), decode=frozenset())


def poll(t: float, observed: int, equal: bool) -> Poll:
    return (t, (1, 0, 0), (observed, 0, 0), equal)


def test_runs_of_identical_polls_keep_their_first_and_last() -> None:
    polls = [poll(t, 0, False) for t in range(5)] + [poll(t, 1, True) for t in range(5, 9)]
    assert compact(polls) == [polls[0], polls[4], polls[5], polls[8]]


def test_a_long_check_keeps_at_most_the_limit_changes_first() -> None:
    flapping = [poll(t, t % 2, t % 2 == 1) for t in range(200)]
    kept = compact(flapping, limit=20)
    assert len(kept) == 20
    assert kept[0] == flapping[0] and kept[-1] == flapping[-1]
    assert [p[0] for p in kept] == sorted(p[0] for p in kept)


def test_a_short_check_is_kept_whole() -> None:
    polls = [poll(0, 0, False), poll(1, 1, True)]
    assert compact(polls) == polls


def test_timeline_times_are_seconds_since_the_scenario_began() -> None:
    time = FakeTime(now=10.0)
    timeline = Timeline(time.clock())
    time.now = 10.5
    timeline.mark("create", "a", "b")
    trace = timeline.begin("initial", cap_seconds=15.0, expected=ONE)
    time.now = 11.0
    trace.poll(time.now, ONE)
    trace.finish("converged", at=11.0, end=11.2)
    assert timeline.to_report(with_polls=True) == {
        "marks": [[0.5, "create", ["a", "b"]]],
        "checks": [
            {
                "label": "initial",
                "start": 0.5,
                "cap": 15.5,
                "result": "converged",
                "at": 1.0,
                "end": 1.2,
                "polls": [[1.0, [1, 0, 0], [1, 0, 0], True]],
            }
        ],
    }
    assert "polls" not in timeline.to_report(with_polls=False)["checks"][0]


def _evidence() -> Evidence:
    evidence = Evidence(requested_config={"igw_mode": False}, effective_config={"igw_mode": True})
    evidence.timing("converge", 1.23456)
    evidence.timing("converge", 2.0)
    evidence.failure(expected=ONE, observed=Pools.empty(), waited=15.04, differing=["ns/a"])
    evidence.log_tail = "last line"
    evidence.timeline = Timeline()
    return evidence


def test_a_passed_test_reports_config_timings_and_a_compact_timeline() -> None:
    report = _evidence().to_report(Outcome.PASSED)
    assert set(report) == {"requestedConfig", "effectiveConfig", "timings", "harnessSeconds", "timeline"}
    assert report["timings"] == {"converge": 1.235, "converge-2": 2.0}
    # one entry per check, 0 when the harness did not stall: the fields never depend on load
    assert report["harnessSeconds"] == {"converge": 0.0, "converge-2": 0.0}


def test_a_failed_test_reports_the_difference_and_the_log() -> None:
    report = _evidence().to_report(Outcome.FAILED)
    assert report["differingPods"] == ["ns/a"] and report["waitedSeconds"] == 15.04
    assert report["expected"] == ONE.to_dict() and report["observed"] == Pools.empty().to_dict()
    assert report["logTail"] == "last line"


def test_not_expressible_keeps_the_difference_but_not_the_log() -> None:
    report = _evidence().to_report(Outcome.NOT_EXPRESSIBLE)
    assert "differingPods" in report and "logTail" not in report
