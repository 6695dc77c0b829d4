"""The one fuzz loop, for both fuzzers: Hypothesis draws rounds of cases, the slots run them side by side.

Why one: the differential fuzz (a config and a batch of pods) and the stateful fuzz (a config and a
program of lifecycle steps) differ only in what a case is; drawing, running, remembering verdicts,
shrinking, reporting and stopping are the same, so they live here once.

- A Hypothesis example is a *round*: a list of slots to 2 x slots cases, run side by side (pool.py).
  Hypothesis draws (its database replays a round that failed before, first) until a round fails.
- The smallest failing case of that round is reported at once, then shrunk on the slots, several
  candidates at a time (shrink.py), when the profile's phases include shrinking. Hypothesis itself
  does not shrink: it would shrink the round, one live attempt at a time.
- Every verdict is remembered by its case (`FuzzScenario.key`): nothing runs twice, and a gateway's
  timing noise cannot make Hypothesis call the failure flaky.
- A deadline (`--duration`) or a signal stops the round in progress (pool.Cancelled, a BaseException
  that Hypothesis lets through), so the best example so far is what the run reports.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from hypothesis import Phase, Verbosity, given, settings
from hypothesis import strategies as st

from conformance import signals
from conformance.fuzz.pool import Cancelled, Slots, Verdict
from conformance.fuzz.reporting import Reporter, Tally
from conformance.fuzz.scenario import BATCH, FuzzScenario
from conformance.fuzz.shrink import shrink
from reference import ServiceDiscoveryConfig

PASSING_KEPT = 20_000  # verdicts of passing cases remembered (failing ones are all kept)


@dataclass
class FuzzRun:
    """The outcome of one fuzz run: its tally (the smallest failing case: `tally.found`), how it ended."""

    tally: Tally
    error: BaseException | None = None  # what Hypothesis raised for the failure it shrank
    stopped: str = ""  # "deadline", "interrupted" or "" (the run ended by itself)
    cache: OrderedDict[str, Verdict] = field(default_factory=OrderedDict)

    @property
    def found(self) -> FuzzScenario | None:
        return self.tally.found


def sharing_configs(
    make_cases: Callable[[st.SearchStrategy[ServiceDiscoveryConfig]], st.SearchStrategy[FuzzScenario]],
    configs: st.SearchStrategy[ServiceDiscoveryConfig],
    count: int,
) -> st.SearchStrategy[list[FuzzScenario]]:
    """Rounds of `count` to 2 x `count` cases over at most `count` configs drawn for the round: a
    gateway start (a new config) is most of a short case's cost, so cases share the round's gateways."""

    @st.composite
    def round_of_cases(draw: st.DrawFn) -> list[FuzzScenario]:
        chosen = draw(st.lists(configs, min_size=1, max_size=count, unique_by=repr))
        return draw(st.lists(make_cases(st.sampled_from(chosen)), min_size=count, max_size=2 * count))

    return round_of_cases()


def fuzz(
    slots: Slots,
    cases: st.SearchStrategy[FuzzScenario] | st.SearchStrategy[list[FuzzScenario]],
    fuzz_settings: settings,
    *,
    mode: str,
    reporter: Reporter | None = None,
    seed: int | None = None,
    run: FuzzRun | None = None,
    by_round: bool = False,
) -> FuzzRun:
    """Fuzz with `cases` (whole rounds when `by_round`: see `sharing_configs`) on `slots` until the
    profile's examples are spent, a failure has shrunk, or the run is stopped; returns the run (its
    `found`: the smallest failing case seen).

    KeyboardInterrupt propagates (after the slots have stopped); `run.stopped` then says so and the
    reporter has already written the best example so far. Other errors (a gateway that crashed)
    propagate too.
    """
    reporter = reporter or Reporter(None)
    run = run or FuzzRun(Tally(gateway=slots.gateway, mode=mode))
    if by_round:
        rounds = cast(st.SearchStrategy[list[FuzzScenario]], cases)
    else:  # every slot busy
        one = cast(st.SearchStrategy[FuzzScenario], cases)
        rounds = st.lists(one, min_size=slots.count, max_size=2 * slots.count)

    def lookup(batch: Sequence[FuzzScenario]) -> list[Verdict]:
        todo = {case.key(): case for case in batch if case.key() not in run.cache}
        for verdict in slots.run(list(todo.values())):
            _remember(run, verdict)
        verdicts = [run.cache[case.key()] for case in batch]
        for verdict in verdicts:
            run.cache.move_to_end(verdict.case.key())
        reporter.progress(run.tally)
        return verdicts

    drawing = settings(fuzz_settings, phases=_drawing(fuzz_settings), verbosity=Verbosity.quiet)

    @drawing
    @given(batch=rounds)
    def test(batch: list[FuzzScenario]) -> None:
        if slots.stopper.passed():
            raise Cancelled("deadline")
        run.tally.examples += 1
        verdicts = lookup(batch)
        failing = [v.result for v in verdicts if v.result is not None and v.result.failed]
        if failing:
            reporter.difference(run.tally, min(failing, key=FuzzScenario.size))
            raise AssertionError(min(failing, key=FuzzScenario.size).describe())
        # A round whose configs were all refused is not rejected (Hypothesis would then keep drawing
        # small rounds of one trivial case to find a valid one): a refusal is an answer too.

    inner = test.hypothesis.inner_test  # type: ignore[attr-defined]
    inner._hypothesis_internal_add_digest = f"{mode}:{slots.gateway}".encode()
    if seed is not None:
        test._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    try:
        test()
    except Cancelled as stop:
        run.stopped = str(stop) or "deadline"
    except KeyboardInterrupt:
        run.stopped = "interrupted"
        raise
    except Exception as exc:  # the AssertionError of a failing round
        # A signal during Hypothesis's last replay of the failing round comes back inside its report
        # (a group of errors); it still stops the run.
        inner = _leaves(exc)
        if any(isinstance(e, KeyboardInterrupt) for e in inner):
            run.stopped = "interrupted"
            raise KeyboardInterrupt from exc
        if any(isinstance(e, Cancelled) for e in inner):
            run.stopped = slots.stopper.reason or "deadline"
        elif run.found is None:
            raise
        run.error = exc
    _stop_if_signalled(run)
    found = run.found
    if found is not None and not run.stopped and Phase.shrink in fuzz_settings.phases:
        try:
            _, run.stopped = shrink(slots, found, lookup, reporter=reporter, tally=run.tally)
        except KeyboardInterrupt:
            run.stopped = "interrupted"
            raise
    return run


def _stop_if_signalled(run: FuzzRun) -> None:
    """A signal that Hypothesis swallowed (it can land while Hypothesis replays the failing round and
    end up inside its report) still stops the run: signals.py remembers every one."""
    if signals.first_signal() is not None:
        run.stopped = "interrupted"
        raise KeyboardInterrupt(signals.first_signal())


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, or the exception itself."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _drawing(chosen: settings) -> list[Phase]:
    """The profile's phases up to generating (shrinking is shrink.py's, on the slots)."""
    return [phase for phase in chosen.phases if phase in (Phase.explicit, Phase.reuse, Phase.generate)]


def _remember(run: FuzzRun, verdict: Verdict) -> None:
    """Cache the verdict (the oldest passing ones go past PASSING_KEPT) and count what it judged."""
    tally = run.tally
    run.cache[verdict.case.key()] = verdict
    result = verdict.result
    if verdict.refused:
        tally.refused += 1
    elif result is not None:
        tally.cases += 1
        tally.differences += result.failed
        if result.pods or not result.steps:
            tally.pods += len(result.pods)
        if result.failed_at is None:
            tally.steps += len(result.steps)
        elif result.failed_at != BATCH:
            tally.steps += result.failed_at + 1
    if len(run.cache) > PASSING_KEPT * 1.1:
        for key in [k for k, v in run.cache.items() if not (v.result is not None and v.result.failed)]:
            if len(run.cache) <= PASSING_KEPT:
                break
            del run.cache[key]
