"""Gateway virtualenvs: a failing pip is one clear line, and a half-made venv is never reused."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from fixtures.gateways import GatewaySetupError
from fixtures.gateways.install import COMPLETE_MARKER, ensure_venv, venv_python


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


def _tiny_wheel(directory: Path) -> Path:
    """A one-module wheel built by hand: an install that needs no index and no network."""
    wheel = directory / "tinygw-1.0-py3-none-any.whl"
    files = {
        "tinygw.py": "NAME = 'tinygw'\n",
        "tinygw-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinygw\nVersion: 1.0\n",
        "tinygw-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr(
            "tinygw-1.0.dist-info/RECORD",
            "".join(f"{n},,\n" for n in [*files, "tinygw-1.0.dist-info/RECORD"]),
        )
    return wheel


def test_the_venv_gets_the_requirements_but_no_pip_of_its_own(tmp_path, monkeypatch):
    # The harness's pip installs into the venv (`pip --python`), so the venv is made --without-pip.
    monkeypatch.setenv("SGL_CONFORMANCE_GATEWAYS_DIR", str(tmp_path / "gateways"))
    venv = ensure_venv((str(_tiny_wheel(tmp_path)),), "tinygw-1.0")
    python = venv_python(venv)
    probe = "import importlib.util as u, tinygw; print(tinygw.NAME, u.find_spec('pip') is None)"
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["tinygw", "True"]
    assert (venv / COMPLETE_MARKER).is_file()
