"""The geometry of the HTML report's timelines: a report's `timeline` entry in, SVG coordinates out.

Why apart from the template: the template only draws what this computes (paths, lines, labels), so
the drawing can be checked as data -- where the expected and observed workers of each pool are at
each poll, where the changes the test made, the convergence point and the cap fall -- without a
browser. The input is the evidence the report already holds (conformance/evidence.py): marks
`[t, action, pods]` and checks `{label, start, cap, result, at, end, polls: [[t, expected counts,
observed counts, equal], ...]}`, times in seconds since the scenario began, counts per pool in
reference.POOL_NAMES order (regular, prefill, decode).

Two charts:
- `check_chart`: one check with polls (a test that did not pass): per pool a step line of the
  expected workers (wide, pale) and of the observed ones (thin, solid), a green strip where the
  gateway's pools equalled the expected ones, a dashed line at each change the test made, and the
  convergence point (green) or the cap (red, when the check failed);
- `overview`: every check of a test as a bar on its own lane (passed tests keep no polls), with the
  changes across all lanes and each check's convergence point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reference import POOL_NAMES

WIDTH = 720.0
LEFT, RIGHT, TOP, BOTTOM = 44.0, 160.0, 22.0, 26.0
PLOT_HEIGHT = 120.0
LANE = 16.0
POOL_OFFSET = 3.0
"""Pixels between pools' lines at the same count, so three pools at one worker stay three lines."""
LEAD_IN = 2.0
"""Seconds before a check that a change may lie and still be drawn (the change the check waits for)."""
LABEL_CHARS = 28
CONVERGED_RESULTS = ("converged", "settled", "held", "logged")
"""Check results that passed (conformance/convergence.py); any other ("failed", "late", "excluded
shown", "barrier never showed", "changed", "not logged") is drawn in red with the cap."""


@dataclass
class VLine:
    """A vertical line at x with a label (a change the test made, a convergence point, the cap)."""

    x: float
    label: str
    kind: str  # "mark" | "converged" | "cap"


@dataclass
class Series:
    """One pool's expected or observed workers over the polls, as an SVG path."""

    pool: str
    role: str  # "expected" | "observed"
    path: str
    last: int


@dataclass
class Chart:
    """What the template draws for one chart."""

    width: float
    height: float
    title: str
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    equal: list[tuple[float, float]] = field(default_factory=list)
    """x ranges where the observed pools equalled the expected ones."""
    lines: list[VLine] = field(default_factory=list)
    bars: list[dict[str, Any]] = field(default_factory=list)
    """Overview lanes: {y, x0, x1, label, result, ok, at}."""
    ends: list[dict[str, Any]] = field(default_factory=list)
    """Right of the plot, per pool at the last poll: {y, pool, text, differs} ("regular: 0 of 1 expected")."""
    plot_top: float = TOP
    plot_bottom: float = TOP + PLOT_HEIGHT


class _Scale:
    def __init__(self, t0: float, t1: float) -> None:
        self.t0, self.span = t0, max(t1 - t0, 1e-6)

    def x(self, t: float) -> float:
        return round(LEFT + (t - self.t0) / self.span * (WIDTH - LEFT - RIGHT), 1)


def _ticks(t0: float, t1: float, scale: _Scale) -> list[tuple[float, str]]:
    span = t1 - t0
    step = next((s for s in (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120) if span / s <= 8), 300)
    first = int(t0 / step) * step
    ticks, t = [], first
    while t <= t1 + 1e-9:
        if t >= t0 - 1e-9:
            ticks.append((scale.x(t), f"{t:g}"))
        t += step
    return ticks


