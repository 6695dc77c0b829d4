"""`python -m conformance.fuzz run ...` / `python -m conformance.fuzz replay FILE --gateway X`.

Why: the fuzzers' own entry point (tox -e fuzz); `replay` is also wired into `python -m conformance`.
"""

from __future__ import annotations

import sys

from conformance import exit_status, signals
from fixtures.lifetime import release_run

USAGE = "usage: python -m conformance.fuzz {run,replay} [options]  (--help after the command for more)"


def main(argv: list[str]) -> int:
    """Exit statuses: conformance/exit_status.py (4 when a signal stopped the run)."""
    signals.install()  # first signal: `with LiveCluster(...)` stops the gateway and workers
    if not argv or argv[0] not in ("run", "replay"):
        print(USAGE, file=sys.stderr)
        return exit_status.USAGE
    try:
        if argv[0] == "run":
            from conformance.fuzz.run import main as run_main

            status = run_main(argv[1:])
        else:
            from conformance.fuzz.replay import main as replay_main

            status = replay_main(argv[1:])
    except KeyboardInterrupt:
        print(
            f"incomplete: interrupted by {signals.first_signal() or 'Ctrl-C'}; the gateway and workers "
            "were stopped, nothing was found so far",
            file=sys.stderr,
        )
        status = exit_status.INCOMPLETE
    sys.stdout.flush()
    signals.settle(status)
    release_run()
    return status


if __name__ == "__main__":
    signals.exit_now(main(sys.argv[1:]))
