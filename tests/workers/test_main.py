"""`python -m fixtures.workers`, the worker image's entry point: serves, stops on SIGTERM, one-line errors."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fixtures.workers", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serves_until_sigterm(subnet: str, unused_port: int, http: requests.Session) -> None:
    proc = _run(
        "--host", f"{subnet}2", "--port", str(unused_port), "--model-id", "img-model", "--role", "decode"
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert f"{subnet}2:{unused_port}" in banner
        info = http.get(f"http://{subnet}2:{unused_port}/server_info", timeout=5).json()
        assert (info["served_model_name"], info["disaggregation_mode"]) == ("img-model", "decode")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_port_in_use_exits_2_with_one_line(subnet: str) -> None:
    with socket.socket() as blocker:
        blocker.bind((f"{subnet}3", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        start = time.monotonic()
        proc = _run("--host", f"{subnet}3", "--port", str(port))
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert err.strip() == f"error: cannot start fake worker: {subnet}3:{port} is already in use"
    assert time.monotonic() - start < 20
