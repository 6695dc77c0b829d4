"""How fast a gateway follows the cluster: latency figures from the timings the checks already record.

Why: users comparing gateways ask "how fast does it notice?", and every convergence check already
measures it (conformance/evidence.py: the `seconds` of a passed check, on the scenario's clock). Two
things are needed to turn those into figures, and both live here:

- what a check measured: `Expectations.advance` compares the reference's expected pools of a check with
  those of the check before it in the same test -- workers only added (`add`, or `re-add` when one of
  them was expected earlier in the test and went away), only removed (`remove`), both (`replace`: a
  recreated pod, a role change), nothing (`none`: a flap that ends where it began), or the first check
  after the gateway started (`start`). The kind is written on the check's timeline entry (`change`);
- the figures over a run (`section`, the report's `latency`): per kind the number of passed checks
  (converged, or a barrier that showed) and p50 / p95 / max of their seconds (nearest rank), and how
  many checks of that kind did not pass within the cap (`notConverged`: left out of the percentiles,
  so a reader knows they are not in them);
  for the scale profile, the time from the gateway's start to its first and to all 500 workers
  (the `figures` a scale test records: `SCALE_WORKERS`, `FIRST_WORKER`, `ALL_WORKERS`).

The terminal summary (`summary_lines`) and `matrix` (`matrix_table`: one Markdown table, gateways side
by side) print the same section. Figures are evidence, never a verdict: nothing here fails a test.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from conformance.differences import entries
from reference import Pools

SCALE_WORKERS = "workers"
"""Figure of a scale test (Evidence.figures): the workers expected when its gateway starts."""
FIRST_WORKER = "firstWorkerSeconds"
"""Figure of a scale test: seconds from the gateway's start to the first worker it lists."""
ALL_WORKERS = "allWorkersSeconds"
"""Figure of a scale test: seconds from the gateway's start until it lists every expected worker."""


class ChangeKind(enum.StrEnum):
    """What a convergence check waited for the gateway to do."""

    START = "start"
    ADD = "add"
    REMOVE = "remove"
    READD = "re-add"
    REPLACE = "replace"
    NONE = "none"


FIGURE_KINDS = (ChangeKind.ADD, ChangeKind.REMOVE, ChangeKind.READD)
"""The kinds the figures are given for (the issue's "time to add, remove and re-add a worker")."""


class Expectations:
    """The expected pools one test's checks went through, to name what each new check measures."""

    def __init__(self) -> None:
        self.previous: Pools | None = None
        self.seen: set[tuple[str, str, int | None]] = set()

    def advance(self, expected: Pools) -> ChangeKind:
        """The kind of the check that now waits for `expected`; remembers it for the next one."""
        now = entries(expected)
        kind = self._kind(now)
        self.previous = expected
        self.seen |= now
        return kind

    def _kind(self, now: set[tuple[str, str, int | None]]) -> ChangeKind:
        if self.previous is None:
            return ChangeKind.START
        before = entries(self.previous)
        added, removed = now - before, before - now
        if added and removed:
            return ChangeKind.REPLACE
        if removed:
            return ChangeKind.REMOVE
        if added:
            return ChangeKind.READD if added & self.seen else ChangeKind.ADD
        return ChangeKind.NONE


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile `p` (0 < p <= 100) of non-empty `values`."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def section(tests: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The report's `latency` section from its test entries (their timelines and timings)."""
    passed: dict[str, list[float]] = {kind.value: [] for kind in FIGURE_KINDS}
    missed: dict[str, int] = {kind.value: 0 for kind in FIGURE_KINDS}
    scale: list[dict[str, Any]] = []
    for test in tests:
        for check in (test.get("timeline") or {}).get("checks") or []:
            kind = check.get("change")
            if kind not in passed:
                continue
            if check.get("seconds") is not None:  # only a passed check has its measured time
                passed[kind].append(float(check["seconds"]))
            else:
                missed[kind] += 1
        figures = test.get("figures") or {}
        if SCALE_WORKERS in figures:
            scale.append({"test": test.get("id"), **figures})
    out: dict[str, Any] = {}
    for kind, values in passed.items():
        entry: dict[str, Any] = {"count": len(values)}
        if values:
            entry.update(
                p50=round(percentile(values, 50), 3),
                p95=round(percentile(values, 95), 3),
                max=round(max(values), 3),
            )
        if missed[kind]:
            entry["notConverged"] = missed[kind]
        out[kind] = entry
    if scale:
        keys = ("test", SCALE_WORKERS, FIRST_WORKER, ALL_WORKERS)
        out["scale"] = [{key: run[key] for key in keys if key in run} for run in scale]
    return out


def _triple(entry: Mapping[str, Any]) -> str:
    """ "p50 / p95 / max s (n=N)", with the checks that never converged."""
    if not entry.get("count"):
        text = "-"
    else:
        text = f"{entry['p50']:.2f} / {entry['p95']:.2f} / {entry['max']:.2f} s (n={entry['count']})"
    if entry.get("notConverged"):
        text += f", {entry['notConverged']} not converged"
    return text


def _scale_text(runs: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for run in runs:
        first, every = run.get(FIRST_WORKER), run.get(ALL_WORKERS)
        parts.append(
            f"{run.get('test', '?')}: first worker {'-' if first is None else f'{first:.1f} s'}, "
            f"all {int(run.get(SCALE_WORKERS, 0))} {'never' if every is None else f'{every:.1f} s'}"
        )
    return "; ".join(parts)


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """The terminal summary's latency lines (none when the run has no figures)."""
    latency = report.get("latency") or {}
    if not any((latency.get(k.value) or {}).get("count") for k in FIGURE_KINDS) and not latency.get("scale"):
        return []
    lines = ["Latency (p50 / p95 / max over the checks that converged):"]
    for kind in FIGURE_KINDS:
        lines.append(f"  {kind.value:<7} {_triple(latency.get(kind.value) or {})}")
    if latency.get("scale"):
        lines.append(f"  scale   {_scale_text(latency['scale'])}")
    return lines


def matrix_table(reports: Sequence[Mapping[str, Any]], heads: Sequence[str]) -> str:
    """The latency figures of each report side by side (Markdown), or "" when none has any."""
    sections = [r.get("latency") or {} for r in reports]
    if not any(summary_lines({"latency": s}) for s in sections):
        return ""
    rows = ["| latency (p50 / p95 / max) | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for kind in FIGURE_KINDS:
        rows.append(
            f"| {kind.value} | " + " | ".join(_triple(s.get(kind.value) or {}) for s in sections) + " |"
        )
    if any(s.get("scale") for s in sections):
        rows.append("| scale | " + " | ".join(_scale_text(s.get("scale") or []) for s in sections) + " |")
    return "\n".join(rows) + "\n"
