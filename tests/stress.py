"""`python -m tests.stress [--busy N] -- COMMAND ...` (tox -e stress): a command with CPUs kept busy.

Why: verdicts must not depend on load (docs/architecture.md, "How runs scale"), and the harness's own
tests must pass on a busy CI runner. This runs COMMAND (the default test run) beside N busy loops --
Python processes spinning `while True: pass`, N = 2 by default, one per core of the reference machine --
and exits with COMMAND's status, printing the wall time.

The busy loops live in one process group of their own, started here and killed here by that group's
id when COMMAND ends, however it ends (a failure, Ctrl-C, SIGTERM); each also gets a parent-death
signal, so a SIGKILLed wrapper does not leave them spinning.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from fixtures.lifetime import die_with_parent

BUSY_LOOP = "while True: pass"


class BusyLoops:
    """N processes spinning on a CPU each, in one process group; `stop()` kills the group."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.group: int | None = None
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> BusyLoops:
        for _ in range(self.count):
            proc = subprocess.Popen(
                [sys.executable, "-c", BUSY_LOOP],
                process_group=self.group or 0,  # the first one leads a new group, the others join it
                preexec_fn=die_with_parent(),
                stdin=subprocess.DEVNULL,
            )
            self.procs.append(proc)
            self.group = self.group or proc.pid
        return self

    def stop(self) -> None:
        if self.group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.group, signal.SIGKILL)
        for proc in self.procs:
            proc.wait()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.stress", description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=2, help="busy-loop processes beside the command")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (python -m tests.stress -- pytest ...)")
    signal.signal(signal.SIGTERM, _raise_interrupt)
    started = time.monotonic()
    loops = BusyLoops(args.busy).start()
    status = 1
    try:
        print(
            f"stress: {args.busy} busy loop(s) (group {loops.group}) beside: {' '.join(command)}", flush=True
        )
        proc = subprocess.Popen(command)
        try:
            status = proc.wait()
        except KeyboardInterrupt as exc:  # a terminal's Ctrl-C reached the command too; SIGTERM did not
            if str(exc) == "SIGTERM":
                proc.send_signal(signal.SIGTERM)
            status = proc.wait()
    finally:
        loops.stop()
        wall = time.monotonic() - started
        what = " ".join(command[:2])
        print(f"stress: {what} ... exited {status} after {wall:.1f} s beside {args.busy} busy loop(s)")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
