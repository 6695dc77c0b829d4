"""Embedded API server figures (issue 3 "Performance"): creation rate, paged LIST of 5,000 pods, watch
event latency with 10 watchers, memory held for 10,000 pods.

How it measures, so the numbers can be read correctly:
- the server runs in its own Python process (`EmbeddedAPIServer` started by a tiny runner), so the
  client's threads do not share its GIL and its RSS can be read from /proc;
- creation: a client process of its own (tests/bench/creator.py: aiohttp, 4 keep-alive connections,
  each sequential, so 4 creates in flight, as a fleet of clients would have) POSTs a small labelled pod
  (the shape the suite uses); the rate is N / wall time of the client, best of 3 runs. What it
  measures is the server's throughput on this machine *shared with* that client and the watchers:
  on 2 cores all three compete, so the rate also depends on the machine's load (printed beside it);
  reported with and without the built-in kubelet;
- LIST: `GET …/pods?limit=500` following `continue` (what kube-rs and kubectl send), total seconds over
  all pages, best and median of 5;
- watch latency: 10 raw-HTTP watchers (one socket each, read by one thread in a process of their own
  so their parsing does not hold the creating client's GIL) from the list RV; for each pod, latency = event
  arrival - the moment just before its POST was sent (so it includes the create's own round trip;
  both read CLOCK_MONOTONIC); p50/p99 over every (watcher, pod) ADDED pair, kubelet on (its MODIFIED
  events add load);
- server CPU: user+system seconds the server process spent per 1,000 creates (from /proc; it includes
  the kubelet's status write and both events' fan-out to every watcher), the figure that does not
  depend on how fast the client is or how busy the machine is, and the rate that CPU alone allows
  (1,000 / it: what the server reaches on a core of its own); the client's CPU per 1,000 beside it;
- memory: RSS delta of the server process from before the first create to after 10,000 creates
  (kubelet off), which includes the watch-event history the server keeps;
- idle watchers: RSS delta over 1,000 create/delete cycles (kubelet on, a 64 KiB annotation per pod,
  a 100-event history filled before measuring, so the figure is about what watches hold) while 20
  watchers never read (issue 9: unbounded before).
"""

from __future__ import annotations

import json
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.apiserver._support import WatchStream, pod_body, watch_path
from tests.bench import Figure, benchmark
from tests.bench.creator import Creator

TRIALS = 3

REPO = Path(__file__).resolve().parents[2]
RUNNER = """
import sys
from fixtures.apiserver import EmbeddedAPIServer, outlets
outlets.EOF_GRACE_SECONDS = {eof_grace}
srv = EmbeddedAPIServer(**{kwargs})
srv.start()
print(srv.url, flush=True)
sys.stdin.read()
srv.stop()
"""


class ServerProcess:
    """An EmbeddedAPIServer(**kwargs) in a child process (its RSS and CPU are its own); stops when its
    stdin closes. Also used by tests that measure the server's memory (tests/apiserver)."""

    def __init__(self, kubelet: bool, *, eof_grace: float = 10.0, **kwargs: object) -> None:
        """`eof_grace`: seconds a watch closed for falling behind has to read its end (outlets.py)."""
        runner = RUNNER.format(kwargs=repr({"kubelet": kubelet, **kwargs}), eof_grace=repr(eof_grace))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", runner],
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

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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

    def create_many(self, prefix: str, n: int) -> Run:
        """Create n pods from a client process of its own (creator.py); the rate and CPU figures."""
        creator = Creator(self.url, prefix, n)
        try:
            cpu0 = self.cpu_seconds()
            creator.go()
            result = creator.result()
        finally:
            creator.close()
        return Run(n, result["seconds"], self.cpu_seconds() - cpu0, result["cpu"], result["sent"])

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


