"""Process plumbing shared by every driver: log reading, error lines, environment, stopping."""

from __future__ import annotations

import os
import sys
import time

import pytest

from fixtures.gateways.base import GatewayProcess, gateway_env, last_error_line, strip_ansi


def test_strip_ansi():
    line = "\x1b[2m2026-11-26\x1b[0m \x1b[33m WARN\x1b[0m smg: PD mode enabled"
    assert strip_ansi(line) == "2026-11-26  WARN smg: PD mode enabled"


@pytest.mark.parametrize(
    ("log", "line"),
    [
        (
            'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: Configuration error: '
            "Validation failed: PD mode with service discovery requires at least one non-empty selector "
            "(prefill or decode)\n",
            "Configuration error: Validation failed: PD mode with service discovery requires at least one "
            "non-empty selector (prefill or decode)",
        ),
        (
            "thread 'main' panicked at src/x.rs:1:2:\nFailed to load Harmony encoding\n",
            "panicked at src/x.rs:1:2:",
        ),
        ("starting\n2026-11-26 10:00:00 ERROR gw: cannot bind\n", "gw: cannot bind"),
        ("just one line\n", "just one line"),
        ("", "exited without output"),
    ],
)
def test_last_error_line(log, line):
    assert last_error_line(log) == line


def test_env_has_no_proxy_and_points_at_the_run(tmp_path, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    monkeypatch.setenv("http_proxy", "http://proxy:3128")
    monkeypatch.setenv("ALL_PROXY", "socks5://proxy:1080")
    env = gateway_env(kubeconfig=tmp_path / "kc", workdir=tmp_path, extra={"X": "1"})
    assert not {"HTTPS_PROXY", "http_proxy", "ALL_PROXY", "HTTP_PROXY", "https_proxy"} & set(env)
    assert env["KUBECONFIG"] == str(tmp_path / "kc")
    assert env["HOME"] == str(tmp_path)
    assert env["X"] == "1"


def test_stop_kills_a_process_that_ignores_sigterm_and_its_children(tmp_path):
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print('child', child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = GatewayProcess([sys.executable, "-c", script], env=dict(os.environ), workdir=tmp_path)
    try:
        deadline = time.monotonic() + 10
        while "child" not in proc.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        child_pid = int(proc.log().split()[1])
        started = time.monotonic()
        code = proc.stop(grace=0.5)
        assert code == -9
        assert time.monotonic() - started < 3
        deadline = time.monotonic() + 5
        while _alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child_pid)
        assert proc.stop() == -9  # idempotent
    finally:
        proc.stop(grace=0.1)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
