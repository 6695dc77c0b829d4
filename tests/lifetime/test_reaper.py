"""Nothing a guarded run starts outlives it: SIGKILL the run, and every kind of child goes too.

A small "harness" script guards itself (fixtures/lifetime) and starts the three kinds of children the
design must catch -- a direct child (parent-death signal), a grandchild that double-forked into a
session of its own (the run cookie), and a registered session whose processes show no cookie (as
smg's setproctitle hides it) -- then SIGKILLs itself. The same script without the guard is the
control: there the escapees survive, so the test can tell.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.chaos.procs import start_time
from tests.polling import wait_until

REPO = Path(__file__).resolve().parents[2]

HARNESS = r"""
import os, signal, subprocess, sys, time
from fixtures.lifetime import die_with_parent, guard_run, register_session, release_run

out, guarded, ending = sys.argv[1], sys.argv[2] == "guarded", sys.argv[3]
if guarded:
    guard_run()
sleeper = (
    "import os, sys, time; open(os.path.join(sys.argv[1], str(os.getpid())), 'w').close(); time.sleep(60)"
)
escape = (
    "import os, subprocess, sys\n"
    "if os.fork(): sys.exit(0)\n"
    "os.setsid()\n"
    "if os.fork(): sys.exit(0)\n"
    f"os.execv(sys.executable, [sys.executable, '-c', {sleeper!r}, sys.argv[1]])\n"
)
subprocess.Popen([sys.executable, "-c", escape, out]).wait()
subprocess.Popen([sys.executable, "-c", sleeper, out], preexec_fn=die_with_parent())
# A session without the cookie: its leader and the leader's child (both sleepers).
env = {k: v for k, v in os.environ.items() if k != "SGL_CONFORMANCE_RUN"}
leader = (
    f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {sleeper!r}, sys.argv[1]]); "
    f"exec({sleeper!r})"
)
session = subprocess.Popen([sys.executable, "-c", leader, out], env=env, start_new_session=True)
register_session(session.pid)
deadline = time.monotonic() + 20
while len(os.listdir(out)) < 4 and time.monotonic() < deadline:
    time.sleep(0.02)
if ending == "sigkill":
    os.kill(os.getpid(), signal.SIGKILL)
release_run()
"""


def _run_harness(
    tmp_path: Path, guarded: bool, ending: str
) -> tuple[subprocess.CompletedProcess[str], dict[int, int]]:
    out = tmp_path / "pids"
    out.mkdir()
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:  # a file: surviving children must not hold a pipe we wait on
        code = subprocess.run(
            [sys.executable, "-c", HARNESS, str(out), "guarded" if guarded else "bare", ending],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            timeout=60,
            check=False,
        ).returncode
    proc = subprocess.CompletedProcess([], code, "", log.read_text())
    pids = {int(p.name): start_time(int(p.name)) for p in out.iterdir()}
    assert len(pids) == 4, (pids, proc.stderr)
    return proc, {pid: started for pid, started in pids.items() if started is not None}


def _alive(pids: dict[int, int]) -> dict[int, int]:
    return {pid: started for pid, started in pids.items() if start_time(pid) == started}


def _kill(pids: dict[int, int]) -> None:
    for pid in _alive(pids):
        os.kill(pid, signal.SIGKILL)


def test_sigkilled_run_takes_every_kind_of_child_with_it(tmp_path: Path) -> None:
    proc, pids = _run_harness(tmp_path, guarded=True, ending="sigkill")
    try:
        assert proc.returncode == -signal.SIGKILL
        started = time.monotonic()
        wait_until(lambda: not _alive(pids), timeout=5, what="every child of the killed run gone")
        print(f"all 4 children gone {time.monotonic() - started:.2f} s after the run's SIGKILL")
    finally:
        _kill(pids)


def test_without_the_guard_the_escapees_survive(tmp_path: Path) -> None:
    """The control: only the direct child (parent-death signal) goes; the others would leak."""
    _, pids = _run_harness(tmp_path, guarded=False, ending="sigkill")
    try:
        time.sleep(1.0)
        assert len(_alive(pids)) == 3, _alive(pids)
    finally:
        _kill(pids)


def test_a_clean_exit_sweeps_and_names_what_leaked(tmp_path: Path) -> None:
    proc, pids = _run_harness(tmp_path, guarded=True, ending="exit")
    try:
        assert proc.returncode == 0
        wait_until(lambda: not _alive(pids), timeout=5, what="the leaked children gone")
        assert "sgl-conformance: stopped" in proc.stderr and "process(es) the run left" in proc.stderr
    finally:
        _kill(pids)
