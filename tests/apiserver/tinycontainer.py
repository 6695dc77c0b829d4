"""A tiny container program for the process-runtime tests: `python tinycontainer.py MODE [ARGS]`.

Why: the tests need a process whose behaviour they choose (print its view of the world, exit with a
code, ignore SIGTERM) without depending on the fake worker or a gateway. Modes:
- `report ARGS...`: print one JSON line {argv, env, cwd, kubeconfig}, then wait for SIGTERM;
- `lines N`: print `line 1`..`line N` to stdout and `oops` to stderr, then wait for SIGTERM;
- `exit CODE`: print `exiting CODE` and exit with CODE;
- `stubborn`: print `ignoring SIGTERM`, ignore SIGTERM and wait (only SIGKILL ends it).
On SIGTERM (all but stubborn) it prints `got SIGTERM` and exits 0. Output is unbuffered.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path


def _term(*_: object) -> None:
    print("got SIGTERM", flush=True)
    sys.exit(0)


def main(argv: list[str]) -> int:
    mode, rest = (argv[0], argv[1:]) if argv else ("report", [])
    signal.signal(signal.SIGTERM, _term)
    if mode == "report":
        config = os.environ.get("KUBECONFIG")
        report = {
            "argv": rest,
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "kubeconfig": Path(config).read_text() if config else None,
        }
        print(json.dumps(report), flush=True)
    elif mode == "lines":
        for i in range(1, int(rest[0]) + 1):
            print(f"line {i}", flush=True)
        print("oops", file=sys.stderr, flush=True)
    elif mode == "exit":
        print(f"exiting {rest[0]}", flush=True)
        return int(rest[0])
    elif mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ignoring SIGTERM", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
