"""Tests side by side: pytest-xdist workers run them, one controller builds the one report.

`python -m conformance --jobs N` (N > 1) runs pytest with `-n N` (pytest-xdist); the conformance
plugin then finds itself in N worker processes and one controller. The decisions, and why
(docs/architecture.md, "How runs scale"):

- **Every worker has its own cluster.** A worker is a process with its own ConformanceRun, hence its
  own gateway driver and its own embedded API server, kubelet and fleet, and it runs one test at a
  time. A test that needs the cluster to itself -- the resilience profile restarts the API server,
  compacts its history, makes its LISTs fail -- has it: no other test talks to that API server while
  it runs. So no test is scheduled apart and every profile runs side by side. (On kind and existing
  clusters the workers share the cluster, each test in its own namespaces; the resilience tests are
  not expressible there.)
- **Verdicts travel on pytest's reports.** The worker puts the TestResult (or why the test could not
  be judged, and the gateway's name and version) on the teardown report as extra attributes, which
  pytest serialises for xdist; the controller's `pytest_runtest_logreport` records them. A run one at
  a time takes the same path inside one process. The report, JUnit and the summary are built once,
  by the controller, with tests in the selection's order: the same content as one at a time.
- **The selection is checked before any test runs.** Workers collect; the controller maps the node
  ids to declarations and refuses an unknown `--test` id or an empty selection with pytest's usage
  error, before the scheduler hands out the first test.
- **Nothing outlives the run.** The controller guards the run (fixtures/lifetime) before the first
  worker starts, so every worker carries the run's cookie; each worker sets its own parent-death
  signal (xdist starts it, not us) and guards itself, so its gateways die with it. Workers sit in a
  process group of their own: a terminal's Ctrl-C reaches only the controller, which passes exactly
  one signal on to each worker; each unwinds its test and stops its gateway, and the run ends
  `incomplete`. A second signal ends the controller at once, and the workers with it.
- **A run stops as one would one at a time.** A worker that cannot prepare the gateway says so in
  the run directory (`stop`); every worker checks it before its next test, so the run stops at the
  first test instead of failing every other test the same way. A worker that crashes is not
  restarted (`--max-worker-restart 0`): its tests are listed as not run.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance.registry import ConformanceTest

CONTROLLER_PID = "sgl_conformance_controller_pid"
RUN_DIR = "sgl_conformance_run_dir"
STOP_FILE = "stop"


def is_worker(config: pytest.Config) -> bool:
    """This process is an xdist worker (it runs tests; the controller reports them)."""
    return hasattr(config, "workerinput")


def is_controller(config: pytest.Config) -> bool:
    """This process hands tests to xdist workers and runs none itself."""
    return config.pluginmanager.has_plugin("dsession")


def xdist_args(jobs: int) -> list[str]:
    """pytest's options for `jobs` tests side by side (none for one at a time, the plain order)."""
    if jobs <= 1:
        return ["-p", "no:xdist"]
    # worksteal: a worker that runs out steals from the busiest; tests differ in length (4-15 s)
    return ["-p", "xdist", "-n", str(jobs), "--dist", "worksteal", "--max-worker-restart", "0"]