class Run:
    """One batch of creates: pods, the client's wall seconds, server and client CPU seconds."""

    def __init__(
        self, pods: int, seconds: float, server_cpu: float, client_cpu: float, sent: dict[str, float]
    ) -> None:
        self.pods, self.seconds, self.server_cpu, self.client_cpu = pods, seconds, server_cpu, client_cpu
        self.sent = sent
        self.load = os.getloadavg()[0]

    @property
    def rate(self) -> float:
        return self.pods / self.seconds


def best_of(runs: list[Run], label: str, target: float | None = None) -> list[Figure]:
    """The best rate of `runs`, the median server and client CPU per 1,000 creates, the rate the
    server's CPU alone would allow, each with the machine's load (1-minute average) beside it."""
    best = max(runs, key=lambda r: r.rate)
    server = statistics.median(r.server_cpu * 1000 / r.pods for r in runs)
    client = statistics.median(r.client_cpu * 1000 / r.pods for r in runs)
    loads = "load " + "/".join(f"{r.load:.1f}" for r in runs)
    met = None if target is None else best.rate >= target
    goal = "" if target is None else f">= {target:,.0f}"
    return [
        Figure(
            label if len(runs) == 1 else f"{label} (best of {len(runs)})",
            best.rate,
            "pods/s",
            goal,
            met,
            f"{loads} (1-min avg)",
        ),
        Figure("  server CPU per 1,000 creates (median)", server, "s", note="load-independent"),
        Figure(
            "  rate the server's CPU alone allows",
            1000 / server,
            "pods/s",
            goal,
            None if target is None else 1000 / server >= target,
            "1,000 / server CPU per 1,000",
        ),
        Figure("  client CPU per 1,000 creates (median)", client, "s", note="aiohttp, 4 connections"),
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


_LINE_HEAD = re.compile(rb'\{"type":"([A-Z]+)","object":\{.*?"metadata":\{"name":"([^"]*)"')


def read_watches(url: str, rv: str, watchers: int, pods: int, wait: float) -> list[dict[str, float]]:
    """Open `watchers` raw watches, say "ready", then note when each pod's ADDED line arrives.

    One thread and `selectors` for all sockets; lines are told apart by a regex over their head instead
    of a JSON decode, because a benchmark client must cost the machine little (real watchers, kube-rs
    inside the gateways, decode in Rust). The chunked framing is decoded properly.
    """
    host, port = url.removeprefix("http://").split(":")
    path = watch_path(resourceVersion=rv, timeoutSeconds=120)
    sel = selectors.DefaultSelector()
    arrivals: list[dict[str, float]] = []
    for i in range(watchers):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode())
        sock.setblocking(False)
        arrivals.append({})
        sel.register(sock, selectors.EVENT_READ, [i, bytearray(), bytearray(), False])
    print("ready", flush=True)
    deadline = time.monotonic() + wait
    done = 0
    while done < watchers and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            index, raw, body, headed = key.data
            data = key.fileobj.recv(65536)  # type: ignore[union-attr]
            now = time.monotonic()
            if not data:
                sel.unregister(key.fileobj)
                done += 1
                continue
            raw += data
            if not headed:
                end = raw.find(b"\r\n\r\n")
                if end < 0:
                    continue
                del raw[: end + 4]
                key.data[3] = True
            while True:  # chunks: "<hex>\r\n<data>\r\n"
                eol = raw.find(b"\r\n")
                if eol < 0:
                    break
                size = int(raw[:eol], 16)
                if len(raw) < eol + 2 + size + 2:
                    break
                body += raw[eol + 2 : eol + 2 + size]
                del raw[: eol + 2 + size + 2]
            start = 0
            seen = arrivals[index]
            while (nl := body.find(b"\n", start)) >= 0:
                m = _LINE_HEAD.match(body, start, nl)
                if m is not None and m.group(1) == b"ADDED":
                    seen[m.group(2).decode()] = now
                start = nl + 1
            del body[:start]
            if len(seen) >= pods:
                sel.unregister(key.fileobj)
                key.fileobj.close()  # type: ignore[union-attr]
                done += 1
    return arrivals


