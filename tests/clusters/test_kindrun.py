"""`tox -e kind` (fixtures/clusters/kindrun.py) without Docker: one line and exit 0; and how it judges
the reports of a kind run (reference: nothing but passes and the cluster's declared limits; smg: exactly
its known divergences)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fixtures.clusters.kindrun import SMG_KNOWN, verdict

REPO = Path(__file__).resolve().parents[2]


def test_without_a_docker_engine_it_skips_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SGL_DOCKER_BIN": str(tmp_path / "no-docker")}
    proc = subprocess.run(
        [sys.executable, "-m", "fixtures.clusters.kindrun"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kind: SKIPPED: "), proc.stdout
    assert str(tmp_path / "no-docker") in lines[0]
    assert not (REPO / "reports" / "kind" / "reference.yaml").exists() or proc.stdout  # nothing ran


def _report(**outcomes: str) -> dict[str, object]:
    tests = [{"id": k.replace("_", "-"), "outcome": v, "message": "m"} for k, v in outcomes.items()]
    return {"complete": True, "tests": tests}


def test_the_reference_may_only_pass_or_be_declared_out() -> None:
    assert verdict(_report(pd_classification="Passed", resilience_restart="Skipped"), {}) == []
    problems = verdict(_report(pd_classification="Failed"), {})
    assert problems == ["pd-classification: Failed (expected Passed): m"]


def test_smg_must_show_exactly_its_known_divergences() -> None:
    shown = _report(**{k.replace("-", "_"): v for k, v in SMG_KNOWN.items()}, pd_classification="Passed")
    assert verdict(shown, SMG_KNOWN) == []
    fixed = _report(**{k.replace("-", "_"): "Passed" for k in SMG_KNOWN})
    assert len(verdict(fixed, SMG_KNOWN)) == len(SMG_KNOWN)  # a divergence gone is news too
    assert verdict({"complete": False, "incompleteReason": "SIGINT", "tests": []}, {}) == [
        "incomplete: SIGINT"
    ]
