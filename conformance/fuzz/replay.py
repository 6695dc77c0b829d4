"""`python -m conformance replay FILE --gateway X`: rerun exactly the case a scenario file holds.

Why this exists: a shrunk failure must be replayable. The case runs on a fresh embedded cluster
through the very code the fuzzers use (slot.py: the batch, then each step, a barrier and a check after
the batch and after every step that waits -- the file keeps the pace). The result says whether the
failure is the same one: the same check (`failed_at`) and the same differences by pod name (IPs
differ from run to run).

Exit status (the one table of conformance/exit_status.py): 0 the case passes now; 1 it fails --
REPRODUCED (the same check, the same differences), FAILED DIFFERENTLY, or the gateway refused the
scenario's config (the verdict line says which); 2 bad input (one line on stderr); 4 incomplete (the
gateway could not be prepared, or a signal stopped the replay).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance import exit_status, validate
from conformance.fuzz import options
from conformance.fuzz.plans import PlanError
from conformance.fuzz.pool import Slots
from conformance.fuzz.scenario import BATCH, FuzzScenario, ScenarioError, load
from conformance.fuzz.slot import GatewayRefused

PROG = "python -m conformance replay"


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


def replay(slots: Slots, scenario: FuzzScenario) -> ReplayResult:
    """Run the scenario on the first slot; GatewayRefused when the gateway will not take its config."""
    result = slots.slots[0].run(scenario)
    return ReplayResult(scenario, result.failed_at, result.differences, result.summary)


def build_parser() -> argparse.ArgumentParser:
    parser = options.parser(PROG, __doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a scenario YAML written by the fuzzer (or by hand)")
    options.add_shared(parser, gateway=None, semantics=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Replay one scenario file; prints the case and the verdict. See the module doc for exit codes."""
    args = options.parse(build_parser(), sys.argv[1:] if argv is None else argv)
    if isinstance(args, int):
        return args
    try:
        scenario = load(args.file)
        gateway = args.gateway or scenario.gateway
        if not gateway:
            raise ScenarioError(f"scenario {args.file} names no gateway; pass --gateway")
        validate.check_gateway(gateway)
        semantics = options.semantics_of(args.semantics or scenario.semantics)
    except (ScenarioError, validate.UsageError) as exc:
        print(f"{PROG}: error: {validate.one_line(exc)}", file=sys.stderr)
        return exit_status.USAGE
    print(scenario.describe())
    from fixtures.gateways import GatewayError, GatewaySetupError
    from fixtures.lifetime import guarded

    slots = Slots(gateway, count=1, cap=args.cap, settle=args.settle, semantics=semantics)
    t = slots.timing
    print(f"replaying against {gateway} (cap {t.cap:g} s, settle {t.settle:g} s) ...", flush=True)
    try:  # guarded: whatever the replay starts dies with it
        with guarded(), slots:
            result = replay(slots, scenario)
    except GatewayRefused as exc:
        print(f"FAILED ({gateway} refused the scenario's config: {exc})")
        return exit_status.FAILED
    except PlanError as exc:
        print(f"{PROG}: error: scenario {args.file}: {exc}", file=sys.stderr)
        return exit_status.USAGE
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
