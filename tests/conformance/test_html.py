"""The HTML report (conformance/html/): its structure on a real failing run, and the chart geometry.

The real run (tests/conformance/conftest.py) is the reference's ignore-igw variant failing
igw-mixed-regular-beside-pd: one prefill, one decode and one regular pod are expected, the regular one
is never discovered. What the page must show follows from that premise, stated here by hand.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from conformance.html.timeline import check_chart, overview
from tests.conformance.conftest import GATE_GROUP, GateRun


class Page(HTMLParser):
    """Elements as (tag, attrs, text inside up to the next tag) in document order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], str]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}, ""))

    def handle_data(self, data: str) -> None:
        if self.elements:
            tag, attrs, text = self.elements[-1]
            self.elements[-1] = (tag, attrs, text + data)

    def find(self, tag: str, **attrs: str) -> list[tuple[str, dict[str, str], str]]:
        """Elements with these attribute words (a class among several), their text stripped."""
        return [
            (e[0], e[1], e[2].strip())
            for e in self.elements
            if e[0] == tag and all(attrs[k] in e[1].get(k, "").split() for k in attrs)
        ]


@GATE_GROUP
def test_the_page_of_a_failing_run(gate_run: GateRun) -> None:
    text = gate_run.html.read_text()
    page = Page(text)
    # self-contained: no script, nothing loaded from elsewhere, links only within the page
    assert not page.find("script") and not page.find("link") and not page.find("img")
    assert all(a[1]["href"].startswith("#") for a in page.find("a"))
    verdict = page.find("p", id="verdict")
    assert verdict and verdict[0][2].startswith("Result: FAILED: 1 regression(s), 1 improvement(s)")
    assert page.find("h3", **{"class": "regressions"})[0][2] == "Regressions (1)"
    # the failing test: open, first under "Not passed", marked as the regression
    card = page.find("details", id="igw-mixed-regular-beside-pd")[0]
    assert "open" in card[1] and "change-regression" in card[1]["class"]
    cards = page.find("details", **{"class": "test"})
    assert [c[1]["id"] for c in cards] == ["igw-mixed-regular-beside-pd", "regular-selector-discovery"]
    assert "open" not in cards[1][1]  # the passed one is folded
    # its check chart: expected vs observed per pool, the change that created the pods, the cap
    section = text[
        text.index('id="igw-mixed-regular-beside-pd"') : text.index('id="regular-selector-discovery"')
    ]
    part = Page(section)
    pools = {(p[1]["data-pool"], p[1]["class"].split()[1]) for p in part.find("path", **{"class": "series"})}
    assert pools == {
        (pool, role) for pool in ("regular", "prefill", "decode") for role in ("expected", "observed")
    }
    ends = [e[2] for e in part.find("text", **{"class": "end"})]
    assert "regular: 0 of 1 expected  ✗" in ends and "prefill: 1 of 1 expected" in ends
    assert part.find("line", **{"class": "cap"}), "the failed check shows its cap"
    assert any(
        t[2].startswith("create pre-a, dec-a, reg-a") for t in part.find("text", **{"class": "vlabel"})
    )
    # folded evidence: the differing pod and the gateway log tail
    summaries = [s[2] for s in part.find("summary")]
    assert any(re.match(r"failure evidence: conformance-\w+/reg-a differ", s) for s in summaries)
    assert "gateway log tail" in summaries
    assert page.find("section", id="latency")


def poll(t: float, expected: list[int], observed: list[int]) -> list[Any]:
    return [t, expected, observed, expected == observed]


CHECK: dict[str, Any] = {
    "label": "initial",
    "start": 1.0,
    "cap": 16.0,
    "result": "converged",
    "at": 2.0,
    "end": 2.4,
    "polls": [
        poll(1.0, [2, 0, 0], [0, 0, 0]),
        poll(2.0, [2, 0, 0], [2, 0, 0]),
        poll(2.4, [2, 0, 0], [2, 0, 0]),
    ],
}
MARKS = [[0.5, "create", ["a", "b"]], [0.6, "start gateway", []], [9.0, "unready", ["a"]]]


def x_of(path: str) -> list[float]:
    return [float(n) for n in re.findall(r"[MH](-?[\d.]+)", path)]


def test_a_converged_check_is_drawn_from_its_polls() -> None:
    chart = check_chart(CHECK, MARKS)
    assert chart is not None
    series = {(s.pool, s.role): s for s in chart.series}
    assert set(series) == {("regular", "expected"), ("regular", "observed")}  # no PD pool anywhere
    expected, observed = series["regular", "expected"], series["regular", "observed"]
    assert "V" not in expected.path and observed.path.count("V") == 1  # one step: 0 -> 2 workers
    assert observed.last == 2 and expected.last == 2
    lines = {line.kind: line for line in chart.lines}
    assert "cap" not in lines  # converged long before its cap: the cap is not drawn
    assert [line.label for line in chart.lines if line.kind == "mark"] == ["create a, b", "start gateway"]
    start_x, step_x = x_of(observed.path)[0], x_of(observed.path)[1]
    assert lines["converged"].x == step_x > start_x  # converged where the observed count reached 2
    assert len(chart.equal) == 2 and chart.equal[0][0] == step_x
    assert chart.ends == [
        {"y": chart.ends[0]["y"], "pool": "regular", "text": "regular: 2 of 2 expected", "differs": False}
    ]


def test_a_failed_check_shows_the_cap_and_the_missing_worker() -> None:
    failed = {**CHECK, "result": "failed", "at": None, "end": 16.1, "polls": CHECK["polls"][:1]}
    chart = check_chart(failed, MARKS)
    assert chart is not None
    cap = [line for line in chart.lines if line.kind == "cap"]
    assert len(cap) == 1 and cap[0].label == "cap 16.0 s: failed"
    assert [e["text"] for e in chart.ends] == ["regular: 0 of 2 expected  ✗"]
    assert not chart.equal
    assert check_chart({**CHECK, "polls": []}, MARKS) is None  # a passed test keeps no polls


def test_the_overview_has_a_lane_per_check() -> None:
    second = {"label": "unready", "start": 9.1, "cap": 24.0, "result": "failed", "end": 24.1}
    chart = overview({"marks": MARKS, "checks": [CHECK, second]})
    assert chart is not None
    assert [(b["label"], b["ok"]) for b in chart.bars] == [("initial", True), ("unready", False)]
    assert chart.bars[0]["x1"] < chart.bars[1]["x0"] and chart.bars[0]["at"] is not None
    assert len([line for line in chart.lines if line.kind == "mark"]) == 3
