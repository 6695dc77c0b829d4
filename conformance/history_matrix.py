"""The history matrix: a row per test, a column per release, where each outcome changed.

Why apart from conformance/history.py (which installs and runs the releases): this part is pure --
reports in, Markdown and YAML out -- and is what a reader of `history.md` needs explained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.report import MATRIX_SYMBOL, NOT_RUN_SYMBOL


@dataclass
class Column:
    """One release: its report, or why it could not run."""

    version: str
    report: dict[str, Any] | None = None
    cannot_run: str = ""
    exit_status: int | None = None
    seconds: float = 0.0
    log: Path | None = None
    summary: str = ""
    """One line on how the release went (printed once it is counted as done)."""


@dataclass
class History:
    gateway: str
    columns: list[Column] = field(default_factory=list)
    interrupted: str = ""


def outcome_rows(history: History) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Test ids in first-seen order, and per test: release -> outcome (runnable releases only)."""
    order: list[str] = []
    cells: dict[str, dict[str, str]] = {}
    for column in history.columns:
        for test in (column.report or {}).get("tests") or []:
            if test["id"] not in cells:
                order.append(test["id"])
                cells[test["id"]] = {}
            cells[test["id"]][column.version] = test["outcome"]
        for test_id in (column.report or {}).get("notRunTests") or []:
            if test_id not in cells:
                order.append(test_id)
                cells[test_id] = {}
    return order, cells


def changes(history: History) -> dict[str, list[tuple[str, str, str]]]:
    """Per test, (release, before, after) wherever its outcome differs from the previous runnable release."""
    order, cells = outcome_rows(history)
    out: dict[str, list[tuple[str, str, str]]] = {}
    for test_id in order:
        previous: str | None = None
        for column in history.columns:
            now = cells[test_id].get(column.version)
            if now is None:
                continue
            if previous is not None and now != previous:
                out.setdefault(test_id, []).append((column.version, previous, now))
            previous = now
    return out


def render(history: History) -> str:
    """The Markdown matrix: a row per test, a column per release, changed outcomes marked."""
    order, cells = outcome_rows(history)
    changed = changes(history)
    heads = [c.version for c in history.columns]
    rows = [f"| test | {' | '.join(heads)} | changed at |", "|---|" + "---|" * (len(heads) + 1)]
    rows.append("| *runs* | " + " | ".join(_runs_cell(c) for c in history.columns) + " | |")
    for test_id in order:
        marked = {version for version, _, _ in changed.get(test_id, [])}
        row = []
        for column in history.columns:
            outcome = cells[test_id].get(column.version)
            if column.cannot_run:
                row.append("x")
            elif outcome is None:
                row.append(
                    NOT_RUN_SYMBOL if test_id in ((column.report or {}).get("notRunTests") or []) else ""
                )
            else:
                symbol = MATRIX_SYMBOL.get(outcome, outcome)
                row.append(f"→ {symbol} ⚑" if column.version in marked else symbol)
        where = "; ".join(f"{v}: {_short(a)} → {_short(b)}" for v, a, b in changed.get(test_id, []))
        rows.append(f"| {test_id} | " + " | ".join(row) + f" | {where} |")
    rows.append("| *wall time* | " + " | ".join(f"{c.seconds:.0f} s" for c in history.columns) + " | |")
    legend = (
        f"{history.gateway}, one column per release. pass = passed, **FAIL** = failed, **rejected** = "
        "refused the config, n/e = not expressible, skip = skipped, x = the release cannot run; "
        "→ … ⚑ = the outcome changed from the release before."
    )
    note = f"\n**INCOMPLETE**: {history.interrupted}.\n" if history.interrupted else ""
    return "\n".join(rows) + "\n\n" + legend + "\n" + note


def _runs_cell(column: Column) -> str:
    if column.cannot_run:
        return f"**cannot run**: {column.cannot_run.replace('|', '/')}"
    report = column.report or {}
    version = (report.get("implementation") or {}).get("version", "?")
    return f"yes ({version})" if report.get("complete", True) else "incomplete"


def _short(outcome: str) -> str:
    return MATRIX_SYMBOL.get(outcome, outcome).strip("*")


def to_data(history: History) -> dict[str, Any]:
    """history.yaml: per release its status, and per test its outcomes and changes."""
    order, cells = outcome_rows(history)
    changed = changes(history)
    return {
        "gateway": history.gateway,
        "releases": [
            {
                "version": c.version,
                "runs": not c.cannot_run,
                **({"cannotRun": c.cannot_run} if c.cannot_run else {}),
                "exitStatus": c.exit_status,
                "seconds": round(c.seconds, 1),
            }
            for c in history.columns
        ],
        "tests": [
            {
                "id": test_id,
                "outcomes": dict(cells[test_id]),
                "changes": [{"release": v, "from": a, "to": b} for v, a, b in changed.get(test_id, [])],
            }
            for test_id in order
        ],
        **({"interrupted": history.interrupted} if history.interrupted else {}),
    }