class RunDir:
    """A directory every process of one run shares: today only the "stop" flag."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def stop(self, reason: str) -> None:
        """Ask every worker to stop before its next test (the first reason stays)."""
        with contextlib.suppress(FileExistsError, OSError):
            fd = os.open(self.path / STOP_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(reason)

    def stop_reason(self) -> str | None:
        try:
            return (self.path / STOP_FILE).read_text() or "stopped"
        except OSError:
            return None


def worker_run_dir(config: pytest.Config) -> RunDir | None:
    path = getattr(config, "workerinput", {}).get(RUN_DIR)
    return RunDir(path) if path else None


def become_worker(config: pytest.Config) -> None:
    """In a worker, first thing: a process group of its own, and death with the controller."""
    from fixtures.lifetime import die_with

    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # a terminal's Ctrl-C goes to the controller only; it forwards one signal
    # Nobody reads a worker's terminal; its reporter would format an interrupted test's traceback with
    # every frame's source (seconds on a busy machine), racing xdist's 5 s exit deadline.
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        config.pluginmanager.unregister(reporter)
    parent = int(config.workerinput.get(CONTROLLER_PID, 0))  # type: ignore[attr-defined]
    if parent:
        die_with(parent)


def declaration_for(nodeid: str) -> ConformanceTest | None:
    """The declaration of a collected test, from its node id (the controller collects nothing)."""
    path, _, rest = nodeid.partition("::")
    name = rest.split("::")[-1].split("[")[0]
    module = path.removesuffix(".py").replace("/", ".")
    try:
        found = getattr(importlib.import_module(module), name, None)
    except Exception:
        return None
    decl = getattr(found, "__conformance__", None)
    return decl if isinstance(decl, ConformanceTest) else None


def load_suite() -> None:
    """Import every module of conformance/suite, so the registry knows every test id (the controller
    checks `--test` ids against it without having collected anything)."""
    import pkgutil

    import conformance.suite as suite

    for module in pkgutil.iter_modules(suite.__path__):
        if module.name.startswith("test_"):
            with contextlib.suppress(Exception):  # a broken module is a worker's collection error
                importlib.import_module(f"{suite.__name__}.{module.name}")


def worker_pid(node: Any) -> int | None:
    """The PID of a worker's process (execnet's popen gateway), or None."""
    popen = getattr(getattr(getattr(node, "gateway", None), "_io", None), "popen", None)
    pid = getattr(popen, "pid", None)
    return pid if isinstance(pid, int) else None


class Controller:
    """The controller's share of the conformance plugin (registered only when xdist distributes).

    `on_selection(ids)` is the plugin's callback with the workers' node ids, in collection order; it
    checks them (UsageError) and fixes the report's order.
    """

    def __init__(self, on_selection: Any, on_crash: Any) -> None:
        self._on_selection = on_selection
        self._on_crash = on_crash
        self.run_dir = RunDir(tempfile.mkdtemp(prefix="sgl-conformance-run-"))
        self._selection_seen = False
        self._workers: dict[str, int] = {}
        self._forwarded = False

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[CONTROLLER_PID] = os.getpid()
        node.workerinput[RUN_DIR] = str(self.run_dir.path)

    def pytest_testnodeready(self, node: Any) -> None:
        pid = worker_pid(node)
        if pid is not None:
            self._workers[str(getattr(getattr(node, "gateway", None), "id", pid))] = pid
            if self._forwarded:  # it came up after the signal: it must stop too
                self._signal(pid, signal.SIGTERM)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        if not self._selection_seen:  # every worker collects the same ids (xdist checks that)
            self._selection_seen = True
            self._on_selection(list(ids))

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Longest tests first, spread over the workers (conformance/scheduling.py)."""
        from conformance.scheduling import expected_seconds, scheduler_class

        measured = last_durations(config)

        def weight_of(nodeid: str) -> float:
            decl = declaration_for(nodeid)
            if decl is None:
                return 0.0
            return expected_seconds(decl.profiles, measured.get(decl.id))

        return scheduler_class(weight_of)(config, log)

    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        self._on_crash(crashitem, report)

    def forward(self, name: str | None) -> None:
        """Pass the run's first signal on to every worker, once (each then unwinds its one test)."""
        if self._forwarded:
            return
        self._forwarded = True
        sig = signal.Signals[name] if name in ("SIGINT", "SIGTERM") else signal.SIGTERM
        for pid in self._workers.values():
            self._signal(pid, sig)

    @staticmethod
    def _signal(pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)

    def close(self) -> None:
        shutil.rmtree(self.run_dir.path, ignore_errors=True)


def durations_key(config: pytest.Config) -> str:
    """Where pytest's cache keeps this gateway's last measured test durations."""
    gateway = re.sub(r"[^A-Za-z0-9_.@:-]+", "-", str(config.getoption("--gateway", default="gateway")))
    return f"conformance/durations/{gateway}"


def last_durations(config: pytest.Config) -> dict[str, float]:
    """test id -> seconds of this gateway's last run ({} without pytest's cache or an earlier run)."""
    cache = getattr(config, "cache", None)
    found = cache.get(durations_key(config), {}) if cache is not None else {}
    return {str(k): float(v) for k, v in found.items()} if isinstance(found, dict) else {}


def keep_durations(config: pytest.Config, report: Mapping[str, Any]) -> None:
    """Remember this run's test durations for the next run's scheduling (merged with earlier ones)."""
    from conformance.scheduling import durations_of

    cache = getattr(config, "cache", None)
    if cache is not None:
        cache.set(durations_key(config), {**last_durations(config), **durations_of(report)})
