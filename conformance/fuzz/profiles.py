"""Hypothesis profiles for live fuzzing: `ci` (seconds, derandomized) and `fuzz` (long, remembers).

Why this exists: issue 6 "Profiles" and docs/conventions.md#hypothesis. Live examples cost a gateway round
trip each, so the default test run uses a small derandomized `ci` profile (the built-in `ci` settings:
deadline None, print_blob, no database) with few examples, short state-machine runs and no explain
phase (it reruns live examples); `tox -e fuzz`
uses `fuzz`: many examples, a persistent `DirectoryBasedExampleDatabase` under `.hypothesis/` so a
failure found once is retried first next time, random seeds, and the explain phase. Importing this
module registers both; pytest selects one with `-p conformance.fuzz.profiles --hypothesis-profile
fuzz`, `python -m conformance.fuzz run` with `--hypothesis-profile`.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

CI = "ci"
FUZZ = "fuzz"
DEFAULT_DATABASE = Path(".hypothesis") / "fuzz"
SLOW_CHECKS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

settings.register_profile(
    CI,
    settings.get_profile("ci"),
    max_examples=10,
    stateful_step_count=5,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],  # no explain
    suppress_health_check=SLOW_CHECKS,
)
settings.register_profile(
    FUZZ,
    max_examples=10_000,
    stateful_step_count=20,
    deadline=None,
    derandomize=False,
    database=DirectoryBasedExampleDatabase(str(DEFAULT_DATABASE)),
    print_blob=True,
    phases=list(Phase),
    suppress_health_check=SLOW_CHECKS,
)


def fuzz_settings(
    profile: str = CI,
    *,
    max_examples: int | None = None,
    steps: int | None = None,
    database: str | Path | None = None,
) -> settings:
    """The named profile with the command line's overrides (examples, state-machine steps, database).

    Raises ValueError (one line) for an unknown profile name.
    """
    try:
        base = settings.get_profile(profile)
    except Exception:
        raise ValueError(f"unknown Hypothesis profile {profile!r}; use {CI!r} or {FUZZ!r}") from None
    changes: dict[str, object] = {}
    if max_examples is not None:
        changes["max_examples"] = max_examples
    if steps is not None:
        changes["stateful_step_count"] = steps
    if database is not None:
        changes["database"] = DirectoryBasedExampleDatabase(str(database))
    return settings(base, **changes)  # type: ignore[arg-type]
