"""`python -m conformance.fuzz run` (tox -e fuzz): live fuzz runs that say what they find as they find it.

Why this exists: `tox -e fuzz` runs for as long as asked -- a gateway, an example count, a seed, a
persistent example database -- on several slots at once (pool.py), and reports as it goes
(reporting.py): progress lines, the first difference the moment it is seen (printed, written as a
scenario file), every step of shrinking (the file rewritten). `--duration` bounds the whole run,
shrinking included: at the deadline the round in progress stops and the best example so far is the
result. A signal (SIGINT/SIGTERM) does the same, exit 4 (conformance/exit_status.py).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st

from conformance import exit_status, signals, validate
from conformance.fuzz import differential, engine, options, profiles, stateful
from conformance.fuzz.pool import Slots
from conformance.fuzz.reporting import Reporter, Tally
from conformance.fuzz.scenario import FuzzScenario
from conformance.strategies import discovery_configs
from reference import Semantics, ServiceDiscoveryConfig

PROG = "python -m conformance.fuzz run"
# Hypothesis examples per engine run. Hypothesis opens every run with min(max_examples // 10, 50)
# near-trivial examples (one pod, one step): cheap for a unit test, but each is a live round here, so
# a run of the `fuzz` profile's 10,000 would spend its first minutes on them. Runs of CHUNK follow
# each other instead (each with its own seed), until the examples or the --duration are spent.
CHUNK = 30


def _flag(text: str) -> bool | None:
    choices = {"any": None, "on": True, "off": False}
    if text not in choices:
        raise argparse.ArgumentTypeError(f"must be any, on or off, got {text!r}")
    return choices[text]


def build_parser() -> argparse.ArgumentParser:
    parser = options.parser(PROG, __doc__.splitlines()[0])
    count, seconds = validate.count_arg, validate.seconds_arg
    options.add_shared(parser, gateway="reference", semantics=Semantics.PR_25294.value)
    parser.add_argument("--mode", choices=("differential", "stateful", "both"), default="both")
    parser.add_argument(
        "--pace",
        choices=stateful.PACES,
        default="settle",
        help="stateful: converge after every step (settle) or after bursts of steps (fast)",
    )
    parser.add_argument("--examples", type=count(1), help="Hypothesis examples (rounds of cases) per run")
    parser.add_argument("--steps", type=count(1), help="steps per stateful program (default: the profile's)")
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
        help="keep fuzzing for this many seconds, shrinking included (0: one run of the examples)",
    )
    parser.add_argument("--pd", type=_flag, default=None, metavar="any|on|off")
    parser.add_argument("--igw", type=_flag, default=None, metavar="any|on|off")
    parser.add_argument(
        "--max-pods",
        type=count(1),
        default=differential.DEFAULT_MAX_PODS,
        help="pods per differential batch",
    )
    options.add_slots(parser)
    parser.add_argument("--out", type=Path, default=Path("fuzz-failures"), help="where scenario files go")
    return parser


def _check(args: argparse.Namespace) -> None:
    validate.check_gateway(args.gateway)
    validate.check_output_dir(args.out, "--out")
    if args.database is not None:
        validate.check_output_dir(args.database, "--database")
    options.semantics_of(args.semantics)
    try:
        profiles.fuzz_settings(args.profile)
    except ValueError as exc:
        raise validate.UsageError(str(exc)) from None


def _database(args: argparse.Namespace) -> Path | None:
    """One example database per gateway: a failure found in one gateway is retried first against that
    gateway, never replayed into another's run (the examples carry no gateway key)."""
    if args.database is not None or args.profile != profiles.FUZZ:
        database: Path | None = args.database
        return database
    return profiles.DEFAULT_DATABASE / re.sub(r"[^A-Za-z0-9_.-]+", "-", args.gateway).strip("-")


