"""Entry point of `python -m conformance` (see conformance.cli).

Signals are handled before the (slower) imports, so even a Ctrl-C in the first second exits 4.
"""

import os
import sys

from conformance import exit_status, signals

signals.install()
try:
    from conformance.cli import main
except KeyboardInterrupt:
    print(f"python -m conformance: interrupted by {signals.first_signal() or 'Ctrl-C'}", file=sys.stderr)
    signals.exit_now(exit_status.INCOMPLETE)
try:
    status = main()
except BrokenPipeError:  # `python -m conformance list | head`: the reader left; not an error of ours
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    status = exit_status.PASSED
signals.exit_now(status)
