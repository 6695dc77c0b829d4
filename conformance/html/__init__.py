"""The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched) for people.

Why: a failure in the YAML report is a wall of data; someone debugging "why did the worker not come
back" wants to see expected vs observed workers over time. `--html PATH` writes this beside the YAML,
from the same report data (so it can also be made later: `python -m conformance.html REPORT.yaml
OUT.html`). Layout, top to bottom: who was tested and the verdict; the expected-outcomes verdict
(regressions first) when judged by a baseline; profiles; the latency table; the tests that did not
pass, open, each with its description, message, requested vs effective config, a timeline per check
(conformance/html/timeline.py) and, folded, the failure evidence and the gateway's log tail; then
every passed test, folded, by profile. Templates are Jinja2 (conformance/html/templates/), autoescaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import yaml

from conformance.atomic import write_atomic
from conformance.html import timeline
from conformance.registry import Outcome
from conformance.report import _profiles_for as profiles_for
from conformance.report import exit_status as report_status
from conformance.report import verdict_line

TEMPLATES = Path(__file__).resolve().parent / "templates"
POOL_COLOURS = {"regular": "#1f6fd1", "prefill": "#d9730d", "decode": "#2e9e44"}
CONFIG_ORDER = ("selector", "prefill_selector", "decode_selector", "pd_mode", "igw_mode", "namespace")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yaml"] = lambda data: yaml.safe_dump(data, sort_keys=False, width=100).rstrip()
    env.filters["seconds"] = _seconds
    return env


def _seconds(value: Any) -> str:
    """Seconds with two decimals; "-" where there is no figure (no check of that kind converged)."""
    return "-" if value is None or isinstance(value, jinja2.Undefined) else f"{float(value):.2f}"


def config_rows(test: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Requested vs effective config, one row per field (the differing ones flagged), or the one config."""
    requested = test.get("requestedConfig") or test.get("config") or {}
    effective = test.get("effectiveConfig") or requested
    keys = [k for k in CONFIG_ORDER if k in requested or k in effective]
    keys += sorted(
        k for k in set(requested) | set(effective) if k not in keys and requested.get(k) != effective.get(k)
    )
    return [
        {
            "key": key,
            "requested": _plain(requested.get(key)),
            "effective": _plain(effective.get(key)),
            "differs": requested.get(key) != effective.get(key),
        }
        for key in keys
    ]


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "{}"
    return "" if value is None else str(value)


def test_view(test: Mapping[str, Any], marks_by_id: Mapping[str, str]) -> dict[str, Any]:
    """What the template shows of one test entry."""
    tl = test.get("timeline") or {}
    marks = tl.get("marks") or []
    checks = [
        {"check": check, "chart": timeline.check_chart(check, marks)} for check in tl.get("checks") or []
    ]
    return {
        "t": test,
        "passed": test.get("outcome") == Outcome.PASSED.value,
        "change": marks_by_id.get(str(test.get("id")), ""),
        "config": config_rows(test),
        "config_differs": bool(test.get("requestedConfig")),
        "overview": timeline.overview(tl),
        "checks": checks,
    }


def render_html(report: Mapping[str, Any]) -> str:
    """The whole page as one string."""
    section = report.get("expectations") or {}
    marks_by_id: dict[str, str] = {}
    for kind in ("changes", "improvements", "regressions"):  # the strongest mark wins
        for diff in section.get(kind) or []:
            marks_by_id[str(diff["id"])] = kind.rstrip("s")
    tests = [test_view(t, marks_by_id) for t in report.get("tests") or []]
    order = {"regression": 0, "improvement": 2, "change": 1, "": 3}
    not_passed = sorted((v for v in tests if not v["passed"]), key=lambda v: order[v["change"]])
    by_profile = [
        (p["name"], [v for v in tests if v["passed"] and p["name"] in profiles_for(v["t"])])
        for p in report.get("profiles") or []
    ]
    latency = {k: v for k, v in (report.get("latency") or {}).items() if isinstance(v, Mapping)}
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            r=report,
            impl=report.get("implementation") or {},
            verdict=verdict_line(report),
            status=report_status(report),
            expectations=section,
            not_passed=not_passed,
            by_profile=by_profile,
            latency=latency,
            scale=(report.get("latency") or {}).get("scale") or [],
            colours=POOL_COLOURS,
        )
    )


def write_html(report: Mapping[str, Any], path: Path | str) -> Path:
    """Write the page atomically (parents created)."""
    return write_atomic(path, render_html(report))
