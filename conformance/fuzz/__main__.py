"""`python -m conformance.fuzz run ...` / `replay FILE --gateway X` / `coverage`.

Why: the fuzzers' own entry point (tox -e fuzz); `replay` is also wired into `python -m conformance`;
`coverage` measures which branches of reference/ the generators reach (no gateway needed).
"""

from __future__ import annotations

import sys

from conformance import exit_status, signals
from fixtures.lifetime import release_run

USAGE = (
    "usage: python -m conformance.fuzz {run,replay,coverage} [options]  (--help after the command for more)"
)


def main(argv: list[str]) -> int:
    """Exit statuses: conformance/exit_status.py (4 when a signal stopped the run)."""
    signals.install()  # first signal: `with Slots(...)` stops the gateways and clusters
    if not argv or argv[0] not in ("run", "replay", "coverage"):
        print(USAGE, file=sys.stderr)
        return exit_status.USAGE
    try:
        if argv[0] == "run":
            from conformance.fuzz.run import main as run_main

            status = run_main(argv[1:])
        elif argv[0] == "replay":
            from conformance.fuzz.replay import main as replay_main

            status = replay_main(argv[1:])
        else:
            from conformance.fuzz.coverage import main as coverage_main

            status = coverage_main(argv[1:])
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
