"""SIGINT/SIGTERM: the first unwinds (KeyboardInterrupt), the second ends the process at once (exit 4,
one line, no traceback), a dropped first interrupt is delivered again, a settled verdict stands.

Each case runs in its own interpreter: signal handlers are process-wide.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PRELUDE = """
import signal, sys, time, weakref
from conformance import signals
signals.install()
"""


def start(body: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + body],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"  # inside its try block
    return proc


def test_first_signal_unwinds_second_ends_at_once() -> None:
    proc = start(
        "try:\n    print('ready', flush=True)\n    time.sleep(30)\nexcept KeyboardInterrupt as exc:\n"
        "    print('unwinding', exc, signals.first_signal(), flush=True)\n    time.sleep(30)\n"
    )
    assert proc.stdout is not None
    proc.send_signal(signal.SIGTERM)
    assert proc.stdout.readline() == "unwinding SIGTERM SIGTERM\n"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)  # it was sleeping 30 s in its unwinding: not waited for
    assert proc.returncode == 4
    assert err.strip() == "SIGINT again: stopping at once; the run is incomplete"


def test_an_interrupt_dropped_in_a_weakref_callback_is_delivered_again() -> None:
    """Python drops an exception raised in a weakref callback; the interrupt must not be lost with it."""
    proc = start(
        "print('ready', flush=True)\n"
        "class A: pass\n"
        "def callback(ref):\n    signal.raise_signal(signal.SIGTERM)\n    sum(range(1000))\n"
        "a = A(); ref = weakref.ref(a, callback)\n"
        "try:\n    del a\n    time.sleep(5)\n    print('never interrupted')\n"
        "except KeyboardInterrupt as exc:\n    print('interrupted', exc)\n"
    )
    out, err = proc.communicate(timeout=10)
    assert out.strip() == "interrupted SIGTERM", (out, err)
    assert "Traceback" not in err


def test_a_settled_verdict_is_not_changed_by_a_late_signal() -> None:
    proc = start("signals.settle(0)\nprint('ready', flush=True)\ntime.sleep(30)\n")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=10)
    assert proc.returncode == 0
