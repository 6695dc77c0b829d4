"""SIGTERM as an interrupt, so every run unwinds and stops what it started.

Gateways run in their own process groups (fixtures/gateways/base.py), so they do not die with the
harness: a CI runner's cancel, a parent test's terminate or `matrix` forwarding an interrupt must
unwind the harness normally (pytest fixture finalizers, `with` blocks) for the gateways and fake
workers to be stopped.
"""

from __future__ import annotations

import signal
import threading


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def interrupt_on_sigterm() -> None:
    """Make SIGTERM raise KeyboardInterrupt in the main thread (no-op elsewhere)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
