"""`python -m conformance replay FILE --gateway X`: rerun exactly the case a scenario file holds.

Why this exists: issue 6 requires that a shrunk failure is replayable. The file's pods are created at
once and checked (a differential case); then each step runs and is checked (a stateful case), exactly
as the fuzzers did, on a fresh embedded cluster. The result says whether the failure is the same one:
same check (`failed_at`) and the same differences by pod name (IPs differ from run to run).

Exit status (the one table of conformance/exit_status.py): 0 the case passes now; 1 it fails --
REPRODUCED (the same check, the same differences), FAILED DIFFERENTLY, or the gateway refused the
scenario's config (the verdict line says which); 2 bad input (one line on stderr); 4 incomplete (the
gateway could not be prepared, or a signal stopped the replay).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance import exit_status, validate
from conformance.convergence import ConsistencyFailure
from conformance.fuzz.live import GatewayRefused, LiveCluster
from conformance.fuzz.plans import Step
from conformance.fuzz.scenario import BATCH, FuzzScenario, ScenarioError, load
from conformance.validate import OneLineParser
from reference import Semantics


@dataclass
class ReplayResult:
    """What happened on the replay, next to what the file recorded."""

    recorded: FuzzScenario
    failed_at: int | None
    differences: list[str]
    summary: str = ""

    @property
    def reproduced(self) -> bool:
        return (
            self.failed_at is not None
            and self.failed_at == self.recorded.failed_at
            and self.differences == self.recorded.differences
        )

    @property
    def verdict(self) -> str:
        if self.failed_at is None:
            return "PASSED"
        if self.recorded.failed_at is None:
            return "FAILED (the file recorded no failure)"
        return "REPRODUCED" if self.reproduced else "FAILED DIFFERENTLY"


def run_scenario(live: LiveCluster, scenario: FuzzScenario) -> ReplayResult:
    """Run the scenario's batch and steps on `live`, checking after the batch and after every step."""
    live.begin_example(scenario.config)
    checks: list[tuple[int, Step | None]] = []
    if scenario.pods or not scenario.steps:
        checks.append((BATCH, None))
    checks.extend(enumerate(scenario.steps))
    for index, step in checks:
        since = time.monotonic()
        if step is None:
            live.create_batch(scenario.pods)
        else:
            live.apply(step)
        try:
            live.check(since=since)
        except ConsistencyFailure as diff:
            replayed = FuzzScenario(gateway=scenario.gateway, mode=scenario.mode, config=scenario.config)
            replayed.record_failure(index, diff)
            return ReplayResult(scenario, index, replayed.differences, str(diff))
    return ReplayResult(scenario, None, [])


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = OneLineParser(
        prog="python -m conformance replay",
        description=__doc__.splitlines()[0],
        epilog=exit_status.TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="a scenario YAML written by the fuzzer (or by hand)")
    parser.add_argument("--gateway", help="gateway to replay against (default: the one in the file)")
    parser.add_argument(
        "--cap",
        type=validate.seconds_arg(positive=True),
        help="seconds a check may take (default: per gateway)",
    )
    parser.add_argument(
        "--settle", type=validate.seconds_arg(), help="settle window after each change, seconds"
    )
    parser.add_argument("--semantics", help="reference semantics (default: the one in the file)")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Replay one scenario file; prints the case and the verdict. See the module doc for exit codes."""
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # the one-line usage error is printed; --help exits 0
        return int(exc.code or 0)
    try:
        scenario = load(args.file)
        gateway = args.gateway or scenario.gateway
        if not gateway:
            raise ScenarioError(f"scenario {args.file} names no gateway; pass --gateway")
        validate.check_gateway(gateway)
        semantics = Semantics.parse(args.semantics or scenario.semantics)
    except (ScenarioError, ValueError, validate.UsageError) as exc:
        print(f"python -m conformance replay: error: {validate.one_line(exc)}", file=sys.stderr)
        return exit_status.USAGE
    print(scenario.describe())
    print(f"replaying against {gateway} ...", flush=True)
    from fixtures.gateways import GatewayError, GatewaySetupError
    from fixtures.lifetime import guarded

    try:  # guarded: whatever the replay starts dies with it
        with guarded(), LiveCluster(gateway, cap=args.cap, settle=args.settle, semantics=semantics) as live:
            result = run_scenario(live, scenario)
    except GatewayRefused as exc:
        print(f"FAILED ({gateway} refused the scenario's config: {exc})")
        return exit_status.FAILED
    except GatewaySetupError as exc:
        print(f"incomplete: {gateway} could not be prepared: {exc}", file=sys.stderr)
        return exit_status.INCOMPLETE
    except GatewayError as exc:  # crashed or never answered
        print(f"FAILED ({exc})")
        return exit_status.FAILED
    if result.failed_at is not None:
        where = "after the batch" if result.failed_at == BATCH else f"after step {result.failed_at}"
        print(f"fails {where}: {result.summary}")
        print("\n".join(f"  {d}" for d in result.differences))
    print(result.verdict)
    return exit_status.PASSED if result.failed_at is None else exit_status.FAILED


if __name__ == "__main__":
    sys.exit(main())
