"""`python -m tests.lint_beside -- COMMAND ...` (tox's default run): the lint beside COMMAND, not before it.

Why: on two cores the side-by-side test run leaves about a tenth of the CPU idle (its workers wait on
gateways), and the lint -- mostly mypy, ~10 s of one core on a fresh clone -- fits in that gap. Run
first, it added its whole time to every `tox`.

What runs: the commands of tox.ini's `[testenv:lint]` (read from there, so `tox -e lint` and this
never drift apart), one after another in a niced child (`--lint`), its output kept in a file; COMMAND
(the test run) in the foreground with the terminal. The lint's output is printed once COMMAND has
ended, and the exit status is COMMAND's when it failed, else 1 when a lint command failed, else 0.
Every child dies with its parent (parent-death signal); a Ctrl-C or SIGTERM that stops COMMAND stops
the lint too, so nothing outlives the run.
"""

from __future__ import annotations

import configparser
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from fixtures.lifetime import die_with_parent

REPO = Path(__file__).resolve().parents[1]
NICENESS = 10


def lint_commands(tox_ini: Path = REPO / "tox.ini") -> list[list[str]]:
    """`[testenv:lint] commands` of tox.ini, one argv per line."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(tox_ini)
    lines = parser.get("testenv:lint", "commands").splitlines()
    return [shlex.split(line) for line in lines if line.strip()]


def run_lint(tox_ini: Path) -> int:
    """`--lint`: every lint command in order (all of them, even after a failure); 1 if any failed."""
    failed: list[str] = []
    for argv in lint_commands(tox_ini):
        shown = shlex.join(argv)
        print(f"lint> {shown}", flush=True)
        try:
            code = subprocess.call(argv, cwd=REPO, preexec_fn=die_with_parent())
        except OSError as exc:  # not installed, not executable: a failed lint, said in one line
            print(f"cannot run {argv[0]}: {exc.strerror}", flush=True)
            code = 1
        if code != 0:
            failed.append(shown)
    if failed:
        print(f"lint failed: {'; '.join(failed)}", flush=True)
    return 1 if failed else 0


def _niced_child() -> Callable[[], None]:
    """A `preexec_fn`: lower priority, and die with this process (made here, in the parent)."""
    deathsig = die_with_parent()

    def preexec() -> None:
        os.nice(NICENESS)  # the tests first; the lint takes what they leave
        if deathsig is not None:
            deathsig()

    return preexec


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    tox_ini = REPO / "tox.ini"
    if args[:1] == ["--tox-ini"] and len(args) >= 2:  # the tests' own lint commands
        tox_ini, args = Path(args[1]), args[2:]
    if args == ["--lint"]:
        return run_lint(tox_ini)
    command = args[1:] if args[:1] == ["--"] else args
    if not command:
        print("usage: python -m tests.lint_beside [--tox-ini PATH] -- COMMAND ...", file=sys.stderr)
        return 2
    with tempfile.TemporaryFile(mode="w+") as log:
        lint = subprocess.Popen(
            [sys.executable, "-m", "tests.lint_beside", "--tox-ini", str(tox_ini), "--lint"],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_niced_child(),
        )
        proc = subprocess.Popen(command, cwd=REPO, preexec_fn=die_with_parent())
        interrupted = False

        def forward(signum: int, _frame: object) -> None:
            nonlocal interrupted
            interrupted = True
            proc.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:  # COMMAND got the same Ctrl-C (one process group): let it end
                interrupted = True
        if interrupted:
            lint.kill()
        lint_code = lint.wait()
        log.seek(0)
        print(log.read(), end="", flush=True)
    if code != 0:
        return code if code > 0 else 128 - code
    if interrupted:
        return 128 + signal.SIGINT
    return 1 if lint_code != 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
