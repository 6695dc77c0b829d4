"""A pod-creating client in a process of its own: N creates over a few concurrent keep-alive connections.

Why: the creation figures are about the server. A client that posts one request at a time from the
benchmark's own process (requests, sequential) spent more CPU per create than the server did, so the
rate it measured was the client's. Real clients of the server create concurrently (a gateway fleet,
kubectl's parallel applies, the suite's tests side by side), so this client keeps ``connections``
requests in flight, each connection sequential and kept alive, from an aiohttp session in its own
process (so its CPU is not the server's or the watchers' and it holds no one's GIL). It reports its wall
time and its own CPU, so a reader can see whether the client or the server bounded the rate.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[2]
CONNECTIONS = 4


def _pod(name: str) -> bytes:
    """The small labelled pod the suite creates (tests/apiserver/_support.pod_body), as JSON bytes."""
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench", "role": "worker"}},
        "spec": {"containers": [{"name": "main", "image": "example.invalid/worker:1"}]},
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def create_pods(url: str, names: list[str], connections: int) -> dict[str, Any]:
    """POST every pod of `names` over `connections` keep-alive connections; returns timings.

    `sent` maps each name to the CLOCK_MONOTONIC time just before its request was written (for the
    watch-latency figure); bodies are encoded before the clock starts.
    """
    bodies = [(name, _pod(name)) for name in names]
    sent: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    target = f"{url}/api/v1/namespaces/default/pods"
    async with aiohttp.ClientSession(connector=connector, headers=headers, trust_env=False) as session:
        queue = iter(bodies)

        async def worker() -> None:
            for name, body in queue:  # one shared iterator: each worker takes the next pod
                sent[name] = time.monotonic()
                async with session.post(target, data=body) as resp:
                    await resp.read()
                    if resp.status != 201:
                        raise RuntimeError(f"create {name}: {resp.status} {(await resp.text())[:200]}")

        cpu0, t0 = _cpu(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        wall = time.perf_counter() - t0
    return {"seconds": wall, "cpu": _cpu() - cpu0, "sent": sent}


RUN = """
import asyncio, json, sys
from tests.bench.creator import create_pods
names = [f"{sys.argv[2]}-{i:05d}" for i in range(int(sys.argv[3]))]
sys.stdin.readline()  # "go": the caller has taken its before-figures
print(json.dumps(asyncio.run(create_pods(sys.argv[1], names, int(sys.argv[4])))), flush=True)
"""


class Creator:
    """`create_pods` in a child process: construct (it starts and waits), `go()`, then `result()`."""

    def __init__(self, url: str, prefix: str, count: int, connections: int = CONNECTIONS) -> None:
        argv = [sys.executable, "-c", RUN, url, prefix, str(count), str(connections)]
        self.proc = subprocess.Popen(argv, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def result(self) -> dict[str, Any]:
        """{"seconds": wall, "cpu": the client's CPU seconds, "sent": {name: monotonic send time}}."""
        out, _ = self.proc.communicate(timeout=300)
        if self.proc.returncode != 0:
            raise RuntimeError(f"creator process failed (exit {self.proc.returncode})")
        return json.loads(out)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
