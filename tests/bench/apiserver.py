"""Embedded API server figures (issue 3 "Performance"): creation rate, paged LIST of 5,000 pods, watch
event latency with 10 watchers, memory held for 10,000 pods.

How it measures, so the numbers can be read correctly:
- the server runs in its own Python process (`EmbeddedAPIServer` started by a tiny runner), so the
  client's threads do not share its GIL and its RSS can be read from /proc;
- creation: one `requests.Session`, sequential POSTs of a small labelled pod (the shape the suite
  uses), wall time over N creates; reported with and without the built-in kubelet;
- LIST: `GET …/pods?limit=500` following `continue` (what kube-rs and kubectl send), total seconds over
  all pages, best and median of 5;
- watch latency: 10 raw-HTTP watchers (threads, one socket each) from the list RV; for each pod,
  latency = event arrival - the moment just before its POST was sent (so it includes the create's own
  round trip); p50/p99 over every (watcher, pod) ADDED pair, kubelet on (its MODIFIED events add load);
- memory: RSS delta of the server process from before the first create to after 10,000 creates
  (kubelet off), which includes the watch-event history the server keeps.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from tests.apiserver._support import WatchStream, pod_body, watch_path
from tests.bench import Figure, benchmark

REPO = Path(__file__).resolve().parents[2]
RUNNER = """
import sys
from fixtures.apiserver import EmbeddedAPIServer
srv = EmbeddedAPIServer(kubelet={kubelet})
srv.start()
print(srv.url, flush=True)
sys.stdin.read()
srv.stop()
"""


class ServerProcess:
    """An EmbeddedAPIServer in a child process; stops when its stdin closes."""

    def __init__(self, kubelet: bool) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RUNNER.format(kubelet=kubelet)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.close()
            raise RuntimeError(f"server runner did not start (printed {self.url!r})")
        self.session = requests.Session()
        self.session.trust_env = False

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def create(self, name: str) -> None:
        body = pod_body(name, labels={"app": "bench", "role": "worker"})
        resp = self.session.post(f"{self.url}/api/v1/namespaces/default/pods", json=body, timeout=10)
        if resp.status_code != 201:
            raise RuntimeError(f"create {name}: {resp.status_code} {resp.text[:200]}")

    def create_many(self, prefix: str, n: int) -> float:
        """Create n pods sequentially; return pods per second."""
        t0 = time.perf_counter()
        for i in range(n):
            self.create(f"{prefix}-{i:05d}")
        return n / (time.perf_counter() - t0)

    def paged_list(self, limit: int = 500) -> tuple[float, int]:
        """Seconds to LIST every pod in pages of `limit`, and how many items came back."""
        t0 = time.perf_counter()
        params: dict[str, str | int] = {"limit": limit}
        count = 0
        while True:
            resp = self.session.get(f"{self.url}/api/v1/namespaces/default/pods", params=params, timeout=30)
            page = resp.json()
            count += len(page["items"])
            token = page["metadata"].get("continue")
            if not token:
                return time.perf_counter() - t0, count
            params = {"limit": limit, "continue": token}

    def list_rv(self) -> str:
        resp = self.session.get(f"{self.url}/api/v1/namespaces/default/pods?limit=1", timeout=10)
        return resp.json()["metadata"]["resourceVersion"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Watcher(threading.Thread):
    """Reads ADDED events off one raw watch; records arrival times by pod name."""

    def __init__(self, url: str, rv: str, expect: int) -> None:
        super().__init__(daemon=True)
        self.stream = WatchStream(url, watch_path(resourceVersion=rv, timeoutSeconds=120)).open()
        self.expect = expect
        self.arrivals: dict[str, float] = {}
        self.stop_flag = threading.Event()

    def run(self) -> None:
        while len(self.arrivals) < self.expect and not self.stop_flag.is_set():
            event = self.stream.next_event(timeout=0.5)
            if event is not None and event.type == "ADDED" and event.name:
                self.arrivals[event.name] = event.at
            if self.stream.ended:
                return


@benchmark("apiserver")
def apiserver_figures() -> list[Figure]:
    """All issue-3 figures; see the module docstring for what each one includes."""
    figures: list[Figure] = []
    bare = ServerProcess(kubelet=False)
    try:
        base_rss = bare.rss_bytes()
        rate_bare = bare.create_many("p", 5000)
        figures.append(
            Figure("create, kubelet off (5,000 pods)", rate_bare, "pods/s", "> 500", rate_bare > 500)
        )
        runs = [bare.paged_list() for _ in range(5)]
        assert all(count == 5000 for _, count in runs), runs
        times = [t for t, _ in runs]
        best, median = min(times), statistics.median(times)
        figures.append(Figure("LIST 5,000 pods, limit=500 (median of 5)", median, "s", "< 1", median < 1))
        figures.append(Figure("LIST 5,000 pods, limit=500 (best of 5)", best, "s"))
        bare.create_many("q", 5000)
        held = bare.rss_bytes() - base_rss
        figures.append(Figure("memory held for 10,000 pods (server RSS delta)", held / 2**20, "MiB"))
        figures.append(Figure("  per pod", held / 10_000, "bytes", note="includes watch history"))
    finally:
        bare.close()
    full = ServerProcess(kubelet=True)
    try:
        rate_kubelet = full.create_many("k", 1000)
        figures.append(
            Figure("create, kubelet on (1,000 pods)", rate_kubelet, "pods/s", "> 500", rate_kubelet > 500)
        )
        figures += watch_latency(full, watchers=10, pods=1000)
    finally:
        full.close()
    return figures


def watch_latency(server: ServerProcess, watchers: int, pods: int) -> list[Figure]:
    """p50/p99 write→event latency while `pods` pods are created under `watchers` open watches."""
    rv = server.list_rv()
    threads = [Watcher(server.url, rv, pods) for _ in range(watchers)]
    for t in threads:
        t.start()
    sent: dict[str, float] = {}
    t0 = time.perf_counter()
    for i in range(pods):
        name = f"w-{i:05d}"
        sent[name] = time.monotonic()
        server.create(name)
    rate = pods / (time.perf_counter() - t0)
    deadline = time.monotonic() + 30
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
        t.stop_flag.set()
        t.stream.close()
    latencies = [(t.arrivals[n] - sent[n]) * 1000 for t in threads for n in sent if n in t.arrivals]
    missing = watchers * pods - len(latencies)
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return [
        Figure(f"create under {watchers} watchers, kubelet on", rate, "pods/s", "> 500", rate > 500),
        Figure("watch latency p50 (POST sent -> ADDED read)", p50, "ms"),
        Figure("watch latency p99", p99, "ms", "< 20", p99 < 20),
        Figure("events missing", missing, "events", "0", missing == 0),
    ]
