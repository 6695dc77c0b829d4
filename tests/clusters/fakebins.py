"""Fake `kubectl`, `kind` and `docker` executables for testing OUR wrappers without Docker.

Each fake is a small Python script (run by this interpreter) that appends its argv and the
environment variables the wrapper must set or drop to a JSON-lines log, then behaves as the mode in
its environment says. They stand in for the real programs only to show which command lines our code
runs and how it reacts to their output; they are not a model of kind or kubectl.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

_HEADER = f"""#!{sys.executable}
import json, os, socket, sys, time
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({{"tool": os.path.basename(sys.argv[0]), "argv": sys.argv[1:],
        "kubeconfig": os.environ.get("KUBECONFIG"), "proxy": os.environ.get("HTTP_PROXY"),
        "path": bool(os.environ.get("PATH"))}}) + "\\n")
mode = os.environ.get("FAKE_MODE", "ok")
"""

KUBECTL = (
    _HEADER
    + """
if mode == "fail":
    print('error: unable to forward port because pod is not running. Current status=Pending', file=sys.stderr)
    sys.exit(1)
if mode == "silent":
    time.sleep(3600)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
port = srv.getsockname()[1]
remote = sys.argv[-1].split(":")[-1]
print(f"Forwarding from 127.0.0.1:{port} -> {remote}", flush=True)
while True:
    conn, _ = srv.accept()
    conn.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
    conn.close()
"""
)

DOCKER = (
    _HEADER
    + """
if mode == "no-engine":
    print("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
          file=sys.stderr)
    sys.exit(1)
missing = os.environ.get("FAKE_MISSING_IMAGES", "").split(",")
if sys.argv[1:3] == ["image", "inspect"] and sys.argv[3] in missing:
    print(f"Error: No such image: {sys.argv[3]}", file=sys.stderr)
    sys.exit(1)
print("26.1.3")
"""
)

KIND = (
    _HEADER
    + """
import shutil
args = sys.argv[1:]
if args == ["version"]:
    print(os.environ.get("FAKE_KIND_VERSION", "kind v0.26.0 go1.23.4 linux/amd64"))
elif args[:2] == ["get", "clusters"]:
    print(os.environ.get("FAKE_KIND_CLUSTERS", ""))
elif args[:2] == ["create", "cluster"]:
    if mode == "create-fails":
        print("ERROR: failed to create cluster: node(s) already exist for a cluster", file=sys.stderr)
        sys.exit(1)
    target = next(a.split("=", 1)[1] for a in args if a.startswith("--kubeconfig="))
    shutil.copy(os.environ["FAKE_KUBECONFIG_SOURCE"], target)
"""
)


def install(directory: Path, name: str, script: str) -> Path:
    """Write an executable fake named ``name`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(script, encoding="utf-8")
    path.chmod(0o755)
    return path


def calls(log: Path, tool: str | None = None) -> list[dict[str, Any]]:
    """The recorded invocations, oldest first (optionally of one tool)."""
    if not log.exists():
        return []
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]
    return [e for e in entries if tool is None or e["tool"] == tool]


def set_env(monkeypatch: Any, log: Path, **values: str) -> None:
    """Point the fakes at ``log`` and set FAKE_* variables (``mode`` -> FAKE_MODE and so on)."""
    monkeypatch.setenv("FAKE_LOG", str(log))
    for key, value in values.items():
        monkeypatch.setenv(f"FAKE_{key.upper()}", value)
    os.environ.setdefault("PATH", "/usr/bin")
