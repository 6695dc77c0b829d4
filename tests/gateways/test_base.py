"""Process plumbing shared by every driver: log reading, error lines, environment, stopping."""

from __future__ import annotations

import os
import sys
import time

import pytest

from fixtures.gateways.errors import GatewayCrashed, GatewayRejected
from fixtures.gateways.process import (
    GatewayProcess,
    gateway_env,
    last_error_line,
    refusal_line,
    start_failure,
    strip_ansi,
)
from tests.polling import wait_until


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
        child_pid = int(
            wait_until(lambda: "child" in proc.log() and proc.log(), 10, "the child's pid").split()[1]
        )
        started = time.monotonic()
        code = proc.stop(grace=0.5)
        assert code == -9
        assert time.monotonic() - started < 3
        wait_until(lambda: not _alive(child_pid), 5, "the child to be gone")
        assert proc.stop() == -9  # idempotent
    finally:
        proc.stop(grace=0.1)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(
    ("log", "refusal"),
    [
        (
            "INFO starting\nERROR smg: Configuration error: Validation failed: bad\n",
            "Configuration error: Validation failed: bad",
        ),
        (
            "usage: smg launch [-h]\nsmg launch: error: unrecognized arguments: --selector\n",
            "unrecognized arguments: --selector",
        ),
        (
            "error: unexpected argument '--x' found\n\nUsage: smg [OPTIONS]\n\n"
            "For more information, try '--help'.\n",
            "unexpected argument '--x' found",
        ),
        ("thread 'main' panicked at src/lib.rs:9:1:\nError: boom\n", None),  # a panic is a crash
        ('Traceback (most recent call last):\n  File "x"\nImportError: no module\n', None),
        ("INFO listening on 127.0.0.1:3000\nWARN metrics off\n", None),  # nothing refused
    ],
    ids=["configuration-error", "argparse", "clap", "panic", "traceback", "no-refusal"],
)
def test_refusal_line_is_only_a_refusal(log, refusal):
    assert refusal_line(log) == refusal


def test_start_failure_tells_a_refusal_from_a_crash():
    refused = start_failure("gw", 1, "Configuration error: no selector\n", url="http://x", waited=0.2)
    assert isinstance(refused, GatewayRejected) and refused.message == "Configuration error: no selector"
    # the same words, but the process was killed by a signal: that is a crash, whatever it printed
    killed = start_failure("gw", -11, "Configuration error: no selector\n", url="http://x", waited=0.2)
    assert isinstance(killed, GatewayCrashed) and killed.signal_name == "SIGSEGV"
    assert str(killed) == (
        "gw crashed during start-up: killed by SIGSEGV after 0.2 s; "
        "last log lines: Configuration error: no selector"
    )