def strategy(
    mode: str, args: argparse.Namespace, chosen: settings, slots: int
) -> st.SearchStrategy[list[FuzzScenario]]:
    """Rounds of the cases of `mode` for this command line, sharing a few configs each (engine.py)."""
    semantics = Semantics.parse(args.semantics)
    configs = discovery_configs(pd_mode=args.pd, igw_mode=args.igw)

    def make(chosen_configs: st.SearchStrategy[ServiceDiscoveryConfig]) -> st.SearchStrategy[FuzzScenario]:
        if mode == differential.MODE:
            return differential.cases(
                args.gateway, configs=chosen_configs, max_pods=args.max_pods, semantics=semantics
            )
        return stateful.programs(
            args.gateway,
            configs=chosen_configs,
            max_steps=chosen.stateful_step_count,
            pace=args.pace,
            semantics=semantics,
        )

    return engine.sharing_configs(make, configs, slots)


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status (conformance/exit_status.py): 0 nothing found, 1 a difference found (or the gateway
    crashed), 2 bad input, 4 stopped by a signal, or the gateway / cluster could not be prepared."""
    args = options.parse(build_parser(), sys.argv[1:] if argv is None else argv, _check)
    if isinstance(args, int):
        return args
    chosen = profiles.fuzz_settings(
        args.profile, max_examples=args.examples, steps=args.steps, database=_database(args)
    )
    modes = ("differential", "stateful") if args.mode == "both" else (args.mode,)
    reporter = Reporter(args.out, seed=args.seed)
    tallies = {mode: Tally(gateway=args.gateway, mode=mode) for mode in modes}
    from fixtures.clusters.errors import ProviderError
    from fixtures.gateways import GatewayError, GatewaySetupError
    from fixtures.lifetime import guarded

    started = time.monotonic()
    try:  # guarded: whatever the fuzz starts dies with it
        semantics = Semantics.parse(args.semantics)
        slots = Slots(args.gateway, count=args.slots, cap=args.cap, settle=args.settle, semantics=semantics)
        with guarded(), slots:
            if args.duration:
                slots.stopper.deadline = started + args.duration
            _header(reporter, args, slots, modes)
            status = _fuzz(slots, args, chosen, modes, reporter, tallies)
            if status is not None:
                return status
    except KeyboardInterrupt:
        return _interrupted(reporter, tallies)
    except GatewaySetupError as exc:
        print(f"incomplete: {args.gateway} could not be prepared: {exc}", file=sys.stderr)
        return exit_status.INCOMPLETE
    except ProviderError as exc:
        print(f"incomplete: the embedded cluster failed: {exc}", file=sys.stderr)
        return exit_status.INCOMPLETE
    except GatewayError as exc:  # crashed or never answered: a finding, without a scenario to replay
        print(f"failed: {exc}", file=sys.stderr)
        return exit_status.FAILED
    done = sum(t.examples for t in tallies.values())
    print(
        f"no difference found against {args.gateway} in {time.monotonic() - started:.1f} s ({done} examples)"
    )
    return exit_status.PASSED


def _fuzz(
    slots: Slots,
    args: argparse.Namespace,
    chosen: settings,
    modes: Sequence[str],
    reporter: Reporter,
    tallies: dict[str, Tally],
) -> int | None:
    """Runs of every mode, CHUNK examples at a time, until the examples (no --duration) or the duration
    are spent; the exit status once something was found."""
    rounds = 0
    derandomized = bool(chosen.derandomize)
    while True:
        rounds += 1
        for mode in modes:
            left = CHUNK if args.duration else chosen.max_examples - tallies[mode].examples
            if left <= 0:
                continue
            # a later round must not repeat the first: with a fixed seed (or derandomized) move it on
            seed = args.seed
            if rounds > 1 and (seed is not None or derandomized):
                seed = (seed or 0) + rounds - 1
            run = engine.fuzz(
                slots,
                strategy(mode, args, chosen, slots.count),
                settings(chosen, max_examples=min(left, CHUNK)),
                mode=mode,
                reporter=reporter,
                seed=seed,
                run=engine.FuzzRun(tallies[mode]),
                by_round=True,
            )
            reporter.progress(tallies[mode], force=True)
            if run.found is not None:
                why = "stopped shrinking at the --duration deadline" if run.stopped else ""
                reporter.finished(tallies[mode], stopped=why)
                return exit_status.FAILED
            if run.stopped:
                return None
        if slots.stopper.passed():
            return None
        if not args.duration and all(t.examples >= chosen.max_examples for t in tallies.values()):
            return None


def _header(reporter: Reporter, args: argparse.Namespace, slots: Slots, modes: Sequence[str]) -> None:
    t = slots.timing
    pace = f", pace {args.pace}" if "stateful" in modes else ""
    bound = f", for {args.duration:g} s" if args.duration else ""
    reporter.say(
        f"fuzzing {args.gateway} ({' + '.join(modes)}{pace}) on {slots.count} slots, profile {args.profile}"
        f"{bound}; checks: cap {t.cap:g} s, settle {t.settle:g} s, after the barrier {t.barrier_settle:g} s"
        + (f", drain {t.drain:g} s" if t.drain else "")
    )


def _interrupted(reporter: Reporter, tallies: dict[str, Tally]) -> int:
    """A signal stopped the run: the best example so far (already written), exit 4."""
    why = f"interrupted by {signals.first_signal() or 'Ctrl-C'}"
    found = [t for t in tallies.values() if t.found is not None]
    if not found:
        print(f"incomplete: {why}; the gateways and clusters were stopped, nothing was found so far")
        return exit_status.INCOMPLETE
    reporter.finished(found[0], stopped=why)
    print(f"incomplete: {why} while shrinking; the best example so far is above")
    return exit_status.INCOMPLETE
