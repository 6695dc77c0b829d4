"""`python -m conformance.fuzz coverage`: which branches of the reference's decisions the generators reach.

Why: a fuzz is only as good as the corners its generator reaches (issue 11: configs weighted so that
every branch of the reference's decisions is reached in a short run). This measures it, with
coverage.py and `branch=True`, without a gateway: the differential cases and the stateful programs are
drawn exactly as a live run under the `ci` profile draws them (the same strategies, the same example
counts), and every cluster state they lead to goes through the reference -- `expectation` (pools and
warnings), `inclusion` per pod, `misconfiguration_warnings` -- as the live checks would judge it.
A stateful program's successive states are modelled from its steps (`model_pods`: what the embedded
cluster holds for a PodSpec: phase, IP, conditions, the bootstrap annotation, deletionTimestamp).

Prints branch coverage per module of reference/ and for the decision modules (pods, selection,
desired) together, with the branches never taken. Module-level lines count only when reference/ is
first imported under measurement, so the measure runs in a fresh interpreter when needed.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

DECISIONS = ("reference/pods.py", "reference/selection.py", "reference/desired.py")
PROG = "python -m conformance.fuzz coverage"


def model_pods(states: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Pod JSON for PodSpecs as the embedded cluster holds them. `states`: name -> (PodSpec,
    terminating, Ready statuses or None[, incarnation]); each incarnation has its own IP and uid."""
    from conformance.strategies import DELETION_TIMESTAMP, make_pod
    from fixtures.clusters.podspec import BOOTSTRAP_PORT_ANNOTATION

    pods: list[dict[str, Any]] = []
    for name, (spec, terminating, statuses, *rest) in states.items():
        running = spec.phase in ("Running", "Unknown")
        bootstrap = spec.bootstrap_port
        index = rest[0] if rest else len(pods)
        pod = make_pod(
            name=name,
            ip=f"127.0.{index // 250}.{index % 250 + 2}" if running and spec.has_ip else None,
            labels=spec.labels,
            namespace=spec.namespace or "default",
            phase=spec.phase,
            ready=spec.ready and running,
            annotations={BOOTSTRAP_PORT_ANNOTATION: str(bootstrap)} if bootstrap is not None else None,
            deletion_timestamp=DELETION_TIMESTAMP if terminating or spec.terminating else None,
            ready_statuses=statuses if statuses is not None else spec.ready_conditions,
        )
        pod["metadata"]["uid"] = f"uid-{name}-{index}"
        pods.append(pod)
    return pods


def program_states(steps: Iterable[Any]) -> Iterable[list[dict[str, Any]]]:
    """The cluster's pods after each step of a stateful program (plans.Step), modelled."""
    import dataclasses

    states: dict[str, Any] = {}  # name -> (PodSpec, terminating, Ready statuses or None, incarnation)
    made = 0
    for step in steps:
        if step.op == "create":
            states[step.pod.name] = (step.pod, False, None, made)
            made += 1
        elif step.name in states:
            spec, terminating, statuses, incarnation = states[step.name]
            if step.op == "relabel":
                spec = dataclasses.replace(spec, labels=dict(step.labels or {}))
            elif step.op == "set_ready":
                spec, statuses = dataclasses.replace(spec, ready=bool(step.ready)), None
            elif step.op == "set_phase":
                spec = dataclasses.replace(spec, phase=step.phase)
            elif step.op == "set_conditions":
                statuses = tuple(step.conditions or ())
            elif step.op == "delete" and step.grace:
                terminating = True
            elif step.op == "delete":
                del states[step.name]
                yield model_pods(states)
                continue
            elif step.op == "recreate":
                spec, terminating, statuses, incarnation = spec, False, None, made
                made += 1
            states[step.name] = (spec, terminating, statuses, incarnation)
        yield model_pods(states)


def judge_everything(config: Any, pods: Sequence[Mapping[str, Any]]) -> None:
    """What the reference decides for one cluster state (the measured work): the pools and warnings a
    check expects, the startup warning, and each pod's inclusion (as the reference gateway logs it)."""
    from reference import expectation, expected_pools, should_include, warn_if_misconfigured

    expected_pools(pods, config)
    expectation(pods, config)
    warn_if_misconfigured(config)
    for pod in pods:
        should_include(pod, config)


def exercise(examples: int, steps: int) -> tuple[int, int]:
    """Draw what a ci run draws (run.strategy: the same rounds) and judge it; returns (differential
    cases, stateful states) judged."""
    from hypothesis import HealthCheck, given, settings

    from conformance.fuzz import profiles, run
    from conformance.fuzz.pool import DEFAULT_SLOTS

    counts = [0, 0]
    args = run.build_parser().parse_args([])
    chosen = profiles.fuzz_settings(profiles.CI, max_examples=examples, steps=steps)
    quiet = settings(
        max_examples=examples, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )

    @quiet
    @given(run.strategy("differential", args, chosen, DEFAULT_SLOTS))
    def differential_cases(batch: list[Any]) -> None:
        for case in batch:
            judge_everything(case.config, model_pods({p.name: (p, False, None) for p in case.pods}))
            counts[0] += 1

    @quiet
    @given(run.strategy("stateful", args, chosen, DEFAULT_SLOTS))
    def stateful_cases(batch: list[Any]) -> None:
        for case in batch:
            for pods in program_states(case.steps):
                judge_everything(case.config, pods)
                counts[1] += 1

    differential_cases()
    stateful_cases()
    return counts[0], counts[1]


def measure(examples: int, steps: int, out: TextIO) -> float:
    """Run `exercise` under coverage.py (branch=True, reference/ only); print; return the decisions' %."""
    import coverage

    cov = coverage.Coverage(branch=True, source=["reference"], data_file=None)
    cov.start()
    try:
        cases, states = exercise(examples, steps)
    finally:
        cov.stop()
    print(
        f"branch coverage of reference/ by the fuzz's generators (ci profile: {examples} examples, "
        f"{steps} steps; {cases} differential cases, {states} stateful states judged):",
        file=out,
    )
    cov.report(file=out, show_missing=True, skip_empty=True)
    root = Path(__file__).resolve().parents[2]
    total = cov.report(file=io.StringIO(), morfs=[str(root / name) for name in DECISIONS])
    print(f"decisions ({', '.join(DECISIONS)}): {total:.1f}% of statements and branches", file=out)
    return float(total)


def main(argv: Sequence[str] | None = None) -> int:
    # Nothing imported here may import reference/ (see the module doc): plain argparse, profiles.
    from conformance import exit_status, validate
    from conformance.fuzz import profiles

    parser = validate.OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    ci = profiles.fuzz_settings(profiles.CI)
    parser.add_argument("--examples", type=validate.count_arg(1), default=ci.max_examples)
    parser.add_argument("--steps", type=validate.count_arg(1), default=ci.stateful_step_count)
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if "reference" in sys.modules:  # measure from a fresh import of reference/
        again = ["--examples", str(args.examples), "--steps", str(args.steps)]
        return subprocess.call([sys.executable, "-m", "conformance.fuzz.coverage", *again])
    measure(args.examples, args.steps, sys.stdout)
    return exit_status.PASSED


if __name__ == "__main__":
    sys.exit(main())
