"""SIGINT and SIGTERM: the first unwinds the run, the second ends it at once.

The first signal (Ctrl-C, a CI runner's cancel, `matrix` forwarding one) raises KeyboardInterrupt in
the main thread, so the run unwinds normally: pytest fixture finalizers and `with` blocks stop every
gateway and worker, the report is written saying the run is incomplete, and the exit status is 4.
Gateways run in their own sessions (fixtures/gateways/process.py), so a terminal's Ctrl-C reaches only
the harness, which stops them itself.

A second signal means "stop now": one line on stderr and `os._exit(4)` -- no unwinding, so no
traceback. What is still running dies with the harness: direct children by their parent-death
signal, everything else by the run's reaper (fixtures/lifetime).

Once a verdict is final (`settle`), a signal ends the process at once with that verdict's status: a
run whose every test finished is not made "incomplete" by a Ctrl-C during the last cleanup.

A signal can land while Python runs a finalizer or a weakref callback, where an exception cannot
propagate: Python hands it to `sys.unraisablehook` and drops it, so the run would go on as if never
interrupted (and pytest would turn the dropped exception into an error of its own). `keep_interrupts`
wraps that hook: such a KeyboardInterrupt is delivered again, as the first signal, at the next point
where it can propagate.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from conformance.exit_status import INCOMPLETE

_received: list[str] = []
_settled: list[int] = []


def _handle(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    _received.append(name)
    if _settled:
        os._exit(_settled[0])
    if len(_received) == 1:
        raise KeyboardInterrupt(name)
    os.write(2, f"\n{name} again: stopping at once; the run is incomplete\n".encode())
    os._exit(INCOMPLETE)


def install() -> None:
    """Handle SIGINT and SIGTERM as above (in the main thread; a no-op elsewhere). Idempotent."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handle)
        signal.signal(signal.SIGTERM, _handle)
        keep_interrupts()


REDELIVER_AFTER = 0.02


def _redeliver(sig: signal.Signals) -> None:
    main = threading.main_thread()
    if main.is_alive() and main.ident is not None:
        signal.pthread_kill(main.ident, sig)


def keep_interrupts() -> None:
    """Wrap the current sys.unraisablehook so a dropped first interrupt is delivered again."""
    previous = sys.unraisablehook
    if getattr(previous, "_keeps_interrupts", False):
        return

    def hook(unraisable: Any) -> None:
        exc = unraisable.exc_value
        if isinstance(exc, KeyboardInterrupt) and len(_received) == 1 and not _settled:
            name = _received.pop()  # delivered again below, it counts as the first signal once more
            # From another thread, a moment later: raised here, it would be dropped again.
            threading.Timer(REDELIVER_AFTER, _redeliver, args=(signal.Signals[name],)).start()
            return
        previous(unraisable)

    hook._keeps_interrupts = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


interrupt_on_sigterm = install  # the name the entry points used before


def first_signal() -> str | None:
    """The name of the first SIGINT/SIGTERM this process received ("SIGINT"), or None."""
    return _received[0] if _received else None


def settle(status: int) -> None:
    """The verdict is final: from now on a signal exits at once with `status`."""
    if not _settled:
        _settled.append(status)


def exit_now(status: int) -> None:
    """End the process with `status`: flush, then os._exit. Interpreter shutdown would restore the
    default signal handlers, so a Ctrl-C during it would end the process by SIGINT, not `status`."""
    settle(status)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)
