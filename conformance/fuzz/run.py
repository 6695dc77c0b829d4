"""`python -m conformance.fuzz run` (tox -e fuzz): long local fuzz runs that say what they found.

Why this exists: issue 6, "Profiles" and "Done when": `tox -e fuzz` runs for as long as asked, with a
gateway, an example count, a seed and a persistent example database, and reports what it found. A run
is rounds of the differential and/or stateful fuzz on one embedded cluster; it stops at the first
failure (printed, written as a scenario file, with the replay command) or when `--duration` is spent.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from hypothesis import settings

from conformance import exit_status, validate
from conformance.fuzz import differential, profiles, stateful
from conformance.fuzz.live import LiveCluster
from conformance.fuzz.scenario import FuzzScenario
from conformance.strategies import discovery_configs
from conformance.validate import OneLineParser
from reference import Semantics


def _flag(text: str) -> bool | None:
    choices = {"any": None, "on": True, "off": False}
    if text not in choices:
        raise argparse.ArgumentTypeError(f"must be any, on or off, got {text!r}")
    return choices[text]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Every argument checked here: a bad one is one line on stderr and exit 2 (SystemExit)."""
    parser = OneLineParser(
        prog="python -m conformance.fuzz run",
        description=__doc__.splitlines()[0],
        epilog=exit_status.TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    count, seconds = validate.count_arg, validate.seconds_arg
    parser.add_argument("--gateway", default="reference", help="gateway name or YAML (default: reference)")
    parser.add_argument("--mode", choices=("differential", "stateful", "both"), default="both")
    parser.add_argument("--examples", type=count(1), help="examples per round (default: the profile's)")
    parser.add_argument("--steps", type=count(1), help="steps per state-machine run (default: the profile's)")
    parser.add_argument("--hypothesis-seed", "--seed", dest="seed", type=int, help="fixed seed")
    parser.add_argument("--hypothesis-profile", dest="profile", default=profiles.FUZZ, help="ci or fuzz")
    parser.add_argument(
        "--database",
        type=Path,
        help=f"example database dir (default with the fuzz profile: {profiles.DEFAULT_DATABASE}/<gateway>)",
    )
    parser.add_argument(
        "--duration",
        type=seconds(maximum=30 * 86400),
        default=0.0,
        help="keep running rounds for this many seconds",
    )
    parser.add_argument("--pd", type=_flag, default=None, metavar="any|on|off")
    parser.add_argument("--igw", type=_flag, default=None, metavar="any|on|off")
    parser.add_argument("--max-pods", type=count(1), default=6, help="pods per differential batch")
    names = " | ".join(member.value for member in Semantics)
    parser.add_argument("--semantics", default=Semantics.PR_25294.value, help=f"reference semantics: {names}")
    parser.add_argument(
        "--cap", type=seconds(positive=True), help="seconds a check may take (default: per gateway)"
    )
    parser.add_argument(
        "--settle", type=seconds(), help="settle window after each change (default: per gateway)"
    )
    parser.add_argument("--out", type=Path, default=Path("fuzz-failures"), help="where scenario files go")
    args = parser.parse_args(list(argv))
    try:
        validate.check_gateway(args.gateway)
        validate.check_output_dir(args.out, "--out")
        if args.database is not None:
            validate.check_output_dir(args.database, "--database")
    except validate.UsageError as exc:
        parser.error(str(exc))
    return args


def write_found(found: FuzzScenario, out: Path, seed: int | None) -> Path:
    """Write the shrunk case and print it with the command that replays it."""
    found.seed = None if seed is None else str(seed)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = found.write(out / f"{found.gateway.replace(':', '-').replace('/', '_')}-{found.mode}-{stamp}.yaml")
    print("\n=== found a difference (shrunk) ===")
    print(found.describe())
    print(f"scenario written to {path}")
    print(f"replay: python -m conformance replay {path} --gateway {found.gateway}")
    return path


def _database(args: argparse.Namespace) -> Path | None:
    """One example database per gateway: a failure found in one gateway is retried first against that
    gateway, never replayed into another's run (the stateful fuzz's examples carry no gateway key)."""
    if args.database is not None or args.profile != profiles.FUZZ:
        database: Path | None = args.database
        return database
    return profiles.DEFAULT_DATABASE / re.sub(r"[^A-Za-z0-9_.-]+", "-", args.gateway).strip("-")


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status (conformance/exit_status.py): 0 nothing found, 1 a difference found (or the gateway
    crashed), 2 bad input, 4 the gateway could not be prepared (interrupts: the entry point)."""
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # the one-line usage error is printed; --help exits 0
        return int(exc.code or 0)
    try:
        semantics = Semantics.parse(args.semantics)
        chosen = profiles.fuzz_settings(
            args.profile, max_examples=args.examples, steps=args.steps, database=_database(args)
        )
    except ValueError as exc:
        print(f"python -m conformance.fuzz run: error: {validate.one_line(exc)}", file=sys.stderr)
        return exit_status.USAGE
    modes = ("differential", "stateful") if args.mode == "both" else (args.mode,)
    from fixtures.gateways import GatewayError, GatewaySetupError
    from fixtures.lifetime import guarded

    started = time.monotonic()
    rounds = 0
    try:  # guarded: whatever the fuzz starts dies with it
        with (
            guarded(),
            LiveCluster(args.gateway, cap=args.cap, settle=args.settle, semantics=semantics) as live,
        ):
            while True:
                rounds += 1
                for mode in modes:
                    t0 = time.monotonic()
                    found, tried, refused = _round(live, mode, chosen, args)
                    took = time.monotonic() - t0
                    print(
                        f"round {rounds} {mode}: {tried} examples, {refused} refused configs, "
                        f"{live.starts} gateway starts so far, {took:.1f} s",
                        flush=True,
                    )
                    if found is not None:
                        write_found(found, args.out, args.seed)
                        return exit_status.FAILED
                if time.monotonic() - started >= args.duration:
                    break
    except GatewaySetupError as exc:
        print(f"incomplete: {args.gateway} could not be prepared: {exc}", file=sys.stderr)
        return exit_status.INCOMPLETE
    except GatewayError as exc:  # crashed or never answered: a finding, without a scenario to replay
        print(f"failed: {exc}", file=sys.stderr)
        return exit_status.FAILED
    print(
        f"no difference found against {args.gateway} in {time.monotonic() - started:.1f} s ({rounds} rounds)"
    )
    return exit_status.PASSED


def _round(
    live: LiveCluster, mode: str, chosen: settings, args: argparse.Namespace
) -> tuple[FuzzScenario | None, int, int]:
    configs = discovery_configs(pd_mode=args.pd, igw_mode=args.igw)
    if mode == "differential":
        cases = differential.live_cases(max_pods=args.max_pods, configs=configs)
        drun = differential.fuzz(live, chosen, cases=cases, seed=args.seed)
        return drun.found, drun.examples, drun.refused
    srun = stateful.fuzz(live, chosen, configs=configs, seed=args.seed)
    return srun.found, srun.runs, srun.refused
