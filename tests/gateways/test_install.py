"""Gateway virtualenvs: a failing pip is one clear line, and a half-made venv is never reused."""

from __future__ import annotations

import pytest

from fixtures.gateways import GatewaySetupError
from fixtures.gateways.install import COMPLETE_MARKER, ensure_venv


def test_pip_failure_is_one_line_and_leaves_no_complete_marker(tmp_path, monkeypatch):
    monkeypatch.setenv("SGL_CONFORMANCE_GATEWAYS_DIR", str(tmp_path))
    missing = str(tmp_path / "no-such-gateway-1.0-py3-none-any.whl")  # local path: no network needed
    with pytest.raises(GatewaySetupError) as info:
        ensure_venv((missing,), "broken-1.0")
    message = str(info.value)
    assert message.startswith(f"pip install {missing} failed (exit 1): ")
    assert "\n" not in message
    assert not (tmp_path / "broken-1.0" / COMPLETE_MARKER).exists()


def test_complete_venv_is_reused_without_running_pip(tmp_path, monkeypatch):
    monkeypatch.setenv("SGL_CONFORMANCE_GATEWAYS_DIR", str(tmp_path))
    venv = tmp_path / "fake-1.0"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / COMPLETE_MARKER).write_text("fake==1.0\n")
    assert ensure_venv(("fake==1.0",), "fake-1.0") == venv
    assert (venv / "bin" / "python").read_text() == ""  # untouched: not rebuilt
