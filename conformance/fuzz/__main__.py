"""`python -m conformance.fuzz run ...` / `python -m conformance.fuzz replay FILE --gateway X`.

Why: the fuzzers' own entry point (tox -e fuzz); `replay` is also wired into `python -m conformance`.
"""

from __future__ import annotations

import sys

from conformance.signals import interrupt_on_sigterm

USAGE = "usage: python -m conformance.fuzz {run,replay} [options]  (--help after the command for more)"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "replay"):
        print(USAGE, file=sys.stderr)
        return 2
    interrupt_on_sigterm()  # `with LiveCluster(...)` then stops the gateway and workers
    try:
        if argv[0] == "run":
            from conformance.fuzz.run import main as run_main

            return run_main(argv[1:])
        from conformance.fuzz.replay import main as replay_main

        return replay_main(argv[1:])
    except KeyboardInterrupt:
        print("interrupted; the gateway and workers were stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
