"""TimeoutConfig: defaults, the YAML file, NAME=SECONDS overrides, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.timeouts import TimeoutConfig, TimeoutConfigError, load_timeouts


def test_defaults_keep_the_suite_fast() -> None:
    t = load_timeouts()
    assert (t.poll_interval, t.consecutive, t.max_time_to_consistency, t.settle) == (0.2, 3, 15.0, 3.0)
    assert t.overrun == 0.0


def test_file_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("max_time_to_consistency: 30s\nsettle: 1500ms\nconsecutive: 5\npoll-interval: 0.5\n")
    t = load_timeouts(path, ["settle=2", "overrun=1m"])
    assert t.max_time_to_consistency == 30.0
    assert t.settle == 2.0  # the flag wins over the file
    assert t.consecutive == 5
    assert t.poll_interval == 0.5
    assert t.overrun == 60.0


def test_to_dict_records_every_field() -> None:
    data = TimeoutConfig(settle=4.0).to_dict()
    assert data["settle"] == 4.0
    assert set(data) >= {
        "poll_interval",
        "consecutive",
        "max_time_to_consistency",
        "gateway_start",
        "pod_ready",
    }


@pytest.mark.parametrize(
    ("content", "overrides", "message"),
    [
        ("nonsense: 3\n", [], "unknown timeout 'nonsense'"),
        ("settle: soon\n", [], "timeout settle must be seconds or a duration"),
        ("- 1\n- 2\n", [], "must be a mapping"),
        ("settle: [1\n", [], "is not valid YAML"),
        ("", ["settle"], "must look like NAME=SECONDS"),
        ("", ["consecutive=2.5"], "consecutive must be a whole number"),
        ("", ["poll_interval=0"], "poll_interval must be positive"),
    ],
)
def test_bad_input_gets_one_line(tmp_path: Path, content: str, overrides: list[str], message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(content)
    with pytest.raises(TimeoutConfigError) as info:
        load_timeouts(path, overrides)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(TimeoutConfigError, match="cannot read timeout config"):
        load_timeouts(tmp_path / "missing.yaml")


def test_the_example_file_documents_the_defaults() -> None:
    example = Path(__file__).resolve().parents[2] / "conformance" / "timeouts.example.yaml"
    assert load_timeouts(example) == TimeoutConfig()