def _mark_label(mark: Sequence[Any]) -> str:
    action, pods = str(mark[1]), [str(p) for p in (mark[2] if len(mark) > 2 else []) or []]
    text = f"{action} {', '.join(pods)}".strip()
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def check_chart(check: Mapping[str, Any], marks: Sequence[Sequence[Any]]) -> Chart | None:
    """The chart of one check with polls; None when it kept none (a passed test's check)."""
    polls = check.get("polls") or []
    if not polls:
        return None
    start, cap = float(check["start"]), float(check["cap"])
    end = float(check.get("end") or polls[-1][0])
    failed = check.get("result") not in CONVERGED_RESULTS
    before = [float(m[0]) for m in marks if start - LEAD_IN <= float(m[0]) <= start]
    t0 = max(0.0, min([start, *before]) - 0.2)
    t1 = max(end, cap if failed else end, float(polls[-1][0]))
    t1 += (t1 - t0) * 0.03
    scale = _Scale(t0, t1)
    top_count = int(max([1, *(c for p in polls for c in (*p[1], *p[2]))]))
    unit = PLOT_HEIGHT / (top_count + 0.5)

    def y(count: int, pool_index: int) -> float:
        return round(TOP + PLOT_HEIGHT - count * unit - pool_index * POOL_OFFSET, 1)

    chart = Chart(
        width=WIDTH,
        height=TOP + PLOT_HEIGHT + BOTTOM,
        title=f"{check.get('label', 'check')}: {check.get('result', '?')}",
    )
    chart.x_ticks = _ticks(t0, t1, scale)
    chart.y_ticks = [(y(n, 0), str(n)) for n in range(top_count + 1)]
    for index, pool in enumerate(POOL_NAMES):
        for role, column in (("expected", 1), ("observed", 2)):
            counts = [int(p[column][index]) for p in polls]
            if not any(counts) and not any(int(p[3 - column][index]) for p in polls):
                continue  # a pool neither expected nor observed anywhere: nothing to draw
            chart.series.append(
                Series(
                    pool, role, _step_path(polls, counts, end, scale, lambda n, i=index: y(n, i)), counts[-1]
                )
            )
    last = polls[-1]
    for index, pool in enumerate(POOL_NAMES):
        want, got = int(last[1][index]), int(last[2][index])
        if want or got:
            flag = "  ✗" if want != got else ""
            chart.ends.append(
                {
                    "y": TOP + 10 + 13 * len(chart.ends),
                    "pool": pool,
                    "text": f"{pool}: {got} of {want} expected{flag}",
                    "differs": want != got,
                }
            )
    for i, poll in enumerate(polls):
        if poll[3]:
            until = polls[i + 1][0] if i + 1 < len(polls) else end
            chart.equal.append((scale.x(float(poll[0])), scale.x(float(until))))
    for mark in marks:
        if t0 <= float(mark[0]) <= t1:
            chart.lines.append(VLine(scale.x(float(mark[0])), _mark_label(mark), "mark"))
    if check.get("at") is not None:  # the convergence point (or when an excluded pod showed)
        at = float(check["at"])
        chart.lines.append(
            VLine(scale.x(at), f"{check.get('result')} {at:.2f} s", "cap" if failed else "converged")
        )
    if failed:
        chart.lines.append(VLine(scale.x(cap), f"cap {cap:.1f} s: {check.get('result')}", "cap"))
    return chart


def _step_path(
    polls: Sequence[Sequence[Any]], counts: Sequence[int], end: float, scale: _Scale, y: Any
) -> str:
    """An SVG path holding each poll's count until the next poll (and the last one until `end`)."""
    parts = [f"M{scale.x(float(polls[0][0]))},{y(counts[0])}"]
    for i in range(1, len(polls)):
        x = scale.x(float(polls[i][0]))
        parts.append(f"H{x}")
        if counts[i] != counts[i - 1]:
            parts.append(f"V{y(counts[i])}")
    parts.append(f"H{scale.x(max(end, float(polls[-1][0])))}")
    return " ".join(parts)


def overview(timeline: Mapping[str, Any]) -> Chart | None:
    """Every check of one test on its own lane, with the changes the test made; None without checks."""
    checks = timeline.get("checks") or []
    if not checks:
        return None
    marks = timeline.get("marks") or []
    ends = [float(c.get("end") or c["start"]) for c in checks]
    t1 = max([*ends, *(float(m[0]) for m in marks)]) * 1.03 + 0.1
    scale = _Scale(0.0, t1)
    chart = Chart(width=WIDTH, height=TOP + LANE * len(checks) + BOTTOM, title="checks")
    chart.plot_bottom = TOP + LANE * len(checks)
    chart.x_ticks = _ticks(0.0, t1, scale)
    for lane, (check, end) in enumerate(zip(checks, ends, strict=True)):
        at = check.get("at")
        chart.bars.append(
            {
                "y": TOP + lane * LANE + 2,
                "x0": scale.x(float(check["start"])),
                "x1": max(scale.x(end), scale.x(float(check["start"])) + 2),
                "label": str(check.get("label", "")),
                "result": str(check.get("result", "")),
                "ok": check.get("result") in CONVERGED_RESULTS,
                "at": None if at is None else scale.x(float(at)),
            }
        )
    for mark in marks:
        chart.lines.append(VLine(scale.x(float(mark[0])), _mark_label(mark), "mark"))
    return chart