WATCHERS = """
import json, sys
from tests.bench.apiserver import read_watches
arrivals = read_watches(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
print(json.dumps(arrivals), flush=True)
"""


class WatcherProcess:
    """`watchers` raw watches in a child process; `arrivals()` waits for their ADDED arrival times."""

    def __init__(self, url: str, rv: str, watchers: int, pods: int, wait: float = 60.0) -> None:
        argv = [sys.executable, "-c", WATCHERS, url, rv, str(watchers), str(pods), str(wait)]
        self.proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("watcher process did not start")

    def arrivals(self) -> list[dict[str, float]]:
        out, _ = self.proc.communicate(timeout=120)
        return json.loads(out)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@benchmark("apiserver")
def apiserver_figures() -> list[Figure]:
    """All issue-3 figures; see the module docstring for what each one includes."""
    figures: list[Figure] = []
    bare = ServerProcess(kubelet=False)
    try:
        base_rss = bare.rss_bytes()
        figures += best_of([bare.create_many("p", 5000)], "create, kubelet off (5,000 pods)", 500)
        pages = [bare.paged_list() for _ in range(5)]
        assert all(count == 5000 for _, count in pages), pages
        times = [t for t, _ in pages]
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
        figures += best_of([full.create_many("k", 1000)], "create, kubelet on (1,000 pods)", 500)
        figures += watch_latency(full, watchers=10, pods=1000)
    finally:
        full.close()
    idle = ServerProcess(kubelet=True, history_limit=100)
    try:
        figures.append(idle_watchers_rss(idle, watchers=20, cycles=1000))
    finally:
        idle.close()
    return figures


def idle_watchers_rss(server: ServerProcess, watchers: int, cycles: int) -> Figure:
    """Server RSS growth over `cycles` create/delete cycles while `watchers` watches are never read."""
    blob = {"example.com/blob": "x" * 65536}
    streams = [
        WatchStream(server.url, watch_path(resourceVersion=server.list_rv())).open() for _ in range(watchers)
    ]
    try:
        before = 0
        for i in range(-100, cycles):  # the first 100 cycles fill the history: not counted
            if i == 0:
                before = server.rss_bytes()
            body = pod_body(f"i-{i}", labels={"app": "bench"}, annotations=blob)
            assert (
                server.session.post(f"{server.url}/api/v1/namespaces/default/pods", json=body).status_code
                == 201
            )
            server.session.delete(
                f"{server.url}/api/v1/namespaces/default/pods/i-{i}", json={"gracePeriodSeconds": 0}
            )
        grown = (server.rss_bytes() - before) / 2**20
    finally:
        for stream in streams:
            stream.close()
    return Figure(
        f"RSS growth, {watchers} idle watchers, {cycles:,} create/delete cycles",
        grown,
        "MiB",
        note="after 100 cycles that fill a 100-event history",
    )


def watch_latency(server: ServerProcess, watchers: int, pods: int) -> list[Figure]:
    """Creation rate and p50/p99 write→event latency while `pods` pods are created under `watchers` open
    watches, TRIALS times (fresh watchers from the current RV each time)."""
    runs: list[Run] = []
    latencies: list[float] = []
    missing = 0
    for trial in range(TRIALS):
        child = WatcherProcess(server.url, server.list_rv(), watchers, pods)
        try:
            run = server.create_many(f"w{trial}", pods)
            arrivals = child.arrivals()
        finally:
            child.close()
        runs.append(run)
        got = [(seen[n] - run.sent[n]) * 1000 for seen in arrivals for n in run.sent if n in seen]
        missing += watchers * pods - len(got)
        latencies += got
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return [
        *best_of(runs, f"create under {watchers} watchers, kubelet on", 1000),
        Figure("watch latency p50 (POST sent -> ADDED read)", p50, "ms", note="4 creates in flight"),
        Figure("watch latency p99", p99, "ms", "< 20", p99 < 20),
        Figure("events missing", missing, "events", "0", missing == 0),
    ]
