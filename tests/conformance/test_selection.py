"""Selecting by conformance id: `list` shows every id, `-k ID` selects exactly the test a report names.

The ids expected here are read from the suite's source text (`id="..."` of each declaration), not from
the registry the code under test reads.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.listing import main as list_main

REPO = Path(__file__).resolve().parents[2]


def source_ids() -> list[str]:
    ids = []
    for module in sorted((REPO / "conformance" / "suite").glob("test_*.py")):
        ids += re.findall(r'^\s+id="([a-z0-9-]+)",$', module.read_text(), flags=re.MULTILINE)
    return ids


def test_list_shows_every_id_with_profiles_features_and_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert list_main(["--format", "yaml"]) == 0
    listed = yaml.safe_load(capsys.readouterr().out)
    assert len(source_ids()) >= 40
    assert sorted(t["id"] for t in listed) == sorted(source_ids())
    unready = next(t for t in listed if t["id"] == "lifecycle-unready")
    assert unready["profiles"] == ["lifecycle"] and unready["features"] == ["ReadinessLoss"]
    assert "Ready" in unready["description"]
    assert list_main(["--profile", "igw-mixed"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "igw-mixed-regular-beside-pd  [igw-mixed]" and text[-1] == "4 tests"
    assert list_main(["--profile", "nope"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err


def test_k_selects_exactly_the_test_with_that_id() -> None:
    """In a child: the plugin installs signal handlers and ends the process's run guard when done."""
    suite = (
        "-m pytest conformance/suite -p conformance.plugin -p no:cacheprovider -p no:xdist --collect-only -q"
    )
    proc = subprocess.run(
        [sys.executable, *suite.split(), "-k", "lifecycle-unready"], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    selected = [ln for ln in proc.stdout.splitlines() if "::" in ln]
    assert selected == ["conformance/suite/test_lifecycle.py::test_unready_pod_removed"]
